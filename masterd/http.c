// SPDX-License-Identifier: Apache-2.0
/*
 * What runs on the HTTP threads: route, parse the JSON body, check its envelope, and queue
 * it for the owner thread, which answers. Nothing here reads or writes the master's state,
 * but for agent heartbeats (liveness.c, a table of its own).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "leader.h"
#include "legacy.h"
#include "log.h"
#include "mesos/v1/master/master.pb-c.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "master.h"
#include "validate.h"

/* HTTP thread: hand the call to the owner thread (master_enqueue); takes body and principal. */
static void queue(struct master *m, struct http_request *req, enum msg_kind kind, json_t *body,
		  char *principal, enum codec codec, enum codec accept)
{
	struct msg *msg = calloc(1, sizeof(*msg));
	const char *sid = http_request_header(req, "Mesos-Stream-Id");

	if (!msg) {
		json_decref(body);
		free(principal);
		http_reply_error(req, 503, "out of memory");
		return;
	}
	msg->kind = kind;
	msg->req = req;
	msg->body = body;
	msg->stream_id = sid ? strdup(sid) : NULL;
	msg->principal = principal;
	msg->codec = codec;
	msg->accept = accept;
	master_enqueue(m, msg);
}

/* The schema of an endpoint's calls; NULL: Drover's agent protocol (JSON only). */
static const ProtobufCMessageDescriptor *call_desc(enum msg_kind kind)
{
	switch (kind) {
	case MSG_SCHEDULER:
		return &mesos__v1__scheduler__call__descriptor;
	case MSG_OPERATOR:
		return &mesos__v1__master__call__descriptor;
	default:
		return NULL;
	}
}

/*
 * HTTP thread: parse a call in either codec (lib/codec.h) into Mesos's JSON, an object
 * with a string "type" and bounded lists, and choose the answer's codec: for every
 * operator call, and for the scheduler calls that are answered with a body. Answers
 * 400/406/415 itself on failure.
 */
static json_t *parse_call(struct master *m, struct http_request *req, enum msg_kind kind,
			  enum codec *ret_codec, enum codec *ret_accept)
{
	char err[CODEC_ERR_LEN];
	const char *t;
	json_t *j, *type;
	int r;

	r = codec_read_request(req, call_desc(kind), ret_codec, &j, err, sizeof(err));
	if (r == -ENOMEM) {
		master_reply_error(m, req, 503, "out of memory");
		return NULL;
	}
	if (r != 0) {
		master_reply_error(m, req, (unsigned)r, "%s", err);
		return NULL;
	}
	type = json_object_get(j, "type");
	if (!type || !json_is_string(type)) {
		json_decref(j);
		/* (an enum name the schema does not know is dropped, as Mesos drops it) */
		master_reply_error(m, req, 400,
				   "Failed to validate call: 'type' must be a string naming a "
				   "known call type");
		return NULL;
	}
	/* what a call may make the master do (an UPDATE per RECONCILE entry...) is bounded */
	if (!master_call_lists_ok(j, (size_t)m->flags->max_call_list, err, sizeof(err))) {
		json_decref(j);
		master_reply_error(m, req, 400, "Failed to validate call: %s (--max-call-list)",
				   err);
		return NULL;
	}
	t = json_string_value(type);
	*ret_accept = CODEC_JSON;
	if (kind == MSG_OPERATOR ||
	    (kind == MSG_SCHEDULER &&
	     (streq(t, "SUBSCRIBE") || streq(t, "RECONCILE_OPERATIONS")))) {
		r = codec_negotiate(http_request_header(req, "Accept"), ret_accept, err,
				    sizeof(err));
		if (r != 0) {
			json_decref(j);
			master_reply_error(m, req, (unsigned)r, "%s", err);
			return NULL;
		}
	}
	return j;
}

/*
 * HTTP thread (libmicrohttpd's): redirect (follower), authenticate, route, parse, then
 * answer a heartbeat here (liveness.c) or queue the call for the owner thread.
 */
void master_http_handler(struct http_request *req, void *data)
{
	struct master *m = data;
	const char *path = http_request_path(req);
	const char *method = http_request_method(req);
	enum codec codec = CODEC_JSON, accept = CODEC_JSON;
	enum msg_kind kind;
	json_t *body;
	char *principal = NULL;

	if (strcmp(path, "/health") == 0) {
		master_reply_error(m, req, 200, "OK");
		return;
	}
	if (master_legacy_http(m, req)) /* /master/state, /master/redirect, ... (legacy.c) */
		return;
	/* every master answers /metrics itself (drover_master_elected says which leads); a
	 * follower sends every other call to the leader */
	if (strcmp(path, "/metrics") != 0 && master_leader_redirect(m, req))
		return;
	/* who is calling (security.c), before anything is parsed */
	if (!master_authenticate(m, req, &principal))
		return;
	if (strcmp(path, "/metrics") == 0) {
		if (strcmp(method, "GET") != 0) {
			free(principal);
			master_reply_error(m, req, 405, "Expecting 'GET', received '%s'", method);
			return;
		}
		queue(m, req, MSG_METRICS, NULL, principal, CODEC_JSON, CODEC_JSON);
		return;
	}
	if (strcmp(path, "/api/v1/scheduler") == 0)
		kind = MSG_SCHEDULER;
	else if (strcmp(path, "/api/v1/agent") == 0)
		kind = MSG_AGENT;
	else if (strcmp(path, "/api/v1") == 0)
		kind = MSG_OPERATOR;
	else {
		free(principal);
		master_reply_error(m, req, 404, "No endpoint '%s'", path);
		return;
	}
	if (strcmp(method, "POST") != 0) {
		free(principal);
		master_reply_error(m, req, 405, "Expecting 'POST', received '%s'", method);
		return;
	}
	body = parse_call(m, req, kind, &codec, &accept);
	if (body && kind == MSG_AGENT &&
	    streq(json_string_value(json_object_get(body, "type")), "HEARTBEAT") &&
	    master_liveness_heartbeat(m, body, http_request_header(req, "Mesos-Stream-Id"),
				      principal)) {
		/* a subscribed agent's heartbeat: answered here, without the owner (liveness.c) */
		json_decref(body);
		free(principal);
		master_reply_error(m, req, 202, "%s", "");
		return;
	}
	if (body)
		queue(m, req, kind, body, principal, codec, accept);
	else
		free(principal);
}
