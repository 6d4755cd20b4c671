// SPDX-License-Identifier: Apache-2.0
/*
 * The task table and a task's life after its launch (task_launch.c): its checkpoint
 * record, the watch on its supervisor, its kill (SIGTERM, then cgroup.kill after the grace
 * period), its end (accounting, terminal update) and its removal once that is acknowledged.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_internal.h"
#include "completed.h"
#include "health.h"
#include "log.h"
#include "task_limits.h"

#define DEFAULT_GRACE_NS (3LL * 1000000000)

/*
 * A new task in the table. Its sandbox is sandboxes/<fw_name>/<name>/<run>; run NULL or ""
 * is a task recovered from before run IDs, whose sandbox is sandboxes/<fw_name>/<name>.
 */
struct agent_task *agent_task_new(struct agent *a, const char *fid, const char *tid,
				  const char *fw_name, const char *name, const char *run,
				  json_t *info)
{
	struct agent_task *t = calloc(1, sizeof(*t));
	char key[2 * ID_MAX_LEN + 2];

	if (!t)
		return NULL;
	if (disk_name(fid, strlen(fid), DISK_NAME_CGROUP, t->cg_fw) < 0 ||
	    disk_name(tid, strlen(tid), DISK_NAME_CGROUP, t->cg_name) < 0 ||
	    (!fw_name && disk_name(fid, strlen(fid), 0, t->fw_name) < 0) ||
	    (!name && disk_name(tid, strlen(tid), 0, t->name) < 0)) {
		free(t);
		return NULL;
	}
	if (fw_name)
		snprintf(t->fw_name, sizeof(t->fw_name), "%s", fw_name);
	if (name)
		snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	t->agent = a;
	t->fw_id = strdup(fid);
	t->id = strdup(tid);
	t->key = strdup(key);
	t->info = json_incref(info);
	t->cgroup_fd = -1;
	t->logger_pidfd = -1;
	t->proc.supervisor_pidfd = -1;
	t->state = TASK_STAGING;
	snprintf(t->run, sizeof(t->run), "%s", run ? run : "");
	if (t->run[0])
		snprintf(t->sandbox, sizeof(t->sandbox), "%s/sandboxes/%s/%s/%s",
			 a->flags->work_dir, t->fw_name, t->name, t->run);
	else
		snprintf(t->sandbox, sizeof(t->sandbox), "%s/sandboxes/%s/%s", a->flags->work_dir,
			 t->fw_name, t->name);
	strmap_put(&a->tasks, key, t, NULL);
	return t;
}

/* Checkpoint t's record (TaskInfo, sandbox, run ID, kill request). 0 or -errno, logged. */
int agent_task_save(struct agent_task *t)
{
	json_t *rec = json_pack("{s:o,s:O,s:b,s:s}", "framework_id", wire_id(t->fw_id), "task",
				t->info, "kill_requested", t->kill_requested, "sandbox", t->sandbox);
	int r;

	if (t->run[0])
		json_object_set_new(rec, "run", json_string(t->run));
	if (t->exec)
		json_object_set_new(rec, "executor", agent_executor_record(t->exec));
	if (t->fw_info)
		json_object_set(rec, "framework_info", t->fw_info);
	r = agent_checkpoint_task_save(&t->agent->ckpt, t->fw_name, t->name, rec);

	json_decref(rec);
	if (r < 0)
		log_error_errno(r, "cannot checkpoint task '%s': %m", t->id);
	return r;
}

/* A task whose last update is acknowledged and whose processes are gone is forgotten. */
void agent_task_maybe_forget(struct agent_task *t)
{
	struct agent *a = t->agent;

	if (t->updates || !task_state_terminal(t->state) || t->running)
		return;
	agent_checkpoint_task_remove(&a->ckpt, t->fw_name, t->name);
	agent_completed_task(a, t); /* before its executor may go */
	strmap_del(&a->tasks, t->key);
	agent_executor_task_detach(t); /* the executor goes with its last task */
	agent_task_free(t);
}

/* Free t (the caller takes it out of the table); its supervisor and leaf stay as they are. */
void agent_task_free(struct agent_task *t)
{
	struct agent *a = t->agent;

	agent_updates_free(t);
	agent_health_task_stop(t);
	loop_timer_del(a->loop, t->kill_timer);
	loop_unwatch(a->loop, t->exit_watch);
	loop_unwatch(a->loop, t->logger_watch);
	loop_timer_del(a->loop, t->logger_timer);
	closep(&t->logger_pidfd); /* the logger stays too: it ends with the task's output */
	agent_task_proc_close(&t->proc); /* the supervisor stays: the agent may be restarting */
	agent_taskstats_untrack(a->taskstats, t, NULL);
	if (t->cgroup_fd >= 0)
		close(t->cgroup_fd);
	json_decref(t->info);
	json_decref(t->fw_info);
	json_decref(t->statuses);
	alloc_res_clear(&t->res);
	free(t->fw_id);
	free(t->id);
	free(t->key);
	free(t);
}

