// SPDX-License-Identifier: Apache-2.0
/*
 * The agent daemon: subscribe to the master, run what it launches in cgroup leaves, report
 * status updates until acknowledged, kill on request, reconnect after a lost connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "mkdir.h"
#include "strv.h"
#include "task_limits.h"
#include "api.h"
#include "launch.h"
#include "log.h"
#include "zk.h"

#define ERRLEN 512
#define DEFAULT_GRACE_NS (3LL * 1000000000)

/* ------------------------------------------------------------------ master calls */

static void post_call(struct agent *a, json_t *body, http_done_fn done, void *data,
		      struct http_call **ret_call)
{
	char hdr[160], url[600], *s;
	const char *hdrs[2] = {hdr, NULL};
	struct http_call *c;

	snprintf(hdr, sizeof(hdr), "Mesos-Stream-Id: %s", subscription_stream_id(a->sub));
	snprintf(url, sizeof(url), "%s/api/v1/agent", a->master_url);
	json_object_set_new(body, "agent_id", wire_id(a->agent_id));
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	c = s ? http_post(a->http, url, "application/json", s, strlen(s), hdrs, 15000, done, data)
	      : NULL;
	free(s);
	if (ret_call)
		*ret_call = c;
}

/* ------------------------------------------------------------------ checkpoints */

static void save_updates(struct agent_task *t)
{
	json_t *arr = json_array();
	int r;

	for (struct agent_update *u = t->updates; u; u = u->next)
		json_array_append(arr, u->status);
	r = agent_checkpoint_updates_save(&t->agent->ckpt, t->fw_id, t->id, arr);
	if (r < 0)
		log_error_errno(r, "cannot checkpoint the updates of task '%s': %m", t->id);
	json_decref(arr);
}

static int save_task(struct agent_task *t)
{
	json_t *rec = json_pack("{s:o,s:O,s:b,s:s}", "framework_id", wire_id(t->fw_id), "task",
				t->info, "kill_requested", t->kill_requested, "sandbox", t->sandbox);
	int r;

	if (t->run[0])
		json_object_set_new(rec, "run", json_string(t->run));
	r = agent_checkpoint_task_save(&t->agent->ckpt, t->fw_id, t->id, rec);

	json_decref(rec);
	if (r < 0)
		log_error_errno(r, "cannot checkpoint task '%s': %m", t->id);
	return r;
}

/* ------------------------------------------------------------------ status updates */

static void send_next_update(struct agent_task *t);

static void on_retry(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent_task *t = data;

	loop_timer_del(l, timer);
	t->retry_timer = NULL;
	send_next_update(t);
}

static void schedule_retry(struct agent_task *t)
{
	t->backoff_ns = t->backoff_ns ? t->backoff_ns * 2 : 500000000;
	if (t->backoff_ns > 10000000000LL)
		t->backoff_ns = 10000000000LL;
	if (!t->retry_timer)
		t->retry_timer = loop_timer_add(t->agent->loop, t->backoff_ns, 0, on_retry, t);
}

static void on_update_sent(long status, const char *body, size_t len, const char *err, void *data)
{
	struct agent_task *t = data;

	t->update_call = NULL;
	t->update_in_flight = false;
	if (status != 202) {
		log_warn("status update for task '%s' not accepted (%ld %s); retrying", t->id, status,
			 err ? err : body);
		schedule_retry(t);
		return;
	}
	/* accepted; the acknowledgement comes on the stream. Re-send if it does not. */
	t->backoff_ns = 5000000000LL / 2;
	schedule_retry(t);
}

static void send_next_update(struct agent_task *t)
{
	struct agent *a = t->agent;
	json_t *body;

	if (!t->updates || t->update_in_flight || !a->subscribed)
		return;
	/*
	 * One POST per task at a time: one still held is from before a resubscription (a
	 * partition holds it until its time-out). It goes, or its callback, which holds the task,
	 * would outlive the task once the acknowledgement frees it.
	 */
	if (t->update_call) {
		http_call_cancel(a->http, t->update_call);
		t->update_call = NULL;
	}
	/* an update queued before the agent knew its ID carries an empty agent_id */
	json_object_set_new(t->updates->status, "agent_id", wire_id(a->agent_id));
	body = json_pack("{s:s,s:{s:o,s:O,s:s}}", "type", "STATUS_UPDATE", "status_update",
			 "framework_id", wire_id(t->fw_id), "status", t->updates->status,
			 "latest_state", task_state_name(t->state));
	t->update_in_flight = true;
	post_call(a, body, on_update_sent, t, &t->update_call);
	if (!t->update_call) {
		t->update_in_flight = false;
		schedule_retry(t);
	}
}

static void task_free(struct agent_task *t);

static void queue_update(struct agent_task *t, json_t *status, const char *uuid)
{
	struct agent_update *u = calloc(1, sizeof(*u));

	if (!u) {
		json_decref(status);
		return;
	}
	u->status = status;
	snprintf(u->uuid, sizeof(u->uuid), "%s", uuid);
	if (t->updates_tail)
		t->updates_tail->next = u;
	else
		t->updates = u;
	t->updates_tail = u;
}

/* Queue a new status for t: STARTING, RUNNING, or terminal with its accounting. */
static void task_status(struct agent_task *t, enum task_state s, const char *reason,
			const char *message, json_t *ext)
{
	struct agent *a = t->agent;
	char uuid[UUID_STR_LEN];
	json_t *st;

	t->state = s;
	uuid_random(uuid);
	st = json_pack("{s:o,s:s,s:s,s:s,s:f,s:o}", "task_id", wire_id(t->id), "state",
		       task_state_name(s), "source", "SOURCE_EXECUTOR", "uuid", uuid, "timestamp",
		       (double)now_real_ns() / 1e9, "agent_id", wire_id(a->agent_id));
	if (reason)
		json_object_set_new(st, "reason", json_string(reason));
	if (message)
		json_object_set_new(st, "message", json_string(message));
	if (!ext)
		ext = json_object();
	if (t->sandbox[0])
		json_object_set_new(ext, "sandbox", json_string(t->sandbox));
	json_object_set_new(st, "drover", ext);
	queue_update(t, st, uuid);
	save_updates(t);
	log_info("task '%s' of framework %s: %s%s%s", t->id, t->fw_id, task_state_name(s),
		 message ? ": " : "", message ? message : "");
	send_next_update(t);
}

/* A task whose last update is acknowledged and whose processes are gone is forgotten. */
static void task_maybe_forget(struct agent_task *t)
{
	struct agent *a = t->agent;

	if (t->updates || !task_state_terminal(t->state) || t->running)
		return;
	agent_checkpoint_task_remove(&a->ckpt, t->fw_id, t->id);
	strmap_del(&a->tasks, t->key);
	task_free(t);
}

