// SPDX-License-Identifier: Apache-2.0
/*
 * The executor HTTP API, POST /api/v1/executor on the agent (Mesos's, in JSON and in
 * protobuf: lib/codec.h negotiates as for every v1 endpoint, a protobuf Call becomes the
 * same JSON the validators below read, the stream is RecordIO in the Accept'ed codec): SUBSCRIBE
 * (the event stream: SUBSCRIBED, then LAUNCH, KILL, ACKNOWLEDGED, MESSAGE, SHUTDOWN...),
 * UPDATE (a task's status, relayed to the master), MESSAGE (relayed to the framework) and
 * HEARTBEAT.
 *
 * Who may call: every call names framework_id and executor_id and must carry
 * "Authorization: Bearer <MESOS_EXECUTOR_AUTHENTICATION_TOKEN>", the token the agent put in
 * that executor's environment alone (random, 256 bits, kept in the agent's root-only
 * checkpoint). A task of another container does not have it and cannot speak for the
 * executor (docs/security.md, "Executors").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "api.h"
#include "base64.h"
#include "codec.h"
#include "executor_api.h"
#include "http_server.h"
#include "log.h"
#include "mesos/v1/executor/executor.pb-c.h"

/*
 * HTTP thread: the call's envelope (method, Content-Type, the body in its codec, a string
 * type; SUBSCRIBE's Accept); HEARTBEAT answered here. NULL after answering.
 */
json_t *agent_executor_api_parse(struct http_request *req, enum codec *ret_accept)
{
	char err[CODEC_ERR_LEN];
	enum codec codec;
	json_t *body = NULL;
	const char *type;
	int rc;

	if (!streq(http_request_method(req), "POST")) {
		http_reply_error(req, 405, "Expecting 'POST', received '%s'",
				 http_request_method(req));
		return NULL;
	}
	rc = codec_read_request(req, &mesos__v1__executor__call__descriptor, &codec, &body, err,
				sizeof(err));
	type = json_string_value(json_object_get(body, "type"));
	if (rc == 0 && !type) {
		rc = 400;
		snprintf(err, sizeof(err),
			 "Failed to validate executor::Call: 'type' must be a string naming a "
			 "known call type");
	}
	*ret_accept = CODEC_JSON;
	if (rc == 0 && streq(type, "SUBSCRIBE")) /* the stream's codec */
		rc = codec_negotiate(http_request_header(req, "Accept"), ret_accept, err,
				     sizeof(err));
	if (rc != 0) {
		json_decref(body);
		http_reply_error(req, rc > 0 ? (unsigned)rc : 503, "%s",
				 rc > 0 ? err : "out of memory");
		return NULL;
	}
	if (streq(type, "HEARTBEAT")) {
		http_reply(req, 202, "text/plain", "", 0, NULL);
		json_decref(body);
		return NULL;
	}
	return body;
}

/* Equal tokens, in time that does not depend on where they differ. */
static bool token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0 && la > 0;
}

/* The executor a call names, its token checked: NULL after answering 400 or 403. */
static struct agent_executor *call_executor(struct agent *a, struct http_request *req, json_t *body,
					    const char *bearer)
{
	char err[WIRE_ERR_LEN];
	const char *fid = wire_get_id(body, "framework_id", err, sizeof(err));
	const char *eid = fid ? wire_get_id(body, "executor_id", err, sizeof(err)) : NULL;
	struct agent_executor *e;

	if (!eid) {
		http_reply_error(req, 400, "Failed to validate executor::Call: %s", err);
		return NULL;
	}
	e = agent_executor_get(a, fid, eid);
	if (!e || e->is_default || !e->running) {
		http_reply_error(req, 400, "Executor '%s' of framework '%s' is not known", eid,
				 fid);
		return NULL;
	}
	if (!bearer || !token_equal(bearer, e->token)) {
		http_reply_error(req, 403,
				 "Not authorized: a call for executor '%s' needs its "
				 "MESOS_EXECUTOR_AUTHENTICATION_TOKEN as a bearer token",
				 eid);
		return NULL;
	}
	return e;
}

/* SUBSCRIBE: the stream, SUBSCRIBED, then what waited (a new SUBSCRIBE replaces the old). */
static void subscribe(struct agent_executor *e, struct http_request *req, enum codec accept)
{
	struct agent *a = e->agent;
	json_t *info;

	agent_executor_stream_drop(e);
	e->stream = http_reply_stream(req, codec_content_type(accept), NULL, 4096, NULL, NULL);
	if (!e->stream)
		return;
	e->codec = accept;
	loop_timer_del(a->loop, e->register_timer);
	e->register_timer = NULL;
	info = agent_api_agent_info(a);
	log_info("executor '%s' of framework %s subscribed", e->id, e->fw_id);
	agent_executor_send(e, "SUBSCRIBED",
			    json_pack("{s:O,s:o*,s:o,s:o}", "executor_info", e->info,
				      "framework_info",
				      agent_api_framework_info(a, e->fw_id, e->fw_info),
				      "agent_info", info, "container_id", wire_id(e->run)),
			    false);
	agent_executor_flush(e);
}

