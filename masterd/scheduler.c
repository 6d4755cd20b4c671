// SPDX-License-Identifier: Apache-2.0
/*
 * The Mesos v1 scheduler API (owner thread): SUBSCRIBE opens the framework's event stream;
 * every other call must name a subscribed framework and carry its Mesos-Stream-Id.
 * A call that does not parse or fails Mesos's structural checks is answered 4xx and changes
 * nothing; what parses is refused as Mesos refuses it: an invalid FrameworkInfo with an ERROR
 * event (200), an ACCEPT's bad offers or tasks with status updates (202, accept.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leader.h"
#include "log.h"
#include "master.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "status_uuid.h"
#include "operator.h"
#include "validate.h"

#define ERRLEN 1024
#define DEFAULT_REFUSE_S 5.0
#define MAX_REFUSE_S (365.0 * 86400)

void master_task_free(struct task *t)
{
	if (!t)
		return;
	json_decref(t->info);
	json_decref(t->status);
	free(t->status_text);
	json_decref(t->kill_policy);
	alloc_res_clear(&t->res);
	free(t->name);
	free(t->id);
	free(t->fw_id);
	free(t->agent_id);
	free(t->role);
	free(t);
}

json_t *master_status(const struct task *t, enum task_state state, const char *reason,
		      const char *message)
{
	json_t *st = json_pack("{s:o,s:s,s:s,s:f}", "task_id", wire_id(t->id), "state",
			       task_state_name(state), "source", "SOURCE_MASTER", "timestamp",
			       (double)now_real_ns() / 1e9);

	if (t->agent_id)
		json_object_set_new(st, "agent_id", wire_id(t->agent_id));
	if (reason)
		json_object_set_new(st, "reason", json_string(reason));
	if (message)
		json_object_set_new(st, "message", json_string(message));
	return st;
}

/* A status kept as text (recovered from the registry) that does not parse as an object: the
 * master's own for the task's state in its place, as if the registry had had none. */
static json_t *status_from_text(const struct task *t)
{
	json_t *j = json_loads(t->status_text, 0, NULL);

	if (j && json_is_object(j))
		return j;
	json_decref(j);
	log_warn("task %s: its status in the registry is not a JSON object; the master's own "
		 "takes its place", t->id);
	return master_status(t, t->state, NULL, NULL);
}

json_t *master_task_status(struct task *t)
{
	if (!t->status && t->status_text) {
		t->status = status_from_text(t);
		free(t->status_text);
		t->status_text = NULL;
	}
	return t->status;
}

json_t *master_task_status_copy(const struct task *t)
{
	if (t->status)
		return json_deep_copy(t->status);
	return t->status_text ? status_from_text(t) : NULL;
}

void master_framework_send_status(struct master *m, struct framework *fw, const char *task_id,
				  const char *agent_id, enum task_state state, const char *reason,
				  const char *message)
{
	struct task tmp = {.id = (char *)task_id, .agent_id = (char *)agent_id, .fw = fw};

	(void)m;
	if (!fw->connected || !task_id)
		return;
	master_stream_send_event(fw->stream,
				 wire_event("UPDATE", "update",
					    json_pack("{s:o}", "status",
						      master_status(&tmp, state, reason, message))));
}

void master_frameworks_send_failure(struct master *m, const char *agent_id)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);) {
		struct framework *fw = v;

		if (fw->connected)
			master_stream_send_event(fw->stream,
						 wire_event("FAILURE", "failure",
							    json_pack("{s:o}", "agent_id",
								      wire_id(agent_id))));
	}
}

/* Send t's latest status to its framework, unless this stream already has it. */
void master_framework_send_update(struct master *m, struct framework *fw, struct task *t)
{
	json_t *ev;

	if (!fw->connected || !master_task_status(t))
		return;
	if (t->pending_uuid[0] && t->pending_sent_gen == fw->stream_gen)
		return;
	ev = wire_event("UPDATE", "update", json_pack("{s:O}", "status", t->status));
	/* not before the registry has it (outbox.c) */
	master_outbox_send(m, fw->stream, ev);
	m->metrics.updates_forwarded++;
	if (t->pending_uuid[0])
		t->pending_sent_gen = fw->stream_gen;
}

void master_task_update(struct master *m, struct task *t, json_t *status)
{
	const char *state = json_string_value(json_object_get(status, "state"));
	const char *uuid = json_string_value(json_object_get(status, "uuid"));
	enum task_state s, previous = t->state; /* the last status's state (operator events) */

	if (!state || task_state_parse(state, &s) < 0)
		s = TASK_UNKNOWN;
	if (t->status)
		task_state_parse(json_string_value(json_object_get(t->status, "state")), &previous);
	json_decref(t->status);
	free(t->status_text);
	t->status_text = NULL;
	t->status = status;
	t->state = s;
	if (uuid && strlen(uuid) < sizeof(t->pending_uuid)) {
		snprintf(t->pending_uuid, sizeof(t->pending_uuid), "%s", uuid);
		t->pending_sent_gen = 0;
	} else {
		t->pending_uuid[0] = '\0';
	}
	master_persist_task(m, t);
	master_framework_send_update(m, t->fw, t);
	master_operator_task_updated(m, t, previous);
}

void master_task_remove(struct master *m, struct task *t)
{
	master_agent_task_del(m, t);
	master_persist_task_done(m, t);
	strmap_del(&t->fw->tasks, t->id);
	master_task_free(t);
}

