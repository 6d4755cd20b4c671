// SPDX-License-Identifier: Apache-2.0
/*
 * CUSTOM executors: a framework's own executor process (TaskInfo.executor with a
 * CommandInfo). The agent starts it under a supervisor (supervisor.h) in the leaf
 * executors/<fw>/<executor>/executor with Mesos's MESOS_* environment, hands it the tasks
 * that name it as LAUNCH events over the executor API (executor_api.c), destroys it when it
 * has not subscribed within --executor-registration-timeout or outlives the grace period
 * after a SHUTDOWN, and when it exits tells the framework (FAILURE, through the master)
 * and ends its remaining tasks (TASK_GONE for partition-aware frameworks, else TASK_LOST).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_internal.h"
#include "fileio.h"
#include "http_server.h"
#include "launch.h"
#include "log.h"
#include "mesos/v1/executor/executor.pb-c.h"
#include "strv.h"
#include "task_limits.h"

#define EXECUTOR_RECORD "executor.json"

/* meta/executors/<fw>/<executor>: root's, 0700, the supervisor's records and ours. */
static int meta_dir_open(struct agent_executor *e, bool create)
{
	struct agent *a = e->agent;
	const char *parts[] = {"executors", e->fw_name, e->name};
	int fd = -1, dir = a->ckpt.meta_fd;

	for (size_t i = 0; i < 3; i++) {
		if (create && mkdirat(dir, parts[i], 0700) < 0 && errno != EEXIST) {
			fd = -errno;
			break;
		}
		fd = openat(dir, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (i > 0)
			close(dir);
		if (fd < 0) {
			fd = -errno;
			break;
		}
		dir = fd;
	}
	return fd;
}

/* Checkpoint e (its ExecutorInfo, FrameworkInfo, run and token) for a restarted agent. */
static int executor_save(struct agent_executor *e)
{
	_cleanup_close_ int fd = meta_dir_open(e, true);
	json_t *rec;
	char *s;
	int r;

	if (fd < 0)
		return fd;
	rec = json_pack("{s:o,s:O,s:O*,s:s,s:s}", "framework_id", wire_id(e->fw_id), "info",
			e->info, "framework_info", e->fw_info, "run", e->run, "token", e->token);
	s = json_dumps(rec, JSON_COMPACT);
	json_decref(rec);
	r = s ? agent_write_file_atomic(fd, EXECUTOR_RECORD, s, strlen(s)) : -ENOMEM;
	free(s);
	return r;
}

void agent_executor_meta_remove(struct agent_executor *e)
{
	static const char *const names[] = {EXECUTOR_RECORD, AGENT_SUPERVISOR_FILE,
					    AGENT_EXIT_STATUS_FILE};
	_cleanup_close_ int top = -1, fw = -1;
	int fd = meta_dir_open(e, false);

	if (fd < 0)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)unlinkat(fd, names[i], 0);
	close(fd);
	top = openat(e->agent->ckpt.meta_fd, "executors", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fw = top < 0 ? -1 : openat(top, e->fw_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fw >= 0 && unlinkat(fw, e->name, AT_REMOVEDIR) == 0)
		(void)unlinkat(top, e->fw_name, AT_REMOVEDIR);
}

/* ------------------------------------------------------------------ events to it */

void agent_executor_stream_drop(struct agent_executor *e)
{
	if (!e->stream)
		return;
	http_stream_end(e->stream);
	http_stream_unref(e->stream);
	e->stream = NULL;
}

/*
 * One event on e's stream, a RecordIO record in its codec; false when the stream is gone
 * (e is then not subscribed). An event the schema refuses (a bug: a required field the
 * agent did not fill) is logged and left out.
 */
static bool stream_send(struct agent_executor *e, json_t *ev)
{
	char err[CODEC_ERR_LEN], *rec = NULL;
	size_t n = 0;
	int r = codec_record(e->codec, &mesos__v1__executor__event__descriptor, ev, &rec, &n, err,
			     sizeof(err));
	bool ok;

	if (r == -EINVAL) {
		log_error("executor '%s': event %s not sent: %s", e->id,
			  json_string_value(json_object_get(ev, "type")), err);
		return true;
	}
	ok = r == 0 && http_stream_send(e->stream, rec, n) == 0;
	free(rec);
	if (!ok) {
		log_info("executor '%s' of framework %s: its stream is gone", e->id, e->fw_id);
		agent_executor_stream_drop(e);
	}
	return ok;
}

void agent_executor_send(struct agent_executor *e, const char *type, json_t *payload, bool hold)
{
	char key[32];
	json_t *ev;
	size_t i;

	for (i = 0; type[i] && i < sizeof(key) - 1; i++)
		key[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] - 'A' + 'a' : type[i]);
	key[i] = '\0';
	ev = payload ? wire_event(type, key, payload) : json_pack("{s:s}", "type", type);
	if (e->stream && stream_send(e, ev)) {
		json_decref(ev);
		return;
	}
	if (!hold) {
		log_info("executor '%s': %s dropped (not subscribed)", e->id, type);
		json_decref(ev);
		return;
	}
	if (!e->pending)
		e->pending = json_array();
	json_array_append_new(e->pending, ev);
}

