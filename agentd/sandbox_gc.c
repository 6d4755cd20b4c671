// SPDX-License-Identifier: Apache-2.0
/* Sandbox garbage collection: what goes and when, sandbox_gc.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "launch.h"
#include "sandbox_gc.h"
#include "util.h"

struct agent_gc {
	char *sandboxes; /* <work>/sandboxes */
	char *trash;     /* <work>/gc */
	uint64_t seq;    /* names in the trash */
	pthread_t worker;
	bool started;            /* worker is joinable */
	pthread_mutex_t lock;    /* guards running and dirty */
	bool running;            /* the worker has not yet decided to stop */
	bool dirty;              /* something was put in the trash since the worker's last look */
};

int64_t agent_gc_max_age(int64_t gc_delay_ns, double headroom, double usage)
{
	double f = 1.0 - headroom - usage;

	if (!(f > 0.0))
		return 0;
	if (f > 1.0)
		f = 1.0;
	return (int64_t)((double)gc_delay_ns * f);
}

/* On the worker thread (empty_trash): remove everything in the trash. */
static void empty_trash_once(struct agent_gc *gc)
{
	DIR *d = opendir(gc->trash);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char path[PATH_MAX];

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", gc->trash, de->d_name);
		(void)agent_sandbox_remove(path);
	}
	if (d)
		closedir(d);
}

/* The worker thread: empty the trash until nothing new was put in it meanwhile. */
static void *empty_trash(void *data)
{
	struct agent_gc *gc = data;

	for (;;) {
		pthread_mutex_lock(&gc->lock);
		if (!gc->dirty) {
			gc->running = false;
			pthread_mutex_unlock(&gc->lock);
			return NULL;
		}
		gc->dirty = false;
		pthread_mutex_unlock(&gc->lock);
		empty_trash_once(gc);
	}
}

/*
 * Something is in the trash: have the worker (started if it is not running) look again.
 * The loop thread (agent_gc_new, agent_gc_collect).
 */
static void start_worker(struct agent_gc *gc)
{
	pthread_mutex_lock(&gc->lock);
	gc->dirty = true;
	if (!gc->running) {
		if (gc->started)
			pthread_join(gc->worker, NULL); /* it has decided to stop: no lock needed */
		gc->started = false;
		if (pthread_create(&gc->worker, NULL, empty_trash, gc) == 0)
			gc->started = gc->running = true;
	}
	pthread_mutex_unlock(&gc->lock);
}

int agent_gc_new(const char *work_dir, struct agent_gc **ret)
{
	struct agent_gc *gc = calloc(1, sizeof(*gc));

	if (!gc)
		return -ENOMEM;
	pthread_mutex_init(&gc->lock, NULL);
	if (asprintf(&gc->sandboxes, "%s/sandboxes", work_dir) < 0 ||
	    asprintf(&gc->trash, "%s/gc", work_dir) < 0) {
		gc->sandboxes = gc->trash = NULL;
		agent_gc_free(gc);
		return -ENOMEM;
	}
	if (mkdir(gc->trash, 0700) < 0 && errno != EEXIST) {
		int r = -errno;

		agent_gc_free(gc);
		return r;
	}
	start_worker(gc); /* what a previous agent left */
	*ret = gc;
	return 0;
}

void agent_gc_free(struct agent_gc *gc)
{
	if (!gc)
		return;
	if (gc->started)
		pthread_join(gc->worker, NULL);
	pthread_mutex_destroy(&gc->lock);
	free(gc->sandboxes);
	free(gc->trash);
	free(gc);
}

struct pass {
	struct agent_gc *gc;
	int64_t max_age_ns, now_ns;
	bool (*in_use)(const char *path, void *data);
	void *data;
	struct agent_gc_stats *st;
};

