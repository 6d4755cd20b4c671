// SPDX-License-Identifier: Apache-2.0
/*
 * `drover task run`: the mesos-execute of Drover. It subscribes as a framework, waits for
 * offers that fit, launches, prints the status updates as they come, acknowledges them,
 * and exits with the task's own exit code:
 *   0..127     the task's exit status        128+N   the task died of signal N
 *   121        killed for exceeding its memory limit (OOM)
 *   122        lost, dropped, unreachable or gone     123   TASK_ERROR (refused)
 *   124        killed (TASK_KILLED)                   125   drover itself failed
 *
 * With --master zk://... (or DROVER_MASTER) it follows the leading master: when the stream
 * ends it finds the new leader through ZooKeeper, resubscribes with its framework ID and
 * reconciles the tasks it launched; a task the new leader does not know (the ACCEPT was
 * lost with the old one) is launched again.
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "http_client.h"
#include "loop.h"
#include "main.h"
#include "offer_url.h"
#include "resources.h"
#include "subscription.h"
#include "task_logs.h"
#include "wire.h"
#include "zk.h"

#define RESUBSCRIBE_FOR_NS (60LL * 1000000000) /* give up finding a leader after this */

enum {
	RUN_OOM = 121,
	RUN_LOST = 122,
	RUN_ERROR = 123,
	RUN_KILLED = 124,
	RUN_FAILED = 125,
};

struct run {
	struct loop *loop;
	struct http_client *http;
	char url[512];
	struct subscription *sub;
	char *fw_id;
	const char *name, *role, *user;
	double cpus, mem, limit_cpus, limit_mem;
	int ports;
	int count, launched, done;
	bool detach;
	char **env;
	int nenv;
	char **cmd;
	int ncmd;
	int exit_code;
	bool failed;
	bool tearing_down;
	double grace_s;
	volatile sig_atomic_t interrupted;
	bool kill_sent;
	json_t *tasks; /* task id -> {state} */
	json_t *health; /* TaskInfo.health_check (--health-*), NULL: none */
	bool ha;                      /* zk://: resubscribe to the next leader */
	char *sub_s;                  /* the first SUBSCRIBE (without a framework ID) */
	struct loop_timer *resub_timer;
	int64_t lost_ns;              /* when the stream ended (0: it is up) */
	bool reconcile;               /* resubscribed: reconcile on SUBSCRIBED */
	/* the tasks' output, streamed to ours (task_logs.h) */
	bool verbose;                 /* -v: also say where the output files are */
	struct run_output *outputs;
	json_t *agent_addrs;          /* agent ID -> "host:port" of its API, from its offers */
	struct loop_timer *log_timer;
	bool teardown_after_logs;     /* everything ended: tear down once the output is in */
};

/* One task's stdout and stderr, followed through its agent. */
struct run_output {
	struct run_output *next;
	char *task_id;
	struct log_follow *f[2];
	char *end_line; /* the task's end, said once the last of its output is printed */
};

static struct run *the_run; /* for the signal handler */

static void call(struct run *r, json_t *body);

static void on_call_done(long status, const char *body, size_t len, const char *err, void *data)
{
	struct run *r = data;

	if (r->ha && !r->tearing_down && (err || status == 307 || status == 503)) {
		/* the leader is changing: the resubscription reconciles what this call did */
		if (!json_output)
			p_info("a call did not reach the leader (%s)",
				err ? err : body);
		return;
	}
	if (err || status / 100 != 2) {
		p_err("call failed: %s", err ? err : body);
		if (!r->tearing_down) {
			r->exit_code = RUN_FAILED;
			loop_stop(r->loop);
		}
	}
	if (r->tearing_down)
		loop_stop(r->loop);
}

static void call(struct run *r, json_t *body)
{
	const char *hdrs[2];
	char hdr[160], *s;

	snprintf(hdr, sizeof(hdr), "Mesos-Stream-Id: %s", subscription_stream_id(r->sub));
	hdrs[0] = hdr;
	hdrs[1] = NULL;
	json_object_set_new(body, "framework_id", wire_id(r->fw_id));
	s = json_dumps(body, JSON_COMPACT);
	http_post(r->http, r->url, "application/json", s, strlen(s), hdrs, 30000, on_call_done, r);
	free(s);
	json_decref(body);
}

static json_t *scalar(const char *name, double v)
{
	return json_pack("{s:s,s:s,s:{s:f}}", "name", name, "type", "SCALAR", "scalar", "value", v);
}