/* Kill what is left in the leaf and remove it; give the resources back. */
void agent_task_cleanup(struct agent_task *t)
{
	struct agent *a = t->agent;

	if (t->cgroup_fd >= 0) {
		agent_cgroup_kill(t->cgroup_fd);
		agent_cgroup_wait_empty(t->cgroup_fd, 2000);
		agent_bpf_task_stop(a->bpf, t->cgroup_fd, &t->res);
		agent_isolators_cleanup(&a->iso_ctx, t->cgroup_fd);
		close(t->cgroup_fd);
		t->cgroup_fd = -1;
		if (t->exec)
			agent_executor_leaf_remove(t->exec, t->cg_name);
		else
			agent_cgroup_task_remove(&a->cg, t->cg_fw, t->cg_name);
	}
	if (!task_state_terminal(t->state))
		alloc_res_sub(&a->used, &t->res);
	agent_task_uid_release(a, t);
}

/* Sum the taskstats exit records of t's processes from now on (taskstats.h). */
void agent_task_track(struct agent_task *t, bool partial)
{
	char path[1024];

	if (!t->agent->taskstats)
		return;
	if (t->exec)
		snprintf(path, sizeof(path), "/%s/executors/%s/%s/%s", t->agent->cg.root,
			 t->exec->cg_fw, t->exec->cg_name, t->cg_name);
	else
		snprintf(path, sizeof(path), "/%s/tasks/%s/%s", t->agent->cg.root, t->cg_fw,
			 t->cg_name);
	if (agent_taskstats_track(t->agent->taskstats, t, path, t->proc.supervisor_pid,
				  t->proc.task_pid, partial) < 0)
		log_warn("task '%s': cannot track its taskstats", t->id);
}

/* Before the final kill: the live processes, so their exit records are recognised. */
static void task_track_procs(struct agent_task *t)
{
	pid_t *pids = NULL;
	size_t n = 0;

	if (!t->agent->taskstats || t->cgroup_fd < 0)
		return;
	if (agent_cgroup_procs(t->cgroup_fd, &pids, &n) == 0 && n)
		agent_taskstats_add_pids(t->agent->taskstats, t, pids, n);
	free(pids);
}

/* After the leaf is empty: every exit record is queued; read them and take the sum. */
static json_t *task_taskstats_json(struct agent_task *t)
{
	struct agent *a = t->agent;
	struct agent_taskstats_sum sum;
	char why[300];
	bool on;

	if (!a->taskstats)
		return json_pack("{s:b,s:s}", "available", 0, "why", a->taskstats_note);
	agent_taskstats_receive(a->taskstats);
	if (agent_taskstats_untrack(a->taskstats, t, &sum) < 0)
		return json_pack("{s:b,s:s}", "available", 0, "why",
				 "the task ended while the agent was down");
	on = agent_taskstats_delayacct(NULL, why, sizeof(why));
	return agent_taskstats_sum_json(&sum, on, why);
}