static void on_acknowledge(struct agent *a, json_t *ack)
{
	char err[WIRE_ERR_LEN], key[2 * ID_MAX_LEN + 2];
	const char *fid = wire_get_id(ack, "framework_id", err, sizeof(err));
	const char *tid = wire_get_id(ack, "task_id", err, sizeof(err));
	const char *uuid = json_string_value(json_object_get(ack, "uuid"));
	struct agent_task *t;
	struct agent_update *u;

	if (!fid || !tid || !uuid)
		return;
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	t = strmap_get(&a->tasks, key);
	if (!t || !t->updates || strcmp(t->updates->uuid, uuid) != 0)
		return;
	/* the acknowledgement can overtake the 202 of the POST that carried the update */
	if (t->update_call) {
		http_call_cancel(a->http, t->update_call);
		t->update_call = NULL;
	}
	t->update_in_flight = false;
	u = t->updates;
	t->updates = u->next;
	if (!t->updates)
		t->updates_tail = NULL;
	json_decref(u->status);
	free(u);
	save_updates(t);
	t->backoff_ns = 0;
	if (t->retry_timer) {
		loop_timer_del(a->loop, t->retry_timer);
		t->retry_timer = NULL;
	}
	if (t->updates)
		send_next_update(t);
	else
		task_maybe_forget(t);
}

/* ------------------------------------------------------------------ tasks */

static void task_free(struct agent_task *t)
{
	struct agent *a = t->agent;

	while (t->updates) {
		struct agent_update *u = t->updates;
		t->updates = u->next;
		json_decref(u->status);
		free(u);
	}
	if (t->update_call)
		http_call_cancel(a->http, t->update_call);
	loop_timer_del(a->loop, t->retry_timer);
	loop_timer_del(a->loop, t->kill_timer);
	loop_unwatch(a->loop, t->exit_watch);
	agent_task_proc_close(&t->proc); /* the supervisor stays: the agent may be restarting */
	agent_taskstats_untrack(a->taskstats, t, NULL);
	if (t->cgroup_fd >= 0)
		close(t->cgroup_fd);
	json_decref(t->info);
	alloc_res_clear(&t->res);
	free(t->fw_id);
	free(t->id);
	free(t->key);
	free(t);
}

/* Kill what is left in the leaf and remove it; give the resources back. */
static void task_cleanup(struct agent_task *t)
{
	struct agent *a = t->agent;

	if (t->cgroup_fd >= 0) {
		agent_cgroup_kill(t->cgroup_fd);
		agent_cgroup_wait_empty(t->cgroup_fd, 2000);
		agent_bpf_task_stop(a->bpf, t->cgroup_fd, &t->res);
		agent_isolators_cleanup(&a->iso_ctx, t->cgroup_fd);
		close(t->cgroup_fd);
		t->cgroup_fd = -1;
		agent_cgroup_task_remove(&a->cg, t->fw_id, t->id);
	}
	if (!task_state_terminal(t->state))
		alloc_res_sub(&a->used, &t->res);
	agent_task_uid_release(a, t);
}