/* Build one TaskInfo for an offer; ports are taken from what the offer still has. */
static json_t *task_info(struct run *r, const char *agent_id, int index,
			 struct alloc_res *left)
{
	char id[200];
	json_t *res = json_array(), *cmd, *ti;

	snprintf(id, sizeof(id), "%s-%d-%d", r->name, (int)getpid(), index);
	json_array_append_new(res, scalar("cpus", r->cpus));
	json_array_append_new(res, scalar("mem", r->mem));
	if (r->ports > 0) {
		const struct alloc_res_item *p = alloc_res_find(left, "ports");
		json_t *ranges = json_array();
		int need = r->ports;
		struct alloc_res used = ALLOC_RES_INIT;
		char txt[64];
		for (size_t i = 0; p && i < p->n && need > 0; i++) {
			uint64_t b = p->ranges[i].begin;
			uint64_t e = p->ranges[i].end;
			uint64_t take = e - b + 1 < (uint64_t)need ? e - b + 1 : (uint64_t)need;
			json_array_append_new(ranges, json_pack("{s:I,s:I}", "begin", (json_int_t)b,
								"end", (json_int_t)(b + take - 1)));
			snprintf(txt, sizeof(txt), "ports:[%llu-%llu]", (unsigned long long)b,
				 (unsigned long long)(b + take - 1));
			if (alloc_res_parse(txt, &used, NULL, 0) == 0)
				alloc_res_sub(left, &used);
			alloc_res_clear(&used);
			need -= (int)take;
		}
		json_array_append_new(res, json_pack("{s:s,s:s,s:{s:o}}", "name", "ports", "type",
						     "RANGES", "ranges", "range", ranges));
	}
	if (r->ncmd == 1) {
		cmd = json_pack("{s:s,s:b}", "value", r->cmd[0], "shell", 1);
	} else {
		json_t *args = json_array();
		for (int i = 0; i < r->ncmd; i++)
			json_array_append_new(args, json_string(r->cmd[i]));
		cmd = json_pack("{s:s,s:b,s:o}", "value", r->cmd[0], "shell", 0, "arguments", args);
	}
	if (r->user)
		json_object_set_new(cmd, "user", json_string(r->user));
	if (r->nenv) {
		json_t *vars = json_array();
		for (int i = 0; i < r->nenv; i++) {
			char *eq = strchr(r->env[i], '=');
			json_array_append_new(vars, json_pack("{s:s%,s:s}", "name", r->env[i],
							      (int)(eq - r->env[i]), "value", eq + 1));
		}
		json_object_set_new(cmd, "environment", json_pack("{s:o}", "variables", vars));
	}
	ti = json_pack("{s:s,s:o,s:o,s:o,s:o}", "name", r->name, "task_id", wire_id(id), "agent_id",
		       wire_id(agent_id), "resources", res, "command", cmd);
	if (r->grace_s >= 0)
		json_object_set_new(ti, "kill_policy",
				    json_pack("{s:{s:I}}", "grace_period", "nanoseconds",
					      (json_int_t)(r->grace_s * 1e9)));
	if (r->health)
		json_object_set(ti, "health_check", r->health);
	if (r->limit_cpus > 0 || r->limit_mem > 0) {
		json_t *lim = json_object();
		if (r->limit_cpus > 0)
			json_object_set_new(lim, "cpus", json_real(r->limit_cpus));
		if (r->limit_mem > 0)
			json_object_set_new(lim, "mem", json_real(r->limit_mem));
		json_object_set_new(ti, "limits", lim);
	}
	json_object_set_new(r->tasks, id, json_pack("{s:s}", "state", "TASK_STAGING"));
	return ti;
}