/* Every call but SUBSCRIBE: a known, subscribed framework and its own stream id. */
static struct framework *check_caller(struct master *m, struct msg *msg)
{
	char err[ERRLEN];
	const char *id = master_get_id(msg->body, "framework_id", NULL, err, sizeof(err));
	struct framework *fw;

	if (!id) {
		master_reply_error(m, msg->req, 400, "Failed to validate scheduler::Call: %s", err);
		return NULL;
	}
	fw = strmap_get(&m->frameworks, id);
	if (!fw) {
		master_reply_error(m, msg->req, 403, "Framework %s is not subscribed", id);
		return NULL;
	}
	if (!msg->stream_id) {
		master_reply_error(
			m, msg->req, 400,
			"All non-subscribe calls should include the 'Mesos-Stream-Id' header");
		return NULL;
	}
	if (!fw->connected) {
		master_reply_error(m, msg->req, 403, "Framework %s is not subscribed", fw->id);
		return NULL;
	}
	if (m->authenticate && !streq(master_framework_principal(fw), msg->principal)) {
		master_reply_error(
			m, msg->req, 403,
			"Not authorized: framework %s belongs to principal '%s', not '%s'", fw->id,
			master_framework_principal(fw) ? master_framework_principal(fw) : "",
			msg->principal);
		return NULL;
	}
	if (strcmp(msg->stream_id, fw->stream_id) != 0) {
		master_reply_error(
			m, msg->req, 400,
			"The stream ID '%s' included in this request didn't match the stream ID "
			"currently associated with framework ID %s",
			msg->stream_id, fw->id);
		return NULL;
	}
	return fw;
}

/*
 * Who may subscribe so: a tier above its role's (--roles) puts the framework before others
 * (strict priority), only where an explicit request_tiers rule grants the principal that
 * tier; framework_info.principal, if given, is the authenticated one; register_frameworks
 * for the role. *ret_tier: the framework's tier. False after answering 403.
 */
static bool subscribe_authorized(struct master *m, struct msg *msg,
				 const struct master_subscribe_req *req, int *ret_tier)
{
	json_t *rt = json_object_get(m->role_tiers, req->role);
	int dflt = json_is_integer(rt) ? (int)json_integer_value(rt) : 0;
	int tier = req->has_tier ? req->tier : dflt;
	char obj[16];

	snprintf(obj, sizeof(obj), "%d", tier);
	if (tier > dflt && !master_authorize_explicit(m, msg, ACL_REQUEST_TIERS, obj))
		return false;
	if (m->authenticate && req->principal && !streq(req->principal, msg->principal)) {
		master_reply_error(
			m, msg->req, 403,
			"Not authorized: framework_info.principal '%s' is not the authenticated "
			"principal '%s'",
			req->principal, msg->principal);
		return false;
	}
	/* every role it subscribes in (Mesos authorizes each of a MULTI_ROLE framework's) */
	if (!req->roles && !master_authorize(m, msg, ACL_REGISTER_FRAMEWORKS, req->role))
		return false;
	for (size_t i = 0; i < json_array_size(req->roles); i++)
		if (!master_authorize(m, msg, ACL_REGISTER_FRAMEWORKS,
				      json_string_value(json_array_get(req->roles, i))))
			return false;
	*ret_tier = tier;
	return true;
}

/*
 * A SUBSCRIBE Mesos refuses after it parsed (an invalid FrameworkInfo): 200, one ERROR event
 * saying why, and the stream closed. Nothing changes.
 */
static void subscribe_refuse(struct master *m, struct msg *msg, const char *why)
{
	const char *hdrs[] = {"Cache-Control", "no-cache", NULL};
	struct http_stream *s;

	log_info("SUBSCRIBE refused: %s", why);
	/* owned by no framework (""): its end concerns no one */
	s = master_open_stream(m, msg->req, hdrs, 4096, false, "");
	master_count_status(m, 200);
	if (!s)
		return;
	master_stream_send_event(s, wire_event("ERROR", "error", json_pack("{s:s}", "message", why)));
	master_stream_retire(m, s);
}

/*
 * Whether fw may take req's roles: a MULTI_ROLE framework (before and after) may change its
 * role set, as in Mesos; any other keeps its one role.
 */
static bool roles_may_change(const struct framework *fw, const struct master_subscribe_req *req)
{
	if (fw->multi_role && req->roles)
		return true;
	return strcmp(fw->role, req->role) == 0 && (fw->nroles <= 1 || req->roles);
}

/*
 * A failover: the framework named by framework_info.id. IDs come from the master: the
 * registry has every one it gave out and not yet removed (and gives them back after a restart
 * or to a new leader). An unknown ID is a removed framework's, or was never given out: refused,
 * so that no one takes over a removed framework's ID (its completed tasks, its history).
 * Failing over someone else's framework takes it over: an explicit rule only. The role stays.
 * NULL after answering 400/403.
 */
static struct framework *subscribe_failover(struct master *m, struct msg *msg,
					    const struct master_subscribe_req *req)
{
	struct framework *fw = strmap_get(&m->frameworks, req->id);
	const char *owner;
	char why[512];

	if (!fw) {
		snprintf(why, sizeof(why),
			 "Framework '%.128s' is unknown or has been removed (subscribe without an "
			 "ID to get a new one)",
			 req->id);
		subscribe_refuse(m, msg, why);
		return NULL;
	}
	owner = master_framework_principal(fw) ? master_framework_principal(fw) : "";
	if (m->authenticate && !streq(master_framework_principal(fw), msg->principal) &&
	    !master_authorize_explicit(m, msg, ACL_TEARDOWN_FRAMEWORKS, owner))
		return NULL;
	if (!roles_may_change(fw, req)) {
		snprintf(why, sizeof(why),
			 "A framework cannot change its role on failover ('%.128s' -> '%.128s')",
			 fw->role, req->role);
		subscribe_refuse(m, msg, why);
		return NULL;
	}
	return fw;
}

