/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's legacy JSON endpoints (legacy.c; docs/api.md "Legacy endpoints"): GET /state
 * (and /state.json, /slave(1)/state), /monitor/statistics (and .json), /flags, /version,
 * with ?jsonp=. Routed by api.c's handler on the HTTP thread (the same authentication and
 * peer rules as the rest of the agent's API: task data to root on this host only, without
 * --api-credentials) and answered on the loop.
 */
#ifndef DROVER_AGENT_LEGACY_H
#define DROVER_AGENT_LEGACY_H

#include <stdbool.h>
#include <jansson.h>

struct agent;
struct agent_task;
struct http_request;

/*
 * HTTP thread: is req for a legacy endpoint? Then true, with *ret_body the request to queue
 * ({"legacy": NAME, "jsonp": ...}), or NULL after answering it (405, 400).
 */
bool agent_legacy_match(struct http_request *req, json_t **ret_body);
/* The loop: answer a queued legacy request (body from agent_legacy_match). */
void agent_legacy_reply(struct agent *a, struct http_request *req, const json_t *body);

/* The loop: t's ResourceStatistics (what the agent measures of it); a new object. */
json_t *agent_legacy_statistics(struct agent *a, struct agent_task *t);
/* t in /state's model of a task (with its statuses); a new object. */
json_t *agent_legacy_task_model(struct agent *a, const struct agent_task *t);
/* Every flag that has a value, {"name": "value as text"}; a new object. */
json_t *agent_legacy_flags(struct agent *a);

#endif