/* A status uuid: the base64 of 16 bytes (bytes in Mesos's JSON), or a UUID's text. */
static bool uuid_valid(const char *s)
{
	uint8_t *raw = NULL;
	size_t n = 0;
	bool ok;

	if (!s)
		return false;
	if (strlen(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-')
		return true;
	ok = base64_decode(s, strlen(s), &raw, &n) == 0 && n == 16;
	free(raw);
	return ok;
}

const char *agent_executor_status_invalid(json_t *st, const char *eid, enum task_state *ret)
{
	const char *state = json_string_value(json_object_get(st, "state"));
	json_t *sex = json_object_get(st, "executor_id");

	if (!json_is_object(st))
		return "'update.status' is missing";
	if (!uuid_valid(json_string_value(json_object_get(st, "uuid"))))
		return "'status.uuid' must be a valid UUID";
	if (!streq(json_string_value(json_object_get(st, "source")), "SOURCE_EXECUTOR"))
		return "'status.source' must be SOURCE_EXECUTOR";
	if (sex && !streq(json_string_value(json_object_get(sex, "value")), eid))
		return "'status.executor_id' is not the caller's";
	if (!state || task_state_parse(state, ret) < 0)
		return "'status.state' is not a task state";
	if (*ret == TASK_STAGING)
		return "'status.state' must not be TASK_STAGING";
	if (!json_is_string(json_object_get(json_object_get(st, "task_id"), "value")))
		return "'status.task_id' is missing";
	return NULL;
}

/* UPDATE: Mesos's checks (§7), then the status joins the task's queue to the master. */
static void update(struct agent_executor *e, struct http_request *req, json_t *body)
{
	json_t *st = json_object_get(json_object_get(body, "update"), "status"), *copy;
	const char *uuid = json_string_value(json_object_get(st, "uuid"));
	const char *tid =
		json_string_value(json_object_get(json_object_get(st, "task_id"), "value"));
	char key[2 * ID_MAX_LEN + 2];
	struct agent_task *t = NULL;
	enum task_state s = TASK_STAGING;
	const char *why = agent_executor_status_invalid(st, e->id, &s);

	if (!why && tid) {
		snprintf(key, sizeof(key), "%s/%s", e->fw_id, tid);
		t = strmap_get(&e->agent->tasks, key);
	}
	if (!why && (!t || t->exec != e))
		why = "'status.task_id' is not a task of this executor";
	if (why) {
		http_reply_error(req, 400, "Failed to validate executor::Call: %s", why);
		return;
	}
	http_reply(req, 202, "text/plain", "", 0, NULL);
	if (task_state_terminal(t->state))
		return; /* a status after the end changes nothing */
	copy = json_deep_copy(st);
	json_object_set_new(copy, "agent_id", wire_id(e->agent->agent_id));
	json_object_set_new(copy, "executor_id", wire_id(e->id));
	if (!json_object_get(copy, "timestamp"))
		json_object_set_new(copy, "timestamp", json_real((double)now_real_ns() / 1e9));
	if (task_state_terminal(s))
		alloc_res_sub(&e->agent->used, &t->res);
	agent_task_status_forward(t, s, copy, uuid);
}

static void on_message_sent(long status, const char *body, size_t len, const char *err, void *data)
{
	if (status != 202)
		log_warn("EXECUTOR_MESSAGE not accepted: %ld %s", status, err ? err : body);
}

/* MESSAGE: to the framework through the master (at most once, as in Mesos). */
static void message(struct agent_executor *e, struct http_request *req, json_t *body)
{
	struct agent *a = e->agent;
	json_t *data = json_object_get(json_object_get(body, "message"), "data");

	if (!json_is_string(data)) {
		http_reply_error(req, 400,
				 "Failed to validate executor::Call: 'message.data' must be a "
				 "base64 string");
		return;
	}
	http_reply(req, 202, "text/plain", "", 0, NULL);
	if (!a->subscribed) {
		log_info("executor '%s': a MESSAGE dropped (no master)", e->id);
		return;
	}
	agent_master_post(a,
			  json_pack("{s:s,s:{s:o,s:o,s:O}}", "type", "EXECUTOR_MESSAGE",
				    "executor_message", "framework_id", wire_id(e->fw_id),
				    "executor_id", wire_id(e->id), "data", data),
			  on_message_sent, a, NULL);
}

void agent_executor_api_call(struct agent *a, struct http_request *req, json_t *body,
			     const char *bearer, enum codec accept)
{
	const char *type = json_string_value(json_object_get(body, "type"));
	struct agent_executor *e = call_executor(a, req, body, bearer);

	if (!e)
		return;
	if (streq(type, "SUBSCRIBE")) {
		subscribe(e, req, accept);
		return;
	}
	if (!streq(type, "UPDATE") && !streq(type, "MESSAGE")) {
		http_reply_error(req, 400, "Failed to validate executor::Call: unknown type '%s'",
				 type);
		return;
	}
	if (!e->stream) {
		http_reply_error(req, 403, "Executor is not subscribed");
		return;
	}
	if (streq(type, "UPDATE"))
		update(e, req, body);
	else
		message(e, req, body);
}

void agent_executor_acknowledged(struct agent_task *t, const char *uuid)
{
	struct agent_executor *e = t->exec;

	if (!e || e->is_default || !e->stream)
		return;
	agent_executor_send(e, "ACKNOWLEDGED",
			    json_pack("{s:o,s:s}", "task_id", wire_id(t->id), "uuid", uuid), false);
}