/* Whether name is a string of arr. */
static bool names_role(json_t *arr, const char *name)
{
	json_t *r;
	size_t i;

	json_array_foreach(arr, i, r) {
		if (streq(json_string_value(r), name))
			return true;
	}
	return false;
}

/* SUPPRESS (true) or REVIVE (false) of fw's roles named in roles (NULL: all its roles). */
static void framework_suppress(struct master *m, struct framework *fw, json_t *roles,
			       bool suppress)
{
	for (size_t i = 0; i < fw->nroles; i++) {
		struct framework_role *fr = &fw->roles[i];

		if (roles && !names_role(roles, fr->name))
			continue;
		fr->suppressed = suppress;
		master_alloc_role_suppress(m, fw, fr->name, suppress);
	}
	fw->suppressed = master_framework_all_suppressed(fw);
	master_persist_framework(m, fw);
	if (!suppress)
		master_request_allocation(m);
}

/* Each of fw's roles suppressed as suppressed_roles (validated: strings) names it or not. */
static void framework_set_suppressed(struct framework *fw, json_t *suppressed_roles)
{
	for (size_t i = 0; i < fw->nroles; i++)
		fw->roles[i].suppressed = names_role(suppressed_roles, fw->roles[i].name);
	fw->suppressed = master_framework_all_suppressed(fw);
}

/*
 * fw's roles become req's. A role it leaves: its outstanding offers are rescinded (as
 * Mesos does) and the allocator offers nothing more in it; its tasks keep running, charged to
 * it. A role it joins gets offers once the allocator is told (master_alloc_framework_roles).
 * -ENOMEM leaves the roles as they were.
 */
static int framework_apply_roles(struct master *m, struct framework *fw,
				 const struct master_subscribe_req *req)
{
	size_t n = req->roles ? json_array_size(req->roles) : 1, it;
	const char **names = calloc(n, sizeof(*names));
	void *v;
	int r;

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		names[i] = req->roles ? json_string_value(json_array_get(req->roles, i)) : req->role;
	for (size_t i = 0; i < fw->nroles; i++) {
		const char *gone = fw->roles[i].name;

		if (master_subscribe_has_role(req, gone))
			continue;
		for (it = 0; strmap_next(&fw->offers, &it, NULL, &v);) {
			struct offer *o = v;

			if (o->role != gone)
				continue;
			master_offer_rescind(m, o);
			it = 0;
		}
		master_alloc_role_remove(m, fw, gone);
		log_info("framework %s left role '%s'", fw->id, gone);
	}
	r = master_framework_set_roles(fw, names, n);
	free(names);
	return r;
}

/* A new framework with a fresh ID, not yet listed; NULL on ENOMEM. */
static struct framework *framework_new(void)
{
	struct framework *fw = calloc(1, sizeof(*fw));
	char fwid[UUID_STR_LEN];

	if (!fw)
		return NULL;
	uuid_random(fwid);
	fw->id = strdup(fwid);
	if (!fw->id) {
		free(fw);
		return NULL;
	}
	strmap_init(&fw->tasks);
	strmap_init(&fw->offers);
	return fw;
}

/* What framework_new() and framework_set_info() gave a framework that never got listed. */
static void framework_free_unlisted(struct framework *fw)
{
	json_decref(fw->info);
	free(fw->id);
	free(fw->role);
	master_framework_roles_free(fw);
	free(fw);
}

/*
 * Admission: the failed-over framework, or a new one (*ret_new) while the master holds fewer
 * than --max-frameworks. NULL after answering 400/403/429/503.
 */
static struct framework *subscribe_admit(struct master *m, struct msg *msg,
					 const struct master_subscribe_req *req, bool *ret_new)
{
	struct framework *fw;

	*ret_new = !req->id;
	if (req->id)
		return subscribe_failover(m, msg, req);
	if (m->flags->max_frameworks > 0 &&
	    strmap_size(&m->frameworks) >= (size_t)m->flags->max_frameworks) {
		master_reply_error(m, msg->req, 429,
				   "Too many frameworks: the master holds %zu, the limit is %lld "
				   "(--max-frameworks)",
				   strmap_size(&m->frameworks),
				   (long long)m->flags->max_frameworks);
		return NULL;
	}
	fw = framework_new();
	if (!fw)
		master_reply_error(m, msg->req, 503, "out of memory");
	return fw;
}

/* The subscribe's framework_info becomes fw's, with what the master made of it. */
static void framework_set_info(struct master *m, struct msg *msg, struct framework *fw,
			       const struct master_subscribe_req *req, int tier)
{
	double failover = req->failover_s;

	if (failover > (double)m->flags->max_failover_timeout_ns / 1e9)
		failover = (double)m->flags->max_failover_timeout_ns / 1e9;
	if (framework_apply_roles(m, fw, req) < 0)
		log_warn("framework %s: out of memory: its roles stay as they were", fw->id);
	fw->failover_timeout_s = failover;
	fw->partition_aware = req->partition_aware;
	fw->multi_role = master_framework_has_capability(req->info, "MULTI_ROLE");
	json_decref(fw->info);
	fw->info = json_deep_copy(req->info);
	json_object_set_new(fw->info, "id", wire_id(fw->id));
	/* what it gets (--max-failover-timeout) */
	if (json_object_get(req->info, "failover_timeout"))
		json_object_set_new(fw->info, "failover_timeout", json_real(failover));
	if (msg->principal) /* the authenticated one: what ACLs and takeovers compare */
		json_object_set_new(fw->info, "principal", json_string(msg->principal));
	fw->tier = tier;
}

