/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's checkpoints under --work-dir, so a restarted agent knows its ID, its tasks and
 * the status updates the master has not acknowledged:
 *
 *	meta/agent_id                          the ID the master gave this agent
 *	meta/reserve                           --checkpoint-reserve bytes, allocated
 *	meta/tasks/<framework>/<task>/task.json    {"framework_id", "task" (TaskInfo),
 *	                                        "kill_requested", "sandbox", "run"}
 *	meta/tasks/<framework>/<task>/updates.json [TaskStatus, ...] not yet acknowledged
 *	meta/tasks/<framework>/<task>/supervisor, exit_status   the supervisor's (supervisor.h)
 *	sandboxes/<framework>/<task>/<run>/    stdout, stderr: the task's own (its user's)
 *
 * <framework> and <task> are the disk_name()s of the IDs (diskname.h), never the IDs: an
 * ID may hold spaces, '%', UTF-8 or 255 bytes that escape to more. The functions below take
 * those names (fw, task); the real IDs are in task.json ("framework_id", "task".task_id),
 * and recovery reports those. Names from before disk_name() (the IDs themselves, some with
 * a leading '.') are read back as they are.
 *
 * meta/ and everything below it is root's and 0700: a task cannot write, replace or even
 * see a file the agent trusts. A sandbox is the task's user's; <run> is a fresh ID per
 * launch, so a task ID used again never gets an old sandbox. (An agent before "run" put
 * the sandbox at sandboxes/<framework>/<task>/ with the supervisor's files in it; such a
 * record has no "run" and is recovered from there, see recover.c.)
 *
 * Every file is written whole (write-temp + rename), so it is old or new, never torn, across
 * a crash of the agent. fsync (of the file and the dir) only where it must also survive a
 * crash of the host: agent_id and update queues holding a terminal update; a task record
 * and non-terminal updates describe processes that die with the host (and would cost a
 * launch two fsyncs). A file that does not parse is reported (-EBADMSG with its path),
 * never silently dropped.
 *
 * The reserve: the work dir also holds the sandboxes, which tasks fill. meta/reserve holds
 * --checkpoint-reserve bytes of allocated blocks; a checkpoint write that finds the file
 * system full (ENOSPC, EDQUOT) gives the reserve up and is tried again, so the updates of
 * running tasks are still checkpointed when a task has filled the disk. The agent refuses
 * launches until the reserve is whole again (agent_checkpoint_reserve_ensure).
 */
#ifndef DROVER_AGENT_CHECKPOINT_H
#define DROVER_AGENT_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct checkpoint {
	int meta_fd;  /* <work>/meta */
	int tasks_fd; /* <work>/meta/tasks */
	char *work_dir;
	bool reserve_released; /* given up to a full disk since the last ensure */
};

int agent_checkpoint_open(const char *work_dir, struct checkpoint *ret);
void agent_checkpoint_close(struct checkpoint *c);

/* The agent ID: 0 and a malloc'ed string, -ENOENT when none was saved. */
int agent_checkpoint_agent_id_load(struct checkpoint *c, char **ret);
int agent_checkpoint_agent_id_save(struct checkpoint *c, const char *id);

/* The task record (task.json): written on launch and when a kill is requested. */
int agent_checkpoint_task_save(struct checkpoint *c, const char *fw, const char *task, json_t *record);
/* The unacknowledged updates (updates.json), written whenever the queue changes. */
int agent_checkpoint_updates_save(struct checkpoint *c, const char *fw, const char *task,
			    json_t *updates);
/*
 * The task's checkpoint directory (meta/tasks/<fw>/<task>, created), where its supervisor
 * keeps its records: an O_DIRECTORY fd or -errno.
 */
int agent_checkpoint_task_dir_open(struct checkpoint *c, const char *fw, const char *task);
/* Remove the supervisor's records of an earlier run, before a new one starts. */
void agent_checkpoint_task_run_reset(int task_dir_fd);
/* Forget a task (after its last update is acknowledged). */
int agent_checkpoint_task_remove(struct checkpoint *c, const char *fw, const char *task);

/*
 * Visit every checkpointed task: fn(fw, task, record, updates, data) with new references
 * it must release (updates may be an empty array). A task whose files do not parse, or
 * parse to another shape (a record object with a "task" object; updates each with a
 * "uuid" and a known "state"), calls bad(path, why, data) and is skipped. Returns the
 * number of tasks or -errno.
 */
int agent_checkpoint_tasks_load(struct checkpoint *c,
			  void (*fn)(const char *fw, const char *task, json_t *record,
				     json_t *updates, void *data),
			  void (*bad)(const char *path, const char *why, void *data), void *data);

/*
 * Make meta/reserve hold bytes of allocated blocks (0: remove it; a larger one is cut). 0, or -ENOSPC
 * (-errno) when the file system cannot give them. With bytes above a tenth of the file
 * system's size, a tenth is kept (a small work dir stays usable).
 */
int agent_checkpoint_reserve_ensure(struct checkpoint *c, uint64_t bytes);
/* The reserve as it will be kept on this file system for --checkpoint-reserve bytes. */
uint64_t agent_checkpoint_reserve_effective(struct checkpoint *c, uint64_t bytes);

#endif
