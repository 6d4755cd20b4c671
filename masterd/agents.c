// SPDX-License-Identifier: Apache-2.0
/*
 * The agent API (owner thread). An agent SUBSCRIBEs with what it has and the tasks it runs,
 * and gets a stream of LAUNCH, KILL, ACKNOWLEDGE and HEARTBEAT events; it POSTs
 * STATUS_UPDATE and HEARTBEAT calls with its Mesos-Stream-Id, and UNREGISTER when it shuts
 * down (its removal). Agents that stay silent past
 * the ping budget become unreachable and their tasks are reported UNREACHABLE or LOST.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "master.h"
#include "status_uuid.h"
#include "operator.h"
#include "validate.h"

#define ERRLEN WIRE_ERR_LEN
#define AGENT_VERSION_MAX 128 /* "subscribe.version": longer is refused */

static void task_key(const char *fw_id, const char *task_id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", fw_id, task_id);
}

bool master_agent_send(struct agent *a, json_t *ev)
{
	if (!a->connected) {
		json_decref(ev);
		return false;
	}
	return master_stream_send_event(a->stream, ev);
}

void master_agent_send_ack(struct master *m, struct agent *a, const char *fw_id,
			   const char *task_id, const char *uuid)
{
	/* the agent forgets the update when it has this: not before the registry knows */
	if (a->connected)
		master_outbox_send(m, a->stream,
				   wire_event("ACKNOWLEDGE", "acknowledge",
					      json_pack("{s:o,s:o,s:s}", "framework_id",
							wire_id(fw_id), "task_id", wire_id(task_id),
							"uuid", uuid)));
}

static int64_t heartbeat_ns(struct master *m)
{
	int64_t hb = m->flags->agent_ping_timeout_ns / 3;

	return hb > 15000000000LL ? 15000000000LL : hb;
}

int master_agent_task_add(struct agent *a, struct task *t)
{
	char key[2 * ID_MAX_LEN + 2];

	if (!t->agent_id || !streq(t->agent_id, a->id))
		return -EINVAL;
	task_key(t->fw_id, t->id, key, sizeof(key));
	return strmap_put(&a->tasks, key, t, NULL);
}

void master_agent_task_del(struct master *m, const struct task *t)
{
	char key[2 * ID_MAX_LEN + 2];
	struct agent *a = t->agent_id ? strmap_get(&m->agents, t->agent_id) : NULL;

	if (!a)
		return;
	task_key(t->fw_id, t->id, key, sizeof(key));
	if (strmap_get(&a->tasks, key) == t)
		strmap_del(&a->tasks, key);
}

static void res_free(void *p)
{
	alloc_res_clear(p);
	free(p);
}

void master_agent_hold(struct master *m, struct agent *a, const char *fw_id, const char *task_id,
		       const struct alloc_res *res)
{
	char key[2 * ID_MAX_LEN + 2];
	struct alloc_res *r;
	void *old = NULL;

	if (!res || alloc_res_is_empty(res))
		return;
	r = calloc(1, sizeof(*r));
	if (!r || alloc_res_copy(r, res) < 0) {
		res_free(r);
		return; /* offered again at once, as before: the agent refuses what it lacks */
	}
	task_key(fw_id, task_id, key, sizeof(key));
	if (strmap_put(&a->killing, key, r, &old) < 0) {
		res_free(r);
		return;
	}
	res_free(old);
	master_alloc_agent_update(m, a);
}

/* The agent says the task ended (or no longer runs it): what it held is offered again. */
static void agent_release(struct master *m, struct agent *a, const char *fw_id,
			  const char *task_id)
{
	char key[2 * ID_MAX_LEN + 2];
	struct alloc_res *r;

	task_key(fw_id, task_id, key, sizeof(key));
	r = strmap_del(&a->killing, key);
	if (!r)
		return;
	res_free(r);
	master_alloc_agent_update(m, a);
	master_request_allocation(m);
}

void master_agent_holds_clear(struct agent *a)
{
	strmap_clear(&a->killing, res_free);
}

int master_agent_offerable(const struct agent *a, struct alloc_res *ret)
{
	struct alloc_res total = ALLOC_RES_INIT;
	size_t it;
	void *v;
	int r = alloc_res_copy(&total, &a->total);

	for (it = 0; r == 0 && strmap_next(&a->killing, &it, NULL, &v);)
		r = alloc_res_sub(&total, v);
	if (r < 0) {
		alloc_res_clear(&total);
		return r;
	}
	*ret = total;
	return 0;
}

/*
 * Kill a task the master will not report on (its updates are acknowledged by the master);
 * res (NULL: none known) stays out of the agent's offers until it says the task ended.
 */
static void kill_orphan(struct master *m, struct agent *a, const char *fw_id,
			const char *task_id, const struct alloc_res *res)
{
	master_agent_send(a, wire_event("KILL", "kill",
					json_pack("{s:o,s:o}", "framework_id", wire_id(fw_id),
						  "task_id", wire_id(task_id))));
	master_agent_hold(m, a, fw_id, task_id, res);
}

