// SPDX-License-Identifier: Apache-2.0
/* The operator API (POST /api/v1) and GET /metrics, answered from the owner thread. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "leader.h"
#include "master.h"
#include "mesos/v1/master/master.pb-c.h"
#include "operator.h"
#include "registry.h"
#include "validate.h"
#include "version.h"

static json_t *get_flags(struct master *m)
{
	json_t *flags = json_array();
	char buf[512];

	for (const struct conf_opt *o = master_flag_table; o->name; o++)
		json_array_append_new(flags,
				      json_pack("{s:s,s:s}", "name", o->name, "value",
						conf_format(o, m->flags, buf, sizeof(buf))));
	return json_pack("{s:o}", "flags", flags);
}

/* ---------------------------------------------------------------- calls that change state */

static void set_weight(void *opaque, const char *role, double w)
{
	struct master *m = opaque;
	int r = alloc_role_set_weight(m->alloc, role, w);

	if (r < 0)
		log_warn("allocator: weight of role '%s': %s", role, strerror(-r));
	else
		master_persist_weight(m, role, w);
}

struct weight_check {
	struct master *m;
	struct msg *msg;
	char *denied; /* the first role the caller may not change */
};

static void check_weight(void *opaque, const char *role, double w)
{
	struct weight_check *c = opaque;

	if (!c->denied &&
	    !master_acls_allowed(&c->m->acls, ACL_UPDATE_WEIGHTS, c->msg->principal, role, NULL, 0))
		c->denied = strdup(role);
}

static void update_weights(struct master *m, struct msg *msg)
{
	struct weight_check wc = {.m = m, .msg = msg};
	char err[WIRE_ERR_LEN];
	json_t *uw = wire_get_object(msg->body, "update_weights", true, err, sizeof(err));
	int n;

	if (!uw) {
		master_reply_error(m, msg->req, 400, "Failed to validate master::Call: %s", err);
		return;
	}
	/* all entries are checked (and authorized) before any is applied */
	n = master_parse_weights(json_object_get(uw, "weight_infos"), "update_weights.weight_infos",
				 check_weight, &wc, err, sizeof(err));
	if (n >= 0 && wc.denied) {
		master_authorize(m, msg, ACL_UPDATE_WEIGHTS, wc.denied); /* answers 403 */
		free(wc.denied);
		return;
	}
	free(wc.denied);
	if (n >= 0)
		n = master_parse_weights(json_object_get(uw, "weight_infos"), "update_weights.weight_infos",
				 set_weight, m, err, sizeof(err));
	if (n < 0) {
		master_reply_error(m, msg->req, 400, "Failed to validate master::Call: %s", err);
		return;
	}
	log_info("UPDATE_WEIGHTS: %d role(s)", n);
	master_request_allocation(m);
	master_reply_error(m, msg->req, 200, "%s", "");
}

/*
 * DRAIN_AGENT's max_grace_period in ns: Mesos's google.protobuf.Duration {"seconds",
 * "nanos"}, or {"nanoseconds"} (the DurationInfo form Drover took first). -1: absent;
 * -EINVAL: neither, negative, or past a year.
 */
static int64_t grace_ns(json_t *grace)
{
	json_t *ns = json_object_get(grace, "nanoseconds");
	json_t *sec = json_object_get(grace, "seconds"), *nanos = json_object_get(grace, "nanos");
	double v;

	if (!grace)
		return -1;
	if (!json_is_object(grace) || (ns && (sec || nanos)) ||
	    (ns && !json_is_integer(ns)) || (sec && !json_is_integer(sec)) ||
	    (nanos && !json_is_integer(nanos)))
		return -EINVAL;
	v = ns ? (double)json_integer_value(ns)
	       : (double)json_integer_value(sec) * 1e9 + (double)json_integer_value(nanos);
	if (!(v >= 0 && v <= 365.0 * 86400 * 1e9) || json_integer_value(nanos) < 0 ||
	    json_integer_value(nanos) > 999999999)
		return -EINVAL;
	return (int64_t)v;
}