static void on_offers(json_t *ev, void *data)
{
	struct run *r = data;
	json_t *offers = json_object_get(ev, "offers");
	char want_txt[128];
	struct alloc_res want = ALLOC_RES_INIT;
	json_t *o;
	size_t i;

	snprintf(want_txt, sizeof(want_txt), "cpus:%g;mem:%g", r->cpus, r->mem);
	alloc_res_parse(want_txt, &want, NULL, 0);
	json_array_foreach(offers, i, o) {
		struct alloc_res have = ALLOC_RES_INIT;
		char err[256], addr[300];
		const char *oid = json_string_value(json_object_get(json_object_get(o, "id"), "value"));
		const char *aid =
			json_string_value(json_object_get(json_object_get(o, "agent_id"), "value"));
		json_t *tis = json_array();
		const struct alloc_res_item *ports;

		if (alloc_res_from_json(json_object_get(o, "resources"), &have, err, sizeof(err)) < 0)
			alloc_res_clear(&have);
		/* where its output will be read: by name under TLS (certificates name hosts) */
		if (aid && offer_url_address(json_object_get(o, "url"), tls_ca_opt != NULL, addr,
					     sizeof(addr)) == 0)
			json_object_set_new(r->agent_addrs, aid, json_string(addr));
		for (;;) {
			ports = alloc_res_find(&have, "ports");
			if (r->launched >= r->count || !alloc_res_contains(&have, &want))
				break;
			if (r->ports > 0) {
				uint64_t n = 0;
				for (size_t k = 0; ports && k < ports->n; k++)
					n += ports->ranges[k].end - ports->ranges[k].begin + 1;
				if (n < (uint64_t)r->ports)
					break;
			}
			alloc_res_sub(&have, &want);
			json_array_append_new(tis, task_info(r, aid, r->launched, &have));
			r->launched++;
		}
		alloc_res_clear(&have);
		if (json_array_size(tis)) {
			if (!json_output)
				p_info("launching %zu task(s) on agent %s",
					json_array_size(tis), aid);
			call(r, json_pack("{s:s,s:{s:[{s:s}],s:[{s:s,s:{s:o}}],s:{s:f}}}", "type",
					  "ACCEPT", "accept", "offer_ids", "value", oid, "operations",
					  "type", "LAUNCH", "launch", "task_infos", tis, "filters",
					  "refuse_seconds", 1.0));
		} else {
			json_decref(tis);
			call(r, json_pack("{s:s,s:{s:[{s:s}],s:{s:f}}}", "type", "DECLINE", "decline",
					  "offer_ids", "value", oid, "filters", "refuse_seconds", 1.0));
		}
	}
	alloc_res_clear(&want);
	if (r->launched >= r->count)
		call(r, json_pack("{s:s}", "type", "SUPPRESS"));
}

static int exit_code_of(json_t *st)
{
	const char *state = json_string_value(json_object_get(st, "state"));
	const char *reason = json_string_value(json_object_get(st, "reason"));
	json_t *ext = json_object_get(st, "drover");
	json_t *code = json_object_get(ext, "exit_code"), *sig = json_object_get(ext, "signal");

	if (streq(reason, "REASON_CONTAINER_LIMITATION_MEMORY"))
		return RUN_OOM;
	if (streq(state, "TASK_FINISHED"))
		return 0;
	if (streq(state, "TASK_FAILED")) {
		if (json_is_integer(sig) && json_integer_value(sig) > 0)
			return 128 + (int)json_integer_value(sig);
		if (json_is_integer(code))
			return (int)json_integer_value(code);
		return 1;
	}
	if (streq(state, "TASK_KILLED"))
		return RUN_KILLED;
	if (streq(state, "TASK_ERROR"))
		return RUN_ERROR;
	return RUN_LOST;
}

static bool outputs_done(struct run *r)
{
	for (struct run_output *o = r->outputs; o; o = o->next)
		for (int i = 0; i < 2; i++)
			if (o->f[i] && !log_follow_done(o->f[i]))
				return false;
	return true;
}

static void teardown(struct run *r)
{
	r->tearing_down = true;
	call(r, json_pack("{s:s}", "type", "TEARDOWN"));
}

/* Every LOG_FOLLOW_INTERVAL_NS: ask for new output; tear down once the last of it is in. */
static void on_log_timer(struct loop *l, struct loop_timer *t, void *data)
{
	struct run *r = data;

	for (struct run_output *o = r->outputs; o; o = o->next)
		for (int i = 0; i < 2; i++)
			if (o->f[i])
				log_follow_poll(o->f[i]);
	if (r->teardown_after_logs && !r->tearing_down && outputs_done(r))
		teardown(r);
}

