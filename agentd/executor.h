/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Executors on the agent: one container (a cgroup and a sandbox) that holds the tasks
 * given to one ExecutorID of one framework.
 *
 *	task_group.c      DEFAULT executors: LAUNCH_GROUP, run by the agent itself (no
 *	                  executor process): each task its own supervisor and its own leaf
 *	                  under the group's cgroup; the group's kill-all rule
 *	executor.c        the executor table, the container's cgroup and sandbox, recovery
 *	executor_custom.c CUSTOM executors: the framework's own process, its registration
 *	                  timeout, its exit (FAILURE to the framework), SHUTDOWN
 *	executor_api.c    POST /api/v1/executor (SUBSCRIBE, UPDATE, MESSAGE, HEARTBEAT)
 *
 * Layout (every <fw>, <executor> and <task> the ID's disk name, lib/diskname.h, as a
 * task's own paths; DISK_NAME_CGROUP's for cgroups):
 *	<work>/sandboxes/<fw>/<executor>/<run>/                the executor's sandbox
 *	<work>/sandboxes/<fw>/<executor>/<run>/tasks/<task>/   a group task's sandbox
 *	<work>/meta/executors/<fw>/<executor>/                 a CUSTOM executor's checkpoint
 *	<cgroup root>/executors/<fw>/<executor>/               the group's limits (sum)
 *	<cgroup root>/executors/<fw>/<executor>/<task>/        a group task's leaf
 *	<cgroup root>/executors/<fw>/<executor>/executor/      a CUSTOM executor's process
 *
 * Everything here runs on the agent's loop thread.
 */
#ifndef DROVER_AGENT_EXECUTOR_H
#define DROVER_AGENT_EXECUTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "codec.h"
#include "diskname.h"
#include "id.h"
#include "resources.h"
#include "supervisor.h"
#include "wire.h"

struct agent;
struct agent_task;
struct http_stream;
struct loop_timer;
struct loop_watch;

/* The leaf of a CUSTOM executor's own process, beside its tasks' (none: it runs them). */
#define AGENT_EXECUTOR_LEAF "executor"
/* An executor's token (MESOS_EXECUTOR_AUTHENTICATION_TOKEN): 32 random bytes in hex. */
#define AGENT_EXECUTOR_TOKEN_LEN 64

struct agent_executor {
	struct agent *agent;
	char *fw_id, *id, *key; /* key: "fw/executor" */
	/* on-disk names (diskname.h): sandbox and meta <fw_name>/<name>, cgroup <cg_fw>/<cg_name> */
	char fw_name[DISK_NAME_MAX + 1], name[DISK_NAME_MAX + 1];
	char cg_fw[DISK_NAME_MAX + 1], cg_name[DISK_NAME_MAX + 1];
	json_t *info; /* ExecutorInfo (framework_id filled in) */
	json_t *fw_info; /* FrameworkInfo, for SUBSCRIBED */
	bool is_default; /* DEFAULT: the agent runs the tasks (task_group.c) */
	char run[UUID_STR_LEN]; /* the sandbox's run ID, also the container ID */
	char dir[3584]; /* the executor's sandbox (room for tasks/<task> in 4096) */
	int cgroup_fd; /* <root>/executors/<fw>/<executor> */
	struct alloc_res res; /* ExecutorInfo.resources, in the agent's used while it lives */
	bool res_held;
	int ntasks; /* tasks of the table that name it */
	bool killing; /* the group is being killed (kill-all rule, SHUTDOWN) */

	/* CUSTOM (executor_custom.c, executor_api.c) */
	struct agent_task_proc proc; /* its supervisor */
	bool running;
	int leaf_fd;
	struct loop_watch *exit_watch;
	struct loop_timer *register_timer; /* --executor-registration-timeout */
	struct loop_timer *shutdown_timer; /* the grace period after SHUTDOWN */
	struct http_stream *stream; /* SUBSCRIBE; NULL while not subscribed */
	enum codec codec; /* its records' (SUBSCRIBE's Accept) */
	json_t *pending; /* events (LAUNCH...) held until it subscribes */
	char token[AGENT_EXECUTOR_TOKEN_LEN + 1];
	bool failed_sent;
};

/* ---- executor.c ---- */

/* The executor of fid/eid, or NULL. */
struct agent_executor *agent_executor_get(struct agent *a, const char *fid, const char *eid);
/*
 * A new executor in the table for ExecutorInfo info: its run ID (run NULL: a fresh one),
 * its sandbox and its cgroup made (mode 0711 parents). -errno with err.
 */
int agent_executor_new(struct agent *a, const char *fid, json_t *info, json_t *fw_info,
		       const char *run, struct agent_executor **ret, char *err, size_t errlen);