/* DRAIN_AGENT, DEACTIVATE_AGENT, REACTIVATE_AGENT: {"<type lower>": {"agent_id": {...}}} */
static void agent_admin(struct master *m, struct msg *msg, const char *type)
{
	char err[WIRE_ERR_LEN], key[32];
	const char *id;
	json_t *body;
	struct agent *a;
	bool kill = true;
	int64_t grace;
	size_t i;

	for (i = 0; type[i] && i < sizeof(key) - 1; i++)
		key[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32 : type[i]);
	key[i] = '\0';
	body = wire_get_object(msg->body, key, true, err, sizeof(err));
	id = body ? master_get_id(body, "agent_id", key, err, sizeof(err)) : NULL;
	if (!id) {
		master_reply_error(m, msg->req, 400, "Failed to validate master::Call: %s", err);
		return;
	}
	grace = grace_ns(json_object_get(body, "max_grace_period"));
	if (grace == -EINVAL) {
		master_reply_error(
			m, msg->req, 400,
			"Failed to validate master::Call: field '%s.max_grace_period' must be "
			"{\"seconds\", \"nanos\"} (or {\"nanoseconds\"}), at least 0 and at most "
			"a year",
			key);
		return;
	}
	if (wire_get_bool(body, "kill_tasks", &kill, err, sizeof(err)) < 0) {
		master_reply_error(m, msg->req, 400, "Failed to validate master::Call: %s.%s", key,
				   err);
		return;
	}
	a = strmap_get(&m->agents, id);
	if (!a) {
		master_reply_error(m, msg->req, 404, "agent '%s' is not known", id);
		return;
	}
	if (!master_authorize(m, msg, ACL_DRAIN_AGENTS, a->hostname))
		return;
	if (streq(type, "REACTIVATE_AGENT")) {
		a->deactivated = false;
		a->draining = false;
		master_alloc_agent_activate(m, a, true);
		master_request_allocation(m);
	} else {
		size_t it;
		void *v;
		a->deactivated = true;
		a->draining = streq(type, "DRAIN_AGENT") && kill;
		for (it = 0; strmap_next(&a->offers, &it, NULL, &v);) {
			master_offer_rescind(m, v);
			it = 0;
		}
		master_alloc_agent_activate(m, a, false);
		if (a->draining) {
			json_t *kp = grace >= 0 ? json_pack("{s:{s:I}}", "grace_period",
							    "nanoseconds", (json_int_t)grace)
						: NULL;
			master_agent_kill_tasks(m, a, kp);
			json_decref(kp);
		}
	}
	master_persist_agent(m, a);
	log_info("%s: agent %s (%s)", type, a->id, a->hostname);
	master_reply_error(m, msg->req, 200, "%s", "");
}

/*
 * MARK_AGENT_GONE {"mark_agent_gone": {"agent_id": {...}}}: as Mesos, authorized first
 * (mark_agents_gone), then 200 for an agent already gone, 404 for one the master does not
 * know, else the agent is marked gone (agents.c) and the answer waits until the registry
 * has it.
 */
static void mark_agent_gone(struct master *m, struct msg *msg)
{
	char err[WIRE_ERR_LEN];
	json_t *body = wire_get_object(msg->body, "mark_agent_gone", true, err, sizeof(err));
	const char *id = body ? master_get_id(body, "agent_id", "mark_agent_gone", err, sizeof(err))
			      : NULL;
	struct agent *a;

	if (!id) {
		master_reply_error(m, msg->req, 400, "Failed to validate master::Call: %s", err);
		return;
	}
	a = strmap_get(&m->agents, id);
	if (!master_authorize(m, msg, ACL_MARK_AGENTS_GONE, a ? a->hostname : id))
		return;
	if (json_object_get(m->gone_agents, id)) {
		log_info("MARK_AGENT_GONE: agent %s is gone already", id);
		master_reply_error(m, msg->req, 200, "%s", "");
		return;
	}
	if (!a) {
		master_reply_error(m, msg->req, 404, "Agent '%s' not found", id);
		return;
	}
	master_agent_mark_gone(m, a);
	master_outbox_reply(m, msg->req, 200, NULL);
}

/* Payload key of a response type: GET_STATE -> "get_state". */
static json_t *response(const char *type, json_t *payload)
{
	char key[64];
	size_t i;

	for (i = 0; type[i] && i < sizeof(key) - 1; i++)
		key[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32 : type[i]);
	key[i] = '\0';
	return wire_event(type, key, payload);
}

static json_t *get_metrics(struct master *m)
{
	json_t *snap = master_metrics_snapshot(m), *arr = wire_name_values(snap);

	json_decref(snap);
	return json_pack("{s:o}", "metrics", arr);
}