/* Task tid runs on agent aid: stream its stdout and stderr to ours. */
static void output_start(struct run *r, const char *tid, const char *aid)
{
	const char *offered = json_string_value(json_object_get(r->agent_addrs, aid));
	struct run_output *o;
	char agent[512];

	for (o = r->outputs; o; o = o->next)
		if (streq(o->task_id, tid))
			return;
	/* the offer said where the agent listens; else (an older master) the master's word */
	if (offered)
		snprintf(agent, sizeof(agent), "%s", offered);
	else if (log_agent_address(aid, agent, sizeof(agent)) < 0) {
		p_info("task %s: its output cannot be streamed ('task logs' may tell why)", tid);
		return;
	}
	o = calloc(1, sizeof(*o));
	if (!o || !(o->task_id = strdup(tid))) {
		free(o);
		return;
	}
	o->f[0] = log_follow_new(r->http, agent, r->fw_id, tid, "stdout", STDOUT_FILENO, 0);
	o->f[1] = log_follow_new(r->http, agent, r->fw_id, tid, "stderr", STDERR_FILENO, 0);
	for (int i = 0; i < 2 && offered; i++)
		if (o->f[i])
			log_follow_set_fallback(o->f[i], aid);
	o->next = r->outputs;
	r->outputs = o;
	if (!r->log_timer)
		r->log_timer = loop_timer_add(r->loop, 1, LOG_FOLLOW_INTERVAL_NS, on_log_timer, r);
}

/* Say how each task ended whose output is all printed (after it, not inside its last line). */
static void outputs_say_ends(struct run *r, bool all)
{
	for (struct run_output *o = r->outputs; o; o = o->next) {
		if (!o->end_line)
			continue;
		if (!all && ((o->f[0] && !log_follow_done(o->f[0])) ||
			     (o->f[1] && !log_follow_done(o->f[1]))))
			continue;
		p_info("%s", o->end_line);
		free(o->end_line);
		o->end_line = NULL;
	}
}

/* A follower is done: tear down now if that was the last output waited for. */
static void on_output_done(void *data)
{
	struct run *r = data;

	outputs_say_ends(r, false);
	if (r->teardown_after_logs && !r->tearing_down && outputs_done(r))
		teardown(r);
}

/* The output of task tid being streamed, or NULL. */
static struct run_output *output_of(struct run *r, const char *tid)
{
	for (struct run_output *o = r->outputs; o; o = o->next)
		if (streq(o->task_id, tid))
			return o;
	return NULL;
}

/* Task tid ended: its followers finish with a read that starts now. */
static void output_finish(struct run *r, const char *tid)
{
	for (struct run_output *o = r->outputs; o; o = o->next)
		if (streq(o->task_id, tid))
			for (int i = 0; i < 2; i++)
				if (o->f[i])
					log_follow_finish(o->f[i], on_output_done, r);
}

static void outputs_free(struct run *r)
{
	outputs_say_ends(r, true);
	while (r->outputs) {
		struct run_output *o = r->outputs;

		r->outputs = o->next;
		log_follow_free(o->f[0]);
		log_follow_free(o->f[1]);
		free(o->task_id);
		free(o->end_line);
		free(o);
	}
	if (r->log_timer)
		loop_timer_del(r->loop, r->log_timer);
	r->log_timer = NULL;
}

