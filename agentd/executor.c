// SPDX-License-Identifier: Apache-2.0
/*
 * The executor table: an executor's container (its sandbox and its cgroup, executor.h),
 * the tasks that name it, its resources, its part of their checkpoints and its recovery.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent_internal.h"
#include "completed.h"
#include "log.h"
#include "mkdir.h"

struct agent_executor *agent_executor_get(struct agent *a, const char *fid, const char *eid)
{
	char key[2 * ID_MAX_LEN + 2];

	snprintf(key, sizeof(key), "%s/%s", fid, eid);
	return strmap_get(&a->executors, key);
}

/* <root>/executors/<fw>/<executor>, each level with the available controllers enabled. */
static int executor_cgroup_create(struct agent_executor *e, int *ret_fd)
{
	struct agent *a = e->agent;
	unsigned on = a->cg.report.available;
	_cleanup_close_ int top = -1, fw = -1;
	int r;

	if (!a->have_cgroup)
		return -ENODEV;
	r = agent_cgroup_subdir_create(a->cg.root_fd, "executors", on, &top);
	if (r >= 0)
		r = agent_cgroup_subdir_create(top, e->cg_fw, on, &fw);
	if (r >= 0)
		r = agent_cgroup_subdir_create(fw, e->cg_name, on, ret_fd);
	return r;
}

/* sandboxes/, sandboxes/<fw>/ and sandboxes/<fw>/<executor>/: crossed, not listed. */
static void sandbox_parents_private(const char *dir)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", dir);
	for (int i = 0; i < 3; i++) {
		char *slash = strrchr(buf, '/');

		if (!slash || slash == buf)
			return;
		*slash = '\0';
		if (chmod(buf, 0711) < 0)
			log_warn_errno(errno, "cannot make '%s' private: %m", buf);
	}
}

int agent_executor_new(struct agent *a, const char *fid, json_t *info, json_t *fw_info,
		       const char *run, struct agent_executor **ret, char *err, size_t errlen)
{
	const char *eid =
		json_string_value(json_object_get(json_object_get(info, "executor_id"), "value"));
	size_t len =
		json_string_length(json_object_get(json_object_get(info, "executor_id"), "value"));
	const char *type = json_string_value(json_object_get(info, "type"));
	struct agent_executor *e = calloc(1, sizeof(*e));
	int r;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* its paths by the IDs' disk names, as a task's (Mesos's ID rule: id.h) */
	if (!eid || !agent_task_id_valid_n(eid, len) ||
	    disk_name(fid, strlen(fid), 0, e->fw_name) < 0 || disk_name(eid, len, 0, e->name) < 0 ||
	    disk_name(fid, strlen(fid), DISK_NAME_CGROUP, e->cg_fw) < 0 ||
	    disk_name(eid, len, DISK_NAME_CGROUP, e->cg_name) < 0) {
		snprintf(err, errlen,
			 "the executor ID must be 1 to 255 bytes, not '.' or '..', without '/', "
			 "'\\' or control characters");
		free(e);
		return -EINVAL;
	}
	e->agent = a;
	e->fw_id = strdup(fid);
	e->id = strdup(eid);
	if (asprintf(&e->key, "%s/%s", fid, eid) < 0)
		e->key = NULL;
	e->info = json_deep_copy(info);
	e->fw_info = json_incref(fw_info);
	e->is_default = streq(type, "DEFAULT");
	e->cgroup_fd = e->leaf_fd = -1;
	e->proc.supervisor_pidfd = -1;
	if (run)
		snprintf(e->run, sizeof(e->run), "%s", run);
	else
		uuid_random(e->run);
	snprintf(e->dir, sizeof(e->dir), "%s/sandboxes/%s/%s/%s", a->flags->work_dir, e->fw_name,
		 e->name, e->run);
	if (!e->fw_id || !e->id || !e->key || !e->info) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto fail;
	}
	json_object_set_new(e->info, "framework_id", wire_id(fid));
	r = alloc_res_from_json(json_object_get(info, "resources"), &e->res, err, errlen);
	if (r < 0)
		goto fail;
	r = mkdir_p(e->dir, 0755);
	if (r < 0) {
		snprintf(err, errlen, "cannot create the executor's sandbox: %s", strerror(-r));
		goto fail;
	}
	sandbox_parents_private(e->dir);
	r = executor_cgroup_create(e, &e->cgroup_fd);
	if (r < 0) {
		snprintf(err, errlen, "cannot create the executor's cgroup: %s", strerror(-r));
		goto fail;
	}
	alloc_res_add(&a->used, &e->res);
	e->res_held = true;
	strmap_put(&a->executors, e->key, e, NULL);
	*ret = e;
	return 0;
fail:
	alloc_res_clear(&e->res);
	if (e->cgroup_fd >= 0)
		close(e->cgroup_fd);
	json_decref(e->info);
	json_decref(e->fw_info);
	free(e->fw_id);
	free(e->id);
	free(e->key);
	free(e);
	return r;
}

