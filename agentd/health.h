/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Health checks (Mesos's HealthCheck: COMMAND, HTTP, TCP; lib/health_check.h parses them),
 * run by the task's supervisor so they outlive the agent, as Mesos's command executor runs
 * them beside its task.
 *
 *	health_state.c   the state machine: check results in, health updates out (pure)
 *	health_record.c  <meta>/health, the supervisor's record of the latest health
 *	health_run.c     what a check execs (prepared in the agent), and the supervisor's
 *	                 loop that runs the checks beside the task (async-signal-safe)
 *	health_watch.c   the agent: watches the records, sends the updates, kills
 *
 * Where a check runs. A COMMAND check is a process cloned into the task's cgroup leaf
 * (clone3(CLONE_INTO_CGROUP), launch.h: its CPU and memory are the task's), with the task's
 * user, environment (the check's own variables first), seccomp filter and sandbox as its
 * working directory, stdin/stdout/stderr /dev/null. An HTTP or TCP check is the same kind
 * of process exec'ing drover-health-probe (<prefix>/libexec/drover/, or beside drover-agent
 * in a build tree), which connects
 * to 127.0.0.1 (or [::1]) on the port from inside the task's network namespace (the
 * supervisor enters it first when the task has one of its own; today tasks share the
 * host's): libcurl with redirects followed, 200-399 success; or a TCP connect().
 *
 * When (Mesos's rules): the first check delay_seconds after the launch, the next one
 * interval_seconds after the previous ended (at least AGENT_HEALTH_MIN_INTERVAL_NS); a
 * check that runs past timeout_seconds (0: no limit) is SIGKILLed with its process group
 * and is a failure. Failures within grace_period_seconds of the launch are ignored until
 * the first success; after that every failure is a healthy=false update; the first success
 * and the first success after a failure are a healthy=true update. At
 * consecutive_failures failures in a row the supervisor stops checking and kills the task
 * with its kill policy (SIGTERM to its cgroup, cgroup.kill after the grace period, 3 s by
 * default) — itself, so the kill happens while the agent is down too. When the agent kills
 * the task (a KILL, a shutdown) it makes <meta>/health_stop and no check starts after that:
 * a task shutting down within its grace period is not judged unhealthy for it.
 *
 * <meta>/health (root's meta directory: the task cannot write it), written whole
 * (temp + rename) after each update, one "key value" per line:
 *	drover-health 1
 *	updates <n>                 health updates so far (the agent sends one per increase)
 *	healthy 0|1                 the latest one
 *	consecutive_failures <n>
 *	kill 0|1                    the checks killed the task
 *	result <enum agent_health_result>   the last check: ok, exited, signaled, ...
 *	code <n>                    its exit status, signal, or errno
 *	time_ns <CLOCK_REALTIME>
 */
#ifndef DROVER_AGENT_HEALTH_H
#define DROVER_AGENT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "health_check.h"
#include "launch.h"

#define AGENT_HEALTH_FILE "health"
/* made by the agent when it kills the task: no more checks (Mesos stops them at a kill) */
#define AGENT_HEALTH_STOP_FILE "health_stop"
#define AGENT_HEALTH_PROBE "drover-health-probe"
#define AGENT_HEALTH_MIN_INTERVAL_NS (100LL * 1000000)

/* ---- health_state.c: the state machine (pure, async-signal-safe) ---- */

struct agent_health_params {
	int64_t grace_ns; /* failures this soon after the launch ... */
	uint32_t consecutive_failures; /* ... kill at this many in a row */
};

struct agent_health_state {
	bool succeeded; /* a check has succeeded once */
	uint32_t consecutive_failures;
	uint64_t updates; /* health updates so far */
	bool healthy; /* the latest update's */
	bool kill; /* the limit was reached */
};

enum agent_health_action {
	AGENT_HEALTH_NONE, /* nothing to say (a failure within the grace period) */
	AGENT_HEALTH_HEALTHY, /* send healthy=true */
	AGENT_HEALTH_UNHEALTHY, /* send healthy=false */
	AGENT_HEALTH_KILL, /* send healthy=false and kill the task */
};

/* One check's result, since_launch_ns after the launch: what to send. Updates *s. */
enum agent_health_action agent_health_step(struct agent_health_state *s,
					   const struct agent_health_params *p, bool ok,
					   int64_t since_launch_ns);

/* ---- health_record.c: <meta>/health ---- */

enum agent_health_result {
	AGENT_HEALTH_OK = 0,
	AGENT_HEALTH_EXITED = 1, /* code: exit status (not 0) */
	AGENT_HEALTH_SIGNALED = 2, /* code: the signal */
	AGENT_HEALTH_TIMEOUT = 3,
	AGENT_HEALTH_LAUNCH_FAILED = 4, /* code: errno */
};

struct agent_health_record {
	uint64_t updates;
	bool healthy;
	uint32_t consecutive_failures;
	bool kill;
	enum agent_health_result result;
	int code;
	uint64_t time_ns;
};

/* Async-signal-safe. The length, or -ENOBUFS. */
int agent_health_record_format(const struct agent_health_record *r, char *buf, size_t len);
/* 0, or -EINVAL when text is not a health record. */
int agent_health_record_parse(const char *text, struct agent_health_record *ret);
/* <meta>/health through lib/fileio's safe reader: 0, -ENOENT (no update yet), -errno. */
int agent_health_record_read(int meta_fd, struct agent_health_record *ret);
/* "exited with status 1", "timed out", ... for a status message. type words the probe's. */
void agent_health_result_describe(const struct agent_health_record *r, enum health_check_type type,
				  char *buf, size_t len);

/* ---- health_run.c: the checks (the supervisor's side) ---- */

/* What the supervisor runs, prepared in the agent (allocations) before the fork. */
struct agent_health_run {
	char *path; /* the check's executable: the command's, or the probe */
	char **argv;
	char **envp;
	int64_t delay_ns, interval_ns, timeout_ns, kill_grace_ns;
	struct agent_health_params params;
};

/*
 * The check hc of a task whose environment is task_envp, killed with kill_grace_ns; probe
 * is drover-health-probe's path (HTTP, TCP). 0 or -ENOMEM.
 */
int agent_health_run_new(const struct health_check *hc, char *const *task_envp, const char *probe,
			 int64_t kill_grace_ns, struct agent_health_run **ret);
void agent_health_run_free(struct agent_health_run *hr);

/*
 * In the supervisor (async-signal-safe), once the task (task_pid, started from task) runs:
 * run hr's checks beside it, write <meta>/health on each update, kill the task when they
 * say so, reap every child (the supervisor is a subreaper) until the task's main process
 * has ended. Its wait status and rusage go to *ret_status and *ret_ru. 0 or -errno (then
 * the caller waits for the task itself).
 */
int agent_health_supervise(const struct agent_health_run *hr, const struct agent_spawn *task,
			   pid_t task_pid, int meta_fd, int *ret_status, struct rusage *ret_ru);

/* ---- health_watch.c: the agent's side (loop thread) ---- */

struct agent;
struct agent_task;

/* drover-health-probe's path (libexec/drover/, else beside the agent), into buf. 0 or -errno. */
int agent_health_probe_path(char *buf, size_t len);
/*
 * t (launched or recovered running, with a health check) is watched: each new update in its
 * record is a TASK_RUNNING with `healthy` and REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, and
 * a kill by its checks is TASK_KILLING (healthy=false). recovered: the latest health is
 * reported again (the agent does not know what it sent before it died).
 */
void agent_health_task_start(struct agent_task *t, bool recovered);
/* What t's record says that the agent has not sent yet, sent now (before t's end). */
void agent_health_task_refresh(struct agent_task *t);
/* Did t's health checks kill it? (Its terminal update then says healthy=false.) */
bool agent_health_task_killed(struct agent_task *t);
/* The agent kills t: its checks stop (<meta>/health_stop), no more health updates. */
void agent_health_task_pause(struct agent_task *t);
/* t leaves the table: its watch goes. */
void agent_health_task_stop(struct agent_task *t);
/* The agent stops: the inotify watch goes. */
void agent_health_fini(struct agent *a);

#endif
