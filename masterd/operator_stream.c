// SPDX-License-Identifier: Apache-2.0
/*
 * The operator event stream (POST /api/v1 SUBSCRIBE), owner thread: SUBSCRIBED with the
 * state the subscriber may view, then TASK_ADDED, TASK_UPDATED, FRAMEWORK_ADDED/UPDATED/
 * REMOVED and AGENT_ADDED as the master changes, and HEARTBEAT every 15 s; RecordIO, one
 * event per record. Events about a framework or its tasks go only to subscribers that may
 * view_roles its role. State changes leave through the outbox (after the registry writes
 * behind them are durable, in order with the frameworks' updates); a subscriber that does
 * not read is cut at --max-stream-queue by lib/http_server, and at most
 * --max-operator-subscribers are held: a new one closes the oldest (as Mesos does).
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "master.h"
#include "mesos/v1/master/master.pb-c.h"
#include "operator.h"

struct operator_sub {
	struct operator_sub *next;
	struct http_stream *stream; /* the owner's reference */
	char *principal; /* who subscribed (NULL: unauthenticated) */
};

/* Every event leaves through here: the one place its encoding is chosen. */
static void sub_send(struct master *m, struct operator_sub *s, json_t *ev, bool durable_first)
{
	if (durable_first)
		master_outbox_send(m, s->stream, ev);
	else
		master_stream_send_event(s->stream, ev);
}

static void sub_free(struct master *m, struct operator_sub *s)
{
	master_stream_retire(m, s->stream);
	free(s->principal);
	free(s);
}

/* Take s out of the list (it is in it) and free it. */
static void sub_remove(struct master *m, struct operator_sub *s)
{
	struct operator_sub **p;

	for (p = &m->op_subs; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			m->op_nsubs--;
			sub_free(m, s);
			return;
		}
	}
}

size_t master_operator_subscribers(const struct master *m)
{
	return m->op_nsubs;
}

void master_operator_stream_closed(struct master *m, struct http_stream *stream)
{
	struct operator_sub *s;

	for (s = m->op_subs; s; s = s->next) {
		if (s->stream == stream) {
			log_info("operator subscriber '%s' disconnected",
				 s->principal ? s->principal : "(unauthenticated)");
			sub_remove(m, s);
			return;
		}
	}
}

void master_operator_streams_fini(struct master *m)
{
	struct operator_sub *s;

	while ((s = m->op_subs)) {
		m->op_subs = s->next;
		sub_free(m, s);
	}
	m->op_nsubs = 0;
}

static void on_heartbeat(struct loop *l, struct loop_timer *t, void *data)
{
	struct master *m = data;

	(void)l;
	(void)t;
	for (struct operator_sub *s = m->op_subs; s; s = s->next)
		sub_send(m, s, wire_event("HEARTBEAT", NULL, NULL), false);
}

struct closed_note {
	struct master *m;
};

/* Any thread: a subscriber's connection ended; the owner forgets it. */
static void on_closed(struct http_stream *stream, void *data)
{
	struct closed_note *n = data;
	struct msg *msg = calloc(1, sizeof(*msg));

	if (msg) {
		msg->kind = MSG_OPERATOR_STREAM_CLOSED;
		http_stream_ref(stream); /* the message's own */
		msg->stream = stream;
		master_enqueue(n->m, msg);
	}
	free(n);
}

