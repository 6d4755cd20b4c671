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

/* ---- task_launch.c, tasks.c: the master's events ---- */

void agent_on_launch(struct agent *a, json_t *ev);
void agent_on_kill(struct agent *a, json_t *k);

/* ---- tasks.c ---- */

struct agent_task *agent_task_new(struct agent *a, const char *fid, const char *tid,
				  const char *run, json_t *info);
void agent_task_free(struct agent_task *t);
int agent_task_save(struct agent_task *t);
void agent_task_maybe_forget(struct agent_task *t);
void agent_task_cleanup(struct agent_task *t);
void agent_task_track(struct agent_task *t, bool partial);
void agent_task_watch_exit(struct agent_task *t);
void agent_task_finish(struct agent_task *t, const struct agent_exit_record *rec);
int agent_task_records_open(struct agent_task *t);
int agent_task_exit_status_read(struct agent_task *t, struct agent_exit_record *rec);
void agent_task_kill_signal(struct agent_task *t, int64_t grace_ns);
int64_t agent_task_kill_grace(const struct agent_task *t, json_t *policy);
void agent_task_limits_of(struct agent_task *t, struct agent_task_limits *lim);

/* ---- updates.c ---- */

void agent_task_status(struct agent_task *t, enum task_state s, const char *reason,
		       const char *message, json_t *ext);
void agent_update_queue(struct agent_task *t, json_t *status, const char *uuid);
void agent_update_send_next(struct agent_task *t);
void agent_on_acknowledge(struct agent *a, json_t *ack);
void agent_updates_free(struct agent_task *t);

/* ---- recover.c ---- */

int agent_recover(struct agent *a);

/* ---- disk.c ---- */

int agent_disk_start(struct agent *a);
void agent_disk_stop(struct agent *a);
int agent_disk_admits_launch(struct agent *a, char *err, size_t errlen);

#endif