/* Sum the taskstats exit records of t's processes from now on (taskstats.h). */
static void task_track(struct agent_task *t, bool partial)
{
	char path[1024];

	if (!t->agent->taskstats)
		return;
	snprintf(path, sizeof(path), "/%s/tasks/%s/%s", t->agent->cg.root, t->fw_id, t->id);
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
static void task_finish(struct agent_task *t, const struct agent_exit_record *rec)
{
	struct agent *a = t->agent;
	struct agent_task_usage u = {0};
	struct agent_task_outcome out;
	enum task_state s;
	json_t *ext = json_object(), *acct = json_object();
	char bpf_oom[256] = "";

	if (t->cgroup_fd >= 0)
		agent_isolators_usage(&a->iso_ctx, t->cgroup_fd, 0, &u);
	if (t->cgroup_fd >= 0) /* exact figures and the OOM victim, into acct.bpf */
		agent_bpf_task_finish(a->bpf, t->cgroup_fd, acct, bpf_oom, sizeof(bpf_oom));
	task_track_procs(t);
	task_cleanup(t);
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
	task_status(t, s, out.reason, out.message, ext);
}

/*
 * The directory that holds t's supervisor records (supervisor.h): its checkpoint
 * directory, root's; for a task launched before run IDs, its sandbox (recovery only).
 */
static int task_records_open(struct agent_task *t)
{
	int fd;

	if (t->run[0])
		return agent_checkpoint_task_dir_open(&t->agent->ckpt, t->fw_id, t->id);
	fd = open(t->sandbox, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int task_exit_status_read(struct agent_task *t, struct agent_exit_record *rec)
{
	_cleanup_close_ int fd = task_records_open(t);

	if (fd < 0)
		return fd;
	return agent_exit_status_read(fd, rec);
}

static void on_supervisor_exit(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent_task *t = data;
	struct agent_exit_record rec;
	int r;

	loop_unwatch(l, t->exit_watch);
	t->exit_watch = NULL;
	agent_task_reap(&t->proc);
	loop_timer_del(l, t->kill_timer);
	t->kill_timer = NULL;
	r = task_exit_status_read(t, &rec);
	if (r < 0)
		log_warn("task '%s': no exit status recorded (%s)", t->id, strerror(-r));
	task_finish(t, r < 0 ? NULL : &rec);
	t->running = false;
	task_maybe_forget(t);
}

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

/* SIGTERM to the task's cgroup now, cgroup.kill when the grace period is over. */
static void kill_signal(struct agent_task *t, int64_t grace_ns)
{
	if (t->cgroup_fd >= 0)
		agent_cgroup_signal(t->cgroup_fd, SIGTERM);
	t->kill_timer = loop_timer_add(t->agent->loop, grace_ns, 0, on_kill_timer, t);
}

/* The grace period of policy (a KILL's), else of the task's own kill_policy, else 3 s. */
static int64_t kill_grace(const struct agent_task *t, json_t *policy)
{
	json_t *gp;

	if (!policy)
		policy = json_object_get(t->info, "kill_policy");
	gp = json_object_get(json_object_get(policy, "grace_period"), "nanoseconds");
	if (json_is_integer(gp) && json_integer_value(gp) >= 0)
		return (int64_t)json_integer_value(gp);
	return DEFAULT_GRACE_NS;
}

static void task_kill(struct agent_task *t, int64_t grace_ns)
{
	if (task_state_terminal(t->state) || t->kill_requested)
		return;
	t->kill_requested = true;
	save_task(t); /* a restarted agent must still say TASK_KILLED */
	if (!t->running)
		return;
	task_status(t, TASK_KILLING, NULL, NULL, NULL);
	kill_signal(t, grace_ns);
}

/* argv/envp from the CommandInfo; NULL-terminated, owned by the caller. */
static char **strv_from_json(json_t *arr, bool env)
{
	size_t n = json_array_size(arr), i;
	char **v = calloc(n + 1, sizeof(char *));
	json_t *e;

	if (!v)
		return NULL;
	json_array_foreach(arr, i, e) {
		if (env) {
			const char *name = json_string_value(json_object_get(e, "name"));
			const char *val = json_string_value(json_object_get(e, "value"));
			if (!name || !val || asprintf(&v[i], "%s=%s", name, val) < 0)
				v[i] = strdup("");
		} else {
			v[i] = strdup(json_string_value(e) ? json_string_value(e) : "");
		}
	}
	return v;
}

/*
 * sandboxes/, sandboxes/<framework>/ and sandboxes/<framework>/<task>/ may be crossed but not
 * listed (0711): a task of one framework cannot learn another's framework, task or run IDs
 * from them.
 */
static int sandbox_parents_private(const char *sandbox)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", sandbox);
	for (int i = 0; i < 3; i++) {
		char *slash = strrchr(buf, '/');

		if (!slash || slash == buf)
			return 0;
		*slash = '\0';
		if (chmod(buf, 0711) < 0)
			return -errno;
	}
	return 0;
}

/*
 * A new task in the table. Its sandbox is sandboxes/<fw>/<task>/<run>; run NULL or "" is a
 * task recovered from before run IDs, whose sandbox is sandboxes/<fw>/<task>.
 */
static struct agent_task *task_new(struct agent *a, const char *fid, const char *tid,
				   const char *run, json_t *info)
{
	struct agent_task *t = calloc(1, sizeof(*t));
	char key[2 * ID_MAX_LEN + 2];

	if (!t)
		return NULL;
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	t->agent = a;
	t->fw_id = strdup(fid);
	t->id = strdup(tid);
	t->key = strdup(key);
	t->info = json_incref(info);
	t->cgroup_fd = -1;
	t->proc.supervisor_pidfd = -1;
	t->state = TASK_STAGING;
	snprintf(t->run, sizeof(t->run), "%s", run ? run : "");
	if (t->run[0])
		snprintf(t->sandbox, sizeof(t->sandbox), "%s/sandboxes/%s/%s/%s",
			 a->flags->work_dir, fid, tid, t->run);
	else
		snprintf(t->sandbox, sizeof(t->sandbox), "%s/sandboxes/%s/%s", a->flags->work_dir,
			 fid, tid);
	strmap_put(&a->tasks, key, t, NULL);
	return t;
}

/*
 * Limits from TaskInfo.resources and TaskInfo.limits, in the isolators' units
 * (task_limits.h), for a task that already runs: a cap lowered since its launch does not
 * apply to it. Limits it could not have been launched with read as none.
 */
static void task_limits(struct agent_task *t, struct agent_task_limits *lim)
{
	char err[256];

	if (agent_task_limits_from_json(t->info, &t->res, lim, err, sizeof(err)) < 0)
		memset(lim, 0, sizeof(*lim));
}

/* The same for a launch, capped by --max-limit-ratio of the agent's total. -EINVAL + err. */
static int task_limits_capped(struct agent_task *t, struct agent_task_limits *lim, char *err,
			      size_t errlen)
{
	struct agent *a = t->agent;
	uint64_t total_mem = 0;
	int r;

	r = agent_task_limits_from_json(t->info, &t->res, lim, err, errlen);
	if (r < 0)
		return r;
	(void)agent_mib_to_bytes((double)alloc_res_scalar(&a->total, "mem") / ALLOC_SCALAR_UNIT,
				 &total_mem);
	return agent_task_limits_cap(lim,
				     (double)alloc_res_scalar(&a->total, "cpus") / ALLOC_SCALAR_UNIT,
				     total_mem, a->flags->max_limit_ratio, err, errlen);
}

static void on_refusal_sent(long status, const char *body, size_t len, const char *err,
			    void *data)
{
	if (status != 202)
		log_warn("TASK_ERROR for a refused LAUNCH not accepted: %ld %s", status,
			 err ? err : body);
}

/*
 * A LAUNCH whose IDs cannot name a path (so no checkpoint, sandbox or cgroup can exist for
 * it): one TASK_ERROR, sent once and not retried (the master refuses such IDs before they
 * get here; this is the agent's own line of defence).
 */
static void refuse_launch(struct agent *a, json_t *ev, const char *message)
{
	json_t *fid = json_object_get(ev, "framework_id");
	json_t *tid = json_object_get(json_object_get(ev, "task"), "task_id");
	char uuid[UUID_STR_LEN];
	json_t *st;

	if (!json_is_string(json_object_get(fid, "value")) ||
	    !json_is_string(json_object_get(tid, "value")) || !a->subscribed)
		return;
	uuid_random(uuid);
	st = json_pack("{s:O,s:s,s:s,s:s,s:s,s:s,s:f,s:o}", "task_id", tid, "state", "TASK_ERROR",
		       "source", "SOURCE_AGENT", "reason", "REASON_TASK_INVALID", "message",
		       message, "uuid", uuid, "timestamp", (double)now_real_ns() / 1e9, "agent_id",
		       wire_id(a->agent_id));
	post_call(a,
		  json_pack("{s:s,s:{s:O,s:o,s:s}}", "type", "STATUS_UPDATE", "status_update",
			    "framework_id", fid, "status", st, "latest_state", "TASK_ERROR"),
		  on_refusal_sent, a, NULL);
}

/*
 * A launch failed after its sandbox was made: remove it, and the task's and the
 * framework's dirs when it was their last.
 */
static void task_sandbox_discard(struct agent_task *t)
{
	char *slash;
	int r;

	if (!t->sandbox[0])
		return;
	r = agent_sandbox_remove(t->sandbox);
	if (r < 0)
		log_warn_errno(r, "cannot remove the sandbox '%s' of a failed launch: %m",
			       t->sandbox);
	for (int up = t->run[0] ? 2 : 1; up > 0; up--) {
		slash = strrchr(t->sandbox, '/');
		if (!slash)
			break;
		*slash = '\0';
		(void)rmdir(t->sandbox); /* sandboxes/<framework>[/<task>], when this was its last */
	}
	t->sandbox[0] = '\0';
}

/* ------------------------------------------------------------------ the work dir's disk */

static bool sandbox_in_use(const char *path, void *data)
{
	struct agent *a = data;
	const char *k;
	void *v;

	for (size_t it = 0; strmap_next(&a->tasks, &it, &k, &v);) {
		const struct agent_task *t = v;

		if (t->sandbox[0] && streq(t->sandbox, path))
			return true;
	}
	return false;
}

/* One GC pass over the sandboxes no task needs (sandbox_gc.h). */
static void agent_gc_pass(struct agent *a)
{
	struct agent_gc_stats st;
	int r;

	if (!a->gc)
		return;
	r = agent_gc_collect(a->gc, a->flags->gc_delay_ns, a->flags->gc_disk_headroom,
			     now_real_ns(), sandbox_in_use, a, &st);
	if (r < 0) {
		log_warn_errno(r, "sandbox GC: %m");
		return;
	}
	if (st.collected || st.failed)
		log_info("sandbox GC: %d collected, %d kept, %d could not be moved (disk %.0f%% "
			 "used, max age %llds)",
			 st.collected, st.kept, st.failed, st.usage * 100,
			 (long long)(st.max_age_ns / 1000000000LL));
}

/*
 * May a task be launched as far as the work dir's disk goes? The checkpoint reserve must
 * be whole and as much again free besides it (checkpoint.h); a GC pass first when not.
 * 0, or -ENOSPC with why in err.
 */
static int disk_admits_launch(struct agent *a, char *err, size_t errlen)
{
	uint64_t want = agent_checkpoint_reserve_effective(&a->ckpt, (uint64_t)a->flags->checkpoint_reserve);
	struct statvfs sv;
	int r = 0;

	if (!want)
		return 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (attempt)
			agent_gc_pass(a);
		r = agent_checkpoint_reserve_ensure(&a->ckpt, want);
		if (r == 0 && fstatvfs(a->ckpt.meta_fd, &sv) == 0 &&
		    (uint64_t)sv.f_bavail * sv.f_frsize < want)
			r = -ENOSPC;
		if (r == 0)
			return 0;
	}
	snprintf(err, errlen,
		 "the agent's work dir has less than %llu KiB free besides its checkpoint reserve "
		 "(--checkpoint-reserve): %s",
		 (unsigned long long)(want / 1024), strerror(-r));
	return r;
}

static void on_disk_watch(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent *a = data;
	uint64_t want = agent_checkpoint_reserve_effective(&a->ckpt, (uint64_t)a->flags->checkpoint_reserve);

	agent_gc_pass(a);
	/* give the reserve back its blocks once there is room again */
	if (a->ckpt.reserve_released && agent_checkpoint_reserve_ensure(&a->ckpt, want) == 0)
		log_info("the checkpoint reserve is whole again");
}

/*
 * Who a task runs as: its command's user, else its framework's (as Mesos), else, when the
 * agent is root, --task-user if given, else the framework's dynamic uid (uid_pool.h: one
 * of its own, so tenants are apart); else the agent's own user. Sets spec->user or
 * spec->dynamic_uid; -errno with a message when the uid range is exhausted.
 */
static int launch_user(struct agent *a, json_t *ev, json_t *cmd, const char *fid,
		       struct agent_launch_spec *spec, char *err, size_t errlen)
{
	const char *u = json_string_value(json_object_get(cmd, "user"));
	int r;

	if (!u || !*u)
		u = json_string_value(json_object_get(json_object_get(ev, "framework_info"), "user"));
	if (u && *u) {
		spec->user = u;
		return 0;
	}
	if (geteuid() != 0)
		return 0;
	if (a->flags->task_user && *a->flags->task_user) {
		spec->user = a->flags->task_user;
		return 0;
	}
	r = agent_task_uid_get(a, fid, &spec->dynamic_uid);
	if (r < 0)
		snprintf(err, errlen, "no dynamic uid for framework '%s': %s", fid,
			 r == -ENOSPC ? "every uid of --dynamic-uids is taken" : strerror(-r));
	return r;
}

static void launch(struct agent *a, json_t *ev)
{
	char err[ERRLEN], key[2 * ID_MAX_LEN + 2];
	json_t *task = json_object_get(ev, "task");
	const char *fid = wire_get_id(ev, "framework_id", err, sizeof(err));
	const char *tid = wire_get_id(task, "task_id", err, sizeof(err));
	json_t *cmd = json_object_get(task, "command");
	json_t *env = json_object_get(json_object_get(cmd, "environment"), "variables");
	struct agent_launch_spec spec = {.sandbox_fd = -1, .cgroup_fd = -1};
	struct agent_launch_error lerr = {0};
	struct agent_spawn *sp = NULL;
	struct agent_task *t;
	struct agent_task_limits lim;
	struct agent_isolation iso = {0};
	struct alloc_res after = ALLOC_RES_INIT;
	char **argv = NULL, **envp = NULL, run[UUID_STR_LEN];
	int sandbox_fd = -1, meta_fd = -1, r;

	if (!fid || !tid) {
		log_warn("LAUNCH without a framework or task ID ignored: %s", err);
		return;
	}
	if (!agent_task_id_valid_n(fid, json_string_length(json_object_get(
						 json_object_get(ev, "framework_id"), "value"))) ||
	    !agent_task_id_valid_n(tid, json_string_length(json_object_get(
						 json_object_get(task, "task_id"), "value")))) {
		log_warn("LAUNCH with an unsafe framework or task ID refused");
		refuse_launch(a, ev,
			      "the framework and task IDs must be usable as a file name: 1 to "
			      "255 bytes, no '/', no control characters, not '.' or '..'");
		return;
	}
	/* hidden names: tools (and agents before this one) skip them */
	if (fid[0] == '.' || tid[0] == '.') {
		log_warn("LAUNCH with a framework or task ID starting with '.' refused");
		refuse_launch(a, ev, "the framework and task IDs must not start with '.'");
		return;
	}
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	if (strmap_get(&a->tasks, key)) {
		log_warn("LAUNCH of task '%s' which already exists ignored", key);
		return;
	}
	uuid_random(run); /* a fresh sandbox, even for a task ID used before */
	t = task_new(a, fid, tid, run, task);
	if (!t)
		return;
	/* the disk first: a task that filled it must not take the checkpoints' room */
	if (disk_admits_launch(a, err, sizeof(err)) < 0) {
		t->sandbox[0] = '\0';
		(void)save_task(t);
		task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", err, NULL);
		goto out;
	}
	/* the record goes to disk before anything exists that a restart would have to find */
	r = save_task(t);
	if (r < 0) {
		snprintf(err, sizeof(err), "cannot write the task's checkpoint: %s", strerror(-r));
		t->sandbox[0] = '\0';
		task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", err, NULL);
		goto out;
	}

	if (alloc_res_from_json(json_object_get(task, "resources"), &t->res, err, sizeof(err)) < 0) {
		t->sandbox[0] = '\0';
		task_status(t, TASK_ERROR, "REASON_TASK_INVALID", err, NULL);
		goto out;
	}
	alloc_res_copy(&after, &a->used);
	alloc_res_add(&after, &t->res);
	if (!alloc_res_contains(&a->total, &after)) {
		t->sandbox[0] = '\0';
		task_status(t, TASK_ERROR, "REASON_TASK_INVALID",
			    "Task needs more than this agent has free", NULL);
		goto out;
	}
	/* What the request alone can tell is wrong is refused before anything is created. */
	spec.seccomp = agent_task_seccomp(a);
	envp = strv_from_json(env, true);
	spec.envp = envp;
	if (!json_is_false(json_object_get(cmd, "shell"))) {
		spec.command = json_string_value(json_object_get(cmd, "value"));
	} else {
		argv = strv_from_json(json_object_get(cmd, "arguments"), false);
		spec.path = json_string_value(json_object_get(cmd, "value"));
		spec.argv = argv && argv[0] ? argv : NULL;
	}
	if (agent_launch_spec_check(&spec, &lerr) < 0 ||
	    task_limits_capped(t, &lim, lerr.message, sizeof(lerr.message)) < 0 ||
	    (agent_task_limits_check(&lim, lerr.message, sizeof(lerr.message)) < 0)) {
		t->sandbox[0] = '\0';
		task_status(t, TASK_ERROR, "REASON_TASK_INVALID", lerr.message, NULL);
		goto out;
	}
	alloc_res_add(&a->used, &t->res);
	t->state = TASK_STARTING;

	r = launch_user(a, ev, cmd, fid, &spec, err, sizeof(err));
	if (r < 0) {
		task_cleanup(t);
		t->sandbox[0] = '\0';
		task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", err, NULL);
		goto out;
	}
	r = mkdir_p(t->sandbox, 0755);
	if (r >= 0)
		r = sandbox_parents_private(t->sandbox);
	if (r < 0) {
		snprintf(err, sizeof(err), "cannot create the sandbox: %s", strerror(-r));
		task_cleanup(t);
		task_sandbox_discard(t);
		task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", err, NULL);
		goto out;
	}
	sandbox_fd = open(t->sandbox, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	r = sandbox_fd < 0 ? -errno : agent_cgroup_task_create(&a->cg, fid, tid, &t->cgroup_fd);
	if (r < 0) {
		snprintf(err, sizeof(err), "cannot create the task's sandbox or cgroup: %s",
			 strerror(-r));
		task_cleanup(t);
		task_sandbox_discard(t);
		task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", err, NULL);
		goto out;
	}
	r = agent_isolators_prepare(&a->iso_ctx, t->cgroup_fd, &lim, &iso, err, sizeof(err));
	if (r < 0) {
		task_cleanup(t);
		task_sandbox_discard(t);
		task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", err, NULL);
		goto out;
	}
	snprintf(t->isolation_note, sizeof(t->isolation_note), "%s", iso.note);
	r = agent_bpf_task_start(a->bpf, t->cgroup_fd, &t->res, t->info, err, sizeof(err));
	if (r < 0) {
		task_cleanup(t);
		task_sandbox_discard(t);
		task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", err, NULL);
		goto out;
	}

	/* the supervisor's records go where the task cannot write (supervisor.h) */
	meta_fd = agent_checkpoint_task_dir_open(&a->ckpt, fid, tid);
	if (meta_fd < 0) {
		snprintf(err, sizeof(err), "cannot open the task's checkpoint directory: %s",
			 strerror(-meta_fd));
		task_cleanup(t);
		task_sandbox_discard(t);
		task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", err, NULL);
		goto out;
	}
	agent_checkpoint_task_run_reset(meta_fd);

	spec.sandbox_fd = sandbox_fd;
	spec.cgroup_fd = t->cgroup_fd;
	task_status(t, TASK_STARTING, NULL, NULL, NULL);
	r = agent_spawn_prepare(&spec, &sp, &lerr);
	if (r >= 0)
		r = agent_task_launch(sp, a->cg.supervisor_fd, meta_fd, &t->proc, &lerr);
	if (r < 0) {
		if (sp)
			agent_launch_error_format(&lerr, sp);
		agent_task_reap(&t->proc);
		task_cleanup(t);
		task_sandbox_discard(t);
		task_status(t, TASK_FAILED,
			    lerr.stage == AGENT_LAUNCH_USER || lerr.stage == AGENT_LAUNCH_INVALID
				    ? "REASON_TASK_INVALID"
				    : "REASON_CONTAINER_LAUNCH_FAILED",
			    lerr.message[0] ? lerr.message : strerror(-r), NULL);
		goto out;
	}
	t->running = true;
	t->started_ns = now_mono_ns();
	t->exit_watch = loop_watch_fd(a->loop, t->proc.supervisor_pidfd, EPOLLIN,
				      on_supervisor_exit, t);
	task_track(t, false);
	task_status(t, TASK_RUNNING, NULL, NULL, NULL);
out:
	agent_spawn_free(sp);
	strv_free(argv);
	strv_free(envp);
	if (sandbox_fd >= 0)
		close(sandbox_fd);
	if (meta_fd >= 0)
		close(meta_fd);
	alloc_res_clear(&after);
	task_maybe_forget(t);
}

static void on_kill(struct agent *a, json_t *k)
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
	/* the KILL's own policy wins over the one the task was launched with */
	task_kill(t, kill_grace(t, json_object_get(k, "kill_policy")));
}

/* ------------------------------------------------------------------ recovery */

struct recover_ctx {
	struct agent *a;
	int recovered, reattached, exited, orphaned;
};

static void on_bad_checkpoint(const char *path, const char *why, void *data)
{
	log_error("checkpoint '%s' is unreadable (%s); the task in it is not recovered", path,
		  why);
}

/* One checkpointed task: its queued updates come back, its supervisor is found again. */
static void recover_task(const char *fid, const char *tid, json_t *record, json_t *updates,
			 void *data)
{
	struct recover_ctx *rc = data;
	struct agent *a = rc->a;
	json_t *info = json_object_get(record, "task"), *st;
	const char *run = json_string_value(json_object_get(record, "run"));
	struct agent_task *t;
	char err[WIRE_ERR_LEN];
	size_t i;
	int sfd, r;

	/* a run ID that is not one (a damaged record) counts as the layout before run IDs */
	if (run && !(agent_task_id_valid(run) && strlen(run) < UUID_STR_LEN && run[0] != '.'))
		run = NULL;
	if (fid[0] == '.' || tid[0] == '.')
		log_warn("task '%s' of framework '%s': an ID starting with '.' (no longer "
			 "launched); recovered all the same", tid, fid);
	t = task_new(a, fid, tid, run, info);
	if (!t)
		goto out;
	if (!t->run[0])
		log_info("task '%s': launched before run IDs, its records are read from its "
			 "sandbox", tid);
	rc->recovered++;
	t->kill_requested = json_is_true(json_object_get(record, "kill_requested"));
	if (alloc_res_from_json(json_object_get(info, "resources"), &t->res, err, sizeof(err)) < 0)
		alloc_res_clear(&t->res);
	t->state = TASK_STARTING;
	json_array_foreach(updates, i, st) {
		const char *uuid = json_string_value(json_object_get(st, "uuid"));
		const char *state = json_string_value(json_object_get(st, "state"));
		enum task_state s;
		if (!uuid || !state || task_state_parse(state, &s) < 0)
			continue;
		queue_update(t, json_incref(st), uuid);
		t->state = s;
	}
	if (task_state_terminal(t->state))
		goto out; /* only its updates are left to deliver */
	alloc_res_add(&a->used, &t->res);

	agent_cgroup_task_open(&a->cg, fid, tid, &t->cgroup_fd);
	sfd = task_records_open(t);
	r = sfd < 0 ? sfd : agent_task_reattach(sfd, &t->proc);
	if (sfd >= 0)
		close(sfd);
	if (r < 0)
		log_warn_errno(r, "task '%s': its supervisor's record is unreadable (%m)", t->id);
	if (r == AGENT_REATTACH_RUNNING) {
		struct agent_task_limits lim;
		/*
		 * The agent died between starting the task and checkpointing its RUNNING
		 * update: the last update it queued is STARTING. Say RUNNING now, or the
		 * framework never hears it. (An empty queue is taken to mean RUNNING was
		 * acknowledged; STARTING acknowledged within that window is not covered.)
		 */
		bool announce = t->updates && t->state == TASK_STARTING;
		t->running = true;
		t->state = TASK_RUNNING;
		if (announce)
			task_status(t, TASK_RUNNING, NULL, NULL, NULL);
		t->exit_watch = loop_watch_fd(a->loop, t->proc.supervisor_pidfd, EPOLLIN,
					      on_supervisor_exit, t);
		task_track(t, true);
		if (t->cgroup_fd >= 0) {
			task_limits(t, &lim);
			agent_isolators_recover(&a->iso_ctx, t->cgroup_fd, &lim);
			if (agent_bpf_task_start(a->bpf, t->cgroup_fd, &t->res, t->info, err,
						 sizeof(err)) < 0)
				log_warn("task '%s': BPF ports/devices not restored: %s", t->id, err);
		}
		rc->reattached++;
		if (a->flags->recover == AGENT_RECOVER_CLEANUP) {
			log_info("--recover cleanup: killing task '%s'", t->id);
			t->kill_requested = true;
			save_task(t);
			if (t->cgroup_fd >= 0)
				agent_cgroup_kill(t->cgroup_fd);
		} else if (t->kill_requested) {
			/*
			 * The agent died while killing it (perhaps before the signal went out):
			 * finish the kill. No second TASK_KILLING: the first may have been sent.
			 */
			log_info("task '%s': resuming its kill after the restart", t->id);
			kill_signal(t, kill_grace(t, NULL));
		}
	} else if (r == AGENT_REATTACH_EXITED) {
		struct agent_exit_record rec;
		r = task_exit_status_read(t, &rec);
		rc->exited++;
		task_finish(t, r < 0 ? NULL : &rec);
	} else {
		log_warn("task '%s': its supervisor is gone and left no exit status", t->id);
		rc->orphaned++;
		task_finish(t, NULL);
	}
out:
	json_decref(record);
	json_decref(updates);
}

/* Leaves under tasks/ that no checkpoint knows about: kill and remove them. */
static void remove_strays(struct agent *a)
{
	char **leaves = NULL;

	if (agent_cgroup_task_list(&a->cg, &leaves) < 0)
		return;
	for (size_t i = 0; leaves && leaves[i]; i++) {
		char *slash = strchr(leaves[i], '/');
		int fd = -1;
		if (!slash || strmap_get(&a->tasks, leaves[i]))
			continue;
		*slash = '\0';
		if (agent_cgroup_task_open(&a->cg, leaves[i], slash + 1, &fd) == 0) {
			log_warn("killing stray cgroup '%s/%s' that no checkpoint knows", leaves[i],
				 slash + 1);
			agent_cgroup_kill(fd);
			agent_cgroup_wait_empty(fd, 2000);
			close(fd);
		}
		agent_cgroup_task_remove(&a->cg, leaves[i], slash + 1);
	}
	strv_free(leaves);
}

static int agent_recover(struct agent *a)
{
	struct recover_ctx rc = {.a = a};
	char *id = NULL;
	int r;

	r = agent_checkpoint_agent_id_load(&a->ckpt, &id);
	if (r == 0) {
		snprintf(a->agent_id, sizeof(a->agent_id), "%s", id);
		free(id);
	} else if (r != -ENOENT) {
		log_error_errno(r, "the saved agent ID is unreadable (%m); registering as new");
	}
	r = agent_checkpoint_tasks_load(&a->ckpt, recover_task, on_bad_checkpoint, &rc);
	if (r < 0)
		return log_error_errno(r, "cannot read the checkpoints: %m");
	remove_strays(a);
	if (rc.recovered)
		log_info("recovered %d task(s): %d running, %d ended while the agent was down, "
			 "%d lost their supervisor",
			 rc.recovered, rc.reattached, rc.exited, rc.orphaned);
	return 0;
}

/* ------------------------------------------------------------------ the master stream */

static void subscribe(struct agent *a);

static void on_reconnect(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent *a = data;

	loop_timer_stop(timer);
	subscribe(a);
}

static void lost_master(struct agent *a, const char *why)
{
	a->subscribed = false;
	a->reconnect_backoff_ns = a->reconnect_backoff_ns ? a->reconnect_backoff_ns * 2 : 500000000;
	if (a->reconnect_backoff_ns > 5000000000LL)
		a->reconnect_backoff_ns = 5000000000LL;
	log_warn("lost the master (%s); reconnecting in %.1fs", why,
		 (double)a->reconnect_backoff_ns / 1e9);
	loop_timer_set(a->reconnect_timer, a->reconnect_backoff_ns, 0);
}

static void on_heartbeat_done(long status, const char *body, size_t len, const char *err,
			      void *data)
{
	struct agent *a = data;
	char why[256];

	if (status == 202)
		return;
	log_debug("heartbeat not accepted: %ld %s", status, err ? err : body);
	/*
	 * 403: the master holds no stream of ours although ours looks open from here (it saw it
	 * close, or gave up on us). Nothing would arrive on it: subscribe again. (A partition
	 * gives no answer at all; a 403 to a heartbeat sent before a resubscription costs one
	 * more resubscription.)
	 */
	if (status == 403 && a->subscribed) {
		snprintf(why, sizeof(why), "it refused a heartbeat: %ld %.*s", status,
			 (int)(len < 160 ? len : 160), body ? body : "");
		subscription_close(a->sub);
		lost_master(a, why);
	}
}

static void on_heartbeat(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent *a = data;

	if (a->subscribed)
		post_call(a, json_pack("{s:s}", "type", "HEARTBEAT"), on_heartbeat_done, a, NULL);
}

static void on_subscribed(json_t *sub, void *data)
{
	struct agent *a = data;
	const char *id = json_string_value(json_object_get(json_object_get(sub, "agent_id"),
							   "value"));
	double hb = json_number_value(json_object_get(sub, "heartbeat_interval_seconds"));
	size_t it;
	void *v;

	if (id && !agent_task_id_valid_n(id, strlen(id))) {
		/* it names checkpoints and metrics: never take a path or control characters */
		log_error("the master gave an agent ID that is not valid: not subscribed");
		return;
	}
	if (id && strcmp(id, a->agent_id) != 0) {
		snprintf(a->agent_id, sizeof(a->agent_id), "%s", id);
		if (agent_checkpoint_agent_id_save(&a->ckpt, a->agent_id) < 0)
			log_error("cannot checkpoint the agent ID");
	}
	a->subscribed = true;
	a->reconnect_backoff_ns = 0;
	if (hb > 0) {
		/* whatever the master says: between 100 ms and an hour */
		hb = hb < 0.1 ? 0.1 : hb > 3600 ? 3600 : hb;
		loop_timer_set(a->heartbeat_timer, (int64_t)(hb * 1e9), (int64_t)(hb * 1e9));
	}
	log_info("subscribed to the master as agent %s", a->agent_id);
	/* resend what is unacknowledged (send_next_update drops a POST still held) */
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		t->update_in_flight = false;
		send_next_update(t);
	}
}

