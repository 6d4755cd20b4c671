// SPDX-License-Identifier: Apache-2.0
/* The operator API (POST /api/v1) and GET /metrics, answered from the owner thread. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "leader.h"
#include "master.h"
#include "registry.h"
#include "validate.h"
#include "version.h"

json_t *master_task_to_json(const struct task *t)
{
	json_t *j = json_pack("{s:s,s:o,s:o,s:o,s:s,s:o}", "name", t->name ? t->name : "",
			      "task_id", wire_id(t->id), "framework_id", wire_id(t->fw_id), "agent_id",
			      wire_id(t->agent_id), "state", task_state_name(t->state), "resources",
			      alloc_res_to_json(&t->res));

	if (t->status)
		json_object_set_new(j, "statuses", json_pack("[O]", t->status));
	else if (t->status_text)
		json_object_set_new(j, "statuses", json_pack("[o*]", master_task_status_copy(t)));
	return j;
}

static json_t *agent_to_json(struct master *m, const struct agent *a)
{
	const struct alloc_res *total = NULL, *avail = NULL;
	json_t *attrs = json_object_get(a->info, "attributes");
	json_t *j = json_pack("{s:{s:o,s:s,s:O*,s:o},s:b,s:b,s:b,s:o}", "agent_info", "id",
			      wire_id(a->id), "hostname", a->hostname, "resources",
			      json_object_get(a->info, "resources"), "attributes",
			      attrs ? json_incref(attrs) : json_array(),
			      "active", a->connected && a->reachable, "reachable", a->reachable,
			      "draining", a->draining, "total_resources", alloc_res_to_json(&a->total));

	json_object_set_new(j, "deactivated", json_boolean(a->deactivated));
	json_object_set_new(j, "recovered", json_boolean(a->recovered));

	if (alloc_agent_get(m->alloc, a->id, &total, &avail) == 0) {
		struct alloc_res used = ALLOC_RES_INIT;
		alloc_res_copy(&used, total);
		alloc_res_sub(&used, avail);
		json_object_set_new(j, "allocated_resources", alloc_res_to_json(&used));
		json_object_set_new(j, "available_resources", alloc_res_to_json(avail));
		alloc_res_clear(&used);
	}
	if (a->enforcement)
		json_object_set(j, "enforcement", a->enforcement);
	json_object_set_new(j, "tasks", json_integer((json_int_t)strmap_size(&a->tasks)));
	return j;
}

static json_t *framework_to_json(struct master *m, const struct framework *fw)
{
	struct alloc_framework_info fi;
	json_t *offers = json_array();
	json_t *j;
	size_t it;
	void *v;

	for (it = 0; strmap_next(&fw->offers, &it, NULL, &v);) {
		json_t *o = master_offer_to_json(v); /* the framework's view; the role always here */
		json_object_set_new(o, "allocation_info", json_pack("{s:s}", "role", fw->role));
		json_array_append_new(offers, o);
	}
	j = json_pack("{s:O,s:b,s:b,s:b,s:s,s:i,s:i,s:o}", "framework_info", fw->info, "active",
		      fw->connected && !fw->suppressed, "connected", fw->connected, "recovered",
		      fw->recovered, "role", fw->role, "tier", fw->tier, "tasks",
		      (int)strmap_size(&fw->tasks), "offers", offers);

	if (alloc_framework_get(m->alloc, fw->id, &fi) == 0) {
		json_object_set_new(j, "dominant_share", json_real(fi.share));
		json_object_set_new(j, "allocated_resources", alloc_res_to_json(fi.allocated));
		json_object_set_new(j, "suppressed", json_boolean(fi.suppressed));
	}
	return j;
}

static json_t *get_agents(struct master *m)
{
	json_t *arr = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&m->agents, &it, NULL, &v);)
		json_array_append_new(arr, agent_to_json(m, v));
	return json_pack("{s:o}", "agents", arr);
}

static json_t *get_frameworks(struct master *m)
{
	json_t *arr = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);)
		json_array_append_new(arr, framework_to_json(m, v));
	return json_pack("{s:o}", "frameworks", arr);
}

static json_t *get_tasks(struct master *m)
{
	json_t *arr = json_array();
	size_t it, jt;
	void *v, *w;

	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);) {
		struct framework *fw = v;
		for (jt = 0; strmap_next(&fw->tasks, &jt, NULL, &w);)
			json_array_append_new(arr, master_task_to_json(w));
	}
	return json_pack("{s:o,s:O}", "tasks", arr, "completed_tasks", m->completed);
}

static void role_cb(void *opaque, const struct alloc_role_info *ri)
{
	json_t *arr = opaque;
	json_t *j = json_pack("{s:s,s:f,s:f,s:f,s:i,s:o}", "name", ri->name, "weight", ri->weight,
			      "dominant_share", ri->share, "weighted_share", ri->weighted_share,
			      "frameworks", (int)ri->frameworks, "allocated",
			      alloc_res_to_json(ri->allocated));

	if (ri->guarantee && !alloc_res_is_empty(ri->guarantee))
		json_object_set_new(j, "quota_guarantee", alloc_res_to_json(ri->guarantee));
	if (ri->limit && !alloc_res_is_empty(ri->limit))
		json_object_set_new(j, "quota_limit", alloc_res_to_json(ri->limit));
	json_array_append_new(arr, j);
}

static json_t *get_roles(struct master *m)
{
	json_t *arr = json_array();

	alloc_roles_foreach(m->alloc, role_cb, arr);
	return json_pack("{s:o}", "roles", arr);
}

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