static void on_update(json_t *ev, void *data)
{
	struct run *r = data;
	json_t *st = json_object_get(ev, "status");
	const char *tid = json_string_value(json_object_get(json_object_get(st, "task_id"), "value"));
	const char *state = json_string_value(json_object_get(st, "state"));
	const char *uuid = json_string_value(json_object_get(st, "uuid"));
	const char *msg = json_string_value(json_object_get(st, "message"));
	const char *aid = json_string_value(json_object_get(json_object_get(st, "agent_id"), "value"));
	json_t *ext = json_object_get(st, "drover");
	enum task_state s;
	json_t *rec;

	if (!tid || !state)
		return;
	if (json_output) {
		json_print(json_pack("{s:s,s:O}", "event", "UPDATE", "status", st));
		fflush(stdout);
	} else {
		struct run_output *o = task_state_parse(state, &s) == 0 && task_state_terminal(s) ?
					       output_of(r, tid) :
					       NULL;

		/* a task's end is said after its output (which it may have left mid-line) */
		if (!o || o->end_line ||
		    asprintf(&o->end_line, "task %s is %s%s%s", tid, state, msg ? ": " : "",
			     msg ? msg : "") < 0) {
			if (o)
				o->end_line = NULL;
			p_info("task %s is %s%s%s", tid, state, msg ? ": " : "", msg ? msg : "");
		}
		if (streq(state, "TASK_RUNNING") && !r->detach && aid)
			output_start(r, tid, aid);
		if (r->verbose && streq(state, "TASK_RUNNING") && json_object_get(ext, "sandbox"))
			p_info("task %s output: %s/stdout and %s/stderr", tid,
				json_string_value(json_object_get(ext, "sandbox")),
				json_string_value(json_object_get(ext, "sandbox")));
	}
	if (uuid && aid)
		call(r, json_pack("{s:s,s:{s:{s:s},s:{s:s},s:s}}", "type", "ACKNOWLEDGE",
				  "acknowledge", "agent_id", "value", aid, "task_id", "value", tid,
				  "uuid", uuid));
	rec = json_object_get(r->tasks, tid);
	if (!rec || task_state_parse(state, &s) < 0)
		return;
	if (s == TASK_UNKNOWN && streq(json_string_value(json_object_get(rec, "state")),
				       "TASK_STAGING")) {
		/* launched into a leader that died before it recorded the task: launch again */
		if (!json_output)
			p_info("task %s is unknown to the leader; launching it again",
				tid);
		json_object_del(r->tasks, tid);
		r->launched--;
		call(r, json_pack("{s:s}", "type", "REVIVE"));
		return;
	}
	if (s != TASK_UNKNOWN)
		json_object_set_new(rec, "state", json_string(state));
	if (task_state_terminal(s))
		output_finish(r, tid);
	if (task_state_terminal(s) && !json_is_true(json_object_get(rec, "done"))) {
		int code = exit_code_of(st);
		json_object_set_new(rec, "done", json_true());
		if (code > r->exit_code)
			r->exit_code = code;
		r->done++;
	}
	if (r->detach && s == TASK_RUNNING) {
		json_object_set_new(rec, "done", json_true());
		r->done++;
	}
	if (r->done >= r->count && !r->tearing_down && !r->teardown_after_logs) {
		/* everything ended (or runs detached): leave; without --detach, tear down */
		if (r->detach) {
			r->tearing_down = true;
			if (!uuid) /* else the acknowledgement's answer ends the loop */
				loop_stop(r->loop);
		} else if (!outputs_done(r)) {
			r->teardown_after_logs = true; /* on_log_timer, once the output is in */
		} else {
			teardown(r);
		}
	}
}

/* KILL every launched task not yet ended (after an interrupt). */
static void send_kills(struct run *r)
{
	const char *tid;
	json_t *rec;

	r->kill_sent = true;
	json_object_foreach(r->tasks, tid, rec) {
		if (!json_is_true(json_object_get(rec, "done")))
			call(r, json_pack("{s:s,s:{s:{s:s}}}", "type", "KILL", "kill", "task_id",
					  "value", tid));
	}
}

static void on_subscribed(json_t *sub, void *data)
{
	struct run *r = data;

	free(r->fw_id);
	r->fw_id = strdup(json_string_value(
		json_object_get(json_object_get(sub, "framework_id"), "value")));
	if (!json_output)
		p_info("subscribed as framework %s", r->fw_id);
	r->lost_ns = 0;
	if (r->reconcile) {
		json_t *list = json_array(), *tr;
		const char *tid;
		r->reconcile = false;
		json_object_foreach(r->tasks, tid, tr) {
			if (!json_is_true(json_object_get(tr, "done")))
				json_array_append_new(list,
						      json_pack("{s:o}", "task_id", wire_id(tid)));
		}
		call(r, json_pack("{s:s,s:{s:o}}", "type", "RECONCILE", "reconcile", "tasks", list));
		if (r->launched < r->count)
			call(r, json_pack("{s:s}", "type", "REVIVE"));
		/* KILLs sent while the leader changed may never have reached one (such a
		 * call's failure is let go above): send them again to this one */
		if (r->interrupted && r->kill_sent)
			send_kills(r);
	}
}

static void on_error(json_t *ev, void *data)
{
	struct run *r = data;

	p_err("master: %s", json_string_value(json_object_get(ev, "message")));
	r->exit_code = RUN_FAILED;
	loop_stop(r->loop);
}

static void on_malformed(const char *why, void *data)
{
	p_info("the master sent an event that is not one (%s): ignored", why);
}