static json_t *get_weights(struct master *m)
{
	json_t *arr = json_array(), *w;
	const char *role;

	json_object_foreach(m->weights, role, w)
		json_array_append_new(arr, json_pack("{s:s,s:O}", "role", role, "weight", w));
	return json_pack("{s:o}", "weight_infos", arr);
}

/*
 * Mesos's logging level is glog's verbosity (0: INFO and above, 1 and more: VLOG(n) too);
 * Drover's levels map onto it as: debug -> 1, anything less verbose -> 0.
 */
static json_t *get_logging_level(void)
{
	enum log_level l = __atomic_load_n(&log_max_level, __ATOMIC_RELAXED);

	return json_pack("{s:i}", "level", l >= LOG_DEBUG ? 1 : 0);
}

static void on_log_revert(struct loop *l, struct loop_timer *t, void *data)
{
	struct master *m = data;

	(void)l;
	(void)t;
	__atomic_store_n(&log_max_level, (enum log_level)m->log_level_start, __ATOMIC_RELAXED);
	log_info("SET_LOGGING_LEVEL: its duration is over, back to the level the master started "
		 "with");
}

/* SET_LOGGING_LEVEL {level, duration}: the level for duration, then the one at start. */
static void set_logging_level(struct master *m, struct msg *msg)
{
	char err[WIRE_ERR_LEN];
	json_t *sl = wire_get_object(msg->body, "set_logging_level", true, err, sizeof(err));
	json_t *lv = sl ? json_object_get(sl, "level") : NULL;
	json_t *dur = sl ? json_object_get(sl, "duration") : NULL;
	json_t *ns = json_object_get(dur, "nanoseconds");
	double level, d;

	if (!sl || !lv || !dur) {
		master_reply_error(m, msg->req, 400, "Failed to validate master::Call: %s",
				   sl ? "'set_logging_level' needs 'level' and 'duration'" : err);
		return;
	}
	level = json_is_number(lv) ? json_number_value(lv)
				   : json_is_string(lv) ? strtod(json_string_value(lv), NULL) : -1;
	d = json_is_number(ns) ? json_number_value(ns)
			       : json_is_string(ns) ? strtod(json_string_value(ns), NULL) : -1;
	if (!(level >= 0 && level <= UINT32_MAX) || !(d > 0 && d <= 365.0 * 86400 * 1e9)) {
		master_reply_error(m, msg->req, 400,
				   "Failed to validate master::Call: 'set_logging_level.level' must "
				   "be an unsigned integer and 'duration.nanoseconds' in (0, 1 year]");
		return;
	}
	if (!master_authorize(m, msg, ACL_SET_LOG_LEVEL, level >= 1 ? "1" : "0"))
		return;
	if (m->log_level_start < 0)
		m->log_level_start = (int)log_max_level;
	if (!m->log_revert_timer)
		m->log_revert_timer = loop_timer_add(m->loop, (int64_t)d, 0, on_log_revert, m);
	else
		loop_timer_set(m->log_revert_timer, (int64_t)d, 0);
	if (!m->log_revert_timer) {
		master_reply_error(m, msg->req, 503, "cannot arm the timer that reverts the level");
		return;
	}
	__atomic_store_n(&log_max_level, level >= 1 ? LOG_DEBUG : LOG_INFO, __ATOMIC_RELAXED);
	log_info("SET_LOGGING_LEVEL: level %.0f for %.3fs", level, d / 1e9);
	master_reply_error(m, msg->req, 200, "%s", "");
}