static json_t *get_metrics(struct master *m)
{
	struct master_metrics *mm = &m->metrics;
	size_t qdepth, qdepth_max;
	json_t *j;

	master_queue_depth(m, &qdepth, &qdepth_max);
	j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "master/agents",
		      (json_int_t)strmap_size(&m->agents), "master/frameworks",
		      (json_int_t)strmap_size(&m->frameworks), "master/outstanding_offers",
		      (json_int_t)strmap_size(&m->offers), "master/offers_sent",
		      (json_int_t)mm->offers_sent, "master/offers_declined",
		      (json_int_t)mm->offers_declined, "master/offers_accepted",
		      (json_int_t)mm->offers_accepted, "master/offers_rescinded",
		      (json_int_t)mm->offers_rescinded, "master/tasks_launched",
		      (json_int_t)mm->tasks_launched, "master/updates_forwarded",
		      (json_int_t)mm->updates_forwarded, "master/updates_duplicate",
		      (json_int_t)mm->updates_duplicate, "allocator/cycles",
		      (json_int_t)mm->alloc_cycles, "master/event_queue_max",
		      (json_int_t)qdepth_max);
	json_object_set_new(j, "master/agent_claims_refused",
			    json_integer((json_int_t)mm->agent_claims_refused));
	if (m->registry) {
		struct registry_stats rs;

		master_reg_stats(m->registry, &rs);
		json_object_set_new(j, "registry/commits", json_integer((json_int_t)rs.commits));
		json_object_set_new(j, "registry/writes", json_integer((json_int_t)rs.writes));
		json_object_set_new(j, "registry/queued", json_integer((json_int_t)rs.queued));
	}
	json_object_set_new(j, "registry/recovery_seconds",
			    json_real((double)mm->recovery_us / 1e6));
	json_object_set_new(j, "registry/recovered_tasks",
			    json_integer((json_int_t)mm->recovered_tasks));
	json_object_set_new(j, "master/event_queue_depth", json_integer((json_int_t)qdepth));
	return j;
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

/* DRAIN_AGENT, DEACTIVATE_AGENT, REACTIVATE_AGENT: {"<type lower>": {"agent_id": {...}}} */
static void agent_admin(struct master *m, struct msg *msg, const char *type)
{
	char err[WIRE_ERR_LEN], key[32];
	const char *id;
	json_t *body, *grace;
	struct agent *a;
	bool kill = true;
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
	grace = json_object_get(body, "max_grace_period");
	if (grace && (!json_is_object(grace) ||
		      !json_is_integer(json_object_get(grace, "nanoseconds")) ||
		      json_integer_value(json_object_get(grace, "nanoseconds")) < 0)) {
		master_reply_error(
			m, msg->req, 400,
			"Failed to validate master::Call: field '%s.max_grace_period' must be "
			"{\"nanoseconds\": integer >= 0}",
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
			json_t *kp = grace ? json_pack("{s:O}", "grace_period", grace) : NULL;
			master_agent_kill_tasks(m, a, kp);
			json_decref(kp);
		}
	}
	master_persist_agent(m, a);
	log_info("%s: agent %s (%s)", type, a->id, a->hostname);
	master_reply_error(m, msg->req, 200, "%s", "");
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

void master_operator_call(struct master *m, struct msg *msg)
{
	const char *type = json_string_value(json_object_get(msg->body, "type"));
	json_t *payload = NULL;

	/* reads are "view"; changes are checked where their object (role, agent) is known */
	if (strncmp(type, "GET_", 4) == 0 && !master_authorize(m, msg, ACL_VIEW, type))
		return;
	if (streq(type, "GET_HEALTH"))
		payload = json_pack("{s:b}", "healthy", true);
	else if (streq(type, "GET_VERSION"))
		payload = json_pack("{s:{s:s,s:s}}", "version_info", "version", DROVER_VERSION,
				    "git_sha", DROVER_GIT_REV);
	else if (streq(type, "GET_FLAGS"))
		payload = get_flags(m);
	else if (streq(type, "GET_AGENTS"))
		payload = get_agents(m);
	else if (streq(type, "GET_FRAMEWORKS"))
		payload = get_frameworks(m);
	else if (streq(type, "GET_TASKS"))
		payload = get_tasks(m);
	else if (streq(type, "GET_ROLES"))
		payload = get_roles(m);
	else if (streq(type, "GET_METRICS"))
		payload = get_metrics(m);
	else if (streq(type, "UPDATE_WEIGHTS")) {
		update_weights(m, msg);
		return;
	} else if (streq(type, "DRAIN_AGENT") || streq(type, "DEACTIVATE_AGENT") ||
		   streq(type, "REACTIVATE_AGENT")) {
		agent_admin(m, msg, type);
		return;
	} else if (streq(type, "GET_WEIGHTS")) {
		json_t *arr = json_array();
		const char *role;
		json_t *w;
		json_object_foreach(m->weights, role, w)
			json_array_append_new(arr, json_pack("{s:s,s:O}", "role", role, "weight", w));
		payload = json_pack("{s:o}", "weight_infos", arr);
	} else if (streq(type, "GET_STATE"))
		payload = json_pack("{s:o,s:o,s:o}", "get_agents", get_agents(m), "get_frameworks",
				    get_frameworks(m), "get_tasks", get_tasks(m));
	if (!payload) {
		master_reply_error(
			m, msg->req, 400,
			"Failed to validate master::Call: call type '%s' is not supported", type);
		return;
	}
	master_reply_json(m, msg->req, 200, response(type, payload));
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