static void on_stream_end(const struct subscription_end *end, void *data)
{
	struct run *r = data;
	char why[300];

	if (r->ha && !r->tearing_down && r->fw_id &&
	    (!r->lost_ns || now_mono_ns() - r->lost_ns < RESUBSCRIBE_FOR_NS)) {
		if (!r->lost_ns)
			r->lost_ns = now_mono_ns();
		if (!json_output)
			p_info("lost the leading master (%s); resubscribing",
				subscription_end_describe(end, why, sizeof(why)));
		loop_timer_set(r->resub_timer, 300000000, 0);
		return;
	}
	if (!r->tearing_down) {
		if (end->reason == SUBSCRIPTION_REFUSED)
			p_err("SUBSCRIBE answered %ld: %.*s", end->status, (int)end->message_len,
			      end->message);
		else
			p_err("the master closed the stream%s%s",
			      end->reason == SUBSCRIPTION_CLOSED ? "" : ": ",
			      end->reason == SUBSCRIPTION_CLOSED ? "" : end->message);
		r->exit_code = RUN_FAILED;
	}
	loop_stop(r->loop);
}

static const struct subscription_ops scheduler_session = {
	.malformed = on_malformed,
	.ended = on_stream_end,
	.handlers = {
		{"SUBSCRIBED", on_subscribed},
		{"OFFERS", on_offers},
		{"UPDATE", on_update},
		{"ERROR", on_error},
	},
};

/* zk://: find the leader again and subscribe with the framework ID. */
static void on_resubscribe(struct loop *l, struct loop_timer *t, void *data)
{
	struct run *r = data;
	json_t *sub = json_loads(r->sub_s, 0, NULL);
	json_t *fi = json_object_get(json_object_get(sub, "subscribe"), "framework_info");
	char *s;

	loop_timer_stop(t);
	api_url(api_leader(master_url, true), "/api/v1/scheduler", r->url, sizeof(r->url));
	if (!r->url[0] && now_mono_ns() - r->lost_ns < RESUBSCRIBE_FOR_NS) {
		json_decref(sub);
		loop_timer_set(t, 1000000000, 0); /* no leader yet: look again */
		return;
	}
	json_object_set_new(fi, "id", wire_id(r->fw_id));
	s = json_dumps(sub, JSON_COMPACT);
	json_decref(sub);
	r->reconcile = true;
	if (!s || subscription_open(r->sub, r->url, s, strlen(s)) < 0)
		loop_timer_set(t, 1000000000, 0);
	free(s);
}

/*
 * The first Ctrl-C (or SIGTERM) kills the launched tasks and waits for their end; a second
 * one leaves at once (without --detach the master then kills them: failover timeout 0).
 */
static void on_signal(int sig)
{
	if (!the_run)
		return;
	if (the_run->interrupted || !the_run->fw_id || !the_run->launched)
		loop_stop(the_run->loop);
	the_run->interrupted = 1;
	loop_wakeup(the_run->loop);
}

static void on_wake(struct loop *l, void *data)
{
	struct run *r = data;

	if (!r->interrupted || r->kill_sent)
		return;
	if (!json_output)
		p_info("interrupted: killing the task(s)");
	send_kills(r);
}

static int usage(void)
{
	fprintf(stderr,
		"Usage: %s task run [--name N] [--role R] [--cpus C] [--mem MIB] [--ports K]\n"
		"                   [--limit-cpus C] [--limit-mem MIB] [--user U] [--env K=V]...\n"
		"                   [--count N] [--grace SECONDS] [--detach] [-v]\n"
		"                   [--health-cmd CMD | --health-http PORT[/PATH] | --health-tcp PORT]\n"
		"                   [--health-interval S] [--health-timeout S] [--health-delay S]\n"
		"                   [--health-grace S] [--health-retries N] -- CMD [ARGS...]\n"
		"One CMD word runs through /bin/sh -c; several run as an argv.\n"
		"The task's stdout and stderr are streamed to ours as it writes them (not with\n"
		"--detach or -j); -v also prints where its output files are on its agent.\n"
		"A health check (Mesos's defaults: delay 15, interval 10, timeout 20, grace 10,\n"
		"3 retries) kills the task after that many failures in a row (exit 124).\n"
		"Exit status: the task's own; 128+N for signal N; 121 OOM; 122 lost; 123 error;\n"
		"124 killed; 125 drover failed.\n",
		bin_name);
	return EXIT_USAGE;
}

/* seconds >= 0 */
static bool parse_nonneg(const char *s, double *ret)
{
	char *e;
	double v = strtod(s, &e);

	if (e == s || *e || !isfinite(v) || v < 0 || v > 1e9)
		return false;
	*ret = v;
	return true;
}