/*
 * fw's event stream on this request, with a new Mesos-Stream-Id; a failover's old connection
 * ends with an ERROR event. False when the stream could not be opened.
 */
static bool subscribe_open_stream(struct master *m, struct msg *msg, struct framework *fw)
{
	char sid[UUID_STR_LEN];
	const char *hdrs[] = {"Mesos-Stream-Id", sid, "Cache-Control", "no-cache", NULL};

	if (fw->connected) {
		master_stream_send_event(
			fw->stream,
			wire_event("ERROR", "error",
				   json_pack("{s:s}", "message", "Framework failed over")));
	}
	master_stream_retire(m, fw->stream);
	fw->stream = NULL;
	uuid_random(sid);
	/* the block MHD reserves per stream: chunked streams are written from the connection's
	 * own buffer, so a small one (a framework's events queue in lib/http_server, capped) */
	fw->stream = master_open_stream_codec(m, msg->req, hdrs, 4096, false, fw->id, msg->accept,
					      &mesos__v1__scheduler__event__descriptor);
	master_count_status(m, 200);
	if (!fw->stream)
		return false;
	snprintf(fw->stream_id, sizeof(fw->stream_id), "%s", sid);
	fw->stream_gen++;
	fw->connected = true;
	fw->recovered = false;
	return true;
}

/*
 * A subscribed framework: listed (new) or active again, told SUBSCRIBED, sent again the
 * updates it has not acknowledged.
 */
static void subscribe_start(struct master *m, struct framework *fw, bool is_new)
{
	size_t it;
	void *v;

	/* GET_FRAMEWORKS' times, as Mesos: both at the first subscription, reregistered_time
	 * at each since; registered_time is kept in the registry (Mesos's is not: after its
	 * failover a framework's first resubscription sets both) */
	fw->reregistered_real_ns = now_real_ns();
	if (!fw->registered_real_ns)
		fw->registered_real_ns = fw->reregistered_real_ns;
	master_persist_framework(m, fw);
	if (is_new) {
		strmap_put(&m->frameworks, fw->id, fw, NULL);
		master_alloc_framework_add(m, fw);
		log_info("framework '%s' (%s) subscribed in role '%s'",
			 json_string_value(json_object_get(fw->info, "name")), fw->id, fw->role);
	} else {
		master_alloc_framework_caps(m, fw); /* its new framework_info's */
		master_alloc_framework_roles(m, fw);
		master_alloc_framework_activate(m, fw, true);
		master_alloc_framework_revive(m, fw);
		log_info("framework %s resubscribed", fw->id);
	}
	if (is_new)
		master_operator_framework_added(m, fw);
	else
		master_operator_framework_updated(m, fw);
	master_stream_send_event(fw->stream,
				 wire_event("SUBSCRIBED", "subscribed",
					    json_pack("{s:o,s:f,s:o}", "framework_id",
						      wire_id(fw->id), "heartbeat_interval_seconds",
						      (double)HEARTBEAT_INTERVAL_S, "master_info",
						      master_leader_info(m))));
	for (it = 0; strmap_next(&fw->tasks, &it, NULL, &v);) {
		struct task *t = v;
		if (!t->pending_uuid[0])
			continue;
		log_debug("framework %s subscribed: update %s of task %s is not acknowledged, "
			  "sent again", fw->id, t->pending_uuid, t->id);
		master_framework_send_update(m, fw, t);
	}
	master_request_allocation(m);
}

/* SUBSCRIBE: parse (validate.c), authorize, admit, open the stream. */
static void subscribe(struct master *m, struct msg *msg)
{
	struct master_subscribe_req req;
	struct framework *fw;
	char err[ERRLEN];
	bool is_new;
	int tier, r;

	r = master_parse_subscribe(msg->body, &req, err, sizeof(err));
	if (r == -EDOM) {
		subscribe_refuse(m, msg, err);
		return;
	}
	if (r < 0) {
		master_reply_error(m, msg->req, 400, "Failed to validate scheduler::Call: %s", err);
		return;
	}
	if (!subscribe_authorized(m, msg, &req, &tier))
		return;
	fw = subscribe_admit(m, msg, &req, &is_new);
	if (!fw)
		return;
	framework_set_info(m, msg, fw, &req, tier);
	/* suppressed_roles: those roles start suppressed, the others not */
	framework_set_suppressed(
		fw, json_object_get(json_object_get(msg->body, "subscribe"), "suppressed_roles"));
	if (!subscribe_open_stream(m, msg, fw)) {
		if (is_new)
			framework_free_unlisted(fw);
		return;
	}
	subscribe_start(m, fw, is_new);
}

double master_call_refuse_seconds(json_t *call, const char *key)
{
	json_t *f = json_object_get(json_object_get(call, key), "filters");
	json_t *rs = json_object_get(f, "refuse_seconds");
	double v;

	if (!rs || !json_is_number(rs))
		return DEFAULT_REFUSE_S;
	v = json_number_value(rs);
	if (!isfinite(v) || v < 0)
		return DEFAULT_REFUSE_S;
	return v > MAX_REFUSE_S ? MAX_REFUSE_S : v;
}