/* After SUBSCRIBE: what waited for it (LAUNCHes), in order. */
void agent_executor_flush(struct agent_executor *e)
{
	json_t *pending = e->pending, *ev;
	size_t i;

	e->pending = NULL;
	json_array_foreach(pending, i, ev) {
		if (!e->stream || !stream_send(e, ev)) {
			if (!e->pending)
				e->pending = json_array();
			json_array_append(e->pending, ev);
		}
	}
	json_decref(pending);
}

/* ------------------------------------------------------------------ its end */

/* Every task of e that has not ended: TASK_GONE (partition-aware) or TASK_LOST. */
static void executor_tasks_lost(struct agent_executor *e, const char *message)
{
	struct agent *a = e->agent;
	bool pa = false;
	json_t *cap;
	size_t it, i;
	void *v;

	json_array_foreach(json_object_get(e->fw_info, "capabilities"), i, cap)
		pa |= streq(json_string_value(json_object_get(cap, "type")), "PARTITION_AWARE");
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		if (t->exec != e || task_state_terminal(t->state))
			continue;
		alloc_res_sub(&a->used, &t->res);
		agent_task_status(t, pa ? TASK_GONE : TASK_LOST, "REASON_EXECUTOR_TERMINATED",
				  message, NULL);
	}
}

/* EXECUTOR_EXITED to the master: the FAILURE event of the framework (at most once). */
static void on_exited_sent(long status, const char *body, size_t len, const char *err, void *data)
{
	if (status != 202)
		log_warn("EXECUTOR_EXITED not accepted: %ld %s", status, err ? err : body);
}

/* The supervisor of e's process is gone: FAILURE, its tasks lost, its container removed. */
static void on_executor_exit(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent_executor *e = data;
	struct agent *a = e->agent;
	struct agent_exit_record rec;
	char msg[160];
	int status = 0, r;

	loop_unwatch(l, e->exit_watch);
	e->exit_watch = NULL;
	agent_task_reap(&e->proc);
	{
		_cleanup_close_ int mfd = meta_dir_open(e, false);
		r = mfd < 0 ? mfd : agent_exit_status_read(mfd, &rec);
	}
	if (r == 0 && rec.how == AGENT_EXIT_EXITED)
		status = (rec.code & 0xff) << 8;
	else if (r == 0 && rec.how == AGENT_EXIT_SIGNALED)
		status = rec.code & 0x7f;
	else
		status = 1 << 8;
	snprintf(msg, sizeof(msg), "Executor terminated (wait status %d)", status);
	log_info("executor '%s' of framework %s exited (wait status %d)", e->id, e->fw_id, status);
	loop_timer_del(l, e->register_timer);
	loop_timer_del(l, e->shutdown_timer);
	e->register_timer = e->shutdown_timer = NULL;
	agent_executor_stream_drop(e);
	if (e->cgroup_fd >= 0) { /* what it left behind */
		agent_cgroup_kill(e->cgroup_fd);
		agent_cgroup_wait_empty(e->cgroup_fd, 2000);
	}
	if (a->subscribed)
		agent_master_post(a,
				  json_pack("{s:s,s:{s:o,s:o,s:i}}", "type", "EXECUTOR_EXITED",
					    "executor_exited", "framework_id", wire_id(e->fw_id),
					    "executor_id", wire_id(e->id), "status", status),
				  on_exited_sent, a, NULL);
	executor_tasks_lost(e, msg);
	e->running = false;
	agent_executor_maybe_forget(e);
}

