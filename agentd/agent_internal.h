/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Between the files of the agent daemon (agent.h holds its state): each function runs on
 * the loop thread unless its comment says otherwise.
 *
 *	agent.c        agent_init, agent_run, agent_fini
 *	session.c      the master: SUBSCRIBE, the events, heartbeats, reconnection, ZooKeeper
 *	task_launch.c  a LAUNCH: check, prepare, spawn
 *	tasks.c        the task table, a task's checkpoint, its kill, its end
 *	updates.c      the status update queue (at least once, in order, per task)
 *	recover.c      the restart: checkpointed tasks come back
 *	disk.c         the work dir's disk: sandbox GC and the checkpoint reserve
 *	shutdown.c     SIGUSR1: unregister from the master, kill every task, exit
 *	executor*.c, task_group.c   executors and task groups (executor.h)
 */
#ifndef DROVER_AGENT_INTERNAL_H
#define DROVER_AGENT_INTERNAL_H

#include "agent.h"

#define AGENT_ERRLEN 512

/* ---- session.c ---- */

/* The master session's fields of a (master URL, timers, ZooKeeper). 0 or -errno, logged. */
int agent_session_start(struct agent *a);
void agent_session_stop(struct agent *a);
/*
 * POST body (consumed; the agent ID added) to the master's /api/v1/agent on the current
 * stream; done gets the answer. *ret_call (may be NULL) is the call, NULL if none started.
 */
void agent_master_post(struct agent *a, json_t *body, http_done_fn done, void *data,
		       struct http_call **ret_call);

/* ---- the master's events (session.c dispatches them) ---- */

/* task_launch.c: a LAUNCH; every outcome is a status update of the task (or a refusal). */
void agent_on_launch(struct agent *a, json_t *ev);
/*
 * task_launch.c: one task of ev ({framework_id, framework_info, task}) under executor e
 * (NULL: alone). The task's state after it (enum task_state), or -1 when none was made.
 */
int agent_launch_task(struct agent *a, json_t *ev, struct agent_executor *e);
/* task_launch.c: argv (env false) or "NAME=value" strings (env true) of a CommandInfo. */
char **agent_strv_from_json(json_t *arr, bool env);
/*
 * task_launch.c: who runs cmd of framework fid (ev's framework_info): spec->user or
 * spec->dynamic_uid. -errno with err.
 */
int agent_launch_user(struct agent *a, json_t *ev, json_t *cmd, const char *fid,
		      struct agent_launch_spec *spec, char *err, size_t errlen);
/* tasks.c: a KILL; its kill_policy's grace period wins over the task's own. */
void agent_on_kill(struct agent *a, json_t *k);
/* updates.c: an ACKNOWLEDGE; the next update of the task goes, or the task is forgotten. */
void agent_on_acknowledge(struct agent *a, json_t *ack);

/* ---- tasks.c ---- */

/*
 * A new task in the table (NULL: out of memory, or an ID disk_name() refuses). fw_name and
 * name are its directories' names (diskname.h): NULL for the disk_name() of fid and tid;
 * recovery passes the names it found. Its sandbox is sandboxes/<fw_name>/<name>/<run>; run
 * NULL or "" is a task recovered from before run IDs (sandboxes/<fw_name>/<name>).
 */
struct agent_task *agent_task_new(struct agent *a, const char *fid, const char *tid,
				  const char *fw_name, const char *name, const char *run,
				  json_t *info);
/* Free t (the caller takes it out of the table); its supervisor and leaf stay as they are. */
void agent_task_free(struct agent_task *t);
/* Checkpoint t's record (its TaskInfo, sandbox, run ID, kill request). 0 or -errno, logged. */
int agent_task_save(struct agent_task *t);
/* Acknowledged terminal and no process left: t leaves the table and its checkpoint goes. */
void agent_task_maybe_forget(struct agent_task *t);
/* Kill what is left in t's leaf and remove it; give the resources and the uid back. */
void agent_task_cleanup(struct agent_task *t);
/* Sum the taskstats exit records of t's processes from now on (taskstats.h). */
void agent_task_track(struct agent_task *t, bool partial);
/* Watch t's supervisor: its exit finishes t. */
void agent_task_watch_exit(struct agent_task *t);
/* t's end (rec NULL: unknown) as its terminal update, with the final accounting. */
void agent_task_finish(struct agent_task *t, const struct agent_exit_record *rec);
/* The directory of t's supervisor records (its checkpoint dir, or its legacy sandbox). */
int agent_task_records_open(struct agent_task *t);
/* t's exit status as its supervisor recorded it (supervisor.h). 0 or -errno. */
int agent_task_exit_status_read(struct agent_task *t, struct agent_exit_record *rec);
/* Kill t once: the request checkpointed, TASK_KILLING, SIGTERM, cgroup.kill after grace_ns. */
void agent_task_kill(struct agent_task *t, int64_t grace_ns);
/* SIGTERM to t's cgroup now, cgroup.kill when grace_ns is over. */
void agent_task_kill_signal(struct agent_task *t, int64_t grace_ns);
/* cgroup.kill of t's cgroup when grace_ns is over (someone else sent the SIGTERM). */
void agent_task_kill_timer(struct agent_task *t, int64_t grace_ns);
/* The grace period of policy (a KILL's), else of t's own kill_policy, else 3 s. */
int64_t agent_task_kill_grace(const struct agent_task *t, json_t *policy);
/* The limits of a task that already runs (none where they cannot be read: task_limits.h). */
void agent_task_limits_of(struct agent_task *t, struct agent_task_limits *lim);

/* ---- updates.c ---- */

/* Queue (checkpointed) and send a new status of t: s, with its reason, message, extras. */
void agent_task_status(struct agent_task *t, enum task_state s, const char *reason,
		       const char *message, json_t *ext);
/* The same, with TaskStatus.healthy (health checks: health.h). */
void agent_task_status_healthy(struct agent_task *t, enum task_state s, bool healthy,
			       const char *reason, const char *message, json_t *ext);
/* Append status (owned) to t's queue, unsaved and unsent (recovery). */
void agent_update_queue(struct agent_task *t, json_t *status, const char *uuid);
/* Send the head of t's queue, unless one is in flight or the agent is not subscribed. */
void agent_update_send_next(struct agent_task *t);
/* A status an executor gave for t (its uuid its own): queued, checkpointed and sent. */
void agent_task_status_forward(struct agent_task *t, enum task_state s, json_t *status,
			       const char *uuid);
/* Drop t's queue, its POST in flight and its retry timer (t is being freed). */
void agent_updates_free(struct agent_task *t);

/* ---- recover.c ---- */

/* The agent ID and the checkpointed tasks back; stray leaves killed. 0 or -errno, logged. */
int agent_recover(struct agent *a);

/* ---- shutdown.c ---- */

/* The SIGUSR1 eventfd and its poll timer. 0 or -errno, logged. */
int agent_shutdown_start(struct agent *a);
void agent_shutdown_stop(struct agent *a);

/* ---- disk.c ---- */

/* The --disk-watch-interval timer: GC and the reserve. 0 or -errno, logged. */
int agent_disk_start(struct agent *a);
void agent_disk_stop(struct agent *a);
/* May a task be launched as far as the work dir's disk goes? 0, or -ENOSPC with err. */
int agent_disk_admits_launch(struct agent *a, char *err, size_t errlen);

#endif
