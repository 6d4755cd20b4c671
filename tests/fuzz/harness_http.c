// SPDX-License-Identifier: Apache-2.0
/*
 * The transport of lib/http_server.h in memory, for fuzz targets that drive the master's
 * real request handling (masterd/http.c and the owner's calls) without sockets. It is a
 * test harness, linked only into build-fuzz/ binaries, and it checks what a client would
 * see: every request is answered exactly once and never with a 5xx; every stream chunk is
 * exactly one RecordIO record of compact JSON without a newline, an object with a "type";
 * nothing is sent on a stream after it ended.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "codec.h"
#include "harness_http.h"
#include "pbjson.h"

struct http_server {
	http_handler_fn handler;
	void *data;
	struct http_stream *streams; /* open or ended, not yet closed */
};

struct http_stream {
	int refs;
	bool ended, closed;
	bool agent; /* opened on /api/v1/agent */
	bool op; /* an operator subscriber's (/api/v1) */
	http_stream_closed_fn on_closed;
	void *closed_data;
	struct http_stream *next;
	char stream_id[64];
	const void *tag;
};

static struct harness_state st;

struct harness_state *harness_state(void)
{
	return &st;
}

int http_server_start(const struct http_server_config *cfg, struct http_server **ret)
{
	struct http_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return -ENOMEM;
	srv->handler = cfg->handler;
	srv->data = cfg->handler_data;
	st.srv = srv;
	*ret = srv;
	return 0;
}

/* Like the real server: a stream's connection ends, closed() is called, its ref dropped. */
static void stream_close(struct http_stream *s)
{
	if (s->closed)
		return;
	s->closed = true;
	s->ended = true;
	if (s->on_closed)
		s->on_closed(s, s->closed_data);
}

void harness_close_ended(void)
{
	struct http_stream **pp = &st.srv->streams;

	while (*pp) {
		struct http_stream *s = *pp;
		if (s->ended) {
			*pp = s->next;
			stream_close(s);
			http_stream_unref(s);
		} else {
			pp = &s->next;
		}
	}
}

void harness_drop_stream(bool agent)
{
	struct http_stream **pp = &st.srv->streams;

	while (*pp) {
		struct http_stream *s = *pp;
		if (s->agent == agent && !s->op) {
			*pp = s->next;
			stream_close(s);
			http_stream_unref(s);
			return;
		}
		pp = &s->next;
	}
}

void http_server_stop(struct http_server *srv)
{
	if (!srv)
		return;
	while (srv->streams) {
		struct http_stream *s = srv->streams;
		srv->streams = s->next;
		stream_close(s);
		http_stream_unref(s);
	}
	if (st.srv == srv)
		st.srv = NULL;
	free(srv);
}

uint16_t http_server_port(const struct http_server *srv)
{
	return 5050;
}

/* Nothing is parked here: every request is answered in the call that makes it. */
void http_server_stats(struct http_server *srv, struct http_server_stats *out)
{
	(void)srv;
	memset(out, 0, sizeof(*out));
}

const char *http_request_method(const struct http_request *req)
{
	return req->method;
}

const char *http_request_path(const struct http_request *req)
{
	return req->path;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
	if (strcasecmp(name, "Mesos-Stream-Id") == 0)
		return req->stream_id;
	if (strcasecmp(name, "Content-Type") == 0)
		return req->content_type;
	if (strcasecmp(name, "Accept") == 0)
		return req->accept;
	return NULL;
}

/* Credentials as the request carries them (fuzz_master's carry none). */
int http_request_basic_auth(const struct http_request *req, char **ret_user, char **ret_password)
{
	char *u, *p;

	if (!req->basic_user)
		return -ENOENT;
	u = strdup(req->basic_user);
	p = strdup(req->basic_password ? req->basic_password : "");
	if (!u || !p)
		abort();
	*ret_user = u;
	*ret_password = p;
	return 0;
}

const char *http_request_bearer(const struct http_request *req)
{
	return req->bearer && *req->bearer ? req->bearer : NULL;
}

const char *http_request_body(const struct http_request *req, size_t *ret_len)
{
	*ret_len = req->len;
	return req->body;
}

const char *http_request_peer(const struct http_request *req)
{
	return "127.0.0.1";
}

/* No socket: the agent's peer rule (api_peer.c) finds no local caller. */
int http_request_socket(const struct http_request *req)
{
	(void)req;
	return -1;
}

/* Requests carry no query. */
const char *http_request_query(const struct http_request *req, const char *key)
{
	return NULL;
}

void http_request_query_string(const struct http_request *req, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
}

static void answered(struct http_request *req, unsigned status)
{
	if (req->answered) {
		fprintf(stderr, "harness: request %s answered twice (%u, then %u)\n", req->path,
			req->status, status);
		abort();
	}
	if (status < 100 || status >= 500) {
		fprintf(stderr, "harness: request %s answered %u\n", req->path, status);
		abort();
	}
	req->answered = true;
	req->status = status;
	if (getenv("HARNESS_VERBOSE"))
		fprintf(stderr, "harness: %s %s -> %u\n", req->method, req->path, status);
}

