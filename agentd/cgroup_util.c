// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup v2 utilities on directory fds: small file I/O, task leaves, processes, signals,
 * cgroup.kill and cgroup.events. Layout and conventions: cgroup.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "fileio.h"
#include "launch.h"
#include "strv.h"
#include "util.h"

/* cgroup.procs of a big task is the largest file the agent reads. */
#define READ_MAX (64u << 20)

int agent_read_fileat(int dirfd, const char *name, char **ret_text)
{
	size_t len = 0;
	int r = file_read_allat(dirfd, name, READ_MAX, 0, ret_text, &len);

	if (r < 0)
		return r;
	return (int)(len > INT32_MAX ? INT32_MAX : len);
}

int agent_write_fileat(int dirfd, const char *name, const char *value)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0)
		return -errno;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int agent_write_file_atomic(int dirfd, const char *name, const char *data, size_t len)
{
	return agent_write_file_replace(dirfd, name, data, len, true);
}

int agent_write_file_replace(int dirfd, const char *name, const char *data, size_t len,
			     bool durable)
{
	char tmp[300];
	_cleanup_close_ int fd = -1;
	size_t off = 0;
	int r;

	if (strlen(name) > 250 || strchr(name, '/'))
		return -EINVAL;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto out_unlink;
		}
		off += (size_t)n;
	}
	if ((durable && fsync(fd) < 0) || close(TAKE_FD(fd)) < 0) {
		r = -errno;
		goto out_unlink;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
		goto out_unlink;
	}
	if (durable)
		(void)fsync(dirfd); /* the rename itself; a dir fd opened O_RDONLY can be fsynced */
	return 0;
out_unlink:
	(void)unlinkat(dirfd, tmp, 0);
	return r;
}

/* ---------------------------------------------------------------- leaves */