/* The resources an agent reports for a task in its SUBSCRIBE, or empty. */
static void reported_res(json_t *rt, struct alloc_res *ret)
{
	char err[ERRLEN];
	json_t *rj = json_object_get(rt, "resources");

	if (rj && alloc_res_from_json(rj, ret, err, sizeof(err)) < 0)
		alloc_res_clear(ret);
}

/*
 * An agent spoke of a task that is not its own: the master placed it on another agent, or,
 * on a reregistration, the master never placed it at all. Nothing of the task changes; a
 * live one is killed on the claimant (where the framework cannot know of it).
 */
static void refuse_claim(struct master *m, struct agent *a, const char *fid, const char *tid,
			 const char *what, bool live, const struct alloc_res *res)
{
	m->metrics.agent_claims_refused++;
	log_warn("agent %s (%s) %s task %s of framework %s, which is not its own: ignored%s",
		 a->id, a->hostname, what, tid, fid, live ? ", killed there" : "");
	if (live)
		kill_orphan(m, a, fid, tid, res);
}

/*
 * A task the agent says it runs: adopt it (only when the agent registers for the first time
 * and nobody owns the task), or bring back one the master had placed on it and given up on.
 */
static void reattach_task(struct master *m, struct agent *a, json_t *rt, struct strmap *reported,
			  bool is_new)
{
	char err[ERRLEN], key[2 * ID_MAX_LEN + 2];
	const char *tid = master_get_id(rt, "task_id", NULL, err, sizeof(err));
	const char *fid = master_get_id(rt, "framework_id", NULL, err, sizeof(err));
	const char *state = json_string_value(json_object_get(rt, "state"));
	struct framework *fw = fid ? strmap_get(&m->frameworks, fid) : NULL;
	struct alloc_res res = ALLOC_RES_INIT;
	struct task *t;
	enum task_state s;

	if (!tid || !fid || !state || task_state_parse(state, &s) < 0)
		return;
	t = fw ? strmap_get(&fw->tasks, tid) : NULL;
	if (!fw || (t && !streq(t->agent_id, a->id)) || (!t && !is_new) ||
	    (t && t->state == TASK_LOST)) {
		/* killed, not adopted: what it uses stays out of offers until it has ended */
		if (!task_state_terminal(s))
			reported_res(rt, &res);
		if (!fw) {
			/* the framework is gone: the task has no one to report to */
			kill_orphan(m, a, fid, tid, &res);
		} else if (t && !streq(t->agent_id, a->id)) {
			/* placed on another agent: never moved (nor filed here) on this one's word */
			refuse_claim(m, a, fid, tid, "reported", !task_state_terminal(s), &res);
		} else if (!t) {
			/* the master placed no such task on this agent (its registry would know) */
			refuse_claim(m, a, fid, tid, "reported", !task_state_terminal(s), &res);
		} else {
			/*
			 * Its framework (not partition-aware) was told the task is gone and may
			 * have replaced it: as Mesos does, the task is killed and the framework
			 * hears nothing more of it (the agent's updates about it are acknowledged
			 * by the master).
			 */
			if (!task_state_terminal(s))
				kill_orphan(m, a, fid, tid, &res);
			log_info("task %s of framework %s came back on agent %s after it was lost: %s",
				 tid, fid, a->id,
				 task_state_terminal(s) ? "it has ended" : "killing it");
			master_task_remove(m, t);
		}
		alloc_res_clear(&res);
		return;
	}
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return;
		reported_res(rt, &res);
		t->id = strdup(tid);
		t->fw = fw;
		t->fw_id = strdup(fid);
		t->agent_id = strdup(a->id);
		t->name = wire_dup_string(rt, "name");
		if (master_framework_role(fw, master_task_info_role(rt)) && fw->multi_role)
			t->role = strdup(master_task_info_role(rt));
		t->info = json_deep_copy(rt);
		t->res = res;
		t->state = s;
		t->created_ns = now_mono_ns();
		if (!t->id || !t->fw_id || !t->agent_id ||
		    strmap_put(&fw->tasks, t->id, t, NULL) < 0) {
			master_task_free(t);
			return;
		}
		if (!task_state_terminal(s))
			master_alloc_used(m, a, fw, t->role, &t->res);
		t->status = master_status(t, s, NULL, NULL);
		master_persist_task(m, t);
		master_operator_task_added(m, t);
	} else if (t->state == TASK_UNREACHABLE && task_state_terminal(s)) {
		/* it ended meanwhile: the agent's own update (kept until acknowledged) says so,
		 * once; a status of the master's as well would be a second terminal update */
	} else if (t->state == TASK_UNREACHABLE) {
		master_alloc_used(m, a, fw, t->role, &t->res);
		t->state = s;
		master_task_update(m, t,
				   master_status(t, s, "REASON_AGENT_REREGISTERED",
						 "Agent reregistered"));
	}
	if (!master_task_status(t))
		t->status = master_status(t, s, NULL, NULL);
	task_key(fid, tid, key, sizeof(key));
	master_agent_task_add(a, t);
	strmap_put(reported, key, t, NULL);
}

