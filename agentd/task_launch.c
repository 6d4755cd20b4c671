// SPDX-License-Identifier: Apache-2.0
/*
 * A LAUNCH from the master: checked (IDs, resources, command, limits: TASK_ERROR), prepared
 * (user, sandbox, cgroup leaf, isolators, BPF, the supervisor's records) and spawned
 * (launch.h, supervisor.h); a failure undoes what was prepared and says TASK_FAILED.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_internal.h"
#include "command_info.h"
#include "health.h"
#include "files.h"
#include "launch.h"
#include "log.h"
#include "logger.h"
#include "mkdir.h"
#include "status_uuid.h"
#include "strv.h"
#include "task_limits.h"

/* argv/envp from the CommandInfo; NULL-terminated, owned by the caller. */
char **agent_strv_from_json(json_t *arr, bool env)
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
 * Limits from TaskInfo.resources and TaskInfo.limits for a launch (task_limits.h), capped
 * by --max-limit-ratio of the agent's total. -EINVAL + err.
 */
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

/* The master's answer to a refusal's TASK_ERROR (not retried). */
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
	char uuid[STATUS_UUID_LEN];
	json_t *st;

	if (!json_is_string(json_object_get(fid, "value")) ||
	    !json_is_string(json_object_get(tid, "value")) || !a->subscribed)
		return;
	status_uuid_random(uuid);
	st = json_pack("{s:O,s:s,s:s,s:s,s:s,s:s,s:f,s:o}", "task_id", tid, "state", "TASK_ERROR",
		       "source", "SOURCE_AGENT", "reason", "REASON_TASK_INVALID", "message",
		       message, "uuid", uuid, "timestamp", (double)now_real_ns() / 1e9, "agent_id",
		       wire_id(a->agent_id));
	agent_master_post(a,
			  json_pack("{s:s,s:{s:O,s:o,s:s}}", "type", "STATUS_UPDATE",
				    "status_update", "framework_id", fid, "status", st,
				    "latest_state", "TASK_ERROR"),
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

/*
 * Who a task runs as: its command's user, else its framework's (as Mesos), else, when the
 * agent is root, --task-user if given, else the framework's dynamic uid (uid_pool.h: one
 * of its own, so tenants are apart); else the agent's own user. Sets spec->user or
 * spec->dynamic_uid; -errno with a message when the uid range is exhausted.
 */
int agent_launch_user(struct agent *a, json_t *ev, json_t *cmd, const char *fid,
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

/* One LAUNCH on its way through check, prepare and spawn: what they made, for the undo. */
struct launch {
	json_t *ev, *cmd;
	struct agent_launch_spec spec;
	struct agent_launch_error lerr; /* its message: the check's, or the spawn's */
	struct agent_spawn *sp;
	struct agent_task_limits lim;
	char **argv, **envp;
	struct health_check hc;       /* TaskInfo.health_check, when hc.type is set */
	struct agent_health_run *health; /* what the supervisor runs for it */
	int sandbox_fd, meta_fd;
	struct agent_logger_config logcfg; /* the task's output caps (--log-max-size) */
	bool sandbox_begun;  /* the sandbox (or part of its path) may exist */
	const char *reason; /* of the TASK_FAILED when prepare or spawn fails */
	char err[AGENT_ERRLEN];
};

/*
 * NULL when the LAUNCH's framework and task IDs are valid (Mesos's rule, id_is_valid();
 * the paths and cgroups they name are their disk_name()s), else why not, for the
 * TASK_ERROR refuse_launch() sends. Pure but for the log.
 */
static const char *launch_check_ids(json_t *ev, const char *fid, const char *tid)
{
	json_t *task = json_object_get(ev, "task");

	if (!agent_task_id_valid_n(fid, json_string_length(json_object_get(
						 json_object_get(ev, "framework_id"), "value"))) ||
	    !agent_task_id_valid_n(tid, json_string_length(json_object_get(
						 json_object_get(task, "task_id"), "value")))) {
		log_warn("LAUNCH with an invalid framework or task ID refused");
		return "the framework and task IDs must be valid: 1 to 255 bytes, not '.' or '..', "
		       "no control character, '/' or '\\'";
	}
	return NULL;
}

/*
 * t's record goes to disk before anything exists that a restart would have to find; the
 * disk first: a task that filled it must not take the checkpoints' room. -errno with
 * l->err (TASK_FAILED; t has no sandbox then).
 */
static int launch_record(struct agent_task *t, struct launch *l)
{
	int r;

	r = agent_disk_admits_launch(t->agent, l->err, sizeof(l->err));
	if (r < 0) {
		t->sandbox[0] = '\0';
		(void)agent_task_save(t);
		return r;
	}
	r = agent_task_save(t);
	if (r < 0) {
		snprintf(l->err, sizeof(l->err), "cannot write the task's checkpoint: %s",
			 strerror(-r));
		t->sandbox[0] = '\0';
	}
	return r;
}

/*
 * What the request alone can tell is wrong, refused before anything is created: its
 * resources and whether they fit what is free, its command (launch.h), its limits. Fills
 * t->res, l->spec (but its fds and user) and l->lim; creates nothing. -EINVAL or -errno
 * with l->lerr.message (TASK_ERROR, REASON_TASK_INVALID).
 */
static int launch_check(struct agent_task *t, struct launch *l)
{
	struct agent *a = t->agent;
	json_t *task = json_object_get(l->ev, "task");
	json_t *env = json_object_get(json_object_get(l->cmd, "environment"), "variables");
	struct alloc_res after = ALLOC_RES_INIT;
	char *msg = l->lerr.message;
	size_t len = sizeof(l->lerr.message);
	bool fits;
	int r;

	r = alloc_res_from_json(json_object_get(task, "resources"), &t->res, msg, len);
	if (r < 0)
		return r;
	alloc_res_copy(&after, &a->used);
	alloc_res_add(&after, &t->res);
	fits = alloc_res_contains(&a->total, &after);
	alloc_res_clear(&after);
	if (!fits) {
		snprintf(msg, len, "Task needs more than this agent has free");
		return -EINVAL;
	}
	r = command_info_check(l->cmd, "task", msg, len);
	if (r < 0)
		return r;
	l->spec.seccomp = agent_task_seccomp(a);
	l->envp = agent_strv_from_json(env, true);
	l->spec.envp = l->envp;
	if (!json_is_false(json_object_get(l->cmd, "shell"))) {
		l->spec.command = json_string_value(json_object_get(l->cmd, "value"));
	} else {
		l->argv = agent_strv_from_json(json_object_get(l->cmd, "arguments"), false);
		l->spec.path = json_string_value(json_object_get(l->cmd, "value"));
		l->spec.argv = l->argv && l->argv[0] ? l->argv : NULL;
	}
	r = agent_launch_spec_check(&l->spec, &l->lerr);
	if (r < 0)
		return r;
	r = task_limits_capped(t, &l->lim, msg, len);
	if (r < 0)
		return r;
	r = agent_task_limits_check(&l->lim, msg, len);
	if (r < 0)
		return r;
	/* the master checked it too (lib/health_check.h); this is the agent's own check */
	if (json_object_get(task, "health_check"))
		return health_check_parse(json_object_get(task, "health_check"), "task.health_check",
					  &l->hc, msg, len);
	return 0;
}

/* The supervisor's health checks of t (health.h), prepared before its fork. -errno. */
static int launch_health(struct agent_task *t, struct launch *l)
{
	char probe[PATH_MAX] = "";
	int r;

	if (l->hc.type == HEALTH_CHECK_UNKNOWN)
		return 0;
	if (l->hc.type != HEALTH_CHECK_COMMAND) {
		r = agent_health_probe_path(probe, sizeof(probe));
		if (r < 0) {
			snprintf(l->err, sizeof(l->err), "cannot find %s: %s", AGENT_HEALTH_PROBE,
				 strerror(-r));
			return r;
		}
	}
	r = agent_health_run_new(&l->hc, l->envp, probe, agent_task_kill_grace(t, NULL),
				 &l->health);
	if (r < 0)
		snprintf(l->err, sizeof(l->err), "cannot prepare the health check: %s",
			 strerror(-r));
	return r;
}

/*
 * What t runs in: its resources taken, its user, its sandbox, its cgroup leaf with the
 * isolators' limits and the BPF maps, the directory of its supervisor's records. -errno
 * with l->err; agent_on_launch() undoes what was made.
 */
static int launch_prepare(struct agent_task *t, struct launch *l)
{
	struct agent *a = t->agent;
	struct agent_isolation iso = {0};
	int r;

	alloc_res_add(&a->used, &t->res);
	t->state = TASK_STARTING;
	r = agent_launch_user(a, l->ev, l->cmd, t->fw_id, &l->spec, l->err, sizeof(l->err));
	if (r < 0)
		return r;
	l->sandbox_begun = true;
	r = mkdir_p(t->sandbox, 0755);
	if (r >= 0)
		r = sandbox_parents_private(t->sandbox);
	if (r < 0) {
		snprintf(l->err, sizeof(l->err), "cannot create the sandbox: %s", strerror(-r));
		return r;
	}
	l->sandbox_fd = open(t->sandbox, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (l->sandbox_fd < 0)
		r = -errno;
	else if (t->exec) /* a leaf under its executor's cgroup (executor.h) */
		r = agent_executor_leaf_create(t->exec, t->cg_name, &t->cgroup_fd);
	else
		r = agent_cgroup_task_create(&a->cg, t->cg_fw, t->cg_name, &t->cgroup_fd);
	if (r < 0) {
		snprintf(l->err, sizeof(l->err), "cannot create the task's sandbox or cgroup: %s",
			 strerror(-r));
		return r;
	}
	r = agent_isolators_prepare(&a->iso_ctx, t->cgroup_fd, &l->lim, &iso, l->err,
				    sizeof(l->err));
	if (r < 0)
		return r;
	snprintf(t->isolation_note, sizeof(t->isolation_note), "%s", iso.note);
	r = agent_bpf_task_start(a->bpf, t->cgroup_fd, &t->res, t->info, l->err, sizeof(l->err));
	if (r < 0)
		return r;
	/* the supervisor's records go where the task cannot write (supervisor.h) */
	l->meta_fd = agent_checkpoint_task_dir_open(&a->ckpt, t->fw_name, t->name);
	if (l->meta_fd < 0) {
		snprintf(l->err, sizeof(l->err), "cannot open the task's checkpoint directory: %s",
			 strerror(-l->meta_fd));
		return l->meta_fd;
	}
	agent_checkpoint_task_run_reset(l->meta_fd);
	l->spec.sandbox_fd = l->sandbox_fd;
	l->spec.cgroup_fd = t->cgroup_fd;
	if (a->flags->log_max_size > 0) { /* the task's output through its logger (logger.h) */
		l->logcfg = (struct agent_logger_config){
			.max_size = {(uint64_t)a->flags->log_max_size, (uint64_t)a->flags->log_max_size},
			.max_files = (unsigned)a->flags->log_max_files};
		l->spec.logger = &l->logcfg;
		l->spec.logger_cgroup_fd = a->cg.supervisor_fd;
	}
	return 0;
}

/*
 * STARTING, then the supervisor and the task (launch.h, supervisor.h), watched from now
 * on. -errno with l->err and l->reason: the failure is the task's own
 * (REASON_TASK_INVALID) when its user or its command is.
 */
static int launch_spawn(struct agent_task *t, struct launch *l)
{
	struct agent *a = t->agent;
	int r;

	agent_task_status(t, TASK_STARTING, NULL, NULL, NULL);
	r = launch_health(t, l);
	if (r < 0)
		return r;
	r = agent_spawn_prepare(&l->spec, &l->sp, &l->lerr);
	if (r >= 0)
		r = agent_task_launch_checked(l->sp, l->health, a->cg.supervisor_fd, l->meta_fd,
					      &t->proc, &l->lerr);
	if (r < 0) {
		if (l->sp)
			agent_launch_error_format(&l->lerr, l->sp);
		if (l->lerr.stage == AGENT_LAUNCH_USER || l->lerr.stage == AGENT_LAUNCH_INVALID)
			l->reason = "REASON_TASK_INVALID";
		snprintf(l->err, sizeof(l->err), "%s",
			 l->lerr.message[0] ? l->lerr.message : strerror(-r));
		return r;
	}
	t->running = true;
	t->logger_pidfd = TAKE_FD(l->sp->logger_pidfd);
	agent_files_mark_latest(t);
	t->started_ns = now_mono_ns();
	agent_task_watch_exit(t);
	agent_task_track(t, false);
	return 0;
}

/*
 * A task of a LAUNCH (or of a LAUNCH_GROUP, under executor e; NULL: alone): check, record,
 * prepare, spawn; each failure says why in t's update. The task's state after it, or -1
 * when no task was made.
 */
int agent_launch_task(struct agent *a, json_t *ev, struct agent_executor *e)
{
	char err[AGENT_ERRLEN], key[2 * ID_MAX_LEN + 2], run[UUID_STR_LEN];
	const char *fid = wire_get_id(ev, "framework_id", err, sizeof(err));
	const char *tid = wire_get_id(json_object_get(ev, "task"), "task_id", err, sizeof(err));
	struct launch l = {
		.ev = ev,
		.cmd = json_object_get(json_object_get(ev, "task"), "command"),
		.spec = {.sandbox_fd = -1, .cgroup_fd = -1},
		.sandbox_fd = -1,
		.meta_fd = -1,
		.reason = "REASON_CONTAINER_LAUNCH_FAILED",
	};
	const char *why;
	struct agent_task *t;
	int state;

	if (!fid || !tid) {
		log_warn("LAUNCH without a framework or task ID ignored: %s", err);
		return -1;
	}
	why = launch_check_ids(ev, fid, tid);
	if (why) {
		refuse_launch(a, ev, why);
		return -1;
	}
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	if (strmap_get(&a->tasks, key)) {
		log_warn("LAUNCH of task '%s' which already exists ignored", key);
		return -1;
	}
	uuid_random(run); /* a fresh sandbox, even for a task ID used before */
	t = agent_task_new(a, fid, tid, NULL, NULL, run, json_object_get(ev, "task"));
	if (!t)
		return -1;
	t->fw_info = json_incref(json_object_get(ev, "framework_info"));
	if (e)
		agent_executor_task_attach(e, t);
	if (launch_record(t, &l) < 0) {
		agent_task_status(t, TASK_FAILED, l.reason, l.err, NULL);
		goto out;
	}
	if (launch_check(t, &l) < 0) {
		t->sandbox[0] = '\0';
		agent_task_status(t, TASK_ERROR, "REASON_TASK_INVALID", l.lerr.message, NULL);
		goto out;
	}
	if (launch_prepare(t, &l) < 0)
		goto out_unprepare;
	if (launch_spawn(t, &l) < 0)
		goto out_reap;
	agent_task_status(t, TASK_RUNNING, NULL, NULL, NULL);
	agent_health_task_start(t, false);
	goto out;

out_reap:
	agent_task_reap(&t->proc);
out_unprepare:
	agent_task_cleanup(t); /* the leaf, its limits and BPF maps, the resources, the uid */
	if (l.sandbox_begun)
		task_sandbox_discard(t);
	else
		t->sandbox[0] = '\0';
	agent_task_status(t, TASK_FAILED, l.reason, l.err, NULL);
out:
	agent_spawn_free(l.sp);
	agent_health_run_free(l.health);
	strv_free(l.argv);
	strv_free(l.envp);
	if (l.sandbox_fd >= 0)
		close(l.sandbox_fd);
	if (l.meta_fd >= 0)
		close(l.meta_fd);
	state = t->state;
	agent_task_maybe_forget(t);
	return state;
}

/* A LAUNCH event: one task alone, or one for a CUSTOM executor (executor_custom.c). */
void agent_on_launch(struct agent *a, json_t *ev)
{
	if (json_object_get(json_object_get(ev, "task"), "executor"))
		agent_executor_on_launch(a, ev);
	else
		(void)agent_launch_task(a, ev, NULL);
}