/* The payload of a read call, or NULL when type is none. */
static json_t *read_call(struct master *m, struct msg *msg, const char *type)
{
	const char *who = msg->principal;

	if (streq(type, "GET_HEALTH"))
		return json_pack("{s:b}", "healthy", true);
	if (streq(type, "GET_VERSION"))
		return json_pack("{s:{s:s,s:s}}", "version_info", "version", DROVER_VERSION,
				 "git_sha", DROVER_GIT_REV);
	if (streq(type, "GET_FLAGS"))
		return get_flags(m);
	if (streq(type, "GET_AGENTS"))
		return master_state_agents(m);
	if (streq(type, "GET_FRAMEWORKS"))
		return master_state_frameworks(m, who);
	if (streq(type, "GET_TASKS"))
		return master_state_tasks(m, who);
	if (streq(type, "GET_EXECUTORS"))
		return master_state_executors(m, who);
	if (streq(type, "GET_OPERATIONS"))
		return json_pack("{s:[]}", "operations"); /* no offer operations but LAUNCH */
	if (streq(type, "GET_ROLES"))
		return master_state_roles(m, who);
	if (streq(type, "GET_STATE"))
		return master_state_get_state(m, who);
	if (streq(type, "GET_METRICS"))
		return get_metrics(m);
	if (streq(type, "GET_WEIGHTS"))
		return get_weights(m);
	if (streq(type, "GET_QUOTA"))
		return master_quota_get(m);
	if (streq(type, "GET_LOGGING_LEVEL"))
		return get_logging_level();
	if (streq(type, "GET_MASTER"))
		return master_leader_get_master(m);
	return NULL;
}

void master_operator_call(struct master *m, struct msg *msg)
{
	const char *type = json_string_value(json_object_get(msg->body, "type"));
	json_t *payload;

	/* reads are "view"; changes are checked where their object (role, agent) is known */
	if ((strncmp(type, "GET_", 4) == 0 || streq(type, "SUBSCRIBE")) &&
	    !master_authorize(m, msg, ACL_VIEW, type))
		return;
	if (streq(type, "SUBSCRIBE")) {
		master_operator_subscribe(m, msg);
		return;
	}
	if (streq(type, "UPDATE_WEIGHTS")) {
		update_weights(m, msg);
		return;
	}
	if (streq(type, "UPDATE_QUOTA")) {
		master_quota_update_call(m, msg);
		return;
	}
	if (streq(type, "SET_LOGGING_LEVEL")) {
		set_logging_level(m, msg);
		return;
	}
	if (streq(type, "MARK_AGENT_GONE")) {
		mark_agent_gone(m, msg);
		return;
	}
	if (streq(type, "DRAIN_AGENT") || streq(type, "DEACTIVATE_AGENT") ||
	    streq(type, "REACTIVATE_AGENT")) {
		agent_admin(m, msg, type);
		return;
	}
	payload = read_call(m, msg, type);
	if (!payload) {
		master_reply_error(
			m, msg->req, 400,
			"Failed to validate master::Call: call type '%s' is not supported", type);
		return;
	}
	master_reply_codec(m, msg, 200, &mesos__v1__master__response__descriptor,
			   response(type, payload));
}