/* The registration timeout or the shutdown grace period is over: destroy the container. */
static void on_destroy_timer(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent_executor *e = data;

	loop_timer_stop(timer);
	if (timer == e->register_timer && e->stream)
		return; /* it subscribed meanwhile */
	log_info("executor '%s' of framework %s: %s; destroying its container", e->id, e->fw_id,
		 timer == e->register_timer ? "it did not subscribe in time" :
					      "its shutdown grace period is over");
	if (e->cgroup_fd >= 0)
		agent_cgroup_kill(e->cgroup_fd);
}

/* ExecutorInfo.shutdown_grace_period, else --executor-shutdown-grace-period. */
static int64_t shutdown_grace_ns(struct agent_executor *e)
{
	json_t *ns =
		json_object_get(json_object_get(e->info, "shutdown_grace_period"), "nanoseconds");

	if (json_is_integer(ns) && json_integer_value(ns) >= 0)
		return (int64_t)json_integer_value(ns);
	return e->agent->flags->executor_shutdown_grace_ns;
}

/* SHUTDOWN to e: its tasks killed (DEFAULT), or told and killed after the grace period. */
void agent_executor_shutdown(struct agent_executor *e)
{
	if (e->is_default) {
		agent_group_kill(e);
		return;
	}
	if (e->killing || !e->running)
		return;
	e->killing = true;
	agent_executor_send(e, "SHUTDOWN", NULL, false);
	e->shutdown_timer = loop_timer_add(e->agent->loop, e->stream ? shutdown_grace_ns(e) : 1, 0,
					   on_destroy_timer, e);
}

/* ------------------------------------------------------------------ its start */

/* "5secs", "1mins": a Duration as Mesos prints it in MESOS_* variables. */
static void mesos_duration(int64_t ns, char *buf, size_t len)
{
	if (ns % 60000000000LL == 0 && ns)
		snprintf(buf, len, "%lldmins", (long long)(ns / 60000000000LL));
	else if (ns % 1000000000LL == 0)
		snprintf(buf, len, "%lldsecs", (long long)(ns / 1000000000LL));
	else
		snprintf(buf, len, "%lldms", (long long)(ns / 1000000LL));
}

/* The executor's environment: its CommandInfo's, then Mesos's MESOS_* (executor.h). */
static char **executor_env(struct agent_executor *e, json_t *cmd)
{
	struct agent *a = e->agent;
	char **base = agent_strv_from_json(
		json_object_get(json_object_get(cmd, "environment"), "variables"), true);
	size_t n = 0;
	char **v, grace[32], host[256], endpoint[300];
	const char *colon = strrchr(a->flags->listen, ':');
	bool ckpt = json_is_true(json_object_get(e->fw_info, "checkpoint"));

	while (base && base[n])
		n++;
	v = realloc(base, (n + 16) * sizeof(char *));
	if (!v) {
		strv_free(base);
		return NULL;
	}
	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - a->flags->listen) : 0,
		 a->flags->listen);
	if (!host[0] || streq(host, "0.0.0.0") || streq(host, "*"))
		snprintf(host, sizeof(host), "127.0.0.1");
	snprintf(endpoint, sizeof(endpoint), "%s:%s", host, colon ? colon + 1 : "5051");
	mesos_duration(shutdown_grace_ns(e), grace, sizeof(grace));