/*
 * Tasks the master placed on a reregistering agent that the agent does not report: their
 * launch never reached it (or the agent lost them). Report them, as Mesos does.
 */
static void unreported_tasks(struct master *m, struct agent *a, const struct strmap *reported)
{
	const char *key;
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, &key, &v);) {
		struct task *t = v;
		enum task_state s = t->fw->partition_aware ? TASK_DROPPED : TASK_LOST;
		if (strmap_get(reported, key) || task_state_terminal(t->state) ||
		    t->state == TASK_UNREACHABLE)
			continue;
		master_alloc_recover(m, a, t->fw, t->role, &t->res, 0);
		master_task_update(m, t,
				   master_status(t, s, "REASON_AGENT_REREGISTERED",
						 "The agent reregistered without this task"));
	}
}

int master_agent_subscribe_parse(json_t *body, struct master_agent_subscribe *ret, char *err,
				 size_t errlen)
{
	char res_err[ERRLEN];

	memset(ret, 0, sizeof(*ret));
	ret->sub = wire_get_object(body, "subscribe", true, err, errlen);
	ret->info = ret->sub ? wire_get_object(ret->sub, "agent_info", true, err, errlen) : NULL;
	ret->hostname = ret->info ? wire_get_string(ret->info, "hostname", true, err, errlen) :
				    NULL;
	if (!ret->hostname)
		return -EINVAL;
	ret->tasks = json_object_get(ret->sub, "tasks");
	ret->enforcement = json_object_get(ret->sub, "enforcement");
	if (alloc_res_from_json(json_object_get(ret->info, "resources"), &ret->total, res_err,
				sizeof(res_err)) < 0) {
		snprintf(err, errlen, "agent_info.resources: %s", res_err);
		return -EINVAL;
	}
	if (ret->tasks && !json_is_array(ret->tasks)) {
		snprintf(err, errlen, "'subscribe.tasks' must be an array");
		return -EINVAL;
	}
	if (json_object_get(ret->sub, "agent_id")) {
		ret->agent_id = master_get_id(ret->sub, "agent_id", "subscribe", err, errlen);
		if (!ret->agent_id)
			return -EINVAL;
	}
	if (json_object_get(ret->sub, "version")) {
		ret->version = wire_get_string(ret->sub, "version", true, err, errlen);
		if (!ret->version || strlen(ret->version) > AGENT_VERSION_MAX) {
			if (ret->version)
				snprintf(err, errlen, "'subscribe.version' is longer than %d bytes",
					 AGENT_VERSION_MAX);
			ret->version = NULL;
			return -EINVAL;
		}
	}
	return master_agent_capabilities_parse(json_object_get(ret->sub, "capabilities"),
					       &ret->capabilities, err, errlen);
}

void master_agent_subscribe_clear(struct master_agent_subscribe *s)
{
	alloc_res_clear(&s->total);
	json_decref(s->capabilities);
	s->capabilities = NULL;
}

/*
 * With --credentials an agent registers only where a register_agents rule allows its
 * principal ("permissive" does not): whoever holds any credential would otherwise be handed
 * LAUNCHes, with their environment. False: refused (answered 403).
 */
static bool subscribe_allowed(struct master *m, struct msg *msg, const char *hostname)
{
	return m->authenticate ? master_authorize_explicit(m, msg, ACL_REGISTER_AGENTS, hostname) :
				 master_authorize(m, msg, ACL_REGISTER_AGENTS, hostname);
}

/*
 * An agent ID already known belongs to the principal that registered it (persisted with the
 * agent): another principal may not take it over. 0 with *ret the known agent (or NULL), or
 * -EPERM (answered 403).
 */
static int subscribe_identity(struct master *m, struct msg *msg,
			      const struct master_agent_subscribe *req, struct agent **ret)
{
	struct agent *a = req->agent_id ? strmap_get(&m->agents, req->agent_id) : NULL;

	if (a && a->principal && !streq(a->principal, msg->principal)) {
		master_reply_error(m, msg->req, 403,
				   "Not authorized: agent %s was registered by principal '%s'",
				   a->id, a->principal);
		return -EPERM;
	}
	*ret = a;
	return 0;
}

/* A new agent's place: refused past --max-agents (answered 429). */
static bool subscribe_room(struct master *m, struct msg *msg)
{
	if (m->flags->max_agents <= 0 || strmap_size(&m->agents) < (size_t)m->flags->max_agents)
		return true;
	master_reply_error(
		m, msg->req, 429,
		"Too many agents: the master holds %zu, the limit is %lld (--max-agents)",
		strmap_size(&m->agents), (long long)m->flags->max_agents);
	return false;
}

/* A new agent, with the ID it asked for or a fresh one; NULL: out of memory (answered 503). */
static struct agent *agent_new(struct master *m, struct msg *msg, const char *want_id)
{
	char id[UUID_STR_LEN];
	struct agent *a = calloc(1, sizeof(*a));

	if (!a) {
		master_reply_error(m, msg->req, 503, "out of memory");
		return NULL;
	}
	uuid_random(id);
	a->id = strdup(want_id ? want_id : id);
	strmap_init(&a->tasks);
	strmap_init(&a->offers);
	strmap_init(&a->killing);
	strmap_init(&a->executors);
	return a;
}

