/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's own HTTP API: GET /health, GET /metrics (Prometheus) and POST /api/v1 with
 * GET_HEALTH, GET_STATE and GET_CONTAINERS, and the executor API POST /api/v1/executor
 * (executor_api.c). Requests are parsed on the HTTP thread and answered on the agent's
 * loop, which owns the state.
 */
#ifndef DROVER_AGENT_API_H
#define DROVER_AGENT_API_H

struct agent;

int agent_api_start(struct agent *a);
void agent_api_stop(struct agent *a);

#endif
