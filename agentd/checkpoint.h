/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's checkpoints under --work-dir, so a restarted agent knows its ID, its tasks and
 * the status updates the master has not acknowledged:
 *
 *	meta/agent_id                          the ID the master gave this agent
 *	meta/tasks/<framework>/<task>/task.json    {"framework_id", "task" (TaskInfo),
 *	                                        "kill_requested", "sandbox"}
 *	meta/tasks/<framework>/<task>/updates.json [TaskStatus, ...] not yet acknowledged
 *	sandboxes/<framework>/<task>/          stdout, stderr, supervisor, exit_status
 *
 * Every file is written whole (write-temp + rename), so it is old or new, never torn, across
 * a crash of the agent. fsync (of the file and the dir) only where it must also survive a
 * crash of the host: agent_id and update queues holding a terminal update; a task record
 * and non-terminal updates describe processes that die with the host (and would cost a
 * launch two fsyncs). A file that does not parse is reported (-EBADMSG with its path),
 * never silently dropped.
 */
#ifndef DROVER_AGENT_CHECKPOINT_H
#define DROVER_AGENT_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct checkpoint {
	int meta_fd;  /* <work>/meta */
	int tasks_fd; /* <work>/meta/tasks */
	char *work_dir;
};

int checkpoint_open(const char *work_dir, struct checkpoint *ret);
void checkpoint_close(struct checkpoint *c);

/* The agent ID: 0 and a malloc'ed string, -ENOENT when none was saved. */
int checkpoint_agent_id_load(struct checkpoint *c, char **ret);
int checkpoint_agent_id_save(struct checkpoint *c, const char *id);

/* The task record (task.json): written on launch and when a kill is requested. */
int checkpoint_task_save(struct checkpoint *c, const char *fw, const char *task, json_t *record);
/* The unacknowledged updates (updates.json), written whenever the queue changes. */
int checkpoint_updates_save(struct checkpoint *c, const char *fw, const char *task,
			    json_t *updates);
/* Forget a task (after its last update is acknowledged). */
int checkpoint_task_remove(struct checkpoint *c, const char *fw, const char *task);

/*
 * Visit every checkpointed task: fn(fw, task, record, updates, data) with new references
 * it must release (updates may be an empty array). A task whose files do not parse, or
 * parse to another shape (a record object with a "task" object; updates each with a
 * "uuid" and a known "state"), calls bad(path, why, data) and is skipped. Returns the
 * number of tasks or -errno.
 */
int checkpoint_tasks_load(struct checkpoint *c,
			  void (*fn)(const char *fw, const char *task, json_t *record,
				     json_t *updates, void *data),
			  void (*bad)(const char *path, const char *why, void *data), void *data);

#endif