void master_metrics_reply(struct master *m, struct msg *msg)
{
	struct master_metrics *mm = &m->metrics;
	int count[TASK_STATE_MAX] = {0};
	char *buf = NULL;
	size_t len = 0;

	if (!master_authorize(m, msg, ACL_VIEW, "/metrics"))
		return;
	FILE *f = open_memstream(&buf, &len);
	size_t it, jt;
	void *v, *w;
	uint64_t cum = 0;
	size_t qdepth, qdepth_max;

	if (!f) {
		master_reply_error(m, msg->req, 503, "out of memory");
		return;
	}
	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);) {
		struct framework *fw = v;
		for (jt = 0; strmap_next(&fw->tasks, &jt, NULL, &w);)
			count[((struct task *)w)->state]++;
	}
	fprintf(f, "# TYPE drover_master_elected gauge\ndrover_master_elected %d\n",
		master_leader_elected(m));
	fprintf(f, "# TYPE drover_master_outbox_held gauge\ndrover_master_outbox_held %zu\n",
		m->outbox.held);
	fprintf(f, "# TYPE drover_master_agents gauge\ndrover_master_agents %zu\n",
		strmap_size(&m->agents));
	fprintf(f, "# TYPE drover_master_frameworks gauge\ndrover_master_frameworks %zu\n",
		strmap_size(&m->frameworks));
	fprintf(f, "# TYPE drover_master_offers gauge\ndrover_master_offers %zu\n",
		strmap_size(&m->offers));
	fprintf(f, "# TYPE drover_master_tasks gauge\n");
	for (int s = 0; s < TASK_STATE_MAX; s++)
		fprintf(f, "drover_master_tasks{state=\"%s\"} %d\n", task_state_name(s), count[s]);
	master_queue_depth(m, &qdepth, &qdepth_max);
	fprintf(f,
		"# TYPE drover_master_event_queue_depth gauge\n"
		"drover_master_event_queue_depth %zu\n",
		qdepth);
	fprintf(f, "# TYPE drover_master_http_requests_total counter\n");
	for (int k = 1; k <= 5; k++)
		fprintf(f, "drover_master_http_requests_total{code=\"%dxx\"} %" PRIu64 "\n", k,
			__atomic_load_n(&mm->http_by_code[k], __ATOMIC_RELAXED));
	fprintf(f, "# TYPE drover_master_allocation_cycle_seconds histogram\n");
	for (int b = 0; b < 16; b++) {
		cum += mm->alloc_cycle_hist[b];
		fprintf(f, "drover_master_allocation_cycle_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			(double)(1LL << (b + 1)) / 1e6, cum);
	}
	fprintf(f, "drover_master_allocation_cycle_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
		mm->alloc_cycles);
	fprintf(f, "drover_master_allocation_cycle_seconds_sum %g\n",
		(double)mm->alloc_cycle_sum_us / 1e6);
	fprintf(f, "drover_master_allocation_cycle_seconds_count %" PRIu64 "\n", mm->alloc_cycles);
	fprintf(f, "# TYPE drover_master_http_responses_total counter\n");
	for (int c = 100; c < 600; c++) {
		uint64_t n = __atomic_load_n(&mm->http_by_status[c], __ATOMIC_RELAXED);
		if (n)
			fprintf(f, "drover_master_http_responses_total{code=\"%d\"} %" PRIu64 "\n",
				c, n);
	}
	fprintf(f,
		"# TYPE drover_master_event_queue_depth_max gauge\n"
		"drover_master_event_queue_depth_max %zu\n",
		qdepth_max);
	fprintf(f, "# TYPE drover_master_agent_claims_refused_total counter\n"
		   "drover_master_agent_claims_refused_total %" PRIu64 "\n",
		mm->agent_claims_refused);
	if (m->registry) {
		struct registry_stats rs;

		master_reg_stats(m->registry, &rs);
		fprintf(f, "# TYPE drover_master_registry_commits_total counter\n"
			   "drover_master_registry_commits_total %" PRIu64 "\n",
			rs.commits);
		fprintf(f, "# TYPE drover_master_registry_writes_total counter\n"
			   "drover_master_registry_writes_total %" PRIu64 "\n",
			rs.writes);
		fprintf(f, "# TYPE drover_master_registry_commit_seconds_total counter\n"
			   "drover_master_registry_commit_seconds_total %g\n",
			(double)rs.commit_ns / 1e9);
		fprintf(f, "# TYPE drover_master_registry_queued_writes gauge\n"
			   "drover_master_registry_queued_writes %u\n",
			rs.queued);
	}
	if (m->http) {
		struct http_server_stats hs;

		http_server_stats(m->http, &hs);
		fprintf(f, "# TYPE drover_master_http_resumes_total counter\n"
			   "drover_master_http_resumes_total %" PRIu64 "\n"
			   "# TYPE drover_master_http_resume_batches_total counter\n"
			   "drover_master_http_resume_batches_total %" PRIu64 "\n"
			   "# TYPE drover_master_http_parked_connections gauge\n"
			   "drover_master_http_parked_connections %ld\n"
			   "# TYPE drover_master_http_resume_wait_max_seconds gauge\n"
			   "drover_master_http_resume_wait_max_seconds %g\n",
			hs.resumes, hs.batches, hs.parked, hs.wait_max_s);
	}
	fprintf(f, "# TYPE drover_master_recovery_seconds gauge\n"
		   "drover_master_recovery_seconds %g\n",
		(double)mm->recovery_us / 1e6);
	fprintf(f, "# TYPE drover_master_offers_total counter\n");
	fprintf(f, "drover_master_offers_total{outcome=\"sent\"} %" PRIu64 "\n", mm->offers_sent);
	fprintf(f, "drover_master_offers_total{outcome=\"declined\"} %" PRIu64 "\n",
		mm->offers_declined);
	fprintf(f, "drover_master_offers_total{outcome=\"accepted\"} %" PRIu64 "\n",
		mm->offers_accepted);
	fprintf(f, "drover_master_offers_total{outcome=\"rescinded\"} %" PRIu64 "\n",
		mm->offers_rescinded);
	fclose(f);
	master_count_status(m, 200);
	http_reply(msg->req, 200, "text/plain; version=0.0.4", buf, len, NULL);
	free(buf);
}