/* The task's end as its terminal update: state, reason, message and final accounting. */
void agent_task_finish(struct agent_task *t, const struct agent_exit_record *rec)
{
	struct agent *a = t->agent;
	struct agent_task_usage u = {0};
	struct agent_task_outcome out;
	enum task_state s;
	json_t *ext = json_object(), *acct = json_object();
	char bpf_oom[256] = "";

	/* what the health record says that was not sent yet goes first (a kill: TASK_KILLED) */
	agent_health_task_refresh(t);
	if (t->cgroup_fd >= 0)
		agent_isolators_usage(&a->iso_ctx, t->cgroup_fd, 0, &u);
	if (t->cgroup_fd >= 0) /* exact figures and the OOM victim, into acct.bpf */
		agent_bpf_task_finish(a->bpf, t->cgroup_fd, acct, bpf_oom, sizeof(bpf_oom));
	task_track_procs(t);
	agent_task_cleanup(t);
	agent_task_outcome(rec, t->kill_requested, &u, &out);
	if (bpf_oom[0] && out.state != AGENT_TASK_FINISHED && !t->kill_requested) {
		out.reason = "REASON_CONTAINER_LIMITATION_MEMORY";
		snprintf(out.message, sizeof(out.message), "%s", bpf_oom);
	}
	s = out.state == AGENT_TASK_FINISHED ? TASK_FINISHED
	    : out.state == AGENT_TASK_KILLED ? TASK_KILLED
					     : TASK_FAILED;
	if (rec && rec->how == AGENT_EXIT_EXITED)
		json_object_set_new(ext, "exit_code", json_integer(rec->code));
	if (rec && rec->how == AGENT_EXIT_SIGNALED)
		json_object_set_new(ext, "signal", json_integer(rec->code));
	if (rec) {
		json_object_set_new(acct, "user_ns", json_integer((json_int_t)rec->utime_us * 1000));
		json_object_set_new(acct, "system_ns", json_integer((json_int_t)rec->stime_us * 1000));
		json_object_set_new(acct, "maxrss_bytes", json_integer((json_int_t)rec->maxrss_kb * 1024));
	}
	if (u.valid & AGENT_USAGE_CPU)
		json_object_set_new(acct, "cpu_ns", json_integer((json_int_t)u.cpu_usage_usec * 1000));
	if (u.valid & AGENT_USAGE_MEM_PEAK)
		json_object_set_new(acct, "mem_peak_bytes", json_integer((json_int_t)u.mem_peak));
	if (u.valid & AGENT_USAGE_MEM_EVENTS)
		json_object_set_new(acct, "oom_kills", json_integer((json_int_t)u.mem_events_oom_kill));
	json_object_set_new(acct, "taskstats", task_taskstats_json(t));
	json_object_set_new(ext, "accounting", acct);
	if (agent_health_task_killed(t)) /* Mesos: a task its checks killed ends unhealthy */
		agent_task_status_healthy(t, s, false, out.reason, out.message, ext);
	else
		agent_task_status(t, s, out.reason, out.message, ext);
	if (t->exec)
		agent_group_task_ended(t, s); /* the group's kill-all rule */
}

/*
 * The directory that holds t's supervisor records (supervisor.h): its checkpoint
 * directory, root's; for a task launched before run IDs, its sandbox (recovery only).
 */