/* A new agent whose stream did not open: forgotten (it is in no map yet). */
static void agent_free_new(struct agent *a)
{
	alloc_res_clear(&a->total);
	json_decref(a->info);
	json_decref(a->url);
	json_decref(a->enforcement);
	json_decref(a->capabilities);
	free(a->hostname);
	free(a->principal);
	free(a->version);
	free(a->id);
	free(a);
}

/* A known agent reregisters: its old stream and its place in the allocator go. */
static void agent_reregistering(struct master *m, struct agent *a)
{
	master_stream_retire(m, a->stream);
	a->stream = NULL;
	/* declines still queued for this agent go back before it is re-added: afterwards
	 * they would be recovered against its new totals */
	master_offers_declines_run(m, 0);
	master_alloc_agent_remove(m, a); /* re-added with its new totals once subscribed */
	/* held again for the tasks it reports still being killed, and only those */
	master_agent_holds_clear(a);
}

/* What the agent says of itself replaces what the master had; req->total is taken. */
static void agent_take_info(struct agent *a, struct msg *msg, struct master_agent_subscribe *req)
{
	free(a->hostname);
	a->hostname = strdup(req->hostname);
	free(a->principal);
	a->principal = msg->principal ? strdup(msg->principal) : NULL;
	json_decref(a->info);
	a->info = json_deep_copy(req->info);
	json_decref(a->url);
	a->url = master_agent_url_json(a->hostname, http_request_peer(msg->req),
				       json_integer_value(json_object_get(a->info, "port")));
	master_agent_offer_frag_drop(a); /* hostname, attributes and url are in it */
	json_decref(a->enforcement);
	a->enforcement = json_incref(req->enforcement);
	alloc_res_clear(&a->total);
	a->total = req->total;
	req->total = (struct alloc_res)ALLOC_RES_INIT;
	free(a->version);
	a->version = req->version ? strdup(req->version) : NULL;
	json_decref(a->capabilities);
	a->capabilities = req->capabilities;
	req->capabilities = NULL;
}

/* Answer the SUBSCRIBE with the agent's event stream; -EIO: it did not open (answered). */
static int subscribe_open_stream(struct master *m, struct msg *msg, struct agent *a)
{
	char sid[UUID_STR_LEN];
	const char *hdrs[3] = {"Mesos-Stream-Id", sid, NULL};

	uuid_random(sid);
	/*
	 * MHD allocates the block with the response, for the stream's whole life: 64 KiB per
	 * agent was most of the master's memory per agent. Agent events are small (a LAUNCH is
	 * a few hundred bytes) and the agent's RecordIO decoder does not care where chunks
	 * split, so 4 KiB (docs/benchmarks.md, "## Scale").
	 */
	a->stream = master_open_stream(m, msg->req, hdrs, 4096, true, a->id);
	if (!a->stream)
		return -EIO;
	snprintf(a->stream_id, sizeof(a->stream_id), "%s", sid);
	return 0;
}

/* The resources of tasks the master had on the agent and it still runs are in use. */
static void agent_tasks_in_use(struct master *m, struct agent *a)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct task *t = v;
		if (!task_state_terminal(t->state) && t->state != TASK_UNREACHABLE &&
		    t->state != TASK_LOST)
			master_alloc_used(m, a, t->fw, t->role, &t->res);
	}
}

/* The tasks the agent reports, under the claim rules of reattach_task (docs/security.md). */
static void agent_tasks_reported(struct master *m, struct agent *a, json_t *tasks, bool is_new)
{
	struct strmap reported;
	json_t *rt;
	size_t i;

	strmap_init(&reported);
	json_array_foreach(tasks, i, rt)
		reattach_task(m, a, rt, &reported, is_new);
	if (!is_new)
		unreported_tasks(m, a, &reported);
	strmap_clear(&reported, NULL);
}

/* The agent's stream is open: it is connected, offered, and told it is subscribed. */
static void agent_subscribed(struct master *m, struct agent *a, json_t *tasks, json_t *executors,
			     bool is_new)
{
	bool added = is_new || a->recovered || !a->reachable; /* AGENT_ADDED, as Mesos */

	a->connected = true;
	a->reachable = true;
	a->missed_pings = 0;
	/* GET_AGENTS' registered_time: when this master admitted it (a recovered agent: at its
	 * first reregistration), reregistered_time: its reregistrations since */
	if (!a->registered_real_ns)
		a->registered_real_ns = now_real_ns();
	else
		a->reregistered_real_ns = now_real_ns();
	a->last_seen_ns = now_mono_ns();
	if (is_new)
		strmap_put(&m->agents, a->id, a, NULL);
	master_liveness_agent_up(m, a);
	master_alloc_agent_add(m, a);
	agent_tasks_in_use(m, a);
	agent_tasks_reported(m, a, tasks, is_new);
	master_executors_reported(m, a, executors);
	a->recovered = false;
	master_persist_agent(m, a);
	if (a->draining)
		master_agent_kill_tasks(m, a, NULL);
	master_stream_send_event(a->stream,
				 wire_event("SUBSCRIBED", "subscribed",
					    json_pack("{s:o,s:f}", "agent_id", wire_id(a->id),
						      "heartbeat_interval_seconds",
						      (double)heartbeat_ns(m) / 1e9)));
	log_info("agent %s (%s) %s", a->id, a->hostname, is_new ? "registered" : "reregistered");
	if (added)
		master_operator_agent_added(m, a);
	if (!is_new)
		master_resend_kills(m, a);
	master_request_allocation(m);
}