/*
 * --health-cmd CMD, --health-http PORT[/PATH], --health-tcp PORT and their timing into
 * r->health (TaskInfo.health_check). -1 on a bad value (said), 0 if opt is none of them.
 */
static int health_opt(struct run *r, int opt, const char *arg)
{
	static const char *const times[] = {"interval_seconds", "timeout_seconds",
					    "delay_seconds", "grace_period_seconds"};
	const char *slash;
	char *e;
	double d;
	long port;

	if (!r->health)
		r->health = json_object();
	switch (opt) {
	case 'H':
		json_object_set_new(r->health, "type", json_string("COMMAND"));
		json_object_set_new(r->health, "command",
				    json_pack("{s:s,s:b}", "value", arg, "shell", 1));
		return 1;
	case 'T':
	case 'W':
		port = strtol(arg, &e, 10);
		slash = opt == 'W' && *e == '/' ? e : NULL;
		if (e == arg || port < 1 || port > 65535 || (*e && !slash)) {
			p_err("--health-%s wants %s, not '%s'", opt == 'W' ? "http" : "tcp",
			      opt == 'W' ? "PORT[/PATH]" : "PORT", arg);
			return -1;
		}
		json_object_set_new(r->health, "type", json_string(opt == 'W' ? "HTTP" : "TCP"));
		json_object_set_new(r->health, opt == 'W' ? "http" : "tcp",
				    json_pack("{s:I}", "port", (json_int_t)port));
		if (slash)
			json_object_set_new(json_object_get(r->health, "http"), "path",
					    json_string(slash));
		return 1;
	case 'I':
	case 'O':
	case 'Y':
	case 'G':
		if (!parse_nonneg(arg, &d)) {
			p_err("bad value '%s' (seconds >= 0 are expected)", arg);
			return -1;
		}
		json_object_set_new(r->health, times[opt == 'I' ? 0 : opt == 'O' ? 1 : opt == 'Y' ? 2 : 3],
				    json_real(d));
		return 1;
	case 'R':
		port = strtol(arg, &e, 10);
		if (e == arg || *e || port < 0 || port > 1000000) {
			p_err("bad value '%s' (a count >= 0 is expected)", arg);
			return -1;
		}
		json_object_set_new(r->health, "consecutive_failures", json_integer(port));
		return 1;
	}
	return 0;
}

static bool parse_pos(const char *s, double *ret)
{
	char *e;
	double v = strtod(s, &e);

	if (e == s || *e || !isfinite(v) || v <= 0 || v > 1e9)
		return false;
	*ret = v;
	return true;
}

