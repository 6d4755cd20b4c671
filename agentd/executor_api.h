/* SPDX-License-Identifier: Apache-2.0 */
/* The executor API's pure checks (executor_api.c), apart for its fuzz target. */
#ifndef DROVER_AGENT_EXECUTOR_API_H
#define DROVER_AGENT_EXECUTOR_API_H

#include <jansson.h>

#include "wire.h"

/*
 * Pure: why an executor's TaskStatus st (of executor eid) is refused (Mesos's UPDATE
 * checks: uuid, source, executor_id, state not TASK_STAGING, a task_id), or NULL with
 * *ret (an enum task_state).
 */
const char *agent_executor_status_invalid(json_t *st, const char *eid, enum task_state *ret);

#endif