/*
 * DECLINE: look up every offer id of the call; all must be this framework's and named once.
 * Offers of several agents may be named, and those no longer valid (rescinded or expired
 * meanwhile: a decline racing a rescind must not keep the others outstanding) are skipped,
 * as Mesos does.
 */
static int collect_offers(struct master *m, struct framework *fw, json_t *call, const char *key,
			  struct offer ***ret, size_t *ret_n, char *err)
{
	json_t *ids = json_object_get(call, "offer_ids");
	struct offer **offers;
	size_t i, n = 0;
	json_t *id;

	if (!json_is_array(ids) || json_array_size(ids) == 0) {
		snprintf(err, ERRLEN, "field '%s.offer_ids' must be a non-empty array", key);
		return -EINVAL;
	}
	offers = calloc(json_array_size(ids), sizeof(*offers));
	if (!offers)
		return -ENOMEM;
	json_array_foreach(ids, i, id) {
		json_t *sv = json_is_object(id) ? json_object_get(id, "value") : NULL;
		const char *v = json_string_value(sv);
		struct offer *o;
		if (!v || strlen(v) != json_string_length(sv)) {
			snprintf(err, ERRLEN, "field '%s.offer_ids[%zu]' must be {\"value\": string}",
				 key, i);
			goto fail;
		}
		o = strmap_get(&m->offers, v);
		if (!o)
			continue;
		if (o->fw != fw) {
			snprintf(err, ERRLEN,
				 "field '%s.offer_ids[%zu]': offer %.64s is no longer valid (unknown, "
				 "expired, rescinded or used)",
				 key, i, v);
			goto fail;
		}
		if (o->named) {
			snprintf(err, ERRLEN, "field '%s.offer_ids[%zu]': offer %s appears twice", key,
				 i, v);
			goto fail;
		}
		o->named = true;
		offers[n++] = o;
	}
	for (i = 0; i < n; i++)
		offers[i]->named = false;
	*ret = offers;
	*ret_n = n;
	return 0;
fail:
	for (i = 0; i < n; i++)
		offers[i]->named = false;
	free(offers);
	return -EINVAL;
}

static void decline_call(struct master *m, struct framework *fw, struct msg *msg)
{
	char err[ERRLEN] = "";
	json_t *dec = wire_get_object(msg->body, "decline", true, err, sizeof(err));
	struct offer **offers = NULL;
	size_t n = 0;
	double refuse;

	if (!dec || collect_offers(m, fw, dec, "decline", &offers, &n, err) < 0) {
		master_reply_error(m, msg->req, 400, "Failed to validate scheduler::Call: %s", err);
		return;
	}
	refuse = master_call_refuse_seconds(msg->body, "decline");
	master_reply_error(m, msg->req, 202, "%s", "");
	for (size_t i = 0; i < n; i++)
		master_offer_decline(m, offers[i], refuse);
	m->metrics.offers_declined += n;
	free(offers);
}

/*
 * A task the master does not know, asked about (RECONCILE, or a KILL): Mesos's answer by
 * what the master knows of the agent the caller names (e["agent_id"]): recovered but not
 * back yet, nothing (it may still report the task); registered, TASK_GONE; unreachable,
 * TASK_UNREACHABLE; marked gone, TASK_GONE_BY_OPERATOR; unknown or not named, TASK_UNKNOWN. TASK_LOST for frameworks that are
 * not PARTITION_AWARE.
 */
static void reconcile_unknown(struct master *m, struct framework *fw, const char *tid, json_t *e)
{
	const char *aid =
		json_string_value(json_object_get(json_object_get(e, "agent_id"), "value"));
	struct agent *a = aid ? strmap_get(&m->agents, aid) : NULL;
	enum task_state s = TASK_UNKNOWN;

	if (a && a->recovered && a->reachable)
		return;
	if (a)
		s = a->reachable ? TASK_GONE : TASK_UNREACHABLE;
	else if (aid && json_object_get(m->gone_agents, aid))
		s = TASK_GONE_BY_OPERATOR; /* marked gone (MARK_AGENT_GONE) */
	if (!fw->partition_aware)
		s = TASK_LOST;
	master_framework_send_status(m, fw, tid, a ? a->id : NULL, s, "REASON_RECONCILIATION",
				     "Reconciliation: task is unknown");
}

static void kill_task(struct master *m, struct task *t, json_t *kill_policy)
{
	struct agent *a = strmap_get(&m->agents, t->agent_id);
	json_t *payload;

	if (task_state_terminal(t->state))
		return;
	/* kept, so that it goes out again when the agent resubscribes: a KILL on the stream of
	 * an agent that dies before reading it is gone (the agent's kill is idempotent) */
	if (!t->kill_requested || (kill_policy && kill_policy != t->kill_policy)) {
		t->kill_requested = true;
		if (kill_policy && kill_policy != t->kill_policy) {
			json_decref(t->kill_policy);
			t->kill_policy = json_incref(kill_policy);
		}
		master_persist_task(m, t); /* and across a restart or a failover (the registry) */
	}
	if (!a || !a->connected)
		return; /* the agent will be told when it comes back (or its tasks are lost) */
	payload = json_pack("{s:o,s:o}", "framework_id", wire_id(t->fw_id), "task_id",
			    wire_id(t->id));
	if (t->kill_policy)
		json_object_set(payload, "kill_policy", t->kill_policy);
	master_agent_send(a, wire_event("KILL", "kill", payload));
}

