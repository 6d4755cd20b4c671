/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-task supervisor: how a task's exit status outlives the agent.
 *
 * The agent forks one supervisor per task (like Mesos's command executor or Podman's
 * conmon, but a fork of the agent that never execs, so it only makes async-signal-safe
 * calls). The supervisor:
 *   - lives in <root>/supervisor/, a sibling of the task leaves, NOT in the task's leaf:
 *     cgroup.kill of the task, the task's pids.max and memory.max (OOM) never touch it, so
 *     it always gets to write the status; its few pages are not charged to the task;
 *   - setsid()s (no terminal signals from the agent's session), closes every fd of the agent
 *     but the few it needs (the agent's listening socket must not outlive the agent),
 *     becomes a child subreaper (a double-forking task's orphans are reaped by it, not by
 *     init, while it runs) and is named "drover-sv" (comm);
 *   - clones the task into its leaf (agent_spawn_run), writes <meta>/supervisor
 *     ("pid", "start" = /proc starttime, "task_pid") atomically and reports {ok, task pid}
 *     or {stage, errno} to the agent over a CLOEXEC pipe;
 *   - with health checks (health.h), keeps the task's sandbox and cgroup fds and runs the
 *     checks beside the task (agent_health_supervise), writing <meta>/health;
 *   - waits for the task's main process and writes <meta>/exit_status atomically
 *     (write-temp + fsync + rename + fsync(dir)), then exits. The temp file is created and
 *     its blocks allocated before the task starts, so a task that fills the file system
 *     does not take its own exit status with it. A process the task left
 *     behind is the agent's to kill (cgroup.kill) once it has seen the status.
 *
 * The agent watches the supervisor's pidfd, not the task's: when it becomes readable the
 * status file is complete (the supervisor writes it before it exits). After an agent
 * restart, agent_task_reattach() finds the supervisor again from <meta>/supervisor
 * (pid + start time, so a recycled pid is never mistaken for it).
 *
 * <meta> is the task's checkpoint directory (checkpoint.h: meta/tasks/<fw>/<task>/), root's
 * and 0700: nothing the task can write. The sandbox belongs to the task's user, who can put
 * a FIFO, a symlink to /dev/zero or a forged record under any name in it; no file the
 * agent or the supervisor trusts lives there. (Tasks started by an agent before this
 * layout kept both files in the sandbox; recovery still reads them there, through the same
 * safe reader, see agent_task_records_open() in tasks.c.) Both records are read with
 * lib/fileio.h's file_read_bufat: no symlink, regular files only, never blocking, at most
 * AGENT_RECORD_MAX bytes.
 *
 * A kill by the agent: agent_cgroup_signal(leaf, SIGTERM), grace period, agent_cgroup_kill;
 * the supervisor records "signaled 15" or "signaled 9" like any exit; the agent knows it
 * asked (it must checkpoint that, to say TASK_KILLED after a restart).
 *
 * <meta>/supervisor, one "key value" per line: pid, start, task_pid.
 *
 * <meta>/exit_status, one "key value" per line:
 *	drover-exit-status 1
 *	how exited | signaled | launch-failed
 *	code <exit status | signal number | errno>
 *	core 0|1
 *	stage <launch stage name>           (launch-failed only)
 *	task_pid <pid>
 *	utime_us <n>  stime_us <n>  maxrss_kb <n>   (rusage of the main process tree it reaped)
 *	time_ns <CLOCK_REALTIME at exit>
 */
#ifndef DROVER_AGENT_SUPERVISOR_H
#define DROVER_AGENT_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "isolator.h"
#include "launch.h"

#define AGENT_EXIT_STATUS_FILE "exit_status"
#define AGENT_SUPERVISOR_FILE "supervisor"
/* Both records are a few hundred bytes; a longer file is not one of them (-EFBIG). */
#define AGENT_RECORD_MAX 4096

enum agent_exit_how {
	AGENT_EXIT_EXITED,
	AGENT_EXIT_SIGNALED,
	AGENT_EXIT_LAUNCH_FAILED,
};

struct agent_exit_record {
	enum agent_exit_how how;
	int code;                      /* exit status, signal number or errno */
	bool core_dumped;
	enum agent_launch_stage stage; /* AGENT_EXIT_LAUNCH_FAILED */
	pid_t task_pid;
	uint64_t utime_us, stime_us, maxrss_kb;
	uint64_t time_ns;
};

/* A running task as the agent holds it. */
struct agent_task_proc {
	pid_t supervisor_pid;
	int supervisor_pidfd; /* EPOLLIN when the supervisor has exited; -1 when closed */
	pid_t task_pid;
	bool child;           /* forked by this agent: reap it (agent_task_reap) */
};

/*
 * Fork the supervisor into the cgroup at supervisor_cgroup_fd (struct agent_cgroup's
 * supervisor_fd) and have it start the task prepared in sp. Blocks until the task has
 * exec'ed or failed (about the time of one fork + exec). On failure err has the stage,
 * errno and message (the supervisor has also left a launch-failed exit_status). The
 * sandbox is sp->sandbox_fd; the supervisor's records go to meta_fd (a directory the task
 * cannot write).
 */
int agent_task_launch(const struct agent_spawn *sp, int supervisor_cgroup_fd, int meta_fd,
		      struct agent_task_proc *ret, struct agent_launch_error *err);
struct agent_health_run;
/*
 * The same, the supervisor also running the task's health checks (health.h; NULL: none).
 * The supervisor then keeps the task's sandbox and cgroup fds for them.
 */
int agent_task_launch_checked(const struct agent_spawn *sp, const struct agent_health_run *health,
			      int supervisor_cgroup_fd, int meta_fd, struct agent_task_proc *ret,
			      struct agent_launch_error *err);
/*
 * Write name in dirfd whole (temp + rename, no fsync), async-signal-safe: the supervisor's
 * records that need not survive a crash of the host (health.h).
 */
int agent_record_write(int dirfd, const char *name, const char *data, size_t len);
/*
 * The supervisor's pidfd fired: reap it if it is our child, close the pidfd. Idempotent.
 * Then read the status with agent_exit_status_read().
 */
void agent_task_reap(struct agent_task_proc *p);
/* Close the pidfd without reaping (the agent is going away; the supervisor stays). */
void agent_task_proc_close(struct agent_task_proc *p);

/*
 * <meta>/exit_status: 0, -ENOENT when the task has not ended (or no record), -EINVAL when
 * it does not parse, -ELOOP/-EBADFD/-EFBIG when it is a symlink, not a regular file or
 * too long. Never blocks.
 */
int agent_exit_status_read(int meta_fd, struct agent_exit_record *ret);
int agent_exit_record_parse(const char *text, struct agent_exit_record *ret);
/* Async-signal-safe (hand-rolled formatting). Returns the length or -ENOBUFS. */
int agent_exit_record_format(const struct agent_exit_record *r, char *buf, size_t len);

/*
 * The one writer of the supervisor's text records (exit_status, supervisor, health:
 * "key value" lines), async-signal-safe (supervisor_status.c): each put appends "key v\n"
 * to buf (NUL-terminated once buf[0] is) or, when it does not fit, sets overflow.
 */
struct agent_record_out {
	char *buf;
	size_t len, off;
	bool overflow;
};
void agent_record_put_kv(struct agent_record_out *o, const char *key, uint64_t v);

/* <meta>/supervisor */
struct agent_supervisor_record {
	pid_t pid;
	uint64_t start; /* /proc/<pid>/stat starttime */
	pid_t task_pid; /* 0 when unknown */
};
/* 0 or -EINVAL (no pid or start, or out of range). */
int agent_supervisor_record_parse(const char *text, struct agent_supervisor_record *ret);

enum agent_reattach {
	AGENT_REATTACH_RUNNING,  /* supervisor alive: watch ret->supervisor_pidfd */
	AGENT_REATTACH_EXITED,   /* exit_status is there: report it */
	AGENT_REATTACH_ORPHANED, /* no supervisor and no status: the true status is lost */
};
/*
 * After an agent restart: find the task's supervisor from <meta>/supervisor and
 * pidfd_open it (checking its start time), or its exit status. Returns an
 * enum agent_reattach or -errno. ret is written for RUNNING (and task_pid when known).
 * ORPHANED with the leaf still populated means someone killed the supervisor; the caller
 * kills the leaf (agent_cgroup_kill) and reports the task failed/lost.
 */
int agent_task_reattach(int meta_fd, struct agent_task_proc *ret);

/* ---- outcome: what the terminal status update says ---- */

enum agent_task_state {
	AGENT_TASK_FINISHED,
	AGENT_TASK_FAILED,
	AGENT_TASK_KILLED,
};

struct agent_task_outcome {
	enum agent_task_state state;
	const char *reason; /* "REASON_CONTAINER_LIMITATION_MEMORY", ... or NULL */
	char message[256];
};

/*
 * Map a task's end to its terminal state (Mesos's rules):
 *   killed by the agent (KILL, shutdown) -> TASK_KILLED;
 *   OOM kills in memory.events and not a clean exit -> TASK_FAILED,
 *       REASON_CONTAINER_LIMITATION_MEMORY, "... peak 300.0 MiB, limit 256.0 MiB";
 *   exit 0 -> TASK_FINISHED; exit N -> TASK_FAILED "exited with status N";
 *   signal -> TASK_FAILED "killed by signal 9 (SIGKILL)";
 *   launch failed -> TASK_FAILED, REASON_COMMAND_EXECUTOR_FAILED, the launch error;
 *   rec NULL (status lost) -> TASK_FAILED, REASON_EXECUTOR_TERMINATED.
 * usage may be NULL.
 */
void agent_task_outcome(const struct agent_exit_record *rec, bool killed_by_agent,
			const struct agent_task_usage *usage, struct agent_task_outcome *ret);

#endif
