// SPDX-License-Identifier: Apache-2.0
/*
 * The at-least-once status update queue of each task: a new status is queued and
 * checkpointed, sent to the master one at a time, re-sent with backoff until the master
 * acknowledges it on the stream, and only then dropped (Mesos's status update manager).
 */
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "log.h"
#include "status_uuid.h"

/* ------------------------------------------------------------------ checkpoints */

/* Checkpoint t's queue as it is now (logged on failure: the queue in memory still goes). */
static void save_updates(struct agent_task *t)
{
	json_t *arr = json_array();
	int r;

	for (struct agent_update *u = t->updates; u; u = u->next)
		json_array_append(arr, u->status);
	r = agent_checkpoint_updates_save(&t->agent->ckpt, t->fw_name, t->name, arr);
	if (r < 0)
		log_error_errno(r, "cannot checkpoint the updates of task '%s': %m", t->id);
	json_decref(arr);
}

/* ------------------------------------------------------------------ status updates */

/* The retry timer: send the head of the queue again. */
static void on_retry(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent_task *t = data;

	loop_timer_del(l, timer);
	t->retry_timer = NULL;
	agent_update_send_next(t);
}

/* Send again later: backoff from 0.5 s, doubled each time, at most 10 s. */
static void schedule_retry(struct agent_task *t)
{
	t->backoff_ns = t->backoff_ns ? t->backoff_ns * 2 : 500000000;
	if (t->backoff_ns > 10000000000LL)
		t->backoff_ns = 10000000000LL;
	if (!t->retry_timer)
		t->retry_timer = loop_timer_add(t->agent->loop, t->backoff_ns, 0, on_retry, t);
}

/* The master's answer to a STATUS_UPDATE POST (the acknowledgement comes on the stream). */
static void on_update_sent(long status, const char *body, size_t len, const char *err, void *data)
{
	struct agent_task *t = data;

	t->update_call = NULL;
	t->update_in_flight = false;
	if (status != 202) {
		log_warn("status update for task '%s' not accepted (%ld %s); retrying", t->id, status,
			 err ? err : body);
		schedule_retry(t);
		return;
	}
	/* accepted; the acknowledgement comes on the stream. Re-send if it does not. */
	t->backoff_ns = 5000000000LL / 2;
	schedule_retry(t);
}

/* Send the head of t's queue, unless one is in flight or the agent is not subscribed. */
void agent_update_send_next(struct agent_task *t)
{
	struct agent *a = t->agent;
	json_t *body;

	if (!t->updates || t->update_in_flight || !a->subscribed)
		return;
	/*
	 * One POST per task at a time: one still held is from before a resubscription (a
	 * partition holds it until its time-out). It goes, or its callback, which holds the task,
	 * would outlive the task once the acknowledgement frees it.
	 */
	if (t->update_call) {
		http_call_cancel(a->http, t->update_call);
		t->update_call = NULL;
	}
	/* an update queued before the agent knew its ID carries an empty agent_id */
	json_object_set_new(t->updates->status, "agent_id", wire_id(a->agent_id));
	body = json_pack("{s:s,s:{s:o,s:O,s:s}}", "type", "STATUS_UPDATE", "status_update",
			 "framework_id", wire_id(t->fw_id), "status", t->updates->status,
			 "latest_state", task_state_name(t->state));
	t->update_in_flight = true;
	agent_master_post(a, body, on_update_sent, t, &t->update_call);
	if (!t->update_call) {
		t->update_in_flight = false;
		schedule_retry(t);
	}
}

/* t's Task.statuses gets status (a copy): the last one replaced if of the same state. */
static void statuses_add(struct agent_task *t, json_t *status)
{
	size_t n;
	json_t *last;

	if (!t->statuses)
		t->statuses = json_array();
	n = json_array_size(t->statuses);
	last = n ? json_array_get(t->statuses, n - 1) : NULL;
	if (last && json_equal(json_object_get(last, "state"), json_object_get(status, "state")))
		json_array_remove(t->statuses, n - 1);
	json_array_append_new(t->statuses, json_deep_copy(status));
}

/* Append status (owned) to t's queue, unsaved and unsent. */
void agent_update_queue(struct agent_task *t, json_t *status, const char *uuid)
{
	struct agent_update *u = calloc(1, sizeof(*u));

	if (!u) {
		json_decref(status);
		return;
	}
	u->status = status;
	snprintf(u->uuid, sizeof(u->uuid), "%s", uuid);
	statuses_add(t, status);
	if (t->updates_tail)
		t->updates_tail->next = u;
	else
		t->updates = u;
	t->updates_tail = u;
}

/*
 * A health update (TASK_RUNNING with `healthy`) waiting behind the head of t's queue is
 * replaced by a newer one, not followed by it: a framework that does not acknowledge (away,
 * or slow) gets the latest health when it comes back, and a task failing its checks every
 * 0.1 s cannot grow the queue and its checkpoint without bound. The head, which may be in
 * flight, is never touched.
 */