void master_resend_kills(struct master *m, struct agent *a)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct task *t = v;
		if (t->kill_requested && !task_state_terminal(t->state))
			kill_task(m, t, NULL);
	}
}

static void kill_call(struct master *m, struct framework *fw, struct msg *msg)
{
	char err[ERRLEN] = "";
	json_t *k = wire_get_object(msg->body, "kill", true, err, sizeof(err));
	const char *tid = k ? master_get_id(k, "task_id", "kill", err, sizeof(err)) : NULL;
	struct task *t;

	if (!tid) {
		master_reply_error(m, msg->req, 400, "Failed to validate scheduler::Call: %s", err);
		return;
	}
	if (!master_authorize(m, msg, ACL_KILL_TASKS,
			      master_framework_principal(fw) ? master_framework_principal(fw) : ""))
		return;
	/* 202 once the registry has the KILL (outbox.c): the next leader sends it again */
	master_outbox_reply(m, msg->req, 202, NULL);
	t = strmap_get(&fw->tasks, tid);
	if (!t) {
		/* Mesos: a kill of an unknown task is answered as its reconciliation */
		reconcile_unknown(m, fw, tid, k);
		return;
	}
	kill_task(m, t, json_object_get(k, "kill_policy"));
}

static void acknowledge_call(struct master *m, struct framework *fw, struct msg *msg)
{
	char err[ERRLEN] = "";
	json_t *ack = wire_get_object(msg->body, "acknowledge", true, err, sizeof(err));
	const char *tid = ack ? master_get_id(ack, "task_id", "acknowledge", err, sizeof(err)) : NULL;
	const char *aid = tid ? master_get_id(ack, "agent_id", "acknowledge", err, sizeof(err))
			      : NULL;
	const char *given = aid ? wire_get_string(ack, "uuid", true, err, sizeof(err)) : NULL;
	char uuid[STATUS_UUID_LEN], pending[STATUS_UUID_LEN];
	struct task *t;
	struct agent *a;

	if (!given) {
		master_reply_error(m, msg->req, 400, "Failed to validate scheduler::Call: %s", err);
		return;
	}
	/* the bytes compared: base64 as sent (or the text form older Drover sent) */
	if (status_uuid_canon(given, uuid) < 0) {
		master_reply_error(m, msg->req, 400,
				   "Failed to validate scheduler::Call: 'acknowledge.uuid' is not a "
				   "valid UUID");
		return;
	}
	/*
	 * Answered once the registry has the acknowledgement (outbox.c): a framework told 202
	 * never gets this update again, from this master or from the next one. Mesos accepts
	 * stale acknowledgements and ignores them.
	 */
	master_outbox_reply(m, msg->req, 202, uuid);
	t = strmap_get(&fw->tasks, tid);
	if (!t || !t->pending_uuid[0] || status_uuid_canon(t->pending_uuid, pending) < 0 ||
	    strcmp(pending, uuid) != 0)
		return;
	a = strmap_get(&m->agents, t->agent_id);
	if (a)
		master_agent_send_ack(m, a, fw->id, t->id, t->pending_uuid);
	snprintf(t->acked_uuid, sizeof(t->acked_uuid), "%s", t->pending_uuid);
	t->pending_uuid[0] = '\0';
	/*
	 * Only the acknowledgement of a terminal update ends the task: t->state may already be
	 * terminal (the agent's latest_state) while earlier updates are still on their way.
	 */
	{
		enum task_state acked;
		if (task_state_parse(
			    json_string_value(json_object_get(master_task_status(t), "state")),
			    &acked) < 0)
			acked = t->state;
		if (task_state_terminal(acked))
			master_task_remove(m, t);
		else
			master_persist_task(m, t);
	}
}

static void reconcile_one(struct master *m, struct framework *fw, struct task *t)
{
	json_t *st = master_task_status_copy(t);

	if (!st)
		return;
	json_object_del(st, "uuid");
	json_object_set_new(st, "reason", json_string("REASON_RECONCILIATION"));
	master_stream_send_event(fw->stream,
				 wire_event("UPDATE", "update", json_pack("{s:o}", "status", st)));
}

static void reconcile_call(struct master *m, struct framework *fw, struct msg *msg)
{
	json_t *rc = json_object_get(msg->body, "reconcile");
	json_t *tasks = rc ? json_object_get(rc, "tasks") : NULL, *e;
	char err[ERRLEN] = "";
	size_t i, it;
	void *v;

	if (tasks && !json_is_array(tasks)) {
		master_reply_error(
			m, msg->req, 400,
			"Failed to validate scheduler::Call: 'reconcile.tasks' must be an array");
		return;
	}
	json_array_foreach(tasks, i, e) {
		char path[48];
		snprintf(path, sizeof(path), "reconcile.tasks[%zu]", i);
		if (!master_get_id(e, "task_id", path, err, sizeof(err))) {
			master_reply_error(m, msg->req, 400,
					   "Failed to validate scheduler::Call: %s", err);
			return;
		}
	}
	master_reply_error(m, msg->req, 202, "%s", "");
	if (!tasks || json_array_size(tasks) == 0) { /* implicit: everything known */
		for (it = 0; strmap_next(&fw->tasks, &it, NULL, &v);)
			reconcile_one(m, fw, v);
		return;
	}
	json_array_foreach(tasks, i, e) {
		const char *tid = json_string_value(json_object_get(json_object_get(e, "task_id"),
								    "value"));
		struct task *t = strmap_get(&fw->tasks, tid);
		if (t) {
			reconcile_one(m, fw, t);
		} else {
			reconcile_unknown(m, fw, tid, e);
		}
	}
}