static void on_sub_launch(json_t *ev, void *data)
{
	launch(data, ev);
}

static void on_sub_kill(json_t *ev, void *data)
{
	on_kill(data, ev);
}

static void on_sub_acknowledge(json_t *ev, void *data)
{
	on_acknowledge(data, ev);
}

static void on_sub_malformed(const char *why, void *data)
{
	log_warn("the master sent an event that is not one (%s): ignored", why);
}

static void on_sub_ended(const struct subscription_end *end, void *data)
{
	char why[300];

	lost_master(data, subscription_end_describe(end, why, sizeof(why)));
}

static const struct subscription_ops master_session = {
	.malformed = on_sub_malformed,
	.ended = on_sub_ended,
	.handlers = {
		{"SUBSCRIBED", on_subscribed},
		{"LAUNCH", on_sub_launch},
		{"KILL", on_sub_kill},
		{"ACKNOWLEDGE", on_sub_acknowledge},
	},
};

static json_t *running_tasks(struct agent *a)
{
	json_t *arr = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		json_array_append_new(arr, json_pack("{s:o,s:o,s:s,s:o}", "task_id", wire_id(t->id),
						     "framework_id", wire_id(t->fw_id), "state",
						     task_state_name(t->state), "resources",
						     alloc_res_to_json(&t->res)));
	}
	return arr;
}