void master_operator_subscribe(struct master *m, struct msg *msg)
{
	const char *hdrs[] = {"Cache-Control", "no-cache", NULL};
	struct closed_note *note = malloc(sizeof(*note));
	struct operator_sub *s = calloc(1, sizeof(*s)), **tail;
	int64_t beat = (int64_t)HEARTBEAT_INTERVAL_S * 1000000000;
	const struct codec_format *fmt;

	if (!note || !s || (msg->principal && !(s->principal = strdup(msg->principal)))) {
		free(note);
		if (s)
			free(s->principal);
		free(s);
		master_reply_error(m, msg->req, 503, "out of memory");
		return;
	}
	if (!m->op_heartbeat_timer) {
		m->op_heartbeat_timer = loop_timer_add(m->loop, beat, beat, on_heartbeat, m);
		if (!m->op_heartbeat_timer) {
			free(note);
			free(s->principal);
			free(s);
			master_reply_error(m, msg->req, 503, "cannot arm the heartbeat timer");
			return;
		}
	}
	/* over the cap the oldest goes (Mesos's --max_operator_event_stream_subscribers) */
	while (m->op_subs && m->flags->max_operator_subscribers > 0 &&
	       m->op_nsubs >= (size_t)m->flags->max_operator_subscribers) {
		log_warn("operator event stream: %zu subscribers (--max-operator-subscribers): "
			 "the oldest is disconnected",
			 m->op_nsubs);
		sub_remove(m, m->op_subs);
	}
	note->m = m;
	/* in the codec the subscriber's Accept asked for (JSON first, as Mesos) */
	fmt = codec_stream_format(msg->accept, &mesos__v1__master__event__descriptor);
	s->stream = http_reply_stream(msg->req, codec_content_type(fmt ? fmt->codec : CODEC_JSON),
				      hdrs, 4096, on_closed, note);
	if (s->stream && fmt)
		http_stream_set_tag(s->stream, fmt);
	master_count_status(m, s->stream ? 200 : 503);
	if (!s->stream) {
		free(note); /* the server answered 503 and will never call on_closed */
		free(s->principal);
		free(s);
		return;
	}
	for (tail = &m->op_subs; *tail; tail = &(*tail)->next)
		;
	*tail = s;
	m->op_nsubs++;
	log_info("operator subscriber '%s' subscribed (%zu now)",
		 s->principal ? s->principal : "(unauthenticated)", m->op_nsubs);
	sub_send(m, s,
		 wire_event("SUBSCRIBED", "subscribed",
			    json_pack("{s:o,s:f}", "get_state",
				      master_state_get_state(m, s->principal),
				      "heartbeat_interval_seconds", (double)HEARTBEAT_INTERVAL_S)),
		 false);
}

/* Send ev (taken) to every subscriber that may view fw (NULL: to all). */
static void broadcast(struct master *m, const struct framework *fw, json_t *ev)
{
	for (struct operator_sub *s = m->op_subs; s; s = s->next)
		if (!fw || master_may_view_framework(m, s->principal, fw))
			sub_send(m, s, json_incref(ev), true);
	json_decref(ev);
}

void master_operator_task_added(struct master *m, struct task *t)
{
	if (!m->op_subs)
		return;
	broadcast(m, t->fw,
		  wire_event("TASK_ADDED", "task_added",
			     json_pack("{s:o}", "task", master_task_to_json(t))));
}

/* A status about a check or a health check: sent even when the state did not change. */
static bool status_is_check(json_t *status)
{
	const char *reason = json_string_value(json_object_get(status, "reason"));

	return reason && (streq(reason, "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED") ||
			  streq(reason, "REASON_TASK_CHECK_STATUS_UPDATED"));
}

void master_operator_task_updated(struct master *m, struct task *t, enum task_state previous)
{
	json_t *st;

	if (!m->op_subs)
		return;
	st = master_task_status(t);
	if (!st || (t->state == previous && !status_is_check(st)))
		return;
	broadcast(m, t->fw,
		  wire_event("TASK_UPDATED", "task_updated",
			     json_pack("{s:o,s:O,s:s}", "framework_id", wire_id(t->fw_id), "status",
				       st, "state", task_state_name(t->state))));
}

static void framework_event(struct master *m, const struct framework *fw, const char *type,
			    const char *key)
{
	if (!m->op_subs)
		return;
	broadcast(m, fw,
		  wire_event(type, key,
			     json_pack("{s:o}", "framework", master_state_framework(m, fw))));
}

void master_operator_framework_added(struct master *m, const struct framework *fw)
{
	framework_event(m, fw, "FRAMEWORK_ADDED", "framework_added");
}

void master_operator_framework_updated(struct master *m, const struct framework *fw)
{
	framework_event(m, fw, "FRAMEWORK_UPDATED", "framework_updated");
}

void master_operator_framework_removed(struct master *m, const struct framework *fw)
{
	if (!m->op_subs)
		return;
	broadcast(m, fw,
		  wire_event("FRAMEWORK_REMOVED", "framework_removed",
			     json_pack("{s:o}", "framework_info",
				       master_framework_info_view(fw->info))));
}

void master_operator_agent_added(struct master *m, const struct agent *a)
{
	if (!m->op_subs)
		return;
	broadcast(m, NULL,
		  wire_event("AGENT_ADDED", "agent_added",
			     json_pack("{s:o}", "agent", master_state_agent(m, a))));
}

void master_operator_agent_removed(struct master *m, const char *agent_id)
{
	if (!m->op_subs)
		return;
	broadcast(m, NULL,
		  wire_event("AGENT_REMOVED", "agent_removed",
			     json_pack("{s:o}", "agent_id", wire_id(agent_id))));
}
