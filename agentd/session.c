// SPDX-License-Identifier: Apache-2.0
/*
 * The session with the master: SUBSCRIBE on lib/subscription.h and the table of the
 * events it dispatches, heartbeats, reconnection with backoff after a lost stream, and,
 * for --master zk://..., following the leading master.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "agent_internal.h"
#include "api.h"
#include "log.h"
#include "version.h"
#include "zk.h"

/* ------------------------------------------------------------------ master calls */

/* POST body (consumed, the agent ID added) to the master on the current stream. */
void agent_master_post(struct agent *a, json_t *body, http_done_fn done, void *data,
		       struct http_call **ret_call)
{
	char hdr[160], url[600], *s;
	const char *hdrs[2] = {hdr, NULL};
	struct http_call *c;

	snprintf(hdr, sizeof(hdr), "Mesos-Stream-Id: %s", subscription_stream_id(a->sub));
	snprintf(url, sizeof(url), "%s/api/v1/agent", a->master_url);
	json_object_set_new(body, "agent_id", wire_id(a->agent_id));
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	c = s ? http_post(a->http, url, "application/json", s, strlen(s), hdrs, 15000, done, data)
	      : NULL;
	free(s);
	if (ret_call)
		*ret_call = c;
}

/* ------------------------------------------------------------------ the master stream */

static void subscribe(struct agent *a);

/* The reconnect timer: SUBSCRIBE again. */
static void on_reconnect(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent *a = data;

	loop_timer_stop(timer);
	subscribe(a);
}

/* The stream is gone (why): reconnect after a backoff from 0.5 s, doubled, at most 5 s. */
static void lost_master(struct agent *a, const char *why)
{
	a->subscribed = false;
	if (a->terminating) { /* unregistered (shutdown.c): it does not come back */
		log_info("the master stream ended (%s)", why);
		return;
	}
	a->reconnect_backoff_ns = a->reconnect_backoff_ns ? a->reconnect_backoff_ns * 2 : 500000000;
	if (a->reconnect_backoff_ns > 5000000000LL)
		a->reconnect_backoff_ns = 5000000000LL;
	log_warn("lost the master (%s); reconnecting in %.1fs", why,
		 (double)a->reconnect_backoff_ns / 1e9);
	loop_timer_set(a->reconnect_timer, a->reconnect_backoff_ns, 0);
}

static void on_heartbeat_done(long status, const char *body, size_t len, const char *err,
			      void *data)
{
	struct agent *a = data;
	char why[256];

	if (status == 202)
		return;
	log_debug("heartbeat not accepted: %ld %s", status, err ? err : body);
	/*
	 * 403: the master holds no stream of ours although ours looks open from here (it saw it
	 * close, or gave up on us). Nothing would arrive on it: subscribe again. (A partition
	 * gives no answer at all; a 403 to a heartbeat sent before a resubscription costs one
	 * more resubscription.)
	 */
	if (status == 403 && a->subscribed) {
		snprintf(why, sizeof(why), "it refused a heartbeat: %ld %.*s", status,
			 (int)(len < 160 ? len : 160), body ? body : "");
		subscription_close(a->sub);
		lost_master(a, why);
	}
}

/* The heartbeat timer: a HEARTBEAT while subscribed. */
static void on_heartbeat(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent *a = data;

	if (a->subscribed)
		agent_master_post(a, json_pack("{s:s}", "type", "HEARTBEAT"), on_heartbeat_done, a,
				  NULL);
}

/*
 * SUBSCRIBED: the agent ID (checkpointed when new), the heartbeat interval, and every
 * unacknowledged update sent again.
 */