/* path is one sandbox: keep it, or move it to the trash. */
static void consider(struct pass *p, const char *path)
{
	char dest[PATH_MAX];
	struct stat st;
	int64_t mtime, age;

	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	mtime = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	age = p->now_ns > mtime ? p->now_ns - mtime : 0;
	/* past its age, or any age when the disk is past its headroom (max_age 0) */
	if (p->in_use(path, p->data) || (p->max_age_ns > 0 && age <= p->max_age_ns)) {
		p->st->kept++;
		return;
	}
	snprintf(dest, sizeof(dest), "%s/%llu-%d", p->gc->trash,
		 (unsigned long long)p->gc->seq++, (int)getpid());
	if (rename(path, dest) < 0) {
		p->st->failed++;
		return;
	}
	p->st->collected++;
}

static bool is_dir_at(int dfd, const struct dirent *de)
{
	struct stat st;

	if (!agent_task_id_valid(de->d_name))
		return false; /* ".", ".." */
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* The task's "latest" link (files.h), once the run it names has gone. */
static void drop_stale_latest(int task_dfd)
{
	char run[NAME_MAX + 1];
	struct stat st;
	ssize_t n = readlinkat(task_dfd, "latest", run, sizeof(run) - 1);

	if (n < 0)
		return;
	run[n] = '\0';
	if (fstatat(task_dfd, run, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		(void)unlinkat(task_dfd, "latest", 0);
}

/* sandboxes/<fw>/<task>: its runs, or itself (the layout before run IDs). */
static void task_pass(struct pass *p, const char *task_path)
{
	struct stat st;
	char path[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int n;

	n = snprintf(path, sizeof(path), "%s/stdout", task_path);
	if (n > 0 && (size_t)n < sizeof(path) && lstat(path, &st) == 0) {
		consider(p, task_path); /* a sandbox of the earlier layout */
		return;
	}
	d = opendir(task_path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!is_dir_at(dirfd(d), de))
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", task_path, de->d_name);
		if (n > 0 && (size_t)n < sizeof(path))
			consider(p, path);
	}
	drop_stale_latest(dirfd(d));
	closedir(d);
	(void)rmdir(task_path); /* when its last run went */
}

int agent_gc_collect(struct agent_gc *gc, int64_t gc_delay_ns, double headroom, int64_t now_ns,
		     bool (*in_use)(const char *path, void *data), void *data,
		     struct agent_gc_stats *ret)
{
	struct agent_gc_stats st = {0};
	struct pass p = {.gc = gc, .now_ns = now_ns, .in_use = in_use, .data = data, .st = &st};
	struct statvfs sv;
	DIR *fws;
	struct dirent *fe;

	if (statvfs(gc->sandboxes, &sv) < 0) {
		if (errno == ENOENT) {
			*ret = st;
			return 0; /* nothing ever launched */
		}
		return -errno;
	}
	if (sv.f_blocks)
		st.usage = 1.0 - (double)sv.f_bavail / (double)sv.f_blocks;
	st.max_age_ns = p.max_age_ns = agent_gc_max_age(gc_delay_ns, headroom, st.usage);
	fws = opendir(gc->sandboxes);
	if (!fws)
		return -errno;
	while ((fe = readdir(fws))) {
		char fw_path[PATH_MAX];
		DIR *ts;
		struct dirent *te;
		int n;

		if (!is_dir_at(dirfd(fws), fe))
			continue;
		n = snprintf(fw_path, sizeof(fw_path), "%s/%s", gc->sandboxes, fe->d_name);
		if (n < 0 || (size_t)n >= sizeof(fw_path))
			continue;
		ts = opendir(fw_path);
		if (!ts)
			continue;
		while ((te = readdir(ts))) {
			char task_path[PATH_MAX];

			if (!is_dir_at(dirfd(ts), te))
				continue;
			n = snprintf(task_path, sizeof(task_path), "%s/%s", fw_path, te->d_name);
			if (n > 0 && (size_t)n < sizeof(task_path))
				task_pass(&p, task_path);
		}
		closedir(ts);
		(void)rmdir(fw_path); /* when its last task went */
	}
	closedir(fws);
	start_worker(gc); /* also retries what an earlier removal could not finish */
	*ret = st;
	return 0;
}