#define PUSH(...)                                      \
	do {                                           \
		if (asprintf(&v[n], __VA_ARGS__) >= 0) \
			n++;                           \
	} while (0)
	PUSH("MESOS_FRAMEWORK_ID=%s", e->fw_id);
	PUSH("MESOS_EXECUTOR_ID=%s", e->id);
	PUSH("MESOS_DIRECTORY=%s", e->dir);
	PUSH("MESOS_SANDBOX=%s", e->dir);
	PUSH("MESOS_AGENT_ENDPOINT=%s", endpoint);
	PUSH("MESOS_SLAVE_ID=%s", a->agent_id);
	PUSH("MESOS_SLAVE_PID=slave(1)@%s", endpoint);
	PUSH("MESOS_CHECKPOINT=%d", ckpt ? 1 : 0);
	PUSH("MESOS_HTTP_COMMAND_EXECUTOR=0");
	PUSH("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=%s", grace);
	PUSH("MESOS_EXECUTOR_AUTHENTICATION_TOKEN=%s", e->token);
	if (ckpt) {
		PUSH("MESOS_RECOVERY_TIMEOUT=15mins");
		PUSH("MESOS_SUBSCRIPTION_BACKOFF_MAX=2secs");
	}
#undef PUSH
	v[n] = NULL;
	return v;
}

/* 32 random bytes in hex: the token only this executor's environment holds. */
static int executor_token(char out[AGENT_EXECUTOR_TOKEN_LEN + 1])
{
	unsigned char raw[AGENT_EXECUTOR_TOKEN_LEN / 2];
	_cleanup_close_ int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, raw, sizeof(raw)) != (ssize_t)sizeof(raw))
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/*
 * Start e's process: the token, the leaf, the limits (its own resources on the
 * executor's cgroup), the supervisor. -errno with err.
 */