static void master_framework_remove(struct master *m, struct framework *fw, const char *why)
{
	size_t it;
	void *v;

	log_info("removing framework %s: %s", fw->id, why);
	for (it = 0; strmap_next(&fw->offers, &it, NULL, &v);) {
		master_offer_remove(m, v, false, 0);
		it = 0;
	}
	for (it = 0; strmap_next(&fw->tasks, &it, NULL, &v);) {
		struct task *t = v;
		struct agent *a = strmap_get(&m->agents, t->agent_id);
		kill_task(m, t, NULL);
		if (a) {
			master_agent_task_del(m, t);
			/* not offered again before the agent says the task ended (as Mesos
			 * does for tasks being killed): it would refuse a task launched there */
			if (!task_state_terminal(t->state))
				master_agent_hold(m, a, fw->id, t->id, &t->res);
		}
		if (!task_state_terminal(t->state)) {
			/* the history keeps it killed by the master, not in the state it had: the
			 * agent's own TASK_KILLED finds no framework to go to */
			char msg[256];

			snprintf(msg, sizeof(msg), "Framework removed: %s", why);
			json_decref(t->status);
			free(t->status_text);
			t->status_text = NULL;
			t->status = master_status(t, TASK_KILLED, "REASON_FRAMEWORK_REMOVED", msg);
			t->state = TASK_KILLED;
			master_persist_task(m, t);
		}
	}
	master_stream_retire(m, fw->stream);
	fw->stream = NULL;
	master_operator_framework_removed(m, fw);
	master_persist_framework_removed(m, fw);
	master_executors_framework_removed(m, fw);
	master_alloc_framework_remove(m, fw);
	strmap_del(&m->frameworks, fw->id);
	strmap_clear(&fw->tasks, (void (*)(void *))master_task_free);
	strmap_clear(&fw->offers, NULL);
	json_decref(fw->info);
	free(fw->role);
	master_framework_roles_free(fw);
	free(fw->id);
	free(fw);
	master_request_allocation(m);
}

void master_framework_stream_closed(struct master *m, struct framework *fw, struct http_stream *s)
{
	size_t it;
	void *v;

	if (fw->stream != s)
		return;
	log_info("framework %s disconnected (failover timeout %.0fs)", fw->id,
		 fw->failover_timeout_s);
	http_stream_unref(fw->stream);
	fw->stream = NULL;
	fw->connected = false;
	fw->disconnected_ns = now_mono_ns();
	/* its outstanding offers go back to the pool */
	for (it = 0; strmap_next(&fw->offers, &it, NULL, &v);) {
		master_offer_remove(m, v, true, 0);
		it = 0;
	}
	master_alloc_framework_activate(m, fw, false);
	if (fw->failover_timeout_s <= 0 && m->flags->framework_failover_timeout_ns <= 0)
		master_framework_remove(m, fw, "disconnected with no failover timeout");
}

void master_framework_check_failover(struct master *m, int64_t now)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);) {
		struct framework *fw = v;
		double timeout = fw->failover_timeout_s > 0
					 ? fw->failover_timeout_s
					 : (double)m->flags->framework_failover_timeout_ns / 1e9;
		/* what a registry written before --max-failover-timeout holds is capped too */
		if (timeout > (double)m->flags->max_failover_timeout_ns / 1e9)
			timeout = (double)m->flags->max_failover_timeout_ns / 1e9;
		/* a framework recovered after a restart gets the agents' time to come back too */
		if (fw->recovered &&
		    timeout < (double)m->flags->agent_reregister_timeout_ns / 1e9)
			timeout = (double)m->flags->agent_reregister_timeout_ns / 1e9;
		if (!fw->connected && (double)(now - fw->disconnected_ns) / 1e9 >= timeout) {
			master_framework_remove(m, fw, "failover timeout elapsed");
			it = 0;
		}
	}
}

/*
 * SUPPRESS and REVIVE, of the roles the call names ("suppress.roles", "revive.roles"), all of
 * the framework's when it names none. A role that is not the framework's is a 400.
 */
static void suppress_call(struct master *m, struct framework *fw, struct msg *msg, bool suppress)
{
	const char *key = suppress ? "suppress" : "revive";
	json_t *body = json_object_get(msg->body, key);
	json_t *roles = json_object_get(body, "roles"), *r;
	size_t i;

	if ((body && !json_is_object(body)) || (roles && !json_is_array(roles))) {
		master_reply_error(m, msg->req, 400,
				   "Failed to validate scheduler::Call: field '%s.roles' must be an "
				   "array of strings",
				   key);
		return;
	}
	json_array_foreach(roles, i, r) {
		if (!master_framework_role(fw, json_string_value(r))) {
			master_reply_error(m, msg->req, 400,
					   "Failed to validate scheduler::Call: field '%s.roles[%zu]' "
					   "is not one of the framework's roles",
					   key, i);
			return;
		}
	}
	master_reply_error(m, msg->req, 202, "%s", "");
	framework_suppress(m, fw, roles, suppress);
}

/*
 * UPDATE_FRAMEWORK: a new framework_info (as on a failover: same ID, same role, the
 * authenticated principal's) and suppressed_roles, without resubscribing. 200, or 400 (does
 * not parse, or a FrameworkInfo Mesos refuses), or 403.
 */
