// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "http_client.h"
#include "subscription.h"
#include "util.h"

#define TYPE_MAX 64 /* longer event types name no payload member */

struct subscription {
	struct http_client *http;
	const struct subscription_ops *ops;
	void *data;
	struct http_call *call; /* the open stream, or NULL */
	char stream_id[128];
	unsigned long malformed;
	size_t record_len; /* of the record being delivered */
	enum codec codec; /* of the stream and of the SUBSCRIBE call */
	const ProtobufCMessageDescriptor *call_desc, *event_desc;
};

int subscription_new(struct http_client *http, const struct subscription_ops *ops, void *data,
		     struct subscription **ret)
{
	struct subscription *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->http = http;
	s->ops = ops;
	s->data = data;
	*ret = s;
	return 0;
}

void subscription_free(struct subscription *s)
{
	if (!s)
		return;
	subscription_close(s);
	free(s);
}

bool subscription_is_open(const struct subscription *s)
{
	return s->call != NULL;
}

const char *subscription_stream_id(const struct subscription *s)
{
	return s ? s->stream_id : "";
}

unsigned long subscription_malformed_count(const struct subscription *s)
{
	return s->malformed;
}

size_t subscription_record_len(const struct subscription *s)
{
	return s->record_len;
}

void subscription_close(struct subscription *s)
{
	if (s && s->call)
		http_call_cancel(s->http, TAKE_PTR(s->call));
}

/* The JSON codec (the protobuf one: subscription_set_codec). */
int subscription_decode(const char *rec, size_t len, json_t **ret_event, char *why,
			size_t whylen)
{
	json_error_t e;
	json_t *ev = json_loadb(rec, len, 0, &e);

	if (!ev) {
		snprintf(why, whylen, "not JSON: %s (at byte %d)", e.text, e.position);
		return -EBADMSG;
	}
	if (!json_is_object(ev) || !json_is_string(json_object_get(ev, "type"))) {
		snprintf(why, whylen, "not an event: %s",
			 json_is_object(ev) ? "no string \"type\"" : "not a JSON object");
		json_decref(ev);
		return -EBADMSG;
	}
	*ret_event = ev;
	return 0;
}

/* Mesos names an event's payload member after its type: "OFFERS" -> "offers". */
static json_t *payload_of(json_t *ev, const char *type)
{
	char member[TYPE_MAX + 1];
	size_t i;

	for (i = 0; type[i]; i++) {
		if (i == TYPE_MAX)
			return NULL;
		member[i] = type[i] >= 'A' && type[i] <= 'Z' ? (char)(type[i] - 'A' + 'a') : type[i];
	}
	member[i] = '\0';
	return json_object_get(ev, member);
}

int subscription_set_codec(struct subscription *s, enum codec c,
			   const ProtobufCMessageDescriptor *call,
			   const ProtobufCMessageDescriptor *event)
{
	if (c == CODEC_PROTOBUF && (!call || !event))
		return -EINVAL;
	s->codec = c;
	s->call_desc = call;
	s->event_desc = event;
	return 0;
}

/* A protobuf record: the schema's event, as Mesos's JSON, with a "type". */
static int decode_protobuf(struct subscription *s, const char *rec, size_t len, json_t **ret,
			   char *why, size_t whylen)
{
	char err[CODEC_ERR_LEN];
	json_t *ev = NULL;

	if (codec_decode(CODEC_PROTOBUF, s->event_desc, rec, len, &ev, err, sizeof(err)) != 0) {
		snprintf(why, whylen, "%s", err);
		return -EBADMSG;
	}
	if (!json_is_string(json_object_get(ev, "type"))) {
		snprintf(why, whylen, "not an event: no type this client knows");
		json_decref(ev);
		return -EBADMSG;
	}
	*ret = ev;
	return 0;
}