int agent_task_records_open(struct agent_task *t)
{
	int fd;

	if (t->run[0])
		return agent_checkpoint_task_dir_open(&t->agent->ckpt, t->fw_name, t->name);
	fd = open(t->sandbox, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* t's exit status as its supervisor recorded it (supervisor.h). 0 or -errno. */
int agent_task_exit_status_read(struct agent_task *t, struct agent_exit_record *rec)
{
	_cleanup_close_ int fd = agent_task_records_open(t);

	if (fd < 0)
		return fd;
	return agent_exit_status_read(fd, rec);
}

/* t's supervisor is gone (and its output written): its record says how t ended. */
static void task_end(struct agent_task *t)
{
	struct agent_exit_record rec;
	int r;

	r = agent_task_exit_status_read(t, &rec);
	if (r < 0)
		log_warn("task '%s': no exit status recorded (%s)", t->id, strerror(-r));
	agent_task_finish(t, r < 0 ? NULL : &rec);
	t->running = false;
	agent_task_maybe_forget(t);
}

/* The logger has written the last of t's output, or it took too long: t's end goes out. */
static void on_logger_done(struct agent_task *t)
{
	loop_unwatch(t->agent->loop, t->logger_watch);
	t->logger_watch = NULL;
	loop_timer_del(t->agent->loop, t->logger_timer);
	t->logger_timer = NULL;
	closep(&t->logger_pidfd);
	task_end(t);
}

static void on_logger_exit(struct loop *l, int fd, uint32_t events, void *data)
{
	on_logger_done(data);
}

static void on_logger_timeout(struct loop *l, struct loop_timer *timer, void *data)
{
	on_logger_done(data);
}

/*
 * Wait for t's logger before t's terminal update, so what the task wrote is in its files
 * when the framework hears of its end (`drover task run` prints it then), but only when
 * nothing of t is left that could hold the pipes (else the end goes at once, and the
 * cleanup's cgroup.kill ends the logger), and for a second at most.
 */
static bool task_await_logger(struct agent_task *t)
{
	struct pollfd pfd = {.fd = t->logger_pidfd, .events = POLLIN};
	pid_t *pids = NULL;
	size_t n = 0;

	if (t->logger_pidfd < 0 || poll(&pfd, 1, 0) != 0)
		return false;
	if (t->cgroup_fd >= 0 && (agent_cgroup_procs(t->cgroup_fd, &pids, &n) < 0 || n > 0)) {
		free(pids);
		return false;
	}
	free(pids);
	t->logger_watch = loop_watch_fd(t->agent->loop, t->logger_pidfd, EPOLLIN, on_logger_exit, t);
	t->logger_timer = loop_timer_add(t->agent->loop, 1000000000LL, 0, on_logger_timeout, t);
	if (!t->logger_watch || !t->logger_timer) {
		loop_unwatch(t->agent->loop, t->logger_watch);
		loop_timer_del(t->agent->loop, t->logger_timer);
		t->logger_watch = NULL;
		t->logger_timer = NULL;
		return false;
	}
	return true;
}

/* t's supervisor is gone: t ends once its logger has written its output. */
static void on_supervisor_exit(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent_task *t = data;

	loop_unwatch(l, t->exit_watch);
	t->exit_watch = NULL;
	agent_task_reap(&t->proc);
	loop_timer_del(l, t->kill_timer);
	t->kill_timer = NULL;
	if (!task_await_logger(t))
		task_end(t);
}

/* Watch t's supervisor: its exit finishes t (on_supervisor_exit). */
void agent_task_watch_exit(struct agent_task *t)
{
	t->exit_watch = loop_watch_fd(t->agent->loop, t->proc.supervisor_pidfd, EPOLLIN,
				      on_supervisor_exit, t);
}

/* The grace period is over: cgroup.kill what is left. */
static void on_kill_timer(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent_task *t = data;

	loop_timer_del(l, timer);
	t->kill_timer = NULL;
	if (t->cgroup_fd >= 0) {
		log_info("task '%s' outlived its grace period: cgroup.kill", t->id);
		agent_cgroup_kill(t->cgroup_fd);
	}
}

/* cgroup.kill of the task's cgroup when the grace period is over. */
void agent_task_kill_timer(struct agent_task *t, int64_t grace_ns)
{
	if (!t->kill_timer)
		t->kill_timer = loop_timer_add(t->agent->loop, grace_ns, 0, on_kill_timer, t);
}

/* SIGTERM to the task's cgroup now, cgroup.kill when the grace period is over. */
void agent_task_kill_signal(struct agent_task *t, int64_t grace_ns)
{
	agent_health_task_pause(t); /* a task shutting down is not judged by its checks */
	if (t->cgroup_fd >= 0)
		agent_cgroup_signal(t->cgroup_fd, SIGTERM);
	agent_task_kill_timer(t, grace_ns);
}

/* The grace period of policy (a KILL's), else of the task's own kill_policy, else 3 s. */
int64_t agent_task_kill_grace(const struct agent_task *t, json_t *policy)
{
	json_t *gp;

	if (!policy)
		policy = json_object_get(t->info, "kill_policy");
	gp = json_object_get(json_object_get(policy, "grace_period"), "nanoseconds");
	if (json_is_integer(gp) && json_integer_value(gp) >= 0)
		return (int64_t)json_integer_value(gp);
	return DEFAULT_GRACE_NS;
}

/*
 * Kill t once: the request checkpointed first, then (if it runs) TASK_KILLING, SIGTERM and
 * cgroup.kill after grace_ns.
 */
void agent_task_kill(struct agent_task *t, int64_t grace_ns)
{
	if (task_state_terminal(t->state) || t->kill_requested)
		return;
	t->kill_requested = true;
	agent_task_save(t); /* a restarted agent must still say TASK_KILLED */
	if (!t->running)
		return;
	agent_task_status(t, TASK_KILLING, NULL, NULL, NULL);
	agent_task_kill_signal(t, grace_ns);
}

/*
 * Limits from TaskInfo.resources and TaskInfo.limits, in the isolators' units
 * (task_limits.h), for a task that already runs: a cap lowered since its launch does not
 * apply to it. Limits it could not have been launched with read as none.
 */
void agent_task_limits_of(struct agent_task *t, struct agent_task_limits *lim)
{
	char err[256];

	if (agent_task_limits_from_json(t->info, &t->res, lim, err, sizeof(err)) < 0)
		memset(lim, 0, sizeof(*lim));
}

/* A KILL event for a task the agent has (any other is ignored). */
void agent_on_kill(struct agent *a, json_t *k)
{
	char err[WIRE_ERR_LEN], key[2 * ID_MAX_LEN + 2];
	const char *fid = wire_get_id(k, "framework_id", err, sizeof(err));
	const char *tid = wire_get_id(k, "task_id", err, sizeof(err));
	struct agent_task *t;

	if (!fid || !tid)
		return;
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	t = strmap_get(&a->tasks, key);
	if (!t)
		return;
	if (t->exec && !t->exec->is_default) { /* its executor kills it (executor_custom.c) */
		agent_executor_kill_task(t, json_object_get(k, "kill_policy"));
		return;
	}
	/* the KILL's own policy wins over the one the task was launched with */
	agent_task_kill(t, agent_task_kill_grace(t, json_object_get(k, "kill_policy")));
}