static void on_subscribed(json_t *sub, void *data)
{
	struct agent *a = data;
	const char *id = json_string_value(json_object_get(json_object_get(sub, "agent_id"),
							   "value"));
	double hb = json_number_value(json_object_get(sub, "heartbeat_interval_seconds"));
	size_t it;
	void *v;

	if (id && !agent_task_id_valid_n(id, strlen(id))) {
		/* it names checkpoints and metrics: never take a path or control characters */
		log_error("the master gave an agent ID that is not valid: not subscribed");
		return;
	}
	if (id && strcmp(id, a->agent_id) != 0) {
		snprintf(a->agent_id, sizeof(a->agent_id), "%s", id);
		if (agent_checkpoint_agent_id_save(&a->ckpt, a->agent_id) < 0)
			log_error("cannot checkpoint the agent ID");
	}
	a->subscribed = true;
	a->reconnect_backoff_ns = 0;
	if (hb > 0) {
		/* whatever the master says: between 100 ms and an hour */
		hb = hb < 0.1 ? 0.1 : hb > 3600 ? 3600 : hb;
		loop_timer_set(a->heartbeat_timer, (int64_t)(hb * 1e9), (int64_t)(hb * 1e9));
	}
	log_info("subscribed to the master as agent %s", a->agent_id);
	/* resend what is unacknowledged (send_next_update drops a POST still held) */
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		t->update_in_flight = false;
		agent_update_send_next(t);
	}
}

/*
 * As Mesos's agent: a launch that arrives once it is shutting down is not run (the master
 * reports the task lost when it removes the agent).
 */
static bool refuse_launch(struct agent *a)
{
	if (a->terminating)
		log_warn("ignoring a launch: the agent is terminating");
	return a->terminating;
}

static void on_sub_launch(json_t *ev, void *data)
{
	if (!refuse_launch(data))
		agent_on_launch(data, ev);
}

static void on_sub_launch_group(json_t *ev, void *data)
{
	if (!refuse_launch(data))
		agent_on_launch_group(data, ev);
}

static void on_sub_message(json_t *ev, void *data)
{
	agent_on_executor_message(data, ev);
}

static void on_sub_shutdown_executor(json_t *ev, void *data)
{
	agent_on_shutdown_executor(data, ev);
}

static void on_sub_kill(json_t *ev, void *data)
{
	agent_on_kill(data, ev);
}

static void on_sub_acknowledge(json_t *ev, void *data)
{
	agent_on_acknowledge(data, ev);
}

static void on_sub_malformed(const char *why, void *data)
{
	log_warn("the master sent an event that is not one (%s): ignored", why);
}

static void on_sub_ended(const struct subscription_end *end, void *data)
{
	char why[300];

	lost_master(data, subscription_end_describe(end, why, sizeof(why)));
}

static const struct subscription_ops master_session = {
	.malformed = on_sub_malformed,
	.ended = on_sub_ended,
	.handlers = {
		{"SUBSCRIBED", on_subscribed},
		{"LAUNCH", on_sub_launch},
		{"LAUNCH_GROUP", on_sub_launch_group},
		{"MESSAGE", on_sub_message},
		{"SHUTDOWN_EXECUTOR", on_sub_shutdown_executor},
		{"KILL", on_sub_kill},
		{"ACKNOWLEDGE", on_sub_acknowledge},
	},
};

/* The tasks of the table for SUBSCRIBE: ID, framework, state and resources. */
static json_t *running_tasks(struct agent *a)
{
	json_t *arr = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		json_array_append_new(arr, json_pack("{s:o,s:o,s:s,s:o}", "task_id", wire_id(t->id),
						     "framework_id", wire_id(t->fw_id), "state",
						     task_state_name(t->state), "resources",
						     alloc_res_to_json(&t->res)));
	}
	return arr;
}

/* Its CUSTOM executors holding resources: the master charges them to their frameworks. */
static json_t *running_executors(struct agent *a)
{
	json_t *arr = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->executors, &it, NULL, &v);) {
		struct agent_executor *e = v;
		json_t *res, *ai, *r;
		size_t i;

		if (e->is_default || !e->res_held)
			continue; /* a group's executor is accounted with its tasks */
		/* the role they are allocated to, as the master set it at launch (MULTI_ROLE) */
		res = alloc_res_to_json(&e->res);
		ai = json_object_get(json_array_get(json_object_get(e->info, "resources"), 0),
				     "allocation_info");
		json_array_foreach(ai ? res : NULL, i, r)
			json_object_set(r, "allocation_info", ai);
		json_array_append_new(arr, json_pack("{s:o,s:o,s:o}", "framework_id",
						     wire_id(e->fw_id), "executor_id", wire_id(e->id),
						     "resources", res));
	}
	return arr;
}