int subscription_deliver(struct subscription *s, const char *rec, size_t len)
{
	char why[CODEC_ERR_LEN];
	const char *type;
	json_t *ev;
	int r = s->codec == CODEC_PROTOBUF ? decode_protobuf(s, rec, len, &ev, why, sizeof(why))
					   : subscription_decode(rec, len, &ev, why, sizeof(why));

	if (r < 0) {
		s->malformed++;
		if (s->ops->malformed)
			s->ops->malformed(why, s->data);
		return -EBADMSG;
	}
	type = json_string_value(json_object_get(ev, "type"));
	s->record_len = len;
	for (size_t i = 0; i < SUBSCRIPTION_MAX_HANDLERS && s->ops->handlers[i].type; i++) {
		if (streq(s->ops->handlers[i].type, type)) {
			s->ops->handlers[i].fn(payload_of(ev, type), s->data);
			break;
		}
	}
	json_decref(ev);
	return 0;
}

static void on_open(long status, const char *stream_id, void *data)
{
	struct subscription *s = data;

	if (status == 200 && stream_id)
		snprintf(s->stream_id, sizeof(s->stream_id), "%s", stream_id);
}

static void on_record(const char *rec, size_t len, void *data)
{
	subscription_deliver(data, rec, len);
}

static void on_done(long status, const char *body, size_t len, const char *err, void *data)
{
	struct subscription *s = data;
	struct subscription_end end = {.status = status};

	if (status == 200 && http_call_stream_error(s->call) < 0)
		end.reason = SUBSCRIPTION_MALFORMED;
	else if (status && status != 200)
		end.reason = SUBSCRIPTION_REFUSED;
	else if (!status || err)
		end.reason = SUBSCRIPTION_FAILED;
	else
		end.reason = SUBSCRIPTION_CLOSED;
	if (end.reason == SUBSCRIPTION_REFUSED || !err) {
		end.message = body ? body : "";
		end.message_len = body ? len : 0;
	} else {
		end.message = err;
		end.message_len = strlen(err);
	}
	s->call = NULL; /* the client frees it after this callback: ended may reopen */
	if (s->ops->ended)
		s->ops->ended(&end, s->data);
}

int subscription_open(struct subscription *s, const char *url, const char *body, size_t len)
{
	static const char *const accept_pb[] = {"Accept: " CODEC_PROTOBUF_TYPE, NULL};
	char err[CODEC_ERR_LEN];
	json_t *j;
	char *pb = NULL;
	size_t n = 0;

	if (s->call)
		return -EBUSY;
	if (s->codec == CODEC_PROTOBUF) {
		/* the call in protobuf, the stream asked for in protobuf */
		j = json_loadb(body, len, 0, NULL);
		if (!j || codec_encode(CODEC_PROTOBUF, s->call_desc, j, &pb, &n, err,
				       sizeof(err)) < 0) {
			json_decref(j);
			return -EINVAL;
		}
		json_decref(j);
		s->call = http_post_stream(s->http, url, CODEC_PROTOBUF_TYPE, pb, n, accept_pb,
					   on_open, on_record, on_done, s);
		free(pb);
		return s->call ? 0 : -ENOMEM;
	}
	s->call = http_post_stream(s->http, url, "application/json", body, len, NULL, on_open,
				   on_record, on_done, s);
	return s->call ? 0 : -ENOMEM;
}

const char *subscription_end_reason_name(enum subscription_end_reason r)
{
	static const char *const names[_SUBSCRIPTION_END_MAX] = {
		[SUBSCRIPTION_CLOSED] = "closed",
		[SUBSCRIPTION_REFUSED] = "refused",
		[SUBSCRIPTION_FAILED] = "failed",
		[SUBSCRIPTION_MALFORMED] = "malformed",
	};

	return r >= 0 && r < _SUBSCRIPTION_END_MAX ? names[r] : "unknown";
}

const char *subscription_end_describe(const struct subscription_end *end, char *buf,
				      size_t len)
{
	int n = end->message_len > 200 ? 200 : (int)end->message_len;

	switch (end->reason) {
	case SUBSCRIPTION_CLOSED:
		snprintf(buf, len, "the stream was closed");
		break;
	case SUBSCRIPTION_REFUSED:
		snprintf(buf, len, "status %ld: %.*s", end->status, n, end->message);
		break;
	default:
		snprintf(buf, len, "%.*s", n, end->message);
		break;
	}
	return buf;
}
