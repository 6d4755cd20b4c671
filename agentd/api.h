/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's own HTTP API: GET /health, GET /metrics (Prometheus) and POST /api/v1 (the
 * agent operator calls: api_state.c builds their answers), and the executor API
 * POST /api/v1/executor (executor_api.c). Requests are parsed on the HTTP thread and answered on the agent's
 * loop, which owns the state.
 */
#ifndef DROVER_AGENT_API_H
#define DROVER_AGENT_API_H

#include <jansson.h>

struct agent;
struct agent_task;

int agent_api_start(struct agent *a);
void agent_api_stop(struct agent *a);
/*
 * The loop: a container's `usage` (GET_CONTAINERS), the last BPF sample's figures and from
 * cgroupfs what the sample lacks. A new object.
 */
json_t *agent_api_task_usage(struct agent *a, struct agent_task *t);
/*
 * The loop: the answers of the agent operator calls (api_state.c), each the payload of an
 * agent::Response in Mesos's shape (a new object).
 */
json_t *agent_api_get_state(struct agent *a);
json_t *agent_api_get_tasks(struct agent *a);
json_t *agent_api_get_executors(struct agent *a);
json_t *agent_api_get_frameworks(struct agent *a);
json_t *agent_api_get_containers(struct agent *a);
json_t *agent_api_get_agent(struct agent *a);
json_t *agent_api_get_metrics(struct agent *a);
json_t *agent_api_get_flags(struct agent *a);
json_t *agent_api_get_logging_level(void);
/* Mesos's Task of t: its TaskInfo's parts, IDs, state and statuses (a new object). */
json_t *agent_api_task_json(struct agent *a, const struct agent_task *t);
/* The ExecutorInfo Mesos shows for command task t: the task's ID, its command. */
json_t *agent_api_command_executor_info(const struct agent_task *t);
/* Mesos's AgentInfo of this agent: hostname, port (the API's), id, resources, attributes. */
json_t *agent_api_agent_info(struct agent *a);
/*
 * A copy of FrameworkInfo fi of framework fid (NULL when fi is not an object) with what
 * Mesos requires filled in: its id, and a user (the one its tasks run as here when it
 * names none).
 */
json_t *agent_api_framework_info(struct agent *a, const char *fid, json_t *fi);
/* The port the API listens on (AgentInfo.port, where /files is read), 0 before it does. */
unsigned agent_api_port(const struct agent *a);

#endif