json_t *agent_enforcement_json(struct agent *a)
{
	json_t *missing = json_array(), *avail = json_array();

	for (int c = 0; c < _AGENT_CTRL_MAX; c++) {
		char buf[300];
		if (a->cg.report.available & AGENT_CTRL_BIT(c)) {
			json_array_append_new(avail, json_string(agent_ctrl_name(c)));
		} else if (a->cg.report.ctrl[c].why != AGENT_CTRL_NOT_WANTED) {
			agent_ctrl_describe(&a->cg.report, c, buf, sizeof(buf));
			json_array_append_new(missing, json_pack("{s:s,s:s}", "controller",
								 agent_ctrl_name(c), "why", buf));
		}
	}
	return json_pack("{s:s,s:o,s:o,s:o}", "mode",
			 a->flags->enforce == AGENT_ENFORCE_STRICT ? "strict" : "best-effort",
			 "controllers", avail, "missing", missing, "bpf",
			 agent_bpf_enforcement_json(a->bpf));
}

static void subscribe(struct agent *a)
{
	char url[600], *s;
	json_t *info, *sub, *body;

	info = json_pack("{s:s,s:o}", "hostname", a->hostname, "resources",
			 alloc_res_to_json(&a->total));
	if (a->attributes)
		json_object_set(info, "attributes", a->attributes);
	sub = json_pack("{s:o,s:o,s:o}", "agent_info", info, "tasks", running_tasks(a),
			"enforcement", agent_enforcement_json(a));
	if (a->agent_id[0])
		json_object_set_new(sub, "agent_id", wire_id(a->agent_id));
	body = json_pack("{s:s,s:o}", "type", "SUBSCRIBE", "subscribe", sub);
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!a->master_url[0]) {
		free(s);
		lost_master(a, "no leading master is known yet");
		return;
	}
	snprintf(url, sizeof(url), "%s/api/v1/agent", a->master_url);
	if ((!a->sub && subscription_new(a->http, &master_session, a, &a->sub) < 0) || !s ||
	    subscription_open(a->sub, url, s, strlen(s)) < 0)
		lost_master(a, "cannot start the request");
	free(s);
}