static void drop_waiting_health(struct agent_task *t)
{
	struct agent_update *prev = t->updates, *last = t->updates_tail;

	if (!prev || prev == last || !json_is_boolean(json_object_get(last->status, "healthy")) ||
	    !streq(json_string_value(json_object_get(last->status, "state")), "TASK_RUNNING"))
		return;
	while (prev->next != last)
		prev = prev->next;
	prev->next = NULL;
	t->updates_tail = prev;
	json_decref(last->status);
	free(last);
}

/* Queue a new status for t: STARTING, RUNNING, or terminal with its accounting. */
static void task_status(struct agent_task *t, enum task_state s, int healthy, const char *reason,
			const char *message, json_t *ext)
{
	struct agent *a = t->agent;
	char uuid[STATUS_UUID_LEN];
	json_t *st;

	t->state = s;
	status_uuid_random(uuid);
	st = json_pack("{s:o,s:s,s:s,s:s,s:f,s:o}", "task_id", wire_id(t->id), "state",
		       task_state_name(s), "source", "SOURCE_EXECUTOR", "uuid", uuid, "timestamp",
		       (double)now_real_ns() / 1e9, "agent_id", wire_id(a->agent_id));
	if (healthy >= 0)
		json_object_set_new(st, "healthy", json_boolean(healthy));
	if (reason)
		json_object_set_new(st, "reason", json_string(reason));
	if (message)
		json_object_set_new(st, "message", json_string(message));
	if (!ext)
		ext = json_object();
	if (t->sandbox[0])
		json_object_set_new(ext, "sandbox", json_string(t->sandbox));
	json_object_set_new(st, "drover", ext);
	if (healthy >= 0 && s == TASK_RUNNING)
		drop_waiting_health(t);
	agent_update_queue(t, st, uuid);
	save_updates(t);
	log_info("task '%s' of framework %s: %s%s%s", t->id, t->fw_id, task_state_name(s),
		 message ? ": " : "", message ? message : "");
	agent_update_send_next(t);
}

void agent_task_status(struct agent_task *t, enum task_state s, const char *reason,
		       const char *message, json_t *ext)
{
	task_status(t, s, -1, reason, message, ext);
}

void agent_task_status_healthy(struct agent_task *t, enum task_state s, bool healthy,
			       const char *reason, const char *message, json_t *ext)
{
	task_status(t, s, healthy, reason, message, ext);
}

/* A status an executor gave for t, with its own uuid (executor_api.c). */
void agent_task_status_forward(struct agent_task *t, enum task_state s, json_t *status,
			       const char *uuid)
{
	t->state = s;
	agent_update_queue(t, status, uuid);
	save_updates(t);
	log_info("task '%s' of framework %s: %s (from its executor)", t->id, t->fw_id,
		 task_state_name(s));
	agent_update_send_next(t);
}

/* An ACKNOWLEDGE of t's oldest update: drop it, send the next, or forget t. */
void agent_on_acknowledge(struct agent *a, json_t *ack)
{
	char err[WIRE_ERR_LEN], key[2 * ID_MAX_LEN + 2];
	const char *fid = wire_get_id(ack, "framework_id", err, sizeof(err));
	const char *tid = wire_get_id(ack, "task_id", err, sizeof(err));
	const char *uuid = json_string_value(json_object_get(ack, "uuid"));
	char want[STATUS_UUID_LEN], got[STATUS_UUID_LEN];
	struct agent_task *t;
	struct agent_update *u;

	if (!fid || !tid || status_uuid_canon(uuid, got) < 0)
		return;
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	t = strmap_get(&a->tasks, key);
	/* the bytes compared (an update checkpointed by an older agent has the text form) */
	if (!t || !t->updates || status_uuid_canon(t->updates->uuid, want) < 0 ||
	    strcmp(want, got) != 0)
		return;
	/* the acknowledgement can overtake the 202 of the POST that carried the update */
	if (t->update_call) {
		http_call_cancel(a->http, t->update_call);
		t->update_call = NULL;
	}
	t->update_in_flight = false;
	u = t->updates;
	t->updates = u->next;
	if (!t->updates)
		t->updates_tail = NULL;
	json_decref(u->status);
	free(u);
	save_updates(t);
	if (t->exec) /* its executor hears of it: ACKNOWLEDGED (executor_api.c) */
		agent_executor_acknowledged(t, uuid);
	t->backoff_ns = 0;
	if (t->retry_timer) {
		loop_timer_del(a->loop, t->retry_timer);
		t->retry_timer = NULL;
	}
	if (t->updates)
		agent_update_send_next(t);
	else
		agent_task_maybe_forget(t);
}

/* Drop t's queue, its POST in flight and its retry timer (t is being freed). */
void agent_updates_free(struct agent_task *t)
{
	struct agent *a = t->agent;

	while (t->updates) {
		struct agent_update *u = t->updates;
		t->updates = u->next;
		json_decref(u->status);
		free(u);
	}
	if (t->update_call)
		http_call_cancel(a->http, t->update_call);
	loop_timer_del(a->loop, t->retry_timer);
}
