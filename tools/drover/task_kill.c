// SPDX-License-Identifier: Apache-2.0
/*
 * `drover task kill ID`. The master has no operator call that kills a task: only its
 * framework may (scheduler KILL). So this works for tasks of *disconnected* frameworks (e.g.
 * `drover task run --detach`): it fails over to the framework (SUBSCRIBE with its
 * framework_info.id), sends KILL, waits for the terminal update, acknowledges it and
 * disconnects again (the framework's failover timeout starts anew). A connected framework
 * is refused with an explanation: taking it over would cut off its scheduler. --force takes
 * it over anyway (the master may still count a framework whose client is gone as connected
 * until its next heartbeat: a `task run --detach` that just exited).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "http_client.h"
#include "loop.h"
#include "main.h"
#include "subscription.h"
#include "wire.h"

struct kill {
	struct loop *loop;
	struct http_client *http;
	struct loop_timer *timer;
	char url[512];
	struct subscription *sub;
	const char *fw_id, *task_id;
	double grace_s;
	bool sent, done, timed_out, failed;
	json_t *final; /* the terminal status */
};

static void on_post_done(long status, const char *body, size_t len, const char *err, void *data)
{
	struct kill *k = data;

	if (err || status / 100 != 2) {
		p_err("call failed: %s", err ? err : body);
		k->failed = true;
		loop_stop(k->loop);
		return;
	}
	if (k->done)
		loop_stop(k->loop);
}

static void post(struct kill *k, json_t *body)
{
	char hdr[160], *s;
	const char *hdrs[2] = {hdr, NULL};

	snprintf(hdr, sizeof(hdr), "Mesos-Stream-Id: %s", subscription_stream_id(k->sub));
	json_object_set_new(body, "framework_id", wire_id(k->fw_id));
	s = json_dumps(body, JSON_COMPACT);
	http_post(k->http, k->url, "application/json", s, strlen(s), hdrs, 30000, on_post_done, k);
	free(s);
	json_decref(body);
}

static void on_subscribed(json_t *ev, void *data)
{
	struct kill *k = data;
	json_t *kill;

	if (k->sent)
		return;
	kill = json_pack("{s:{s:s}}", "task_id", "value", k->task_id);
	if (k->grace_s >= 0)
		json_object_set_new(kill, "kill_policy",
				    json_pack("{s:{s:I}}", "grace_period", "nanoseconds",
					      (json_int_t)(k->grace_s * 1e9)));
	k->sent = true;
	post(k, json_pack("{s:s,s:o}", "type", "KILL", "kill", kill));
}

static void on_offers(json_t *ev, void *data)
{
	json_t *ids = json_array(), *o;
	size_t i;

	json_array_foreach(json_object_get(ev, "offers"), i, o)
		json_array_append(ids, json_object_get(o, "id"));
	post(data, json_pack("{s:s,s:{s:o,s:{s:f}}}", "type", "DECLINE", "decline", "offer_ids", ids,
			     "filters", "refuse_seconds", 30.0));
}

static void on_update(json_t *ev, void *data)
{
	struct kill *k = data;
	json_t *st = json_object_get(ev, "status");
	const char *state = json_string_value(json_object_get(st, "state"));
	const char *uuid = json_string_value(json_object_get(st, "uuid"));
	enum task_state s;
	bool terminal;

	if (!streq(id_value(st, "task_id"), k->task_id) || !state ||
	    task_state_parse(state, &s) < 0 || k->done)
		return;
	/* updates come in order, each after the one before is acknowledged */
	terminal = task_state_terminal(s);
	if (!json_output)
		p_info("task %s is %s", k->task_id, state);
	if (terminal) {
		k->done = true;
		k->final = json_incref(st);
	}
	if (uuid)
		post(k, json_pack("{s:s,s:{s:{s:s},s:{s:s},s:s}}", "type", "ACKNOWLEDGE",
				  "acknowledge", "agent_id", "value", id_value(st, "agent_id"),
				  "task_id", "value", k->task_id, "uuid", uuid));
	else if (terminal)
		loop_stop(k->loop);
}

static void on_error(json_t *ev, void *data)
{
	struct kill *k = data;

	p_err("master: %s", json_string_value(json_object_get(ev, "message")));
	k->failed = true;
	loop_stop(k->loop);
}

static void on_malformed(const char *why, void *data)
{
	p_info("the master sent an event that is not one (%s): ignored", why);
}