/*
 * Admit the agent (known: reregistering; new: within --max-agents), take what it says of
 * itself and open its stream. NULL: refused or failed (answered); a new agent whose stream
 * did not open is forgotten, a known one stays known (out of the allocator, without a stream).
 */
static struct agent *subscribe_admit(struct master *m, struct msg *msg,
				     struct master_agent_subscribe *req, struct agent *known)
{
	struct agent *a = known;

	if (!a && !subscribe_room(m, msg))
		return NULL;
	if (!a)
		a = agent_new(m, msg, req->agent_id);
	else
		agent_reregistering(m, a);
	if (!a)
		return NULL;
	agent_take_info(a, msg, req);
	if (subscribe_open_stream(m, msg, a) < 0) {
		if (!known)
			agent_free_new(a);
		return NULL;
	}
	return a;
}

static void agent_remove(struct master *m, struct agent *a, const char *why);

/*
 * A new agent (no agent_id) registers at the address (peer IP and declared API port) of a
 * known agent that is not connected: as Mesos, that one is removed (it restarted without
 * its state; its tasks are gone with it). Agents that declare no port are never matched,
 * and one registered by a principal is removed only by a registration of that principal.
 */
static void replace_same_address(struct master *m, struct msg *msg,
				 const struct master_agent_subscribe *req)
{
	json_int_t port = json_integer_value(json_object_get(req->info, "port"));
	const char *ip = http_request_peer(msg->req);
	size_t it;
	void *v;

	if (req->agent_id || port <= 0 || !ip)
		return;
	for (it = 0; strmap_next(&m->agents, &it, NULL, &v);) {
		struct agent *a = v;
		json_t *addr = json_object_get(a->url, "address");
		if (a->connected || json_integer_value(json_object_get(a->info, "port")) != port ||
		    !streq(json_string_value(json_object_get(addr, "ip")) ?: "", ip))
			continue;
		/* an agent registered by a principal is removed only by that principal's */
		if (a->principal && !(msg->principal && streq(a->principal, msg->principal)))
			continue;
		agent_remove(m, a, "a new agent registered at the same address");
		return;
	}
}

/*
 * SUBSCRIBE: parse, authorize (register_agents, then the known agent's principal), admit,
 * open the stream. The caller is authorized before it hears any fault of its call but a
 * missing hostname (the ACL's object).
 */
static void subscribe(struct master *m, struct msg *msg)
{
	struct master_agent_subscribe req;
	char err[ERRLEN] = "";
	struct agent *known = NULL, *a;
	int r = master_agent_subscribe_parse(msg->body, &req, err, sizeof(err));

	if (!req.hostname) {
		master_reply_error(m, msg->req, 400, "Failed to validate agent::Call: %s", err);
	} else if (!subscribe_allowed(m, msg, req.hostname)) {
		/* answered 403 */
	} else if (r < 0) {
		master_reply_error(m, msg->req, 400, "Failed to validate agent::Call: %s", err);
	} else if (req.agent_id && json_object_get(m->gone_agents, req.agent_id)) {
		/* as Mesos: a gone agent never comes back under its ID (a new one may register) */
		log_warn("agent %s (%s) was marked gone: its subscription is refused", req.agent_id,
			 req.hostname);
		master_reply_error(m, msg->req, 403, "Agent %s has been marked gone", req.agent_id);
	} else if (subscribe_identity(m, msg, &req, &known) == 0) {
		if (!known)
			replace_same_address(m, msg, &req);
		a = subscribe_admit(m, msg, &req, known);
		if (a)
			agent_subscribed(m, a, req.tasks,
					 json_object_get(req.sub, "executors"), !known);
	}
	master_agent_subscribe_clear(&req);
}

static struct agent *check_caller(struct master *m, struct msg *msg)
{
	char err[ERRLEN];
	const char *id = master_get_id(msg->body, "agent_id", NULL, err, sizeof(err));
	struct agent *a;

	if (!id) {
		master_reply_error(m, msg->req, 400, "Failed to validate agent::Call: %s", err);
		return NULL;
	}
	a = strmap_get(&m->agents, id);
	if (!a || !a->connected) {
		master_reply_error(m, msg->req, 403, "Agent %s is not subscribed", id);
		return NULL;
	}
	if (a->principal && !streq(a->principal, msg->principal)) {
		master_reply_error(m, msg->req, 403,
				   "Not authorized: agent %s belongs to principal '%s'", a->id,
				   a->principal);
		return NULL;
	}
	if (!msg->stream_id || strcmp(msg->stream_id, a->stream_id) != 0) {
		master_reply_error(m, msg->req, 400, "%s",
				   msg->stream_id ?
					   "The Mesos-Stream-Id does not match the agent's stream" :
					   "All non-subscribe calls should include the "
					   "'Mesos-Stream-Id' header");
		return NULL;
	}
	a->last_seen_ns = now_mono_ns();
	a->missed_pings = 0;
	return a;
}

