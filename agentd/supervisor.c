// SPDX-License-Identifier: Apache-2.0
/*
 * The per-task supervisor process, its launch from the agent, and re-attaching to it after
 * an agent restart. Design and file formats: supervisor.h. Everything that runs in the
 * supervisor is async-signal-safe (it is a fork of a possibly multi-threaded agent).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "health.h"
#include "sigreset.h"
#include "supervisor.h"
#include "util.h"

/* what the exit-status temp file holds in allocated blocks from the task's start */
#define STATUS_RESERVE 4096

struct sv_report {
	int32_t stage; /* AGENT_LAUNCH_OK or the failed stage */
	int32_t err;
	int32_t task_pid;
};

/* ---------------------------------------------------------------- AS-safe helpers */

/* Field 22 of /proc/<pid>/stat (after the ')' that ends comm, field 3 is the first). */
static int stat_starttime(const char *text, uint64_t *ret)
{
	const char *p = strrchr(text, ')');
	uint64_t v = 0;

	if (!p)
		return -EINVAL;
	p++;
	for (int field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -EINVAL;
		if (field == 22) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			while (*p >= '0' && *p <= '9')
				v = v * 10 + (uint64_t)(*p++ - '0');
			*ret = v;
			return 0;
		}
		while (*p && *p != ' ')
			p++;
	}
	return -EINVAL;
}

static int pid_starttime(pid_t pid, uint64_t *ret)
{
	char path[64], buf[1024];
	char *q = path + sizeof("/proc/") - 1;
	char digits[16];
	int n = 0, r;

	memcpy(path, "/proc/", sizeof("/proc/") - 1);
	if (pid == 0) {
		memcpy(q, "self", 4);
		q += 4;
	} else {
		for (unsigned v = (unsigned)pid; v; v /= 10)
			digits[n++] = (char)('0' + v % 10);
		while (n)
			*q++ = digits[--n];
	}
	memcpy(q, "/stat", sizeof("/stat"));
	r = (int)file_read_bufat(AT_FDCWD, path, 0, buf, sizeof(buf));
	if (r < 0)
		return r;
	return stat_starttime(buf, ret);
}

/* ".<name>.tmp" into tmp (64 bytes). */
static int tmp_name(const char *name, char tmp[64])
{
	size_t nlen = strlen(name);

	if (nlen + 6 > 64)
		return -EINVAL;
	tmp[0] = '.';
	memcpy(tmp + 1, name, nlen);
	memcpy(tmp + 1 + nlen, ".tmp", 5);
	return 0;
}

/*
 * A new temp file: whatever had its name goes first and O_EXCL|O_NOFOLLOW|O_NONBLOCK make
 * sure what is opened is the regular file just created (a FIFO left there cannot block us,
 * a symlink cannot lead the write elsewhere). The meta directory is the agent's alone; this
 * holds even where it is not.
 */
static int open_tmp(int dirfd, const char *tmp)
{
	int fd;

	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
		    0600);
	return fd < 0 ? -errno : fd;
}

/*
 * Write data into the temp file fd at offset 0, cut it to its length, [fsync,] rename it to
 * name[, fsync(dir)]. Consumes fd; the temp file is removed on failure.
 */
static int commit_tmp(int dirfd, int fd, const char *tmp, const char *name, const char *data,
		      size_t len, bool durable)
{
	size_t off = 0;
	int e;

	while (off < len) {
		ssize_t n = pwrite(fd, data + off, len - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			goto out_unlink;
		}
		off += (size_t)n;
	}
	if (ftruncate(fd, (off_t)len) < 0 || (durable && fsync(fd) < 0)) {
		e = errno;
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		e = errno;
		goto out_unlink;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		e = errno;
		goto out_unlink;
	}
	if (durable)
		(void)fsync(dirfd);
	return 0;
out_unlink:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return -e;
}

/* Atomic write without stdio or malloc: .<name>.tmp, [fsync,] rename[, fsync(dir)]. */
static int write_atomic_assafe(int dirfd, const char *name, const char *data, size_t len,
			       bool durable)
{
	char tmp[64];
	int fd;

	if (tmp_name(name, tmp) < 0)
		return -EINVAL;
	fd = open_tmp(dirfd, tmp);
	if (fd < 0)
		return fd;
	return commit_tmp(dirfd, fd, tmp, name, data, len, durable);
}