/*
 * --master zk://...: the leader changed (or the watch's session expired). Subscribe to the
 * new leader at once: that is the reregistration, with the agent ID and the running tasks.
 */
static void on_leader_changed(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent *a = data;
	char url[sizeof(a->master_url)];
	uint64_t n;
	char *addr;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn_errno(errno, "reading the leader eventfd: %m");
	zk_watch_poll(a->zk);
	addr = zk_watch_leader(a->zk);
	if (!addr) {
		log_info("zookeeper: no leading master at the moment");
		return;
	}
	/* with a CA to verify it by, the master speaks TLS (as for a --master HOST:PORT) */
	snprintf(url, sizeof(url), "%s://%s", a->flags->tls_ca ? "https" : "http", addr);
	if (strcmp(a->master_url, url) != 0) {
		log_info("zookeeper: the leading master is %s", addr);
		snprintf(a->master_url, sizeof(a->master_url), "%s", url);
		subscription_close(a->sub);
		a->subscribed = false;
		a->reconnect_backoff_ns = 0;
		loop_timer_stop(a->reconnect_timer);
		subscribe(a);
	}
	free(addr);
}

/* ZooKeeper thread: wake the agent's loop. */
static void wake_on_leader(void *data)
{
	struct agent *a = data;
	uint64_t one = 1;

	if (write(a->zk_fd, &one, sizeof(one)) < 0)
		return; /* the counter is full: a wakeup is pending anyway */
}