static void update_framework_call(struct master *m, struct framework *fw, struct msg *msg)
{
	json_t *uf = json_object_get(msg->body, "update_framework");
	json_t *call = json_pack("{s:O*,s:{s:O*}}", "framework_id",
				 json_object_get(msg->body, "framework_id"), "subscribe",
				 "framework_info", json_object_get(uf, "framework_info"));
	struct master_subscribe_req req;
	char err[ERRLEN] = "";
	bool suppressed = false;
	int r = -EINVAL;

	if (!json_is_object(uf))
		snprintf(err, sizeof(err), "missing field 'update_framework'");
	else if (call)
		r = master_parse_subscribe(call, &req, err, sizeof(err));
	if (r == 0 && !streq(req.id, fw->id)) {
		snprintf(err, sizeof(err),
			 "field 'framework_id' differs from 'update_framework.framework_info.id'");
		r = -EINVAL;
	}
	if (r == 0 && !roles_may_change(fw, &req)) {
		snprintf(err, sizeof(err), "a framework cannot change its role ('%.128s' -> '%.128s')",
			 fw->role, req.role);
		r = -EINVAL;
	}
	if (r == 0 && req.has_tier && req.tier != fw->tier) {
		snprintf(err, sizeof(err), "a framework cannot change its tier");
		r = -EINVAL;
	}
	if (r == 0)
		r = master_parse_suppressed_roles(uf, "update_framework", &req, &suppressed, err,
						  sizeof(err));
	/* (a MULTI_ROLE framework's new roles: each authorized, as at SUBSCRIBE) */
	for (size_t i = 0; r == 0 && i < json_array_size(req.roles); i++) {
		const char *role = json_string_value(json_array_get(req.roles, i));

		if (!master_framework_role(fw, role) &&
		    !master_authorize(m, msg, ACL_REGISTER_FRAMEWORKS, role)) {
			json_decref(call);
			return;
		}
	}
	if (r < 0) {
		master_reply_error(m, msg->req, 400, "Failed to validate scheduler::Call: %s", err);
		json_decref(call);
		return;
	}
	if (m->authenticate && req.principal && !streq(req.principal, msg->principal)) {
		master_reply_error(
			m, msg->req, 403,
			"Not authorized: framework_info.principal '%s' is not the authenticated "
			"principal '%s'",
			req.principal, msg->principal ? msg->principal : "");
		json_decref(call);
		return;
	}
	framework_set_info(m, msg, fw, &req, fw->tier);
	framework_set_suppressed(fw, json_object_get(uf, "suppressed_roles"));
	master_alloc_framework_caps(m, fw);
	master_alloc_framework_roles(m, fw);
	master_request_allocation(m); /* (a role it joined, or one no longer suppressed) */
	master_persist_framework(m, fw);
	master_reply_error(m, msg->req, 200, "%s", "");
	log_info("framework %s updated its framework_info", fw->id);
	json_decref(call);
}

void master_scheduler_call(struct master *m, struct msg *msg)
{
	const char *type = json_string_value(json_object_get(msg->body, "type"));
	struct framework *fw;

	/* the filters of earlier declines first: REVIVE clears them, SUBSCRIBE may re-add it */
	if (streq(type, "SUBSCRIBE") || streq(type, "REVIVE"))
		master_offers_declines_run(m, 0);
	if (streq(type, "SUBSCRIBE")) {
		subscribe(m, msg);
		return;
	}
	if (!streq(type, "ACCEPT") && !streq(type, "DECLINE") && !streq(type, "KILL") &&
	    !streq(type, "ACKNOWLEDGE") && !streq(type, "RECONCILE") && !streq(type, "REVIVE") &&
	    !streq(type, "SUPPRESS") && !streq(type, "TEARDOWN") && !streq(type, "REQUEST") &&
	    !streq(type, "UPDATE_FRAMEWORK") && !streq(type, "MESSAGE") &&
	    !streq(type, "SHUTDOWN")) {
		master_reply_error(
			m, msg->req, 400,
			"Failed to validate scheduler::Call: call type '%s' is not supported",
			type);
		return;
	}
	fw = check_caller(m, msg);
	if (!fw)
		return;
	if (streq(type, "ACCEPT"))
		master_accept_call(m, fw, msg);
	else if (streq(type, "DECLINE"))
		decline_call(m, fw, msg);
	else if (streq(type, "KILL"))
		kill_call(m, fw, msg);
	else if (streq(type, "ACKNOWLEDGE"))
		acknowledge_call(m, fw, msg);
	else if (streq(type, "RECONCILE"))
		reconcile_call(m, fw, msg);
	else if (streq(type, "MESSAGE") || streq(type, "SHUTDOWN"))
		master_executor_call(m, fw, msg); /* executors.c */
	else if (streq(type, "REQUEST"))
		master_reply_error(m, msg->req, 202, "%s", ""); /* Mesos ignores it too */
	else if (streq(type, "REVIVE") || streq(type, "SUPPRESS"))
		suppress_call(m, fw, msg, streq(type, "SUPPRESS"));
	else if (streq(type, "UPDATE_FRAMEWORK"))
		update_framework_call(m, fw, msg);
	else if (streq(type, "TEARDOWN")) {
		if (!master_authorize(
			    m, msg, ACL_TEARDOWN_FRAMEWORKS,
			    master_framework_principal(fw) ? master_framework_principal(fw) : ""))
			return;
		master_reply_error(m, msg->req, 202, "%s", "");
		master_framework_remove(m, fw, "TEARDOWN");
	}
}
