// SPDX-License-Identifier: Apache-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cgroup.h"
#include "checkpoint.h"
#include "health.h"
#include "launch.h"
#include "supervisor.h"
#include "util.h"
#include "wire.h"

static int open_dir(int dirfd, const char *name, bool create)
{
	int fd;

	if (create && mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int agent_checkpoint_open(const char *work_dir, struct checkpoint *ret)
{
	_cleanup_close_ int wd = -1, meta = -1;
	int tasks;

	wd = open(work_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (wd < 0)
		return -errno;
	meta = open_dir(wd, "meta", true);
	if (meta < 0)
		return meta;
	/* root's alone, whatever made it (checkpoint.h) */
	if (fchmod(meta, 0700) < 0)
		return -errno;
	tasks = open_dir(meta, "tasks", true);
	if (tasks < 0)
		return tasks;
	ret->work_dir = strdup(work_dir);
	if (!ret->work_dir) {
		close(tasks);
		return -ENOMEM;
	}
	ret->meta_fd = TAKE_FD(meta);
	ret->tasks_fd = tasks;
	ret->reserve_released = false;
	return 0;
}

void agent_checkpoint_close(struct checkpoint *c)
{
	if (!c)
		return;
	if (c->meta_fd >= 0)
		close(c->meta_fd);
	if (c->tasks_fd >= 0)
		close(c->tasks_fd);
	free(c->work_dir);
	c->meta_fd = c->tasks_fd = -1;
	c->work_dir = NULL;
}

int agent_checkpoint_agent_id_load(struct checkpoint *c, char **ret)
{
	char *text = NULL;
	size_t n;
	int r = agent_read_fileat(c->meta_fd, "agent_id", &text);

	if (r < 0)
		return r;
	n = strcspn(text, "\n");
	text[n] = '\0';
	if (!agent_task_id_valid(text)) {
		free(text);
		return -EBADMSG;
	}
	*ret = text;
	return 0;
}

/* ---------------------------------------------------------------- the reserve */

#define RESERVE_FILE "reserve"

static bool disk_full(int r)
{
	return r == -ENOSPC || r == -EDQUOT;
}

/*
 * Write a checkpoint file; on a full file system give the reserve up and try once more
 * (checkpoint.h). The reserve comes back at the next agent_checkpoint_reserve_ensure.
 */
static int write_reserved(struct checkpoint *c, int dirfd, const char *name, const char *data,
			  size_t len, bool durable)
{
	int r = agent_write_file_replace(dirfd, name, data, len, durable);

	if (!disk_full(r) || c->meta_fd < 0)
		return r;
	if (unlinkat(c->meta_fd, RESERVE_FILE, 0) < 0)
		return r; /* nothing left to give */
	c->reserve_released = true;
	return agent_write_file_replace(dirfd, name, data, len, durable);
}

uint64_t agent_checkpoint_reserve_effective(struct checkpoint *c, uint64_t bytes)
{
	struct statvfs sv;

	if (bytes && fstatvfs(c->meta_fd, &sv) == 0) {
		uint64_t tenth = (uint64_t)sv.f_blocks * sv.f_frsize / 10;

		if (bytes > tenth)
			bytes = tenth;
	}
	return bytes;
}

int agent_checkpoint_reserve_ensure(struct checkpoint *c, uint64_t bytes)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	bytes = agent_checkpoint_reserve_effective(c, bytes);
	if (!bytes) {
		if (unlinkat(c->meta_fd, RESERVE_FILE, 0) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	fd = openat(c->meta_fd, RESERVE_FILE,
		    O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	/* a larger one (an earlier --checkpoint-reserve) would hold more than asked */
	if ((uint64_t)st.st_size > bytes && ftruncate(fd, (off_t)bytes) < 0)
		return -errno;
	if ((uint64_t)st.st_size >= bytes && (uint64_t)st.st_blocks * 512 >= bytes) {
		c->reserve_released = false;
		return 0;
	}
	r = fallocate(fd, 0, 0, (off_t)bytes);
	if (r < 0) {
		r = -errno;
		/* a file system without fallocate: the blocks written (slower, same effect) */
		if (r == -EOPNOTSUPP)
			r = posix_fallocate(fd, 0, (off_t)bytes) == 0 ? 0 : -ENOSPC;
	}
	if (r < 0) {
		/* half a reserve would mislead the next ensure: none until it fits */
		(void)unlinkat(c->meta_fd, RESERVE_FILE, 0);
		return r;
	}
	c->reserve_released = false;
	return 0;
}

int agent_checkpoint_agent_id_save(struct checkpoint *c, const char *id)
{
	char buf[300];
	int n = snprintf(buf, sizeof(buf), "%s\n", id);

	return write_reserved(c, c->meta_fd, "agent_id", buf, (size_t)n, true);
}

/* meta/tasks/<fw>/<task>, created on demand. */
static int task_dir(struct checkpoint *c, const char *fw, const char *task, bool create)
{
	_cleanup_close_ int fwfd = -1;

	if (!agent_task_id_valid(fw) || !agent_task_id_valid(task))
		return -EINVAL;
	fwfd = open_dir(c->tasks_fd, fw, create);
	if (fwfd < 0)
		return fwfd;
	return open_dir(fwfd, task, create);
}

static int save_json(struct checkpoint *c, const char *fw, const char *task, const char *name,
		     json_t *j, bool durable)
{
	_cleanup_close_ int fd = task_dir(c, fw, task, true);
	_cleanup_free_ char *s = NULL;

	if (fd < 0)
		return fd;
	s = json_dumps(j, JSON_COMPACT);
	if (!s)
		return -ENOMEM;
	return write_reserved(c, fd, name, s, strlen(s), durable);
}

int agent_checkpoint_task_dir_open(struct checkpoint *c, const char *fw, const char *task)
{
	return task_dir(c, fw, task, true);
}

void agent_checkpoint_task_run_reset(int task_dir_fd)
{
	static const char *const names[] = {AGENT_SUPERVISOR_FILE, AGENT_EXIT_STATUS_FILE,
					    "." AGENT_SUPERVISOR_FILE ".tmp",
					    "." AGENT_EXIT_STATUS_FILE ".tmp",
					    AGENT_HEALTH_FILE, "." AGENT_HEALTH_FILE ".tmp",
					    AGENT_HEALTH_STOP_FILE};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		(void)unlinkat(task_dir_fd, names[i], 0);
}

/*
 * What must survive a crash of the host and not only of the agent (see checkpoint.h):
 * a task record and non-terminal updates describe processes that die with the host, so
 * they are written without fsync (on the launch path, where the fsyncs cost more than
 * the fork and exec); a queue that holds a terminal update is written durably.
 */
int agent_checkpoint_task_save(struct checkpoint *c, const char *fw, const char *task, json_t *record)
{
	return save_json(c, fw, task, "task.json", record, false);
}

static bool holds_terminal(json_t *updates)
{
	size_t i;
	json_t *u;

	json_array_foreach(updates, i, u) {
		const char *s = json_string_value(json_object_get(u, "state"));

		if (s && strcmp(s, "TASK_STAGING") != 0 && strcmp(s, "TASK_STARTING") != 0 &&
		    strcmp(s, "TASK_RUNNING") != 0 && strcmp(s, "TASK_KILLING") != 0)
			return true;
	}
	return false;
}

int agent_checkpoint_updates_save(struct checkpoint *c, const char *fw, const char *task,
			    json_t *updates)
{
	return save_json(c, fw, task, "updates.json", updates, holds_terminal(updates));
}

int agent_checkpoint_task_remove(struct checkpoint *c, const char *fw, const char *task)
{
	_cleanup_close_ int fwfd = -1, fd = -1;

	if (!agent_task_id_valid(fw) || !agent_task_id_valid(task))
		return -EINVAL;
	fwfd = open_dir(c->tasks_fd, fw, false);
	if (fwfd < 0)
		return fwfd == -ENOENT ? 0 : fwfd;
	fd = open_dir(fwfd, task, false);
	if (fd >= 0) {
		agent_checkpoint_task_run_reset(fd);
		unlinkat(fd, "task.json", 0);
		unlinkat(fd, "updates.json", 0);
		fsync(fd);
	}
	if (unlinkat(fwfd, task, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	fsync(fwfd);
	unlinkat(c->tasks_fd, fw, AT_REMOVEDIR); /* fails while other tasks remain: fine */
	return 0;
}

static json_t *load_json(int dirfd, const char *name, int *ret_err, const char **ret_why)
{
	_cleanup_free_ char *text = NULL;
	json_error_t e;
	json_t *j;
	int r = agent_read_fileat(dirfd, name, &text);

	if (r < 0) {
		*ret_err = r;
		*ret_why = strerror(-r);
		return NULL;
	}
	j = json_loads(text, 0, &e);
	if (!j) {
		static __thread char why[200];
		snprintf(why, sizeof(why), "not JSON: %s", e.text);
		*ret_err = -EBADMSG;
		*ret_why = why;
	}
	return j;
}

/*
 * The shape recovery relies on: a record object with a "task" object, and an array of
 * updates each with a "uuid" string and a known "state". NULL, or why not.
 */
static const char *checkpoint_shape_error(json_t *record, json_t *updates)
{
	size_t i;
	json_t *u;

	if (!json_is_object(record) || !json_is_object(json_object_get(record, "task")))
		return "task.json: not an object with a \"task\" object";
	if (!json_is_array(updates))
		return "updates.json: not an array";
	json_array_foreach(updates, i, u) {
		const char *state = json_string_value(json_object_get(u, "state"));
		enum task_state s;

		if (!json_is_string(json_object_get(u, "uuid")) || !state)
			return "updates.json: an update without a \"uuid\" and a \"state\"";
		if (task_state_parse(state, &s) < 0)
			return "updates.json: an update with an unknown \"state\"";
	}
	return NULL;
}

int agent_checkpoint_tasks_load(struct checkpoint *c,
			  void (*fn)(const char *fw, const char *task, json_t *record,
				     json_t *updates, void *data),
			  void (*bad)(const char *path, const char *why, void *data), void *data)
{
	DIR *fws;
	struct dirent *fe;
	int count = 0, d = fcntl(c->tasks_fd, F_DUPFD_CLOEXEC, 3);

	if (d < 0)
		return -errno;
	fws = fdopendir(d);
	if (!fws) {
		close(d);
		return -errno;
	}
	while ((fe = readdir(fws))) {
		_cleanup_close_ int fwfd = -1;
		DIR *ts;
		struct dirent *te;

		if (!agent_task_id_valid(fe->d_name))
			continue; /* "." and ".." (a name of the previous release may start with '.') */
		fwfd = open_dir(c->tasks_fd, fe->d_name, false);
		if (fwfd < 0)
			continue;
		d = fcntl(fwfd, F_DUPFD_CLOEXEC, 3);
		ts = d >= 0 ? fdopendir(d) : NULL;
		if (!ts) {
			if (d >= 0)
				close(d);
			continue;
		}
		while ((te = readdir(ts))) {
			_cleanup_close_ int tfd = -1;
			char path[PATH_MAX];
			const char *why = NULL;
			json_t *record, *updates;
			int err = 0;

			if (!agent_task_id_valid(te->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/meta/tasks/%s/%s", c->work_dir, fe->d_name,
				 te->d_name);
			tfd = open_dir(fwfd, te->d_name, false);
			if (tfd < 0)
				continue;
			record = load_json(tfd, "task.json", &err, &why);
			if (!record) {
				if (bad)
					bad(path, why, data);
				continue;
			}
			updates = load_json(tfd, "updates.json", &err, &why);
			if (!updates && err != -ENOENT) {
				if (bad)
					bad(path, why, data);
				json_decref(record);
				continue;
			}
			if (!updates)
				updates = json_array();
			why = checkpoint_shape_error(record, updates);
			if (why) {
				if (bad)
					bad(path, why, data);
				json_decref(record);
				json_decref(updates);
				continue;
			}
			fn(fe->d_name, te->d_name, record, updates, data);
			count++;
		}
		closedir(ts);
	}
	closedir(fws);
	return count;
}
