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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "api.h"
#include "launch.h"
#include "log.h"

#define ERRLEN 512
#define DEFAULT_GRACE_NS (3LL * 1000000000)

/* ------------------------------------------------------------------ master calls */

static void post_call(struct agent *a, json_t *body, http_done_fn done, void *data,
		      struct http_call **ret_call)
{
	char hdr[160], url[600], *s;
	const char *hdrs[2] = {hdr, NULL};
	struct http_call *c;

	snprintf(hdr, sizeof(hdr), "Mesos-Stream-Id: %s", a->stream_id);
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
	body = json_pack("{s:s,s:{s:o,s:O}}", "type", "STATUS_UPDATE", "status_update",
			 "framework_id", wire_id(t->fw_id), "status", t->updates->status);
	t->update_in_flight = true;
	post_call(a, body, on_update_sent, t, &t->update_call);
	if (!t->update_call) {
		t->update_in_flight = false;
		schedule_retry(t);
	}
}

static void task_free(struct agent_task *t);

/* Queue a new status for t: STARTING, RUNNING, or terminal with its accounting. */
static void task_status(struct agent_task *t, enum task_state s, const char *reason,
			const char *message, json_t *ext)
{
	struct agent *a = t->agent;
	struct agent_update *u = calloc(1, sizeof(*u));

	t->state = s;
	if (!u) {
		json_decref(ext);
		return;
	}
	uuid_random(u->uuid);
	u->status = json_pack("{s:o,s:s,s:s,s:s,s:f,s:o}", "task_id", wire_id(t->id), "state",
			      task_state_name(s), "source", "SOURCE_EXECUTOR", "uuid", u->uuid,
			      "timestamp", (double)now_real_ns() / 1e9, "agent_id",
			      wire_id(a->agent_id));
	if (reason)
		json_object_set_new(u->status, "reason", json_string(reason));
	if (message)
		json_object_set_new(u->status, "message", json_string(message));
	if (!ext)
		ext = json_object();
	if (t->sandbox[0])
		json_object_set_new(ext, "sandbox", json_string(t->sandbox));
	json_object_set_new(u->status, "drover", ext);
	if (t->updates_tail)
		t->updates_tail->next = u;
	else
		t->updates = u;
	t->updates_tail = u;
	log_info("task '%s' of framework %s: %s%s%s", t->id, t->fw_id, task_state_name(s),
		 message ? ": " : "", message ? message : "");
	send_next_update(t);
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
	t->backoff_ns = 0;
	if (t->retry_timer) {
		loop_timer_del(a->loop, t->retry_timer);
		t->retry_timer = NULL;
	}
	if (t->updates) {
		send_next_update(t);
	} else if (task_state_terminal(t->state) && t->pid <= 0) {
		strmap_del(&a->tasks, t->key);
		task_free(t);
	}
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
	if (t->pidfd >= 0)
		close(t->pidfd);
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
		close(t->cgroup_fd);
		t->cgroup_fd = -1;
		agent_cgroup_task_remove(&a->cg, t->fw_id, t->id);
	}
	alloc_res_sub(&a->used, &t->res);
}