void agent_executor_task_attach(struct agent_executor *e, struct agent_task *t)
{
	t->exec = e;
	e->ntasks++;
	if (e->is_default) /* the agent runs it: a sandbox of its own in the group's */
		snprintf(t->sandbox, sizeof(t->sandbox), "%s/tasks/%s", e->dir, t->name);
	else /* the executor runs it, in the executor's sandbox */
		snprintf(t->sandbox, sizeof(t->sandbox), "%s", e->dir);
}

void agent_executor_task_detach(struct agent_task *t)
{
	struct agent_executor *e = t->exec;

	if (!e)
		return;
	t->exec = NULL;
	e->ntasks--;
	agent_executor_maybe_forget(e);
}

int agent_executor_leaf_create(struct agent_executor *e, const char *name, int *ret_fd)
{
	int fd;

	if (e->cgroup_fd < 0)
		return -ENODEV;
	if (!agent_task_id_valid(name))
		return -EINVAL;
	if (mkdirat(e->cgroup_fd, name, 0755) < 0)
		return -errno;
	fd = openat(e->cgroup_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

int agent_executor_leaf_open(struct agent_executor *e, const char *name, int *ret_fd)
{
	int fd;

	if (e->cgroup_fd < 0 || !agent_task_id_valid(name))
		return -ENOENT;
	fd = openat(e->cgroup_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* rmdir name under dirfd, retrying EBUSY about 200 ms (exiting processes leave it late). */
static int rmdir_retry(int dirfd, const char *name)
{
	for (long wait = 1;; wait *= 2) {
		struct timespec ts = {.tv_nsec = wait * 1000000L};

		if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || wait > 64)
			return -errno;
		nanosleep(&ts, NULL);
	}
}

void agent_executor_leaf_remove(struct agent_executor *e, const char *name)
{
	int r;

	if (e->cgroup_fd < 0 || !agent_task_id_valid(name))
		return;
	r = rmdir_retry(e->cgroup_fd, name);
	if (r < 0)
		log_warn_errno(r, "executor '%s': cannot remove the leaf '%s': %m", e->id, name);
}

void agent_executor_release(struct agent_executor *e)
{
	if (!e->res_held)
		return;
	alloc_res_sub(&e->agent->used, &e->res);
	e->res_held = false;
}

/* <root>/executors/<fw>/<executor> and, when it was the last, <fw>. */
static void executor_cgroup_remove(struct agent_executor *e)
{
	struct agent *a = e->agent;
	_cleanup_close_ int top = -1, fw = -1;
	int r;

	if (e->cgroup_fd < 0)
		return;
	agent_isolators_cleanup(&a->iso_ctx, e->cgroup_fd);
	close(e->cgroup_fd);
	e->cgroup_fd = -1;
	top = openat(a->cg.root_fd, "executors", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fw = top < 0 ? -1 : openat(top, e->cg_fw, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fw < 0)
		return;
	r = rmdir_retry(fw, e->cg_name);
	if (r < 0)
		log_warn_errno(r, "executor '%s': cannot remove its cgroup: %m", e->id);
	(void)unlinkat(top, e->cg_fw, AT_REMOVEDIR); /* EBUSY while siblings live */
}

static void executor_free(struct agent_executor *e)
{
	struct agent *a = e->agent;

	loop_unwatch(a->loop, e->exit_watch);
	loop_timer_del(a->loop, e->register_timer);
	loop_timer_del(a->loop, e->shutdown_timer);
	agent_executor_stream_drop(e);
	agent_task_proc_close(&e->proc);
	if (e->leaf_fd >= 0)
		close(e->leaf_fd);
	if (e->cgroup_fd >= 0)
		close(e->cgroup_fd);
	json_decref(e->pending);
	json_decref(e->info);
	json_decref(e->fw_info);
	alloc_res_clear(&e->res);
	free(e->fw_id);
	free(e->id);
	free(e->key);
	free(e);
}

void agent_executor_maybe_forget(struct agent_executor *e)
{
	struct agent *a = e->agent;

	if (e->ntasks == 0 && e->running && !e->is_default) {
		/* no task left to run (all ended and acknowledged): it is not left behind */
		agent_executor_shutdown(e);
		return;
	}
	if (e->ntasks > 0 || e->running)
		return;
	agent_executor_release(e);
	if (e->leaf_fd >= 0) {
		close(e->leaf_fd);
		e->leaf_fd = -1;
		agent_executor_leaf_remove(e, AGENT_EXECUTOR_LEAF);
	}
	executor_cgroup_remove(e);
	if (!e->is_default)
		agent_executor_meta_remove(e);
	agent_completed_executor(a, e);
	strmap_del(&a->executors, e->key);
	executor_free(e);
}

json_t *agent_executor_record(const struct agent_executor *e)
{
	return json_pack("{s:o,s:s,s:O,s:O*}", "executor_id", wire_id(e->id), "run", e->run, "info",
			 e->info, "framework_info", e->fw_info);
}

void agent_executor_recover_task(struct agent_task *t, json_t *record)
{
	struct agent *a = t->agent;
	json_t *rec = json_object_get(record, "executor");
	json_t *info = json_object_get(rec, "info");
	const char *run = json_string_value(json_object_get(rec, "run"));
	const char *eid =
		json_string_value(json_object_get(json_object_get(info, "executor_id"), "value"));
	struct agent_executor *e;
	char err[AGENT_ERRLEN];

	if (!rec)
		return;
	if (!eid || !run || !agent_task_id_valid(run) || run[0] == '.' ||
	    strlen(run) >= UUID_STR_LEN) {
		log_warn("task '%s': its executor record is damaged; recovered as a task alone",
			 t->id);
		return;
	}
	e = agent_executor_get(a, t->fw_id, eid);
	if (!e && agent_executor_new(a, t->fw_id, info, json_object_get(rec, "framework_info"), run,
				     &e, err, sizeof(err)) < 0) {
		log_warn("task '%s': its executor '%s' cannot be restored: %s", t->id, eid, err);
		return;
	}
	agent_executor_task_attach(e, t);
	if (t->cgroup_fd < 0)
		(void)agent_executor_leaf_open(e, t->cg_name, &t->cgroup_fd);
}

bool agent_executor_sandbox_in_use(struct agent *a, const char *path)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->executors, &it, NULL, &v);)
		if (streq(((struct agent_executor *)v)->dir, path))
			return true;
	return false;
}

static void free_executor(void *p)
{
	executor_free(p);
}

void agent_executors_free(struct agent *a)
{
	strmap_clear(&a->executors, free_executor);
}