static int open_framework(const struct agent_cgroup *cg, const char *framework_id, bool create,
			  int *ret_fd)
{
	int fd;

	if (!agent_task_id_valid(framework_id))
		return -EINVAL;
	if (create && mkdirat(cg->tasks_fd, framework_id, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(cg->tasks_fd, framework_id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* "+cpu +memory +pids" for the available controllers (a no-op when already enabled). */
static int enable_available(int dirfd, unsigned available)
{
	char buf[128] = "";
	size_t off = 0;

	for (int c = 0; c < _AGENT_CTRL_MAX; c++)
		if (available & AGENT_CTRL_BIT(c))
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s+%s",
						off ? " " : "", agent_ctrl_name(c));
	if (!off)
		return 0;
	return agent_write_fileat(dirfd, "cgroup.subtree_control", buf);
}

int agent_cgroup_task_create(const struct agent_cgroup *cg, const char *framework_id,
			     const char *task_id, int *ret_fd)
{
	_cleanup_close_ int fw = -1;
	int fd, r;

	if (!agent_task_id_valid(framework_id) || !agent_task_id_valid(task_id))
		return -EINVAL;
	r = open_framework(cg, framework_id, true, &fw);
	if (r < 0)
		return r;
	r = enable_available(fw, cg->report.available);
	if (r < 0)
		return r;
	if (mkdirat(fw, task_id, 0755) < 0)
		return -errno;
	fd = openat(fw, task_id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		(void)unlinkat(fw, task_id, AT_REMOVEDIR);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* A directory under parent_fd (made when missing) with the controllers in enable enabled. */
int agent_cgroup_subdir_create(int parent_fd, const char *name, unsigned enable, int *ret_fd)
{
	int fd, r;

	if (!agent_task_id_valid(name))
		return -EINVAL;
	if (mkdirat(parent_fd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = enable_available(fd, enable);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int agent_cgroup_task_open(const struct agent_cgroup *cg, const char *framework_id,
			   const char *task_id, int *ret_fd)
{
	_cleanup_close_ int fw = -1;
	int fd, r;

	if (!agent_task_id_valid(task_id))
		return -EINVAL;
	r = open_framework(cg, framework_id, false, &fw);
	if (r < 0)
		return r;
	fd = openat(fw, task_id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int agent_cgroup_task_remove(const struct agent_cgroup *cg, const char *framework_id,
			     const char *task_id)
{
	_cleanup_close_ int fw = -1;
	int r;

	if (!agent_task_id_valid(task_id))
		return -EINVAL;
	r = open_framework(cg, framework_id, false, &fw);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* 1, 2, 4, ... 64 ms: about 200 ms in all. */
	for (long wait = 1;; wait *= 2) {
		if (unlinkat(fw, task_id, AT_REMOVEDIR) == 0 || errno == ENOENT)
			break;
		if (errno != EBUSY || wait > 64)
			return -errno;
		sleep_ms(wait);
	}
	/* The framework's directory goes with its last task; siblings keep it (EBUSY). */
	if (unlinkat(cg->tasks_fd, framework_id, AT_REMOVEDIR) < 0 && errno != EBUSY &&
	    errno != ENOTEMPTY && errno != ENOENT)
		return -errno;
	return 0;
}

static bool is_subdir(int dirfd, const struct dirent *de)
{
	struct stat st;

	if (streq(de->d_name, ".") || streq(de->d_name, ".."))
		return false; /* an ID may start with '.' (agents before this one launched them) */
	if (de->d_type == DT_DIR)
		return true;
	if (de->d_type != DT_UNKNOWN)
		return false;
	return fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int strv_push(char ***v, size_t *n, size_t *cap, char *s)
{
	if (*n + 2 > *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **nv = realloc(*v, nc * sizeof(char *));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
	return 0;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int agent_cgroup_task_list(const struct agent_cgroup *cg, char ***ret)
{
	__attribute__((cleanup(closedirp))) DIR *top = NULL;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int fd, r = 0;

	fd = openat(cg->tasks_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	top = fdopendir(fd);
	if (!top) {
		r = -errno;
		close(fd);
		return r;
	}
	r = strv_push(&v, &n, &cap, NULL) < 0 ? -ENOMEM : 0; /* v non-NULL even when empty */
	n = 0;
	while (r == 0 && (de = readdir(top))) {
		__attribute__((cleanup(closedirp))) DIR *sub = NULL;
		struct dirent *te;
		int sfd;

		if (!is_subdir(dirfd(top), de))
			continue;
		sfd = openat(dirfd(top), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sfd < 0)
			continue;
		sub = fdopendir(sfd);
		if (!sub) {
			close(sfd);
			continue;
		}
		while ((te = readdir(sub))) {
			char *s;

			if (!is_subdir(dirfd(sub), te))
				continue;
			if (asprintf(&s, "%s/%s", de->d_name, te->d_name) < 0) {
				r = -ENOMEM;
				break;
			}
			if (strv_push(&v, &n, &cap, s) < 0) {
				free(s);
				r = -ENOMEM;
				break;
			}
		}
	}
	if (r < 0) {
		strv_free(v);
		return r;
	}
	*ret = v;
	return (int)n;
}

/* ---------------------------------------------------------------- processes */

int agent_cgroup_attach(int dirfd, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return agent_write_fileat(dirfd, "cgroup.procs", buf);
}

int agent_cgroup_procs(int dirfd, pid_t **ret_pids, size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0, cap = 0;
	const char *p;
	int r;

	r = agent_read_fileat(dirfd, "cgroup.procs", &text);
	if (r < 0)
		return r;
	for (p = text; *p;) {
		char *end;
		long v;

		p += strspn(p, " \n");
		if (!*p)
			break;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || end == p || v <= 0 || v > INT32_MAX)
			return -EINVAL;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			pid_t *np = realloc(pids, nc * sizeof(pid_t));

			if (!np)
				return -ENOMEM;
			pids = np;
			cap = nc;
		}
		pids[n++] = (pid_t)v;
		p = end;
	}
	*ret_pids = TAKE_PTR(pids);
	*ret_n = n;
	return (int)n;
}

int agent_cgroup_signal(int dirfd, int sig)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n;
	int r, count = 0;

	r = agent_cgroup_procs(dirfd, &pids, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) == 0)
			count++;
	return count;
}

int agent_cgroup_kill(int dirfd)
{
	bool frozen = false;
	int r;

	r = agent_write_fileat(dirfd, "cgroup.kill", "1");
	if (r != -ENOENT)
		return r;
	/* Kernel < 5.14: freeze so nothing forks between reading the pids and killing them. */
	if (agent_write_fileat(dirfd, "cgroup.freeze", "1") == 0)
		frozen = true;
	for (int round = 0; round < 100; round++) {
		r = agent_cgroup_signal(dirfd, SIGKILL);
		if (r <= 0)
			break;
		sleep_ms(1);
	}
	if (frozen)
		(void)agent_write_fileat(dirfd, "cgroup.freeze", "0");
	return r < 0 ? r : 0;
}

int agent_cgroup_populated(int dirfd)
{
	_cleanup_free_ char *text = NULL;
	int pop, r;

	r = agent_read_fileat(dirfd, "cgroup.events", &text);
	if (r < 0)
		return r;
	r = cgroupfs_events_parse(text, &pop, NULL);
	if (r < 0)
		return r;
	return pop;
}

/*
 * An fd of the cgroup's cgroup.events, for epoll with EPOLLPRI: it fires when populated
 * or frozen changes; then call agent_cgroup_populated(). Read once already (armed).
 */
static int agent_cgroup_events_open(int dirfd, int *ret_fd)
{
	_cleanup_close_ int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	char buf[256];

	if (fd < 0)
		return -errno;
	/* kernfs reports a change relative to the last read: read once to arm it. */
	if (read(fd, buf, sizeof(buf)) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int agent_cgroup_wait_empty(int dirfd, int timeout_ms)
{
	_cleanup_close_ int fd = -1;
	long deadline = now_ms() + timeout_ms;
	int r;

	r = agent_cgroup_events_open(dirfd, &fd);
	if (r < 0)
		return r;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLPRI};
		long left;

		r = agent_cgroup_populated(dirfd);
		if (r <= 0)
			return r;
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		/* A short cap as well: a missed notification costs 50 ms, not the timeout. */
		if (poll(&pfd, 1, left > 50 ? 50 : (int)left) < 0 && errno != EINTR)
			return -errno;
		if (pfd.revents) {
			char buf[256];

			(void)!pread(fd, buf, sizeof(buf), 0);
		}
	}
}

int agent_cgroup_cpuset_effective(const struct agent_cgroup *cg, char **ret_text)
{
	_cleanup_free_ char *path = cg->root ? strdup(cg->root) : NULL;
	char *text = NULL, *slash;

	if (cg->agent_fd >= 0 && agent_read_fileat(cg->agent_fd, "cpuset.cpus.effective", &text) >= 0)
		goto found;
	if (cg->root_fd >= 0 && agent_read_fileat(cg->root_fd, "cpuset.cpus.effective", &text) >= 0)
		goto found;
	/* the cgroups between the mount and the root (systemd slices, a container's own) */
	while (path && (slash = strrchr(path, '/'))) {
		_cleanup_close_ int fd = -1;

		*slash = '\0';
		fd = openat(cg->mount_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && agent_read_fileat(fd, "cpuset.cpus.effective", &text) >= 0)
			goto found;
	}
	if (cg->mount_fd >= 0 && agent_read_fileat(cg->mount_fd, "cpuset.cpus.effective", &text) >= 0)
		goto found;
	return -ENOENT;
found:
	*ret_text = text;
	return 0;
}