static void status_update(struct master *m, struct agent *a, struct msg *msg)
{
	char err[ERRLEN] = "";
	json_t *su = wire_get_object(msg->body, "status_update", true, err, sizeof(err));
	json_t *st = su ? wire_get_object(su, "status", true, err, sizeof(err)) : NULL;
	const char *fid = st ? master_get_id(su, "framework_id", "status_update", err, sizeof(err))
			     : NULL;
	const char *tid = fid ? master_get_id(st, "task_id", "status_update.status", err,
					      sizeof(err))
			      : NULL;
	const char *state = tid ? wire_get_string(st, "state", true, err, sizeof(err)) : NULL;
	const char *given = state ? wire_get_string(st, "uuid", true, err, sizeof(err)) : NULL;
	char uuid[STATUS_UUID_LEN];
	struct framework *fw;
	struct task *t;
	enum task_state s, was;
	json_t *copy;

	if (!given) {
		master_reply_error(m, msg->req, 400, "Failed to validate agent::Call: %s", err);
		return;
	}
	if (task_state_parse(state, &s) < 0) {
		master_reply_error(m, msg->req, 400,
				   "Failed to validate agent::Call: unknown state '%s'", state);
		return;
	}
	/* 16 bytes, kept and forwarded as Mesos's JSON has them (base64), whatever the form */
	if (status_uuid_canon(given, uuid) < 0) {
		master_reply_error(m, msg->req, 400,
				   "Failed to validate agent::Call: 'status_update.status.uuid' is "
				   "not a valid UUID");
		return;
	}
	master_reply_error(m, msg->req, 202, "%s", "");
	fw = strmap_get(&m->frameworks, fid);
	t = fw ? strmap_get(&fw->tasks, tid) : NULL;
	if (t && !streq(t->agent_id, a->id)) {
		/* an agent speaks only for its own tasks: nothing changes, nothing is forwarded */
		refuse_claim(m, a, fid, tid, "sent an update about", false, NULL);
		t = NULL;
	}
	if (!t) {
		/* nobody to tell: acknowledge it ourselves so the agent stops retrying */
		master_agent_send_ack(m, a, fid, tid, uuid);
		/* a task the master gave up on has ended: what it held is offered again */
		enum task_state latest;
		if (task_state_terminal(s) ||
		    (task_state_parse(json_string_value(json_object_get(su, "latest_state")),
				      &latest) == 0 &&
		     task_state_terminal(latest)))
			agent_release(m, a, fid, tid);
		return;
	}
	if (s == TASK_KILLING && !master_framework_has_capability(fw->info, "TASK_KILLING_STATE")) {
		/* as Mesos: only frameworks that asked for TASK_KILLING see it; the task stays
		 * where it was for the others, and the agent is answered here */
		master_agent_send_ack(m, a, fid, tid, uuid);
		return;
	}
	was = t->state;
	if (t->acked_uuid[0] && strcmp(t->acked_uuid, uuid) == 0) {
		/* acknowledged while the agent was away: tell it again, do not forward again */
		m->metrics.updates_duplicate++;
		master_agent_send_ack(m, a, fid, tid, uuid);
		return;
	}
	if (t->pending_uuid[0] && strcmp(t->pending_uuid, uuid) == 0) {
		m->metrics.updates_duplicate++;
		master_framework_send_update(m, fw, t); /* only if this stream has not seen it */
	} else {
		copy = json_deep_copy(st);
		json_object_set_new(copy, "uuid", json_string(uuid));
		json_object_set_new(copy, "agent_id", wire_id(a->id));
		if (!json_object_get(copy, "source"))
			json_object_set_new(copy, "source", json_string("SOURCE_AGENT"));
		master_task_update(m, t, copy);
	}
	/*
	 * Updates reach the framework one at a time, each after the previous one's
	 * acknowledgement; latest_state (as in Mesos) tells the master where the task really
	 * is meanwhile, e.g. ended while the framework is away.
	 */
	{
		const char *latest = json_string_value(json_object_get(su, "latest_state"));
		enum task_state ls;
		if (latest && task_state_parse(latest, &ls) == 0 && task_state_terminal(ls))
			t->state = ls;
	}
	if (task_state_terminal(t->state) && !task_state_terminal(was)) {
		master_alloc_recover(m, a, fw, t->role, &t->res, 0);
		master_request_allocation(m);
	}
}

/*
 * UNREGISTER (an agent shutting down on SIGUSR1, Mesos's UnregisterSlaveMessage): the
 * caller is the agent itself (check_caller: its ID, its stream, its principal). As Mesos's
 * unregisterSlave, it is removed ("the agent unregistered"); answered 202 first.
 */