static void on_stream_end(const struct subscription_end *end, void *data)
{
	struct kill *k = data;

	if (!k->done) {
		p_err("SUBSCRIBE as framework %s: %ld %.*s", k->fw_id, end->status,
		      (int)end->message_len, end->message);
		k->failed = true;
	}
	loop_stop(k->loop);
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

static void on_timeout(struct loop *l, struct loop_timer *t, void *data)
{
	struct kill *k = data;

	k->timed_out = true;
	loop_stop(l);
}

static const char *fw_id_of(json_t *f)
{
	return id_value(json_object_get(f, "framework_info"), "id");
}

static const char *task_id_of(json_t *t)
{
	return id_value(t, "task_id");
}

int do_task_kill(int argc, char **argv)
{
	struct kill k = {.grace_s = -1};
	json_t *tasks = NULL, *fws = NULL, *t, *f, *info, *sub;
	const char *id = NULL;
	bool force = false;
	char *s, *end;
	int rc = EXIT_FAILED;

	for (; argc; NEXT_ARG()) {
		if (argc >= 2 && is_prefix(argv[0], "--grace")) {
			NEXT_ARG();
			k.grace_s = strtod(argv[0], &end);
			if (end == argv[0] || *end || !isfinite(k.grace_s) || k.grace_s < 0 ||
			    k.grace_s > 86400)
				return usage_err("task kill ID [--grace SECONDS] [--force]");
		} else if (streq(argv[0], "--force") || streq(argv[0], "-f")) {
			force = true;
		} else if (!id && argv[0][0] != '-') {
			id = argv[0];
		} else {
			return usage_err("task kill ID [--grace SECONDS] [--force]");
		}
	}
	if (!id)
		return usage_err("task kill ID [--grace SECONDS] [--force]");
	tasks = api_master("GET_TASKS");
	if (!tasks)
		return EXIT_FAILED;
	t = find_by_id(json_object_get(tasks, "tasks"), id, "live task", task_id_of);
	if (!t)
		goto out;
	k.task_id = task_id_of(t);
	k.fw_id = id_value(t, "framework_id");
	fws = api_master("GET_FRAMEWORKS");
	f = fws ? find_by_id(json_object_get(fws, "frameworks"), k.fw_id, "framework", fw_id_of)
		: NULL;
	if (!f)
		goto out;
	if (json_is_true(json_object_get(f, "connected")) && !force) {
		p_err("task '%s' belongs to framework %s ('%s'), which is connected: only it may kill "
		      "the task (the master has no operator call to kill a task); stop it through "
		      "that framework (Ctrl-C ends a 'drover task run'), or take it over with --force",
		      k.task_id, k.fw_id,
		      json_string_value(json_object_get(json_object_get(f, "framework_info"), "name")));
		goto out;
	}
	info = json_deep_copy(json_object_get(f, "framework_info"));
	sub = json_pack("{s:s,s:{s:o},s:o}", "type", "SUBSCRIBE", "subscribe", "framework_info", info,
			"framework_id", wire_id(k.fw_id));
	s = json_dumps(sub, JSON_COMPACT);
	json_decref(sub);
	api_url(master_url, "/api/v1/scheduler", k.url, sizeof(k.url));
	if (!s || loop_new(&k.loop) < 0 || http_client_new(k.loop, &k.http) < 0 ||
	    api_client_setup(k.http) < 0 ||
	    subscription_new(k.http, &scheduler_session, &k, &k.sub) < 0 ||
	    subscription_open(k.sub, k.url, s, strlen(s)) < 0) {
		free(s);
		p_err("cannot set up the event loop");
		goto out_loop;
	}
	k.timer = loop_timer_add(k.loop, (int64_t)((30 + (k.grace_s > 0 ? k.grace_s : 0)) * 1e9),
				 0, on_timeout, &k);
	free(s);
	loop_run(k.loop);
	if (k.timed_out)
		p_err("no terminal update for task '%s' within the timeout", k.task_id);
	if (k.final && !k.failed) {
		const char *state = json_string_value(json_object_get(k.final, "state"));
		if (json_output)
			json_print(json_pack("{s:s,s:s,s:O}", "task_id", k.task_id, "state", state,
					     "status", k.final));
		else
			printf("task %s: %s\n", k.task_id, state);
		rc = EXIT_OK;
	}
out_loop:
	if (k.timer)
		loop_timer_del(k.loop, k.timer);
	subscription_free(k.sub);
	http_client_free(k.http);
	if (k.loop)
		loop_free(k.loop);
	json_decref(k.final);
out:
	json_decref(fws);
	json_decref(tasks);
	return rc;
}