int do_task_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},	 {"role", required_argument, NULL, 'r'},
		{"cpus", required_argument, NULL, 'c'},	 {"mem", required_argument, NULL, 'm'},
		{"ports", required_argument, NULL, 'P'}, {"limit-cpus", required_argument, NULL, 'C'},
		{"limit-mem", required_argument, NULL, 'M'}, {"user", required_argument, NULL, 'u'},
		{"env", required_argument, NULL, 'e'},	 {"count", required_argument, NULL, 'N'},
		{"detach", no_argument, NULL, 'd'},	 {"grace", required_argument, NULL, 'g'},
		{"health-cmd", required_argument, NULL, 'H'},
		{"health-http", required_argument, NULL, 'W'},
		{"health-tcp", required_argument, NULL, 'T'},
		{"health-interval", required_argument, NULL, 'I'},
		{"health-timeout", required_argument, NULL, 'O'},
		{"health-delay", required_argument, NULL, 'Y'},
		{"health-grace", required_argument, NULL, 'G'},
		{"health-retries", required_argument, NULL, 'R'},
		{"verbose", no_argument, NULL, 'v'},
		{0},
	};
	struct run r = {.name = "drover-task", .role = "*", .cpus = 0.1, .mem = 32, .count = 1,
			.grace_s = -1};
	struct sigaction sa = {.sa_handler = on_signal};
	char *sub_s;
	json_t *sub;
	int c;
	double d;

	if (argc == 1 && streq(argv[0], "help")) {
		usage();
		return EXIT_OK;
	}
	/* getopt wants a program name first: argv[-1] is the "run" keyword itself */
	argc++;
	argv--;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+v", opts, NULL)) >= 0) {
		switch (c) {
		case 'n':
			r.name = optarg;
			break;
		case 'r':
			r.role = optarg;
			break;
		case 'c':
			if (!parse_pos(optarg, &r.cpus))
				goto bad;
			break;
		case 'm':
			if (!parse_pos(optarg, &r.mem))
				goto bad;
			break;
		case 'P':
			if (!parse_pos(optarg, &d) || d != floor(d) || d > 65535)
				goto bad;
			r.ports = (int)d;
			break;
		case 'C':
			if (!parse_pos(optarg, &r.limit_cpus))
				goto bad;
			break;
		case 'M':
			if (!parse_pos(optarg, &r.limit_mem))
				goto bad;
			break;
		case 'u':
			r.user = optarg;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				p_err("--env wants NAME=VALUE, not '%s'", optarg);
				return EXIT_USAGE;
			}
			r.env = realloc(r.env, sizeof(char *) * (size_t)(r.nenv + 1));
			r.env[r.nenv++] = optarg;
			break;
		case 'N':
			if (!parse_pos(optarg, &d) || d != floor(d) || d > 10000)
				goto bad;
			r.count = (int)d;
			break;
		case 'd':
			r.detach = true;
			break;
		case 'v':
			r.verbose = true;
			break;
		case 'g':
			if (!parse_pos(optarg, &r.grace_s) && strcmp(optarg, "0") != 0)
				goto bad;
			if (strcmp(optarg, "0") == 0)
				r.grace_s = 0;
			break;
		default: {
			int h = health_opt(&r, c, optarg);

			if (h > 0)
				break;
			free(r.env);
			json_decref(r.health);
			return h < 0 ? EXIT_USAGE : usage();
		}
		}
	}
	if (r.health && !json_object_get(r.health, "type")) {
		p_err("--health-interval and the like need --health-cmd, --health-http or "
		      "--health-tcp");
		free(r.env);
		json_decref(r.health);
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		free(r.env);
		p_err("no command given (put it after --)");
		return usage();
	}
	r.cmd = argv + optind;
	r.ncmd = argc - optind;

	api_url(master_url, "/api/v1/scheduler", r.url, sizeof(r.url));
	r.tasks = json_object();
	r.agent_addrs = json_object();
	if (loop_new(&r.loop) < 0 || http_client_new(r.loop, &r.http) < 0 ||
	    api_client_setup(r.http) < 0 ||
	    subscription_new(r.http, &scheduler_session, &r, &r.sub) < 0) {
		p_err("cannot set up the event loop");
		return RUN_FAILED;
	}
	/* no user unless --user: the agent's --task-user (never root unless asked and allowed) */
	/* it shows TASK_KILLING (a kill's grace, a task its health checks kill) */
	sub = json_pack("{s:s,s:{s:{s:s,s:s,s:f,s:[{s:s},{s:s}]}}}", "type", "SUBSCRIBE",
			"subscribe", "framework_info", "name", "drover-task-run", "role", r.role,
			"failover_timeout", r.detach ? 7 * 86400.0 : 0.0, "capabilities", "type",
			"PARTITION_AWARE", "type", "TASK_KILLING_STATE");
	if (sub && r.user)
		json_object_set_new(json_object_get(json_object_get(sub, "subscribe"),
						    "framework_info"),
				    "user", json_string(r.user));
	sub_s = json_dumps(sub, JSON_COMPACT);
	json_decref(sub);
	r.ha = zk_url_is(master_url);
	r.sub_s = sub_s;
	r.resub_timer = loop_timer_add(r.loop, 0, 0, on_resubscribe, &r);
	loop_timer_stop(r.resub_timer);
	if (!sub_s || subscription_open(r.sub, r.url, sub_s, strlen(sub_s)) < 0) {
		p_err("cannot start the SUBSCRIBE call");
		r.exit_code = RUN_FAILED;
		loop_stop(r.loop);
	}
	the_run = &r;
	loop_set_wake(r.loop, on_wake, &r);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	loop_run(r.loop);
	the_run = NULL;
	outputs_free(&r);
	loop_timer_del(r.loop, r.resub_timer);
	free(r.sub_s);
	subscription_free(r.sub);
	http_client_free(r.http);
	loop_free(r.loop);
	json_decref(r.tasks);
	json_decref(r.agent_addrs);
	json_decref(r.health);
	free(r.fw_id);
	free(r.env);
	return r.exit_code;
bad:
	p_err("bad value '%s' (a positive number is expected)", optarg);
	free(r.env);
	return EXIT_USAGE;
}