static void unregister(struct master *m, struct agent *a, struct msg *msg)
{
	master_reply_error(m, msg->req, 202, "%s", "");
	agent_remove(m, a, "the agent unregistered");
}

void master_agent_call(struct master *m, struct msg *msg)
{
	const char *type = json_string_value(json_object_get(msg->body, "type"));
	struct agent *a;

	if (streq(type, "SUBSCRIBE")) {
		subscribe(m, msg);
		return;
	}
	if (!streq(type, "STATUS_UPDATE") && !streq(type, "HEARTBEAT") &&
	    !streq(type, "EXECUTOR_MESSAGE") && !streq(type, "EXECUTOR_EXITED") &&
	    !streq(type, "UNREGISTER")) {
		master_reply_error(
			m, msg->req, 400,
			"Failed to validate agent::Call: call type '%s' is not supported", type);
		return;
	}
	a = check_caller(m, msg);
	if (!a)
		return;
	if (streq(type, "STATUS_UPDATE"))
		status_update(m, a, msg);
	else if (streq(type, "EXECUTOR_MESSAGE") || streq(type, "EXECUTOR_EXITED"))
		master_agent_executor_call(m, a, msg); /* executors.c */
	else if (streq(type, "UNREGISTER"))
		unregister(m, a, msg);
	else
		master_reply_error(m, msg->req, 202, "%s", "");
}

void master_agent_stream_closed(struct master *m, struct agent *a, struct http_stream *s)
{
	void *v;

	if (a->stream != s)
		return;
	log_warn("agent %s (%s) disconnected", a->id, a->hostname);
	master_liveness_agent_down(m, a);
	http_stream_unref(a->stream);
	a->stream = NULL;
	a->connected = false;
	/* as Mesos: its offers are rescinded and it is not offered until it comes back */
	for (size_t it = 0; strmap_next(&a->offers, &it, NULL, &v);) {
		master_offer_rescind(m, v);
		it = 0;
	}
	master_alloc_agent_activate(m, a, false);
}

/* The agent has been silent too long: rescind its offers, report its tasks, stop offering it. */
static void agent_unreachable(struct master *m, struct agent *a)
{
	size_t it;
	void *v;

	log_warn("agent %s (%s) is unreachable after %d missed pings", a->id, a->hostname,
		 a->missed_pings);
	a->reachable = false;
	master_liveness_agent_down(m, a);
	for (it = 0; strmap_next(&a->offers, &it, NULL, &v);) {
		master_offer_rescind(m, v);
		it = 0;
	}
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct task *t = v;
		enum task_state s = t->fw->partition_aware ? TASK_UNREACHABLE : TASK_LOST;
		if (task_state_terminal(t->state) || t->state == TASK_UNREACHABLE)
			continue;
		master_task_update(
			m, t, master_status(t, s, "REASON_AGENT_REMOVED", "Agent is unreachable"));
	}
	if (a->connected) {
		http_stream_end(a->stream);
		a->connected = false;
	}
	master_alloc_agent_remove(m, a);
	master_agent_holds_clear(a); /* its resources are all gone from the allocator */
	master_agent_executors_clear(a);
	master_frameworks_send_failure(m, a->id); /* as Mesos: every connected framework */
	a->recovered = false;
	master_persist_agent(m, a);
}

void master_agents_check_pings(struct master *m, int64_t now)
{
	int64_t timeout = m->flags->agent_ping_timeout_ns;
	size_t it;
	void *v;

	/* the registry's GC of gone agents, once a minute (Mesos: --registry_gc_interval) */
	if (!m->gone_gc_ns || now - m->gone_gc_ns >= 60000000000LL) {
		m->gone_gc_ns = now;
		master_agents_gone_gc(m, (double)now_real_ns() / 1e9);
	}

	for (it = 0; strmap_next(&m->agents, &it, NULL, &v);) {
		struct agent *a = v;
		if (!a->reachable)
			continue;
		if (a->recovered) {
			/* read from the registry at start: it has until the reregister timeout */
			if (now - m->started_ns >= m->flags->agent_reregister_timeout_ns) {
				log_warn("agent %s (%s) did not reregister after the restart", a->id,
					 a->hostname);
				agent_unreachable(m, a);
			}
			continue;
		}
		{
			int64_t seen = master_liveness_seen(
				m, a); /* heartbeats answered on HTTP threads */
			if (seen > a->last_seen_ns)
				a->last_seen_ns = seen;
		}
		a->missed_pings = (int)((now - a->last_seen_ns) / timeout);
		if (a->missed_pings >= m->flags->max_agent_ping_timeouts)
			agent_unreachable(m, a);
	}
}

/* Kill every live task of an agent (DRAIN_AGENT); kill_policy may be NULL. */
void master_agent_kill_tasks(struct master *m, struct agent *a, json_t *kill_policy)
{
	size_t it;
	void *v;

	if (!a->connected)
		return; /* when it reregisters, a draining agent is told again */
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct task *t = v;
		json_t *payload;
		if (task_state_terminal(t->state))
			continue;
		payload = json_pack("{s:o,s:o}", "framework_id", wire_id(t->fw_id), "task_id",
				    wire_id(t->id));
		if (kill_policy)
			json_object_set(payload, "kill_policy", kill_policy);
		master_agent_send(a, wire_event("KILL", "kill", payload));
	}
}

