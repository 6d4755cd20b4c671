// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the executor API's call parser (agentd/executor_api.c). The first byte
 * picks the request's method (bit 7), Content-Type (bits 0-1: JSON, protobuf, JSON with a
 * parameter, none) and Accept (bits 2-3: none, protobuf, JSON, text/html); the rest is the
 * body, JSON or a protobuf mesos.v1.executor.Call (lib/codec, lib/pbjson):
 *
 *	agent_executor_api_parse()        the envelope, on the HTTP thread: every request is
 *	                                  answered (405/400/406/415/202) or handed on as a JSON
 *	                                  object with a string "type" and the stream's codec,
 *	                                  never both
 *	agent_executor_status_invalid()   an UPDATE's TaskStatus: accepted only with a uuid, the
 *	                                  executor's source, a state other than TASK_STAGING
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "agentd/agent.h"
#include "agentd/executor_api.h"
#include "harness_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {"application/json", "application/x-protobuf",
					    "application/json; charset=utf-8", NULL};
static const char *const accepts[] = {NULL, "application/x-protobuf", "application/json",
				      "text/html"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req = {0};
	enum task_state s;
	const char *why;
	enum codec accept = CODEC_PROTOBUF;
	json_t *body, *st;

	if (size < 1)
		return 0;
	req.method = data[0] & 0x80 ? "GET" : "POST";
	req.path = "/api/v1/executor";
	req.content_type = content_types[data[0] & 3];
	req.accept = accepts[(data[0] >> 2) & 3];
	req.body = (const char *)data + 1;
	req.len = size - 1;
	body = agent_executor_api_parse(&req, &accept);
	assert(!body != !req.answered); /* answered, or handed on: exactly one */
	if (!body)
		return 0;
	assert(json_is_object(body) && json_is_string(json_object_get(body, "type")));
	/* a stream is only ever in a codec its Accept allows */
	assert(!(accept == CODEC_PROTOBUF && req.accept &&
		 strcmp(req.accept, "application/x-protobuf") != 0));
	assert(!(accept == CODEC_JSON && req.accept &&
		 strcmp(req.accept, "application/json") != 0 &&
		 strcmp(json_string_value(json_object_get(body, "type")), "SUBSCRIBE") == 0));
	st = json_object_get(json_object_get(body, "update"), "status");
	why = agent_executor_status_invalid(st, "e", &s);
	if (!why) {
		assert(s != TASK_STAGING);
		assert(strcmp(json_string_value(json_object_get(st, "source")),
			      "SOURCE_EXECUTOR") == 0);
		assert(json_is_string(json_object_get(st, "uuid")));
	}
	json_decref(body);
	return 0;
}