static int executor_start(struct agent_executor *e, json_t *ev, char *err, size_t errlen)
{
	struct agent *a = e->agent;
	json_t *cmd = json_object_get(e->info, "command");
	struct agent_launch_spec spec = {.sandbox_fd = -1, .cgroup_fd = -1};
	struct agent_launch_error lerr = {0};
	struct agent_spawn *sp = NULL;
	struct agent_task_limits lim;
	struct agent_isolation iso = {0};
	_cleanup_close_ int sandbox = -1, meta = -1;
	char **argv = NULL, **envp = NULL;
	int r;

	r = executor_token(e->token);
	if (r < 0) {
		snprintf(err, errlen, "cannot make the executor's token");
		return r;
	}
	r = agent_launch_user(a, ev, cmd, e->fw_id, &spec, err, errlen);
	if (r < 0)
		return r;
	envp = executor_env(e, cmd);
	spec.envp = envp;
	spec.seccomp = agent_task_seccomp(a);
	if (!json_is_false(json_object_get(cmd, "shell"))) {
		spec.command = json_string_value(json_object_get(cmd, "value"));
	} else {
		argv = agent_strv_from_json(json_object_get(cmd, "arguments"), false);
		spec.path = json_string_value(json_object_get(cmd, "value"));
		spec.argv = argv && argv[0] ? argv : NULL;
	}
	r = agent_launch_spec_check(&spec, &lerr);
	if (r < 0) {
		snprintf(err, errlen, "%s", lerr.message);
		goto out;
	}
	sandbox = open(e->dir, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	meta = meta_dir_open(e, true);
	r = sandbox < 0 ? -errno : meta < 0 ? meta : executor_save(e);
	if (r >= 0)
		r = agent_executor_leaf_create(e, AGENT_EXECUTOR_LEAF, &e->leaf_fd);
	if (r < 0) {
		snprintf(err, errlen, "cannot prepare the executor's container: %s", strerror(-r));
		goto out;
	}
	if (agent_task_limits_from_json(e->info, &e->res, &lim, err, errlen) == 0 &&
	    agent_isolators_prepare(&a->iso_ctx, e->cgroup_fd, &lim, &iso, err, errlen) < 0)
		log_warn("executor '%s': its limits are not set: %s", e->id, err);
	agent_checkpoint_task_run_reset(meta);
	spec.sandbox_fd = sandbox;
	spec.cgroup_fd = e->leaf_fd;
	r = agent_spawn_prepare(&spec, &sp, &lerr);
	if (r >= 0)
		r = agent_task_launch(sp, a->cg.supervisor_fd, meta, &e->proc, &lerr);
	if (r < 0) {
		if (sp)
			agent_launch_error_format(&lerr, sp);
		snprintf(err, errlen, "%s", lerr.message[0] ? lerr.message : strerror(-r));
		agent_task_reap(&e->proc);
		goto out;
	}
	e->running = true;
	e->exit_watch =
		loop_watch_fd(a->loop, e->proc.supervisor_pidfd, EPOLLIN, on_executor_exit, e);
	e->register_timer = loop_timer_add(a->loop, a->flags->executor_registration_timeout_ns, 0,
					   on_destroy_timer, e);
	log_info("executor '%s' of framework %s started (pid %d)", e->id, e->fw_id,
		 (int)e->proc.task_pid);
out:
	agent_spawn_free(sp);
	strv_free(argv);
	strv_free(envp);
	return r;
}

/* ------------------------------------------------------------------ the master's events */

/* A task the executor cannot take: in the table with one terminal update. */
static void task_refuse(struct agent *a, const char *fid, const char *tid, json_t *task,
			enum task_state s, const char *reason, const char *message)
{
	struct agent_task *t = agent_task_new(a, fid, tid, NULL, NULL, NULL, task);

	if (!t)
		return;
	t->sandbox[0] = '\0';
	agent_task_status(t, s, reason, message, NULL);
	agent_task_maybe_forget(t);
}

/* Is info (from a LAUNCH) the ExecutorInfo e was started with, but for framework_id? */
static bool same_executor(struct agent_executor *e, json_t *info)
{
	json_t *c = json_deep_copy(info);
	bool same;

	json_object_set_new(c, "framework_id", wire_id(e->fw_id));
	same = json_equal(c, e->info);
	json_decref(c);
	return same;
}

/*
 * The CUSTOM executor info names for framework fid: the one running (the same ExecutorInfo),
 * or a new one started for the master's event ev. NULL with *ret_state, *ret_reason and err:
 * what the tasks that name it get.
 */
static struct agent_executor *custom_executor(struct agent *a, const char *fid, json_t *info,
					      json_t *ev, enum task_state *ret_state,
					      const char **ret_reason, char *err, size_t errlen)
{
	const char *eid =
		json_string_value(json_object_get(json_object_get(info, "executor_id"), "value"));
	struct agent_executor *e = eid ? agent_executor_get(a, fid, eid) : NULL;

	*ret_state = TASK_ERROR;
	*ret_reason = "REASON_TASK_INVALID";
	if (e && (e->is_default || e->killing || !e->running)) {
		*ret_state = TASK_LOST;
		*ret_reason = "REASON_EXECUTOR_TERMINATED";
		snprintf(err, errlen, "its executor is terminating");
		return NULL;
	}
	if (e && !same_executor(e, info)) {
		snprintf(err, errlen,
			 "an ExecutorInfo that reuses a running executor's ID must be identical "
			 "to it");
		return NULL;
	}
	if (e)
		return e;
	if (!json_object_get(info, "command") ||
	    (json_object_get(info, "type") &&
	     !streq(json_string_value(json_object_get(info, "type")), "CUSTOM"))) {
		snprintf(err, errlen, "a task's executor must be of type CUSTOM with a command");
		return NULL;
	}
	if (agent_executor_new(a, fid, info, json_object_get(ev, "framework_info"), NULL, &e, err,
			       errlen) < 0)
		return NULL;
	if (executor_start(e, ev, err, errlen) < 0) {
		log_warn("executor '%s' of framework %s not started: %s", e->id, fid, err);
		*ret_state = TASK_FAILED;
		*ret_reason = "REASON_EXECUTOR_TERMINATED";
		agent_executor_maybe_forget(e);
		return NULL;
	}
	return e;
}

/* Task tid of fid (task: its TaskInfo) in the table under e, its resources in use. */
static int executor_task_add(struct agent_executor *e, const char *fid, const char *tid,
			     json_t *task)
{
	struct agent *a = e->agent;
	char err[AGENT_ERRLEN];
	struct agent_task *t = agent_task_new(a, fid, tid, NULL, NULL, e->run, task);

	if (!t)
		return -ENOMEM;
	agent_executor_task_attach(e, t); /* its sandbox: the executor's own */
	if (alloc_res_from_json(json_object_get(task, "resources"), &t->res, err, sizeof(err)) < 0)
		alloc_res_clear(&t->res);
	alloc_res_add(&a->used, &t->res);
	(void)agent_task_save(t);
	return 0;
}

void agent_executor_on_launch(struct agent *a, json_t *ev)
{
	char err[AGENT_ERRLEN], key[2 * ID_MAX_LEN + 2];
	json_t *task = json_object_get(ev, "task"), *info = json_object_get(task, "executor");
	const char *fid = wire_get_id(ev, "framework_id", err, sizeof(err));
	const char *tid = wire_get_id(task, "task_id", err, sizeof(err)), *reason;
	struct agent_executor *e;
	enum task_state s;

	if (!fid || !tid || !agent_task_id_valid(fid) || !agent_task_id_valid(tid) ||
	    fid[0] == '.' || tid[0] == '.') {
		log_warn("LAUNCH for an executor with unsafe framework or task IDs ignored");
		return;
	}
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	if (strmap_get(&a->tasks, key)) {
		log_warn("LAUNCH of task '%s' which already exists ignored", key);
		return;
	}
	e = custom_executor(a, fid, info, ev, &s, &reason, err, sizeof(err));
	if (!e) {
		task_refuse(a, fid, tid, task, s, reason, err);
		return;
	}
	if (executor_task_add(e, fid, tid, task) < 0)
		return;
	agent_executor_send(e, "LAUNCH", json_pack("{s:O}", "task", task), true);
}

void agent_executor_on_launch_group(struct agent *a, json_t *ev)
{
	char err[AGENT_ERRLEN], key[2 * ID_MAX_LEN + 2];
	json_t *tasks = json_object_get(json_object_get(ev, "task_group"), "tasks"), *task;
	const char *fid = wire_get_id(ev, "framework_id", err, sizeof(err)), *reason;
	struct agent_executor *e;
	enum task_state s;
	size_t i;

	if (!fid || !agent_task_id_valid(fid) || fid[0] == '.' || !json_array_size(tasks)) {
		log_warn("LAUNCH_GROUP for an executor without a valid framework ID or tasks "
			 "ignored");
		return;
	}
	json_array_foreach(tasks, i, task) { /* the group goes as one, or not at all */
		const char *tid = wire_get_id(task, "task_id", err, sizeof(err));

		if (!tid || !agent_task_id_valid(tid) || tid[0] == '.') {
			log_warn("LAUNCH_GROUP with an unsafe task ID ignored");
			return;
		}
		snprintf(key, sizeof(key), "%s/%s", fid, tid);
		if (strmap_get(&a->tasks, key)) {
			log_warn("LAUNCH_GROUP of task '%s' which already exists ignored", key);
			return;
		}
	}
	e = custom_executor(a, fid, json_object_get(ev, "executor"), ev, &s, &reason, err,
			    sizeof(err));
	if (!e) {
		if (s == TASK_ERROR)
			reason = "REASON_TASK_GROUP_INVALID";
		json_array_foreach(tasks, i, task)
			task_refuse(a, fid, wire_get_id(task, "task_id", NULL, 0), task, s, reason,
				    err);
		return;
	}
	json_array_foreach(tasks, i, task)
		(void)executor_task_add(e, fid, wire_get_id(task, "task_id", NULL, 0), task);
	agent_executor_send(e, "LAUNCH_GROUP", json_pack("{s:{s:O}}", "task_group", "tasks", tasks),
			    true);
}

/* Find the executor an event of the master names (framework_id, executor_id). */
static struct agent_executor *event_executor(struct agent *a, json_t *ev)
{
	char err[WIRE_ERR_LEN];
	const char *fid = wire_get_id(ev, "framework_id", err, sizeof(err));
	const char *eid = wire_get_id(ev, "executor_id", err, sizeof(err));

	return fid && eid ? agent_executor_get(a, fid, eid) : NULL;
}

void agent_on_executor_message(struct agent *a, json_t *ev)
{
	struct agent_executor *e = event_executor(a, ev);
	json_t *data = json_object_get(ev, "data");

	if (!e || e->is_default || !json_is_string(data)) {
		log_info("a framework MESSAGE for an executor this agent does not run: dropped");
		return;
	}
	agent_executor_send(e, "MESSAGE", json_pack("{s:O}", "data", data), false);
}

void agent_on_shutdown_executor(struct agent *a, json_t *ev)
{
	struct agent_executor *e = event_executor(a, ev);

	if (e)
		agent_executor_shutdown(e);
}

void agent_executor_kill_task(struct agent_task *t, json_t *kill_policy)
{
	json_t *k = json_pack("{s:o}", "task_id", wire_id(t->id));

	if (task_state_terminal(t->state))
		return;
	if (kill_policy)
		json_object_set(k, "kill_policy", kill_policy);
	t->kill_requested = true;
	(void)agent_task_save(t);
	agent_executor_send(t->exec, "KILL", k, true);
}

/* ------------------------------------------------------------------ recovery */

/*
 * Does the ID obj.value (an ID object of a record) have the disk name name? Then its
 * value, else NULL: a record names the executor whose place it is in (diskname.h).
 */
static const char *record_id_at(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, "value");
	char dn[DISK_NAME_MAX + 1];

	if (!json_is_string(v) ||
	    disk_name(json_string_value(v), json_string_length(v), 0, dn) < 0 || !streq(dn, name))
		return NULL;
	return json_string_value(v);
}