/*
 * a leaves the master for good (its tasks were told already): its offers are rescinded, its
 * stream ends, it leaves the allocator, every connected framework gets FAILURE (as Mesos's
 * sendSlaveLost), and a is freed.
 */
static void agent_drop(struct master *m, struct agent *a)
{
	size_t it;
	void *v;

	master_liveness_agent_down(m, a);
	for (it = 0; strmap_next(&a->offers, &it, NULL, &v);) {
		master_offer_rescind(m, v);
		it = 0;
	}
	master_stream_retire(m, a->stream);
	a->stream = NULL;
	a->connected = false;
	master_offers_declines_run(m, 0); /* declines queued for it go back while it is known */
	master_alloc_agent_remove(m, a);
	master_agent_holds_clear(a);
	master_frameworks_send_failure(m, a->id);
	strmap_del(&m->agents, a->id);
	master_agent_free(a);
	master_request_allocation(m);
}

/*
 * MARK_AGENT_GONE (operator.c): a is gone for good. As Mesos: the registry keeps its ID as
 * gone (it is refused if it comes back), its live and unreachable tasks become
 * TASK_GONE_BY_OPERATOR (REASON_AGENT_REMOVED_BY_OPERATOR) for partition-aware frameworks,
 * TASK_LOST (REASON_AGENT_REMOVED) for the others, then agent_drop. A connected agent is
 * told to kill its tasks first (Mesos shuts it down). No AGENT_REMOVED (Mesos sends it on
 * the removal path only).
 */
void master_agent_mark_gone(struct master *m, struct agent *a)
{
	double now_s = (double)now_real_ns() / 1e9;
	size_t it;
	void *v;

	log_warn("agent %s (%s) is marked gone by the operator", a->id, a->hostname);
	json_object_set_new(m->gone_agents, a->id, json_real(now_s));
	master_persist_agent_gone(m, a, now_s);
	if (a->connected)
		master_agent_kill_tasks(m, a, NULL);
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct task *t = v;
		bool aware = t->fw->partition_aware;
		if (task_state_terminal(t->state))
			continue;
		master_task_update(
			m, t,
			master_status(t, aware ? TASK_GONE_BY_OPERATOR : TASK_LOST,
				      aware ? "REASON_AGENT_REMOVED_BY_OPERATOR" : "REASON_AGENT_REMOVED",
				      "Agent has been marked gone"));
	}
	agent_drop(m, a);
}

/*
 * Mesos's removal path (its removeSlave): a is no longer admitted (the registry forgets it;
 * it may register again, as a new agent), every task it had is TASK_LOST with
 * REASON_AGENT_REMOVED for every framework, partition-aware or not ("Agent <host> removed:
 * <why>"), operator subscribers get AGENT_REMOVED, then agent_drop.
 */
static void agent_remove(struct master *m, struct agent *a, const char *why)
{
	char msg[512];
	size_t it;
	void *v;

	log_warn("removing agent %s (%s): %s", a->id, a->hostname, why);
	snprintf(msg, sizeof(msg), "Agent %s removed: %s", a->hostname, why);
	master_persist_agent_removed(m, a);
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct task *t = v;
		if (!task_state_terminal(t->state))
			master_task_update(m, t,
					   master_status(t, TASK_LOST, "REASON_AGENT_REMOVED", msg));
	}
	master_operator_agent_removed(m, a->id);
	agent_drop(m, a);
}

struct gone_entry {
	const char *id;
	double when;
};

static int gone_cmp(const void *a, const void *b)
{
	double x = ((const struct gone_entry *)a)->when, y = ((const struct gone_entry *)b)->when;

	return x < y ? -1 : x > y;
}

void master_agents_gone_gc(struct master *m, double now_real_s)
{
	size_t n = json_object_size(m->gone_agents), i = 0, keep;
	double max_age = (double)m->flags->registry_max_agent_age_ns / 1e9;
	struct gone_entry *e;
	const char *id;
	json_t *v;

	if (!n)
		return;
	e = calloc(n, sizeof(*e));
	if (!e)
		return; /* next time */
	json_object_foreach(m->gone_agents, id, v)
		e[i++] = (struct gone_entry){id, json_number_value(v)};
	qsort(e, n, sizeof(*e), gone_cmp);
	keep = m->flags->registry_max_agent_count > 0 ? (size_t)m->flags->registry_max_agent_count
						       : 0;
	for (i = 0; i < n; i++) {
		struct agent ghost = {.id = (char *)e[i].id};
		if (n - i <= keep && now_real_s - e[i].when <= max_age)
			break; /* sorted: the rest are younger and within the count */
		log_info("registry: forgetting agent %s, marked gone %.0fs ago", e[i].id,
			 now_real_s - e[i].when);
		master_persist_agent_removed(m, &ghost);
		json_object_del(m->gone_agents, e[i].id); /* e[i].id is not used after this */
	}
	free(e);
}
