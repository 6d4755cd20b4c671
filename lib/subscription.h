/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client side of a Mesos event stream (the scheduler's and the agent's SUBSCRIBE): one
 * POST whose answer is a RecordIO stream of events. It opens the stream on an http_client,
 * keeps the Mesos-Stream-Id the calls beside it must carry, decodes each record into an
 * event (JSON: subscription_decode(); protobuf through lib/codec: subscription_set_codec),
 * hands the event's payload to the handler its type names in the caller's table, reports
 * a record it cannot decode to the caller (once, and goes on), and says why the stream
 * ended. Library code: it never logs; the caller does, once, from its callbacks.
 *
 * Everything runs on the loop thread of the http_client.
 */
#ifndef DROVER_SUBSCRIPTION_H
#define DROVER_SUBSCRIPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "codec.h"

struct http_client;
struct subscription;

/*
 * The handler of one event type. It gets the event's payload, the member named as the type
 * in lower case ({"type": "LAUNCH", "launch": {...}}), or NULL when the event has none.
 */
typedef void (*subscription_event_fn)(json_t *payload, void *data);

struct subscription_handler {
	const char *type;
	subscription_event_fn fn;
};

#define SUBSCRIPTION_MAX_HANDLERS 24 /* the scheduler API has 11 event types */

enum subscription_end_reason {
	SUBSCRIPTION_CLOSED,    /* the 200 stream ended cleanly: the server closed it */
	SUBSCRIPTION_REFUSED,   /* the answer was not 200 (message: its body) */
	SUBSCRIPTION_FAILED,    /* no answer or the connection broke (message: why) */
	SUBSCRIPTION_MALFORMED, /* the RecordIO framing broke: the stream was cut there */
	_SUBSCRIPTION_END_MAX,
};

struct subscription_end {
	enum subscription_end_reason reason;
	long status;         /* the HTTP status; 0 when none came */
	const char *message; /* never NULL; valid during the callback only */
	size_t message_len;
};

struct subscription_ops {
	/* A record that is no event (not a JSON object with a string "type"); optional. */
	void (*malformed)(const char *why, void *data);
	/* The stream ended (not after subscription_close()); the subscription may be reopened. */
	void (*ended)(const struct subscription_end *end, void *data);
	/*
	 * One row per event type: {{"SUBSCRIBED", on_subscribed}, ...}; the rows after the last
	 * are zero. Events of a type the table lacks are ignored (a newer master may send more).
	 */
	struct subscription_handler handlers[SUBSCRIPTION_MAX_HANDLERS];
};

/*
 * Speak codec c on this subscription (before subscription_open): the SUBSCRIBE body given
 * as JSON is sent as a call message (protobuf: Content-Type and Accept
 * application/x-protobuf), and each record is read as an event message into Mesos's JSON
 * (lib/codec.h), so handlers see the same payloads either way. JSON by default. -EINVAL:
 * protobuf without both message types.
 */
int subscription_set_codec(struct subscription *s, enum codec c,
			   const ProtobufCMessageDescriptor *call,
			   const ProtobufCMessageDescriptor *event);
/* ops is not copied: it must outlive the subscription (a static table). */
int subscription_new(struct http_client *http, const struct subscription_ops *ops, void *data,
		     struct subscription **ret);
/* Closes the stream; before http_client_free() of its client. Accepts NULL. */
void subscription_free(struct subscription *s);

/*
 * POST body (a SUBSCRIBE call, JSON) to url and read the events it answers with. Returns 0,
 * -EBUSY when a stream is open already, or -ENOMEM when the call cannot start (no callback
 * runs then).
 */
int subscription_open(struct subscription *s, const char *url, const char *body, size_t len);
/* End the stream now, without running ended. Safe from inside a handler; accepts NULL. */
void subscription_close(struct subscription *s);
bool subscription_is_open(const struct subscription *s);
/*
 * The Mesos-Stream-Id of the last stream that opened with 200 and named one ("" before):
 * calls on that stream's behalf carry it. It stays after the stream ends. NULL: "".
 */
const char *subscription_stream_id(const struct subscription *s);
/* Records that were no event, over the subscription's life. */
unsigned long subscription_malformed_count(const struct subscription *s);
/* Inside a handler: the bytes of the record (RecordIO payload) it was decoded from. */
size_t subscription_record_len(const struct subscription *s);

/*
 * What the stream does with each record: decode, then dispatch by type (or report it as
 * malformed). Returns 0, or -EBADMSG when the record was malformed. Tests and fuzzers feed
 * records here without a network.
 */
int subscription_deliver(struct subscription *s, const char *rec, size_t len);
/*
 * The codec: one record into an event object with a string "type". Returns 0 with
 * *ret_event (a new reference), or -EBADMSG with why (NUL-terminated) filled in.
 */
int subscription_decode(const char *rec, size_t len, json_t **ret_event, char *why,
			size_t whylen);

/* "closed", "refused", "failed", "malformed". */
const char *subscription_end_reason_name(enum subscription_end_reason r);
/*
 * One line for a log: "status 403: <body>" (at most 200 bytes of it), "<transport error>",
 * "closed by the master"... Returns buf.
 */
const char *subscription_end_describe(const struct subscription_end *end, char *buf,
				      size_t len);

#endif