/* What the agent enforces (mode, controllers, the missing ones and why, BPF): agent.h. */
json_t *agent_enforcement_json(struct agent *a)
{
	json_t *missing = json_array(), *avail = json_array();

	for (int c = 0; c < _AGENT_CTRL_MAX; c++) {
		char buf[300];
		if (a->cg.report.available & AGENT_CTRL_BIT(c)) {
			json_array_append_new(avail, json_string(agent_ctrl_name(c)));
		} else if (a->cg.report.ctrl[c].why != AGENT_CTRL_NOT_WANTED) {
			agent_ctrl_describe(&a->cg.report, c, buf, sizeof(buf));
			json_array_append_new(missing, json_pack("{s:s,s:s}", "controller",
								 agent_ctrl_name(c), "why", buf));
		}
	}
	return json_pack("{s:s,s:o,s:o,s:o}", "mode",
			 a->flags->enforce == AGENT_ENFORCE_STRICT ? "strict" : "best-effort",
			 "controllers", avail, "missing", missing, "bpf",
			 agent_bpf_enforcement_json(a->bpf));
}

/* SUBSCRIBE with agent_info, the running tasks and executors, and the enforcement report. */
static void subscribe(struct agent *a)
{
	char url[600], *s;
	json_t *info, *sub, *body;

	if (a->terminating)
		return; /* unregistered (shutdown.c): never again, whatever ZooKeeper says */
	info = json_pack("{s:s,s:o}", "hostname", a->hostname, "resources",
			 alloc_res_to_json(&a->total));
	if (a->attributes)
		json_object_set(info, "attributes", a->attributes);
	if (agent_api_port(a)) /* where the agent's API (/files) is: hostname:port */
		json_object_set_new(info, "port", json_integer(agent_api_port(a)));
	sub = json_pack("{s:o,s:o,s:o,s:o,s:s}", "agent_info", info, "tasks", running_tasks(a),
			"executors", running_executors(a), "enforcement", agent_enforcement_json(a),
			"version", DROVER_VERSION);
	if (a->agent_id[0])
		json_object_set_new(sub, "agent_id", wire_id(a->agent_id));
	/*
	 * AgentInfo.Capability: what this agent does. Roles are opaque to it (any framework's,
	 * several per framework, hierarchical), it can be drained (DRAIN_AGENT: the master
	 * kills its tasks) and it enforces TaskInfo.limits; it has no reservations, resource
	 * providers, volumes or operation feedback.
	 */
	json_object_set_new(sub, "capabilities",
			    json_pack("[{s:s},{s:s},{s:s},{s:s}]", "type", "MULTI_ROLE", "type",
				      "HIERARCHICAL_ROLE", "type", "AGENT_DRAINING", "type",
				      "TASK_RESOURCE_LIMITS"));
	body = json_pack("{s:s,s:o}", "type", "SUBSCRIBE", "subscribe", sub);
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!a->master_url[0]) {
		free(s);
		lost_master(a, "no leading master is known yet");
		return;
	}
	snprintf(url, sizeof(url), "%s/api/v1/agent", a->master_url);
	if ((!a->sub && subscription_new(a->http, &master_session, a, &a->sub) < 0) || !s ||
	    subscription_open(a->sub, url, s, strlen(s)) < 0)
		lost_master(a, "cannot start the request");
	free(s);
}

/*
 * --master zk://...: the leader changed (or the watch's session expired). Subscribe to the
 * new leader at once: that is the reregistration, with the agent ID and the running tasks.
 */
