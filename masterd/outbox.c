// SPDX-License-Identifier: Apache-2.0
/*
 * The outbox: what a framework or an agent must not see before the registry writes behind it
 * are durable. A framework that was sent an update acknowledges it, and an agent that was
 * sent an acknowledgement stops retrying the update; if either left the master and the
 * master then died with the write still in flight, a restarted master or a new leader would
 * send the update again (same uuid: a duplicate), or never learn it (lost). So framework
 * UPDATE events, agent ACKNOWLEDGE events and the answer to a framework's ACKNOWLEDGE call
 * wait here, in order, for the registry generation of the loop iteration that made them
 * (master_commit tags them with it when it hands the iteration's writes over, and releases
 * every item whose generation is durable, then and whenever the writer says so).
 *
 * With ZooKeeper the commit is synchronous: items leave at the end of their iteration. With
 * SQLite they leave when the writer thread's fsync returns; the owner does not wait for it.
 * A master that stops leading, or whose registry fails, drops what is held: a new leader
 * sends again what its registry says is unacknowledged, and requests not answered get the
 * server's 503 when it stops.
 */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "master.h"
#include "registry.h"

struct outbox_item {
	struct outbox_item *next;
	uint64_t gen;                /* the registry generation it waits for */
	struct http_stream *stream;  /* an event for this stream (a reference), */
	json_t *event;
	struct http_request *req;    /* or an empty answer to this request */
	unsigned status;
	char ack_uuid[UUID_STR_LEN]; /* the answer to an ACKNOWLEDGE of this update, logged */
};

static void hold(struct master *m, struct outbox_item *it)
{
	struct outbox *o = &m->outbox;

	if (o->tail)
		o->tail->next = it;
	else
		o->head = it;
	o->tail = it;
	if (!o->untagged)
		o->untagged = it;
	o->held++;
}

void master_outbox_send(struct master *m, struct http_stream *s, json_t *ev)
{
	struct outbox_item *it = s ? calloc(1, sizeof(*it)) : NULL;

	if (!it) {
		/* no stream: nothing to send; no memory: the receiver's retry covers it */
		json_decref(ev);
		return;
	}
	http_stream_ref(s);
	it->stream = s;
	it->event = ev;
	hold(m, it);
}

void master_outbox_reply(struct master *m, struct http_request *req, unsigned status,
			 const char *ack_uuid)
{
	struct outbox_item *it = calloc(1, sizeof(*it));

	if (!it) {
		master_reply_error(m, req, 503, "out of memory");
		return;
	}
	it->req = req;
	it->status = status;
	if (ack_uuid)
		snprintf(it->ack_uuid, sizeof(it->ack_uuid), "%s", ack_uuid);
	hold(m, it);
}

static void item_free(struct outbox_item *it)
{
	if (it->stream)
		http_stream_unref(it->stream);
	json_decref(it->event);
	free(it);
}

void master_outbox_release(struct master *m, uint64_t submitted, uint64_t durable)
{
	struct outbox *o = &m->outbox;
	struct outbox_item *it;

	for (it = o->untagged; it; it = it->next)
		it->gen = submitted;
	o->untagged = NULL;
	while ((it = o->head) && it->gen <= durable) {
		o->head = it->next;
		if (!o->head)
			o->tail = NULL;
		o->held--;
		if (it->req && it->ack_uuid[0])
			/* before the answer: no line, no answer (tests/integration/test_ha.sh) */
			log_debug("acknowledgement of update %s answered %u", it->ack_uuid,
				  it->status);
		if (it->req)
			master_reply_error(m, it->req, it->status, "%s", "");
		else
			master_stream_send_event(it->stream, json_incref(it->event));
		item_free(it);
	}
}

void master_outbox_drop(struct master *m)
{
	struct outbox *o = &m->outbox;
	struct outbox_item *it;

	while ((it = o->head)) {
		o->head = it->next;
		item_free(it); /* a request left unanswered: the server answers it when it stops */
	}
	o->tail = o->untagged = NULL;
	o->held = 0;
}