void http_reply(struct http_request *req, unsigned status, const char *content_type,
		const char *body, size_t len, const char *const *extra_headers)
{
	answered(req, status);
	if (getenv("HARNESS_VERBOSE") && status >= 400)
		fprintf(stderr, "harness:   %.*s\n", (int)len, body);
	if (status >= 400 && status != 404 && status != 405 && len == 0) {
		fprintf(stderr, "harness: %u without a message\n", status);
		abort();
	}
}

void http_reply_error(struct http_request *req, unsigned status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_reply(req, status, "text/plain; charset=utf-8", msg, strlen(msg), NULL);
}

void http_reply_unauthorized(struct http_request *req, const char *realm, const char *message)
{
	http_reply(req, 401, "text/plain; charset=utf-8", message, strlen(message), NULL);
}

struct http_stream *http_reply_stream(struct http_request *req, const char *content_type,
				      const char *const *extra_headers, size_t block_size,
				      http_stream_closed_fn closed, void *closed_data)
{
	struct http_stream *s = calloc(1, sizeof(*s));

	if (!s)
		abort();
	answered(req, 200);
	s->refs = 2; /* the caller's and the connection's */
	s->on_closed = closed;
	s->closed_data = closed_data;
	s->agent = strcmp(req->path, "/api/v1/agent") == 0;
	for (size_t i = 0; extra_headers && extra_headers[i]; i += 2) {
		if (strcasecmp(extra_headers[i], "Mesos-Stream-Id") == 0)
			snprintf(s->stream_id, sizeof(s->stream_id), "%s", extra_headers[i + 1]);
	}
	/* an operator subscriber's stream has no ID and is neither the agent's nor the framework's */
	s->op = strcmp(req->path, "/api/v1") == 0;
	if (!s->op)
		snprintf(s->agent ? st.agent_stream_id : st.fw_stream_id, sizeof(st.fw_stream_id),
			 "%s", s->stream_id);
	s->next = st.srv->streams;
	st.srv->streams = s;
	return s;
}

static void note_id(char *dst, json_t *idobj)
{
	const char *v = json_string_value(json_object_get(idobj, "value"));

	if (v)
		snprintf(dst, HARNESS_ID_LEN, "%s", v);
}

/* Remember the IDs a client would take from the events it reads. */
static void note_event(struct http_stream *s, json_t *ev)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *o;
	size_t i;

	if (!type) {
		fprintf(stderr, "harness: an event without a type\n");
		abort();
	}
	if (strcmp(type, "SUBSCRIBED") == 0) {
		o = json_object_get(ev, "subscribed");
		note_id(s->agent ? st.agent_id : st.fw_id,
			json_object_get(o, s->agent ? "agent_id" : "framework_id"));
	} else if (strcmp(type, "OFFERS") == 0) {
		json_array_foreach(json_object_get(json_object_get(ev, "offers"), "offers"), i, o)
			note_id(st.offer_id, json_object_get(o, "id"));
	} else if (strcmp(type, "UPDATE") == 0) {
		const char *u = json_string_value(json_object_get(
			json_object_get(json_object_get(ev, "update"), "status"), "uuid"));
		if (u)
			snprintf(st.update_uuid, sizeof(st.update_uuid), "%s", u);
	}
	st.events++;
}

void http_stream_set_tag(struct http_stream *s, const void *tag)
{
	s->tag = tag;
}

const void *http_stream_tag(const struct http_stream *s)
{
	return s->tag;
}

int http_stream_send(struct http_stream *s, const char *data, size_t len)
{
	const struct codec_format *fmt = s->tag;
	bool pb = fmt && fmt->codec == CODEC_PROTOBUF;
	char *end;
	unsigned long n;
	json_t *ev;

	if (s->ended)
		return -EPIPE;
	n = strtoul(data, &end, 10);
	/* (JSON records hold no newline; protobuf bytes may) */
	if (end == data || *end != '\n' || (size_t)(end + 1 - data) + n != len ||
	    (!pb && memchr(end + 1, '\n', n))) {
		fprintf(stderr, "harness: a chunk that is not one RecordIO record: %.*s\n",
			(int)(len > 200 ? 200 : len), data);
		abort();
	}
	/* a protobuf stream's record must be its message type's bytes (lib/codec.h) */
	if (pb) {
		char err[PBJSON_ERR_LEN];
		if (pbjson_decode(fmt->desc, (const uint8_t *)end + 1, n, 0, &ev, err,
				  sizeof(err)) != 0) {
			fprintf(stderr, "harness: a protobuf record that is no %s: %s\n",
				fmt->desc->name, err);
			abort();
		}
	} else {
		ev = json_loadb(end + 1, n, 0, NULL);
	}
	if (!json_is_object(ev)) {
		fprintf(stderr, "harness: a record that is not a JSON object\n");
		abort();
	}
	note_event(s, ev);
	json_decref(ev);
	return 0;
}

void http_stream_end(struct http_stream *s)
{
	s->ended = true;
}

void http_stream_ref(struct http_stream *s)
{
	s->refs++;
}

void http_stream_unref(struct http_stream *s)
{
	if (s && --s->refs == 0)
		free(s);
}