/*
 * One checkpointed CUSTOM executor (meta/executors/<fw_name>/<name>): back in the table,
 * its supervisor found again. Its IDs are its record's (a disk name may not decode).
 */
static void recover_one(struct agent *a, int dirfd, const char *fw_name, const char *name)
{
	char text[65536], err[AGENT_ERRLEN];
	_cleanup_close_ int fd =
		openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd < 0 ? -errno :
			     file_read_bufat(fd, EXECUTOR_RECORD, 0, text, sizeof(text) - 1);
	json_t *rec = NULL, *info;
	const char *run, *token, *fid, *eid;
	struct agent_executor *e;
	int r;

	if (n < 0) {
		log_warn("executor record 'meta/executors/%s/%s' is unreadable (%s)", fw_name, name,
			 strerror((int)-n));
		return;
	}
	text[n] = '\0';
	rec = json_loads(text, 0, NULL);
	info = json_object_get(rec, "info");
	run = json_string_value(json_object_get(rec, "run"));
	token = json_string_value(json_object_get(rec, "token"));
	fid = record_id_at(json_object_get(rec, "framework_id"), fw_name);
	eid = record_id_at(json_object_get(info, "executor_id"), name);
	if (!fid || !eid || !json_is_object(info) || !run || !agent_task_id_valid(run) ||
	    run[0] == '.' || strlen(run) >= UUID_STR_LEN || !token ||
	    strlen(token) != AGENT_EXECUTOR_TOKEN_LEN ||
	    agent_executor_new(a, fid, info, json_object_get(rec, "framework_info"), run, &e, err,
			       sizeof(err)) < 0) {
		log_warn("executor record 'meta/executors/%s/%s' is damaged; not recovered",
			 fw_name, name);
		json_decref(rec);
		return;
	}
	fid = e->fw_id; /* the record goes: the table's copies from here on */
	eid = e->id;
	snprintf(e->token, sizeof(e->token), "%s", token);
	json_decref(rec);
	(void)agent_executor_leaf_open(e, AGENT_EXECUTOR_LEAF, &e->leaf_fd);
	r = agent_task_reattach(fd, &e->proc);
	if (r != AGENT_REATTACH_RUNNING) {
		log_info("executor '%s' of framework %s ended while the agent was down", eid, fid);
		agent_executor_release(e);
		return; /* agent_executors_recovered() ends its tasks */
	}
	/* still running: its resources stay in use (agent_executor_new took them), as the
	 * master allocates them to its framework until it exits */
	e->running = true;
	e->exit_watch =
		loop_watch_fd(a->loop, e->proc.supervisor_pidfd, EPOLLIN, on_executor_exit, e);
	/* it must subscribe again within Mesos's executor_reregistration_timeout */
	e->register_timer = loop_timer_add(a->loop, a->flags->executor_reregistration_timeout_ns, 0,
					   on_destroy_timer, e);
	log_info("executor '%s' of framework %s recovered (pid %d); waiting for it to "
		 "subscribe again",
		 eid, fid, (int)e->proc.task_pid);
}

