/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the agent remembers of what ended, for its operator API's completed_tasks,
 * completed_executors and completed_frameworks and the completed_* of its legacy /state
 * (Mesos's agent keeps the same, in memory): a task once it leaves the task table (ended,
 * its last update acknowledged), an executor once it leaves the executor table; a command
 * task, which has no executor here, ends as its own executor, as Mesos shows it. Bounded as
 * Mesos bounds it: --max-completed-executors-per-framework (150) executors per framework,
 * AGENT_COMPLETED_TASKS_PER_EXECUTOR tasks per executor, AGENT_COMPLETED_FRAMEWORKS
 * frameworks with nothing left running; the oldest go first. Loop thread only.
 */
#ifndef DROVER_AGENT_COMPLETED_H
#define DROVER_AGENT_COMPLETED_H

#include <jansson.h>

struct agent;
struct agent_task;
struct agent_executor;

#define AGENT_COMPLETED_FRAMEWORKS 50 /* Mesos's MAX_COMPLETED_FRAMEWORKS */
#define AGENT_COMPLETED_TASKS_PER_EXECUTOR 200 /* Mesos's MAX_COMPLETED_TASKS_PER_EXECUTOR */

/* t leaves the task table (before its executor may leave): remembered. */
void agent_completed_task(struct agent *a, const struct agent_task *t);
/* e leaves the executor table: remembered with its ended tasks. */
void agent_completed_executor(struct agent *a, const struct agent_executor *e);
/* Everything forgotten (agent_fini). */
void agent_completed_free(struct agent *a);

/* GET_TASKS' completed_tasks: Mesos's Task of every task remembered. */
json_t *agent_completed_tasks(struct agent *a);
/* GET_EXECUTORS' completed_executors: [{executor_info}]. */
json_t *agent_completed_executors(struct agent *a);
/* GET_FRAMEWORKS' completed_frameworks: [{framework_info}] of frameworks with nothing left. */
json_t *agent_completed_frameworks(struct agent *a);
/* /state: the ended executors of framework fid in the legacy model (an array). */
json_t *agent_completed_legacy_executors(struct agent *a, const char *fid);
/* /state's completed_frameworks: the legacy model of frameworks with nothing left. */
json_t *agent_completed_legacy_frameworks(struct agent *a);

#endif