int agent_record_write(int dirfd, const char *name, const char *data, size_t len)
{
	return write_atomic_assafe(dirfd, name, data, len, false);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * The exit status goes into a temp file opened (and its blocks allocated) before the task
 * started, so a task that fills the file system cannot take the status with it.
 */
struct status_file {
	int fd;
	char tmp[64];
};

static void status_file_prepare(int meta_fd, struct status_file *sf)
{
	sf->fd = -1;
	if (tmp_name(AGENT_EXIT_STATUS_FILE, sf->tmp) < 0)
		return;
	sf->fd = open_tmp(meta_fd, sf->tmp);
	if (sf->fd >= 0)
		(void)fallocate(sf->fd, 0, 0, STATUS_RESERVE); /* best effort: tmpfs, ext4, xfs */
}

static int write_record(int meta_fd, struct status_file *sf, const struct agent_exit_record *rec)
{
	char buf[512];
	int n = agent_exit_record_format(rec, buf, sizeof(buf)), fd = sf->fd;

	sf->fd = -1;
	if (n < 0) {
		if (fd >= 0)
			close(fd);
		return n;
	}
	if (fd < 0)
		return write_atomic_assafe(meta_fd, AGENT_EXIT_STATUS_FILE, buf, (size_t)n, true);
	return commit_tmp(meta_fd, fd, sf->tmp, AGENT_EXIT_STATUS_FILE, buf, (size_t)n, true);
}

static void report(int fd, int32_t stage, int32_t err, int32_t task_pid)
{
	struct sv_report rep = {.stage = stage, .err = err, .task_pid = task_pid};
	ssize_t n;

	do
		n = write(fd, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
}

static int lift(int fd)
{
	return fd >= 0 && fd < 3 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd;
}

/* ---------------------------------------------------------------- the supervisor */

static _Noreturn void supervisor_main(const struct agent_spawn *sp_in,
				      const struct agent_health_run *health, int meta_fd,
				      int report_fd)
{
	struct agent_spawn sp = *sp_in; /* shallow: the strings stay where they are */
	struct agent_launch_error err = {0};
	struct agent_exit_record rec = {0};
	struct status_file sf;
	char ident[128];
	struct agent_record_out io = {.buf = ident, .len = sizeof(ident)};
	uint64_t start = 0;
	int keep[7], pidfd = -1, status = 0;
	struct rusage ru = {0};
	pid_t pid, w;

	(void)setsid();
	(void)prctl(PR_SET_NAME, "drover-sv", 0, 0, 0);
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigreset_detached();

	/* Keep what the task needs and the report pipe; the agent's stdio becomes /dev/null. */
	report_fd = lift(report_fd);
	meta_fd = lift(meta_fd);
	sp.sandbox_fd = lift(sp.sandbox_fd);
	sp.cgroup_fd = lift(sp.cgroup_fd);
	sp.stdin_fd = lift(sp.stdin_fd);
	sp.stdout_fd = lift(sp.stdout_fd);
	sp.stderr_fd = lift(sp.stderr_fd);
	if (report_fd < 0 || meta_fd < 0 || sp.sandbox_fd < 0 || sp.cgroup_fd < 0 || sp.stdin_fd < 0 ||
	    sp.stdout_fd < 0 || sp.stderr_fd < 0)
		_exit(2);
	(void)dup2(sp.stdin_fd, 0);
	(void)dup2(sp.stdin_fd, 1);
	(void)dup2(sp.stdin_fd, 2);
	keep[0] = report_fd;
	keep[1] = sp.sandbox_fd;
	keep[2] = sp.cgroup_fd;
	keep[3] = sp.stdin_fd;
	keep[4] = sp.stdout_fd;
	keep[5] = sp.stderr_fd;
	keep[6] = meta_fd;
	agent_close_fds_except(keep, ARRAY_SIZE(keep));
	status_file_prepare(meta_fd, &sf);

	if (agent_spawn_run(&sp, &pid, &pidfd, &err) < 0) {
		rec.how = AGENT_EXIT_LAUNCH_FAILED;
		rec.code = err.err;
		rec.stage = err.stage;
		rec.time_ns = realtime_ns();
		(void)write_record(meta_fd, &sf, &rec);
		report(report_fd, (int32_t)err.stage, err.err, 0);
		_exit(1);
	}
	close(sp.stdin_fd);
	close(sp.stdout_fd);
	close(sp.stderr_fd);
	if (!health) { /* the checks need them (health_run.c) */
		close(sp.sandbox_fd); /* the task's: nothing of ours is written there */
		close(sp.cgroup_fd);
	}
	if (pidfd >= 0)
		close(pidfd);

	(void)pid_starttime(0, &start);
	ident[0] = '\0';
	agent_record_put_kv(&io, "pid", (uint64_t)getpid());
	agent_record_put_kv(&io, "start", start);
	agent_record_put_kv(&io, "task_pid", (uint64_t)pid);
	/* no fsync: the pid and start time mean nothing after a crash of the host */
	if (write_atomic_assafe(meta_fd, AGENT_SUPERVISOR_FILE, ident, io.off, false) < 0) {
		/* Without it a restarted agent cannot find us; the task still runs and is reported. */
	}
	report(report_fd, AGENT_LAUNCH_OK, 0, pid);
	close(report_fd);

	/* with health checks: run them beside the task, reaping as below (health.h) */
	if (health && agent_health_supervise(health, &sp, pid, meta_fd, &status, &ru) == 0) {
		w = pid;
		goto ended;
	}
	/* Reap everything (we are a subreaper) until the task's main process is among them. */
	for (;;) {
		w = wait4(-1, &status, 0, &ru);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 || w == pid)
			break;
	}
	if (w != pid)
		_exit(3); /* cannot happen: the task is our child */
ended:
	rec.task_pid = pid;
	if (WIFSIGNALED(status)) {
		rec.how = AGENT_EXIT_SIGNALED;
		rec.code = WTERMSIG(status);
		rec.core_dumped = WCOREDUMP(status);
	} else {
		rec.how = AGENT_EXIT_EXITED;
		rec.code = WEXITSTATUS(status);
	}
	rec.utime_us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec;
	rec.stime_us = (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
	rec.maxrss_kb = (uint64_t)ru.ru_maxrss;
	rec.time_ns = realtime_ns();
	_exit(write_record(meta_fd, &sf, &rec) < 0 ? 4 : 0);
}

/* ---------------------------------------------------------------- the agent's side */

static void reap_child(pid_t pid, int *ret_status)
{
	int st = 0;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (ret_status)
		*ret_status = st;
}

int agent_task_launch(const struct agent_spawn *sp, int supervisor_cgroup_fd, int meta_fd,
		      struct agent_task_proc *ret, struct agent_launch_error *err)
{
	return agent_task_launch_checked(sp, NULL, supervisor_cgroup_fd, meta_fd, ret, err);
}

int agent_task_launch_checked(const struct agent_spawn *sp, const struct agent_health_run *health,
			      int supervisor_cgroup_fd, int meta_fd, struct agent_task_proc *ret,
			      struct agent_launch_error *err)
{
	struct sv_report rep;
	int p[2], pidfd = -1, st;
	bool joined = false;
	ssize_t n;
	pid_t pid;

	*err = (struct agent_launch_error){0};
	if (pipe2(p, O_CLOEXEC) < 0) {
		err->stage = AGENT_LAUNCH_SUPERVISOR;
		err->err = errno;
		agent_launch_error_format(err, sp);
		return -err->err;
	}
	pid = agent_clone_into(supervisor_cgroup_fd, sp->flags & AGENT_LAUNCH_F_NO_CLONE3, &pidfd,
			       &joined);
	if (pid == 0) {
		close(p[0]);
		if (!joined && supervisor_cgroup_fd >= 0) {
			int fd = openat(supervisor_cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);

			/* not fatal: the supervisor then stays in the agent's cgroup */
			if (fd >= 0) {
				(void)!write(fd, "0", 1);
				close(fd);
			}
		}
		supervisor_main(sp, health, meta_fd, p[1]);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		err->stage = AGENT_LAUNCH_SUPERVISOR;
		err->err = -pid;
		agent_launch_error_format(err, sp);
		return pid;
	}
	do
		n = read(p[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == sizeof(rep) && rep.stage == AGENT_LAUNCH_OK && rep.task_pid > 0) {
		*ret = (struct agent_task_proc){
			.supervisor_pid = pid,
			.supervisor_pidfd = pidfd,
			.task_pid = rep.task_pid,
			.child = true,
		};
		return 0;
	}
	/* The supervisor has failed and exits: reap it here, the caller never sees it. */
	reap_child(pid, &st);
	if (pidfd >= 0)
		close(pidfd);
	if (n == sizeof(rep) && rep.stage > 0 && rep.stage < _AGENT_LAUNCH_STAGE_MAX) {
		err->stage = (enum agent_launch_stage)rep.stage;
		err->err = rep.err > 0 ? rep.err : EIO;
	} else {
		err->stage = AGENT_LAUNCH_SUPERVISOR;
		err->err = WIFSIGNALED(st) ? EINTR : EPIPE;
	}
	agent_launch_error_format(err, sp);
	return -err->err;
}

void agent_task_reap(struct agent_task_proc *p)
{
	if (p->child && p->supervisor_pid > 0) {
		while (waitpid(p->supervisor_pid, NULL, WNOHANG) < 0 && errno == EINTR)
			;
		p->child = false;
	}
	agent_task_proc_close(p);
}

void agent_task_proc_close(struct agent_task_proc *p)
{
	if (p->supervisor_pidfd >= 0)
		close(p->supervisor_pidfd);
	p->supervisor_pidfd = -1;
}

static int after_supervisor(int meta_fd)
{
	struct agent_exit_record rec;

	return agent_exit_status_read(meta_fd, &rec) == 0 ? AGENT_REATTACH_EXITED
							  : AGENT_REATTACH_ORPHANED;
}

int agent_supervisor_record_parse(const char *text, struct agent_supervisor_record *ret)
{
	uint64_t pid, start, task_pid = 0;

	if (cgroupfs_keyed_get(text, "pid", &pid) < 0 || cgroupfs_keyed_get(text, "start", &start) < 0 ||
	    pid == 0 || pid > INT32_MAX)
		return -EINVAL;
	if (cgroupfs_keyed_get(text, "task_pid", &task_pid) < 0 || task_pid > INT32_MAX)
		task_pid = 0;
	*ret = (struct agent_supervisor_record){
		.pid = (pid_t)pid, .start = start, .task_pid = (pid_t)task_pid};
	return 0;
}

int agent_task_reattach(int meta_fd, struct agent_task_proc *ret)
{
	struct agent_supervisor_record sr;
	char buf[AGENT_RECORD_MAX];
	uint64_t now;
	struct pollfd pfd;
	ssize_t n;
	int fd, r;

	n = file_read_bufat(meta_fd, AGENT_SUPERVISOR_FILE, 0, buf, sizeof(buf));
	if (n == -ENOENT)
		return after_supervisor(meta_fd);
	if (n < 0)
		return (int)n;
	r = agent_supervisor_record_parse(buf, &sr);
	if (r < 0)
		return r;

	fd = (int)syscall(SYS_pidfd_open, sr.pid, 0);
	if (fd < 0) {
		if (errno == ESRCH)
			return after_supervisor(meta_fd);
		return -errno;
	}
	/* Same process? Its start time, read while the pidfd shows it alive. */
	r = pid_starttime(sr.pid, &now);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	if (r < 0 || now != sr.start || poll(&pfd, 1, 0) != 0) {
		close(fd);
		return after_supervisor(meta_fd);
	}
	*ret = (struct agent_task_proc){
		.supervisor_pid = sr.pid,
		.supervisor_pidfd = fd,
		.task_pid = sr.task_pid,
		.child = false,
	};
	return AGENT_REATTACH_RUNNING;
}