static int master_discovery_start(struct agent *a)
{
	char err[ERRLEN];
	int r;

	a->zk_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->zk_fd < 0)
		return log_error_errno(errno, "cannot create an eventfd: %m");
	a->zk_loop_watch = loop_watch_fd(a->loop, a->zk_fd, EPOLLIN, on_leader_changed, a);
	if (!a->zk_loop_watch)
		return log_error_errno(errno, "cannot watch the eventfd: %m");
	r = zk_watch_new(a->flags->master, 10000, wake_on_leader, a, &a->zk, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "option '--master': %s", err);
	return 0;
}

/* ------------------------------------------------------------------ lifecycle */

static int parse_attributes(const char *text, json_t **ret, char *err, size_t errlen)
{
	json_t *arr = json_array();
	char *copy = strdup(text), *save, *part;

	for (part = strtok_r(copy, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(part, ':');
		if (!colon || colon == part || !colon[1]) {
			snprintf(err, errlen, "attribute '%s' is not NAME:VALUE", part);
			free(copy);
			json_decref(arr);
			return -EINVAL;
		}
		*colon = '\0';
		json_array_append_new(arr, json_pack("{s:s,s:s,s:{s:s}}", "name", part, "type",
						     "TEXT", "text", "value", colon + 1));
	}
	free(copy);
	*ret = arr;
	return 0;
}

/*
 * What this host offers when --resources is not given (called once the work dir and the
 * agent's cgroup exist):
 *   cpus   online CPUs, fewer when the agent's affinity or the cpuset.cpus.effective of its
 *          cgroup (or the nearest ancestor with one) allows fewer;
 *   mem    MemTotal less a reserve for the host: 10 %, at least 256 MiB, at most 4 GiB;
 *   disk   the space available to the work dir's file system (statvfs f_bavail) less a
 *          reserve: 5 GiB, or half of it when that is less than 10 GiB (as Mesos does);
 *   ports  31000-32000 (Mesos's default; below Linux's ephemeral range 32768-60999).
 */
static int detect_resources(struct agent *a, char *err, size_t errlen)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	long long mem_mib = (long long)pages * psize / (1024 * 1024), disk_mib = 0;
	char text[256], *cpuset = NULL, disk[48] = "";
	cpu_set_t mask;
	struct statvfs vfs;

	if (sched_getaffinity(0, sizeof(mask), &mask) == 0 && CPU_COUNT(&mask) > 0 &&
	    CPU_COUNT(&mask) < cpus)
		cpus = CPU_COUNT(&mask);
	if (a->have_cgroup && agent_cgroup_cpuset_effective(&a->cg, &cpuset) == 0) {
		int n = agent_cpulist_count(cpuset);

		if (n > 0 && n < cpus)
			cpus = n;
		free(cpuset);
	}
	if (cpus < 1)
		cpus = 1;

	/* keep a reserve for the host: 10 %, at least 256 MiB and at most 4 GiB */
	long long reserve = mem_mib / 10;
	reserve = reserve < 256 ? 256 : reserve > 4096 ? 4096 : reserve;

	if (statvfs(a->flags->work_dir, &vfs) == 0) {
		long long avail = (long long)((unsigned long long)vfs.f_bavail * vfs.f_frsize >> 20);
		long long dres = avail < 10240 ? avail / 2 : 5120;

		disk_mib = avail - dres;
		if (disk_mib > 0)
			snprintf(disk, sizeof(disk), ";disk:%lld", disk_mib);
	} else {
		log_warn("cannot measure the work dir's file system ('%s'): %m; offering no disk",
			 a->flags->work_dir);
	}
	snprintf(text, sizeof(text), "cpus:%ld;mem:%lld%s;ports:[31000-32000]", cpus,
		 mem_mib > reserve ? mem_mib - reserve : mem_mib / 2, disk);
	return alloc_res_parse(text, &a->total, err, errlen);
}

static void on_taskstats(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent *a = data;
	int r = agent_taskstats_receive(a->taskstats);

	if (r < 0)
		log_warn_errno(r, "reading taskstats: %m");
}