static void on_exit_event(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent_task *t = data;
	siginfo_t si = {0};
	char msg[256];
	json_t *ext;

	if (waitid(P_PIDFD, (id_t)t->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	loop_unwatch(l, t->exit_watch);
	t->exit_watch = NULL;
	close(t->pidfd);
	t->pidfd = -1;
	t->pid = 0;
	loop_timer_del(l, t->kill_timer);
	t->kill_timer = NULL;
	task_cleanup(t);

	if (si.si_code == CLD_EXITED) {
		ext = json_pack("{s:i}", "exit_code", si.si_status);
		if (si.si_status == 0 && !t->kill_requested) {
			task_status(t, TASK_FINISHED, NULL, "Command exited with status 0", ext);
			return;
		}
		snprintf(msg, sizeof(msg), "Command exited with status %d", si.si_status);
	} else {
		ext = json_pack("{s:i}", "signal", si.si_status);
		snprintf(msg, sizeof(msg), "Command terminated with signal %s (%d)",
			 sigabbrev_np(si.si_status) ? sigabbrev_np(si.si_status) : "?", si.si_status);
	}
	if (t->kill_requested)
		task_status(t, TASK_KILLED, NULL, msg, ext);
	else
		task_status(t, TASK_FAILED, "REASON_COMMAND_EXECUTOR_FAILED", msg, ext);
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

static void task_kill(struct agent_task *t, int64_t grace_ns)
{
	if (task_state_terminal(t->state) || t->kill_requested)
		return;
	t->kill_requested = true;
	if (t->pid <= 0)
		return;
	task_status(t, TASK_KILLING, NULL, NULL, NULL);
	agent_cgroup_signal(t->cgroup_fd, SIGTERM);
	t->kill_timer = loop_timer_add(t->agent->loop, grace_ns, 0, on_kill_timer, t);
}

/* argv/envp from the CommandInfo; NULL-terminated, owned by the caller. */
static char **strv_from_json(json_t *arr, const char *field)
{
	size_t n = json_array_size(arr), i;
	char **v = calloc(n + 1, sizeof(char *));
	json_t *e;

	if (!v)
		return NULL;
	json_array_foreach(arr, i, e) {
		if (field) {
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

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
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
	struct alloc_res want = ALLOC_RES_INIT, after = ALLOC_RES_INIT;
	char **argv = NULL, **envp = NULL;
	int sandbox_fd = -1, r;

	if (!fid || !tid || !agent_task_id_valid(fid) || !agent_task_id_valid(tid)) {
		log_warn("LAUNCH with a missing or unsafe id ignored");
		return;
	}
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	if (strmap_get(&a->tasks, key)) {
		log_warn("LAUNCH of task '%s' which already exists ignored", key);
		return;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return;
	t->agent = a;
	t->fw_id = strdup(fid);
	t->id = strdup(tid);
	t->key = strdup(key);
	t->info = json_incref(task);
	t->pidfd = t->cgroup_fd = -1;
	t->state = TASK_STAGING;
	strmap_put(&a->tasks, key, t, NULL);

	if (alloc_res_from_json(json_object_get(task, "resources"), &want, err, sizeof(err)) < 0) {
		task_status(t, TASK_ERROR, "REASON_TASK_INVALID", err, NULL);
		goto out;
	}
	alloc_res_copy(&after, &a->used);
	alloc_res_add(&after, &want);
	if (!alloc_res_contains(&a->total, &after)) {
		task_status(t, TASK_ERROR, "REASON_TASK_INVALID",
			    "Task needs more than this agent has free", NULL);
		goto out;
	}
	alloc_res_copy(&t->res, &want);
	alloc_res_add(&a->used, &t->res);

	snprintf(t->sandbox, sizeof(t->sandbox), "%s/sandboxes/%s/%s", a->flags->work_dir, fid,
		 tid);
	r = mkdir_p(t->sandbox);
	sandbox_fd = r < 0 ? r : open(t->sandbox, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (sandbox_fd < 0) {
		snprintf(err, sizeof(err), "cannot create the sandbox '%.300s': %s", t->sandbox,
			 strerror(errno));
		t->sandbox[0] = '\0';
		task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", err, NULL);
		alloc_res_sub(&a->used, &t->res);
		goto out;
	}
	r = agent_cgroup_task_create(&a->cg, fid, tid, &t->cgroup_fd);
	if (r < 0) {
		snprintf(err, sizeof(err), "cannot create the task's cgroup: %s", strerror(-r));
		task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", err, NULL);
		alloc_res_sub(&a->used, &t->res);
		goto out;
	}

	{
		struct agent_task_limits lim = {0};
		struct agent_isolation iso = {0};
		json_t *limits = json_object_get(task, "limits");
		json_t *lc = json_object_get(limits, "cpus"), *lm = json_object_get(limits, "mem");
		lim.cpus = (double)alloc_res_scalar(&t->res, "cpus") / ALLOC_SCALAR_UNIT;
		lim.mem_bytes = (uint64_t)(alloc_res_scalar(&t->res, "mem") * 1024 * 1024 /
					   ALLOC_SCALAR_UNIT);
		if (json_is_object(lc))
			lc = json_object_get(lc, "value");
		if (json_is_object(lm))
			lm = json_object_get(lm, "value");
		if (json_is_number(lc))
			lim.cpus_limit = json_number_value(lc);
		if (json_is_number(lm))
			lim.mem_limit_bytes = (uint64_t)(json_number_value(lm) * 1024 * 1024);
		r = agent_isolators_prepare(&a->iso_ctx, t->cgroup_fd, &lim, &iso, err,
					    sizeof(err));
		if (r < 0) {
			task_cleanup(t);
			task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", err, NULL);
			goto out;
		}
		snprintf(t->isolation_note, sizeof(t->isolation_note), "%s", iso.note);
	}
	spec.sandbox_fd = sandbox_fd;
	spec.cgroup_fd = t->cgroup_fd;
	spec.user = json_string_value(json_object_get(cmd, "user"));
	envp = strv_from_json(env, "variables");
	spec.envp = envp;
	if (!json_is_false(json_object_get(cmd, "shell"))) {
		spec.command = json_string_value(json_object_get(cmd, "value"));
	} else {
		argv = strv_from_json(json_object_get(cmd, "arguments"), NULL);
		spec.path = json_string_value(json_object_get(cmd, "value"));
		spec.argv = argv && argv[0] ? argv : NULL;
	}
	task_status(t, TASK_STARTING, NULL, NULL, NULL);
	r = agent_spawn_prepare(&spec, &sp, &lerr);
	if (r >= 0)
		r = agent_spawn_run(sp, &t->pid, &t->pidfd, &lerr);
	if (r < 0) {
		if (sp)
			agent_launch_error_format(&lerr, sp);
		task_cleanup(t);
		task_status(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED",
			    lerr.message[0] ? lerr.message : strerror(-r), NULL);
		t->pid = 0;
		goto out;
	}
	t->started_ns = now_mono_ns();
	t->exit_watch = loop_watch_fd(a->loop, t->pidfd, EPOLLIN, on_exit_event, t);
	task_status(t, TASK_RUNNING, NULL, NULL, NULL);
	if (t->kill_requested)
		task_kill(t, 0);
out:
	agent_spawn_free(sp);
	strv_free(argv);
	strv_free(envp);
	if (sandbox_fd >= 0)
		close(sandbox_fd);
	alloc_res_clear(&want);
	alloc_res_clear(&after);
}

static void on_kill(struct agent *a, json_t *k)
{
	char err[WIRE_ERR_LEN], key[2 * ID_MAX_LEN + 2];
	const char *fid = wire_get_id(k, "framework_id", err, sizeof(err));
	const char *tid = wire_get_id(k, "task_id", err, sizeof(err));
	json_t *gp = json_object_get(json_object_get(json_object_get(k, "kill_policy"),
						     "grace_period"),
				     "nanoseconds");
	int64_t grace = json_is_integer(gp) && json_integer_value(gp) >= 0
				? (int64_t)json_integer_value(gp)
				: DEFAULT_GRACE_NS;
	struct agent_task *t;

	if (!fid || !tid)
		return;
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	t = strmap_get(&a->tasks, key);
	if (t)
		task_kill(t, grace);
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
	a->sub_call = NULL;
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
	if (status != 202)
		log_debug("heartbeat not accepted: %ld %s", status, err ? err : body);
}

static void on_heartbeat(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent *a = data;

	if (a->subscribed)
		post_call(a, json_pack("{s:s}", "type", "HEARTBEAT"), on_heartbeat_done, a, NULL);
}

static void on_sub_open(long status, const char *stream_id, void *data)
{
	struct agent *a = data;

	if (status == 200 && stream_id)
		snprintf(a->stream_id, sizeof(a->stream_id), "%s", stream_id);
}

static void on_sub_record(const char *rec, size_t len, void *data)
{
	struct agent *a = data;
	json_error_t e;
	json_t *ev = json_loadb(rec, len, 0, &e);
	const char *type = json_string_value(json_object_get(ev, "type"));

	if (streq(type, "SUBSCRIBED")) {
		json_t *sub = json_object_get(ev, "subscribed");
		const char *id = json_string_value(json_object_get(json_object_get(sub, "agent_id"),
								   "value"));
		double hb = json_number_value(json_object_get(sub, "heartbeat_interval_seconds"));
		size_t it;
		void *v;
		if (id)
			snprintf(a->agent_id, sizeof(a->agent_id), "%s", id);
		a->subscribed = true;
		a->reconnect_backoff_ns = 0;
		if (hb > 0)
			loop_timer_set(a->heartbeat_timer, (int64_t)(hb * 1e9), (int64_t)(hb * 1e9));
		log_info("subscribed to the master as agent %s", a->agent_id);
		/* resend what is unacknowledged */
		for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
			struct agent_task *t = v;
			t->update_in_flight = false;
			send_next_update(t);
		}
	} else if (streq(type, "LAUNCH")) {
		launch(a, json_object_get(ev, "launch"));
	} else if (streq(type, "KILL")) {
		on_kill(a, json_object_get(ev, "kill"));
	} else if (streq(type, "ACKNOWLEDGE")) {
		on_acknowledge(a, json_object_get(ev, "acknowledge"));
	}
	json_decref(ev);
}

static void on_sub_done(long status, const char *body, size_t len, const char *err, void *data)
{
	struct agent *a = data;
	char why[300];

	snprintf(why, sizeof(why), "%s%ld %.200s", err ? err : "status ", err ? 0L : status,
		 err ? "" : body);
	lost_master(a, why);
}

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
	return json_pack("{s:s,s:o,s:o}", "mode",
			 a->flags->enforce == AGENT_ENFORCE_STRICT ? "strict" : "best-effort",
			 "controllers", avail, "missing", missing);
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
	snprintf(url, sizeof(url), "%s/api/v1/agent", a->master_url);
	a->sub_call = http_post_stream(a->http, url, "application/json", s, strlen(s), NULL,
				       on_sub_open, on_sub_record, on_sub_done, a);
	free(s);
	if (!a->sub_call)
		lost_master(a, "cannot start the request");
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

static int detect_resources(struct agent *a, char *err, size_t errlen)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	long long mem_mib = (long long)pages * psize / (1024 * 1024);
	char text[256];

	/* keep a reserve for the host: 10 %, at least 256 MiB and at most 4 GiB */
	long long reserve = mem_mib / 10;
	reserve = reserve < 256 ? 256 : reserve > 4096 ? 4096 : reserve;
	snprintf(text, sizeof(text), "cpus:%ld;mem:%lld;ports:[31000-32000]", cpus,
		 mem_mib > reserve ? mem_mib - reserve : mem_mib / 2);
	return alloc_res_parse(text, &a->total, err, errlen);
}

int agent_init(struct agent *a, struct agent_flags *flags)
{
	char err[ERRLEN];
	int r;

	memset(a, 0, sizeof(*a));
	a->flags = flags;
	strmap_init(&a->tasks);
	gethostname(a->hostname, sizeof(a->hostname) - 1);
	if (strncmp(flags->master, "http://", 7) == 0)
		snprintf(a->master_url, sizeof(a->master_url), "%s", flags->master);
	else
		snprintf(a->master_url, sizeof(a->master_url), "http://%s", flags->master);

	if (flags->resources)
		r = alloc_res_parse(flags->resources, &a->total, err, sizeof(err));
	else
		r = detect_resources(a, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "option '--resources': %s", err);
	if (flags->attributes && parse_attributes(flags->attributes, &a->attributes, err,
						  sizeof(err)) < 0)
		return log_error_errno(EINVAL, "option '--attributes': %s", err);

	r = mkdir_p(flags->work_dir);
	if (r < 0)
		return log_error_errno(r, "cannot create the work dir '%s': %m", flags->work_dir);

	r = agent_cgroup_init(flags->cgroup_root, getpid(), &a->cg, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "cgroup setup failed: %s", err);
	a->have_cgroup = true;
	agent_cgroup_report_format(&a->cg.report, a->cg_report, sizeof(a->cg_report));
	log_info("cgroup2 at '%s', root '%s': %s", a->cg.mount, a->cg.root, a->cg_report);
	if (agent_cgroup_check_strict(&a->cg.report, err, sizeof(err)) < 0) {
		if (flags->enforce == AGENT_ENFORCE_STRICT)
			return log_error_errno(EOPNOTSUPP,
					       "cannot enforce limits: %s (run with --enforce "
					       "best-effort to run without them)",
					       err);
		log_warn("best-effort mode, limits not enforced: %s", err);
	}

	r = loop_new(&a->loop);
	if (r < 0)
		return log_error_errno(r, "cannot create the event loop: %m");
	r = http_client_new(a->loop, &a->http);
	if (r < 0)
		return log_error_errno(r, "cannot create the HTTP client: %m");
	a->reconnect_timer = loop_timer_add(a->loop, 0, 0, on_reconnect, a);
	a->heartbeat_timer = loop_timer_add(a->loop, 5000000000LL, 5000000000LL, on_heartbeat, a);
	if (!a->reconnect_timer || !a->heartbeat_timer)
		return log_error_errno(errno, "cannot create timers: %m");
	a->iso_ctx.strict = flags->enforce == AGENT_ENFORCE_STRICT;
	a->iso_ctx.available = a->cg.report.available;
	a->iso_ctx.pids_max_default = (uint64_t)flags->pids_max;
	r = agent_api_start(a);
	if (r < 0)
		return r;
	{
		char res[512];
		alloc_res_format(&a->total, res, sizeof(res));
		log_info("offering %s to the master at %s", res, a->master_url);
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
	if (a->http)
		http_client_free(a->http);
	if (a->loop) {
		loop_timer_del(a->loop, a->reconnect_timer);
		loop_timer_del(a->loop, a->heartbeat_timer);
		loop_free(a->loop);
	}
	if (a->have_cgroup)
		agent_cgroup_done(&a->cg);
	alloc_res_clear(&a->total);
	alloc_res_clear(&a->used);
	json_decref(a->attributes);
}