void agent_executors_recover(struct agent *a)
{
	_cleanup_close_ int top =
		openat(a->ckpt.meta_fd, "executors", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *fws = top < 0 ? NULL : fdopendir(dup(top));
	struct dirent *f;

	while (fws && (f = readdir(fws))) {
		_cleanup_close_ int fw = -1;
		struct dirent *x;
		DIR *exs;

		if (f->d_name[0] == '.' || !agent_task_id_valid(f->d_name))
			continue;
		fw = openat(top, f->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		exs = fw < 0 ? NULL : fdopendir(dup(fw));
		while (exs && (x = readdir(exs)))
			if (x->d_name[0] != '.' && agent_task_id_valid(x->d_name))
				recover_one(a, fw, f->d_name, x->d_name);
		if (exs)
			closedir(exs);
	}
	if (fws)
		closedir(fws);
}

/* The executor whose cgroup is executors/<cg_fw>/<cg_name>, or NULL. */
static struct agent_executor *executor_by_cgroup(struct agent *a, const char *cg_fw,
						 const char *cg_name)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->executors, &it, NULL, &v);) {
		struct agent_executor *e = v;
		if (streq(e->cg_fw, cg_fw) && streq(e->cg_name, cg_name))
			return e;
	}
	return NULL;
}

/* executors/<fw>/<executor> cgroups no executor of the table owns: killed and removed. */
static void remove_stray_cgroups(struct agent *a)
{
	_cleanup_close_ int top = a->have_cgroup ? openat(a->cg.root_fd, "executors",
							  O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
						   -1;
	DIR *fws = top < 0 ? NULL : fdopendir(dup(top));
	struct dirent *f;

	while (fws && (f = readdir(fws))) {
		_cleanup_close_ int fw = -1;
		struct dirent *x;
		DIR *exs;

		if (f->d_type != DT_DIR || f->d_name[0] == '.' || !agent_task_id_valid(f->d_name))
			continue;
		fw = openat(top, f->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		exs = fw < 0 ? NULL : fdopendir(dup(fw));
		while (exs && (x = readdir(exs))) {
			_cleanup_close_ int cg = -1;

			if (x->d_type != DT_DIR || x->d_name[0] == '.' ||
			    executor_by_cgroup(a, f->d_name, x->d_name))
				continue;
			cg = openat(fw, x->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cg < 0)
				continue;
			log_warn("killing stray executor cgroup '%s/%s' that no checkpoint knows",
				 f->d_name, x->d_name);
			agent_cgroup_kill(cg);
			agent_cgroup_wait_empty(cg, 2000);
			/* its leaves, then itself */
			{
				DIR *lv = fdopendir(dup(cg));
				struct dirent *l;
				while (lv && (l = readdir(lv)))
					if (l->d_type == DT_DIR && l->d_name[0] != '.')
						(void)unlinkat(cg, l->d_name, AT_REMOVEDIR);
				if (lv)
					closedir(lv);
			}
			(void)unlinkat(fw, x->d_name, AT_REMOVEDIR);
		}
		if (exs)
			closedir(exs);
		(void)unlinkat(top, f->d_name, AT_REMOVEDIR);
	}
	if (fws)
		closedir(fws);
}

void agent_executors_recovered(struct agent *a)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->executors, &it, NULL, &v);) {
		struct agent_executor *e = v;

		if (e->is_default || e->running || e->killing)
			continue;
		e->killing = true; /* once */
		if (e->cgroup_fd >= 0)
			agent_cgroup_kill(e->cgroup_fd);
		executor_tasks_lost(e, "Executor terminated while the agent was down");
	}
	/* executors left with no task and no process go (tombstones keep the walk valid) */
	for (it = 0; strmap_next(&a->executors, &it, NULL, &v);)
		agent_executor_maybe_forget(v);
	remove_stray_cgroups(a);
}