static void on_leader_changed(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent *a = data;
	char url[sizeof(a->master_url)];
	uint64_t n;
	char *addr;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn_errno(errno, "reading the leader eventfd: %m");
	zk_watch_poll(a->zk);
	addr = zk_watch_leader(a->zk);
	if (!addr) {
		log_info("zookeeper: no leading master at the moment");
		return;
	}
	/* with a CA to verify it by, the master speaks TLS (as for a --master HOST:PORT) */
	snprintf(url, sizeof(url), "%s://%s", a->flags->tls_ca ? "https" : "http", addr);
	if (strcmp(a->master_url, url) != 0) {
		log_info("zookeeper: the leading master is %s", addr);
		snprintf(a->master_url, sizeof(a->master_url), "%s", url);
		subscription_close(a->sub);
		a->subscribed = false;
		a->reconnect_backoff_ns = 0;
		loop_timer_stop(a->reconnect_timer);
		subscribe(a);
	}
	free(addr);
}

/* ZooKeeper thread: wake the agent's loop. */
static void wake_on_leader(void *data)
{
	struct agent *a = data;
	uint64_t one = 1;

	if (write(a->zk_fd, &one, sizeof(one)) < 0)
		return; /* the counter is full: a wakeup is pending anyway */
}

/* --master zk://...: watch the leader; its changes wake the loop through an eventfd. */
static int master_discovery_start(struct agent *a)
{
	char err[AGENT_ERRLEN];
	int r;

	a->zk_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->zk_fd < 0)
		return log_error_errno(errno, "cannot create an eventfd: %m");
	a->zk_loop_watch = loop_watch_fd(a->loop, a->zk_fd, EPOLLIN, on_leader_changed, a);
	if (!a->zk_loop_watch)
		return log_error_errno(errno, "cannot watch the eventfd: %m");
	r = zk_watch_new(a->flags->master, 10000, wake_on_leader, a, &a->zk, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "option '--master': %s", err);
	return 0;
}

/*
 * The master named by --master (or found through ZooKeeper), the reconnect and heartbeat
 * timers; the first SUBSCRIBE goes out when the loop runs. 0 or -errno (logged).
 */
int agent_session_start(struct agent *a)
{
	struct agent_flags *flags = a->flags;

	if (zk_url_is(flags->master))
		a->master_url[0] = '\0'; /* found through ZooKeeper, below */
	else if (strncmp(flags->master, "http://", 7) == 0 || strncmp(flags->master, "https://", 8) == 0)
		snprintf(a->master_url, sizeof(a->master_url), "%s", flags->master);
	else /* with a CA to verify it by, the master speaks TLS */
		snprintf(a->master_url, sizeof(a->master_url), "%s://%s",
			 flags->tls_ca ? "https" : "http", flags->master);
	a->reconnect_timer = loop_timer_add(a->loop, 0, 0, on_reconnect, a);
	a->heartbeat_timer = loop_timer_add(a->loop, 5000000000LL, 5000000000LL, on_heartbeat, a);
	if (!a->reconnect_timer || !a->heartbeat_timer)
		return log_error_errno(errno, "cannot create timers: %m");
	if (zk_url_is(flags->master))
		return master_discovery_start(a);
	return 0;
}

/* The ZooKeeper watch (its threads are gone after this), the stream and the timers. */
void agent_session_stop(struct agent *a)
{
	zk_watch_free(a->zk); /* its threads are gone after this: the eventfd can go */
	a->zk = NULL;
	if (a->zk_loop_watch)
		loop_unwatch(a->loop, a->zk_loop_watch);
	a->zk_loop_watch = NULL;
	if (a->zk_fd >= 0)
		close(a->zk_fd);
	a->zk_fd = -1;
	subscription_free(a->sub); /* before its http client */
	a->sub = NULL;
	if (a->loop) {
		loop_timer_del(a->loop, a->reconnect_timer);
		loop_timer_del(a->loop, a->heartbeat_timer);
	}
	a->reconnect_timer = a->heartbeat_timer = NULL;
}