int agent_init(struct agent *a, struct agent_flags *flags)
{
	char err[ERRLEN];
	int r;

	memset(a, 0, sizeof(*a));
	a->ckpt.meta_fd = a->ckpt.tasks_fd = -1;
	a->flags = flags;
	strmap_init(&a->tasks);
	gethostname(a->hostname, sizeof(a->hostname) - 1);
	a->zk_fd = -1;
	if (zk_url_is(flags->master))
		a->master_url[0] = '\0'; /* found through ZooKeeper, below */
	else if (strncmp(flags->master, "http://", 7) == 0 || strncmp(flags->master, "https://", 8) == 0)
		snprintf(a->master_url, sizeof(a->master_url), "%s", flags->master);
	else /* with a CA to verify it by, the master speaks TLS */
		snprintf(a->master_url, sizeof(a->master_url), "%s://%s",
			 flags->tls_ca ? "https" : "http", flags->master);

	/* without --resources they are detected below, once the work dir and cgroup exist */
	r = flags->resources ? alloc_res_parse(flags->resources, &a->total, err, sizeof(err)) : 0;
	if (r < 0)
		return log_error_errno(r, "option '--resources': %s", err);
	if (flags->attributes && parse_attributes(flags->attributes, &a->attributes, err,
						  sizeof(err)) < 0)
		return log_error_errno(EINVAL, "option '--attributes': %s", err);

	/* credentials, TLS files and --task-user first: a bad one creates nothing */
	r = loop_new(&a->loop);
	if (r < 0)
		return log_error_errno(r, "cannot create the event loop: %m");
	r = http_client_new(a->loop, &a->http);
	if (r < 0)
		return log_error_errno(r, "cannot create the HTTP client: %m");
	r = agent_security_init(a);
	if (r < 0)
		return r;

	r = mkdir_p(flags->work_dir, 0755);
	if (r < 0)
		return log_error_errno(r, "cannot create the work dir '%s': %m", flags->work_dir);

	r = agent_checkpoint_open(flags->work_dir, &a->ckpt);
	if (r < 0)
		return log_error_errno(r, "cannot open the checkpoints in '%s': %m", flags->work_dir);
	r = agent_checkpoint_reserve_ensure(&a->ckpt, (uint64_t)flags->checkpoint_reserve);
	if (r < 0) /* not fatal: launches wait until it fits */
		log_warn_errno(r, "cannot set the checkpoint reserve aside in '%s' (%m); no task is "
			       "launched until it is", flags->work_dir);
	r = agent_gc_new(flags->work_dir, &a->gc);
	if (r < 0)
		return log_error_errno(r, "cannot set up sandbox GC in '%s': %m", flags->work_dir);

	r = agent_cgroup_init(flags->cgroup_root, getpid(), &a->cg, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "cgroup setup failed: %s", err);
	a->have_cgroup = true;
	agent_cgroup_report_format(&a->cg.report, a->cg_report, sizeof(a->cg_report));
	log_info("cgroup2 at '%s', root '%s': %s", a->cg.mount, a->cg.root, a->cg_report);
	if (agent_cgroup_check_strict(&a->cg.report, err, sizeof(err)) < 0) {
		if (flags->enforce == AGENT_ENFORCE_STRICT) {
			/* leave nothing behind: the cgroups just made (they fail EBUSY if used) */
			(void)agent_cgroup_teardown(&a->cg, getpid());
			return log_error_errno(EOPNOTSUPP,
					       "cannot enforce limits: %s (run with --enforce "
					       "best-effort to run without them)",
					       err);
		}
		log_warn("best-effort mode, limits not enforced: %s", err);
	}
	if (!flags->resources && detect_resources(a, err, sizeof(err)) < 0)
		return log_error_errno(EINVAL, "cannot describe the detected resources: %s", err);

	a->reconnect_timer = loop_timer_add(a->loop, 0, 0, on_reconnect, a);
	a->heartbeat_timer = loop_timer_add(a->loop, 5000000000LL, 5000000000LL, on_heartbeat, a);
	{
		int64_t every = flags->disk_watch_interval_ns > 0 ? flags->disk_watch_interval_ns
								  : 60 * 1000000000LL;

		a->disk_timer = loop_timer_add(a->loop, every, every, on_disk_watch, a);
	}
	if (!a->reconnect_timer || !a->heartbeat_timer || !a->disk_timer)
		return log_error_errno(errno, "cannot create timers: %m");
	if (zk_url_is(flags->master)) {
		r = master_discovery_start(a);
		if (r < 0)
			return r;
	}
	a->iso_ctx.strict = flags->enforce == AGENT_ENFORCE_STRICT;
	a->iso_ctx.available = a->cg.report.available;
	a->iso_ctx.pids_max_default = (uint64_t)flags->pids_max;
	if (agent_taskstats_open(&a->taskstats, a->taskstats_note, sizeof(a->taskstats_note)) < 0)
		log_warn("terminal updates carry no taskstats accounting: %s", a->taskstats_note);
	else
		a->taskstats_watch = loop_watch_fd(a->loop, agent_taskstats_fd(a->taskstats),
						   EPOLLIN, on_taskstats, a);
	{
		struct agent_bpf_config bc = {
			.enabled = flags->bpf == AGENT_BPF_AUTO,
			.pin_dir = flags->bpf_pin_dir,
			.stats = flags->bpf_stats,
			.tasks_fd = a->cg.tasks_fd,
			.total = &a->total,
			.loop = a->loop,
			.sample_ns = flags->sample_interval_ns,
			.oom_mode = flags->bpf_oom,
			.devices_allow = flags->task_devices,
		};
		r = agent_bpf_init(&bc, &a->bpf);
		if (r < 0)
			return log_error_errno(r, "cannot set up BPF: %m");
	}
	r = agent_recover(a);
	if (r < 0)
		return r;
	r = agent_security_start(a);
	if (r < 0)
		return r;
	r = agent_api_start(a);
	if (r < 0)
		return r;
	{
		char res[512];
		alloc_res_format(&a->total, res, sizeof(res));
		log_info("offering %s to the master at %s", res,
			 a->master_url[0] ? a->master_url : flags->master);
	}
	return 0;
}

int agent_run(struct agent *a)
{
	int r = loop_run(a->loop);

	if (r < 0)
		log_error_errno(r, "event loop failed: %m");
	return r;
}

static void free_task(void *p)
{
	task_free(p);
}

void agent_fini(struct agent *a)
{
	agent_api_stop(a);
	strmap_clear(&a->tasks, free_task);
	agent_bpf_fini(a->bpf); /* before the loop: it owns a timer and a watch there */
	a->bpf = NULL;
	if (a->taskstats_watch)
		loop_unwatch(a->loop, a->taskstats_watch);
	agent_taskstats_free(a->taskstats);
	zk_watch_free(a->zk); /* its threads are gone after this: the eventfd can go */
	if (a->zk_loop_watch)
		loop_unwatch(a->loop, a->zk_loop_watch);
	if (a->zk_fd >= 0)
		close(a->zk_fd);
	subscription_free(a->sub); /* before its http client */
	if (a->http)
		http_client_free(a->http);
	agent_security_fini(a);
	if (a->loop) {
		loop_timer_del(a->loop, a->reconnect_timer);
		loop_timer_del(a->loop, a->heartbeat_timer);
		loop_timer_del(a->loop, a->disk_timer);
		loop_free(a->loop);
	}
	if (a->have_cgroup)
		agent_cgroup_done(&a->cg);
	alloc_res_clear(&a->total);
	alloc_res_clear(&a->used);
	json_decref(a->attributes);
	agent_gc_free(a->gc);
	a->gc = NULL;
	agent_checkpoint_close(&a->ckpt);
}