/*
 * t runs under e: its sandbox is <e->dir>/tasks/<task> (DEFAULT) or e's own (CUSTOM: the
 * executor runs it); e lives as long as t.
 */
void agent_executor_task_attach(struct agent_executor *e, struct agent_task *t);
/* t leaves the table: e goes with its last task (and its process, for CUSTOM). */
void agent_executor_task_detach(struct agent_task *t);
/* A leaf under e's cgroup (name: a task's cg_name): created (-EEXIST when there), opened, removed. */
int agent_executor_leaf_create(struct agent_executor *e, const char *name, int *ret_fd);
int agent_executor_leaf_open(struct agent_executor *e, const char *name, int *ret_fd);
void agent_executor_leaf_remove(struct agent_executor *e, const char *name);
/* Give e's own resources back (its tasks have ended or it has exited). Idempotent. */
void agent_executor_release(struct agent_executor *e);
/* e leaves the table if no task and no process needs it. */
void agent_executor_maybe_forget(struct agent_executor *e);
/* The "executor" part of a task's checkpoint record. */
json_t *agent_executor_record(const struct agent_executor *e);
/* Recovery: t's record names an executor: find or make it again, t's leaf reopened. */
void agent_executor_recover_task(struct agent_task *t, json_t *record);
/* Is path (a sandbox GC candidate) an executor's sandbox still in use? */
bool agent_executor_sandbox_in_use(struct agent *a, const char *path);
/* agent_fini: every executor freed (processes stay, as tasks' do). */
void agent_executors_free(struct agent *a);

/* ---- executor_custom.c ---- */

/* A LAUNCH whose task names an executor: started if new, the task handed to it. */
void agent_executor_on_launch(struct agent *a, json_t *ev);
/* A LAUNCH_GROUP to a CUSTOM executor: started if new, the group handed to it as one event. */
void agent_executor_on_launch_group(struct agent *a, json_t *ev);
/* The master's MESSAGE (a framework's, for an executor) and SHUTDOWN_EXECUTOR events. */
void agent_on_executor_message(struct agent *a, json_t *ev);
void agent_on_shutdown_executor(struct agent *a, json_t *ev);
/*
 * SHUTDOWN: a DEFAULT executor's tasks are killed; a CUSTOM executor is told and destroyed
 * after its grace period (at once when it has not subscribed).
 */
void agent_executor_shutdown(struct agent_executor *e);
/* A KILL of t, a task of a CUSTOM executor: a KILL event to the executor. */
void agent_executor_kill_task(struct agent_task *t, json_t *kill_policy);
/*
 * An event (payload taken; NULL: none) to e's executor; held until it subscribes when hold,
 * else dropped when it is not subscribed.
 */
void agent_executor_send(struct agent_executor *e, const char *type, json_t *payload, bool hold);
/* After SUBSCRIBE: the held events, in order. */
void agent_executor_flush(struct agent_executor *e);
/* End e's stream (it is no longer subscribed). */
void agent_executor_stream_drop(struct agent_executor *e);
/* e's checkpoint (meta/executors/<fw>/<executor>) goes. */
void agent_executor_meta_remove(struct agent_executor *e);

/*
 * Recovery: every checkpointed CUSTOM executor back, its supervisor found again (it has
 * --executor-reregistration-timeout to subscribe again); then, once the tasks are back,
 * those that ended while the agent was down end their tasks (TASK_GONE/TASK_LOST).
 */
void agent_executors_recover(struct agent *a);
void agent_executors_recovered(struct agent *a);

/* ---- executor_api.c ---- */

struct http_request;
/*
 * HTTP thread: the envelope (POST, Content-Type, the body in either codec, type, and for
 * SUBSCRIBE the stream's codec from Accept into *ret_accept); HEARTBEAT answered.
 */
json_t *agent_executor_api_parse(struct http_request *req, enum codec *ret_accept);
/*
 * A call (body taken by the caller) on the loop; bearer: its Authorization token or NULL;
 * accept: SUBSCRIBE's stream codec.
 */
void agent_executor_api_call(struct agent *a, struct http_request *req, json_t *body,
			     const char *bearer, enum codec accept);
/* t's update was acknowledged: ACKNOWLEDGED to its executor. */
void agent_executor_acknowledged(struct agent_task *t, const char *uuid);

/* ---- task_group.c ---- */

/* A LAUNCH_GROUP from the master (DEFAULT executor). */
void agent_on_launch_group(struct agent *a, json_t *ev);
/* Kill every task of e that has not ended (the kill-all rule, SHUTDOWN). */
void agent_group_kill(struct agent_executor *e);
/* t (of an executor) ended in state s: the kill-all rule. */
void agent_group_task_ended(struct agent_task *t, int s);

#endif
