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
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "supervisor.h"
#include "util.h"

struct sv_report {
	int32_t stage; /* AGENT_LAUNCH_OK or the failed stage */
	int32_t err;
	int32_t task_pid;
};

/* ---------------------------------------------------------------- AS-safe helpers */

static int read_small(int dirfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off + 1 < len) {
		ssize_t n = read(fd, buf + off, len - 1 - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	close(fd);
	return (int)off;
}

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
	r = read_small(AT_FDCWD, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	return stat_starttime(buf, ret);
}

/* Atomic write without stdio or malloc: .<name>.tmp, [fsync,] rename[, fsync(dir)]. */
static int write_atomic_assafe(int dirfd, const char *name, const char *data, size_t len,
			       bool durable)
{
	char tmp[64];
	size_t nlen = strlen(name), off = 0;
	int fd;

	if (nlen + 6 > sizeof(tmp))
		return -EINVAL;
	tmp[0] = '.';
	memcpy(tmp + 1, name, nlen);
	memcpy(tmp + 1 + nlen, ".tmp", 5);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			unlinkat(dirfd, tmp, 0);
			return -EIO;
		}
		off += (size_t)n;
	}
	if ((durable && fsync(fd) < 0) || close(fd) < 0 || renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno;

		unlinkat(dirfd, tmp, 0);
		return -e;
	}
	if (durable)
		(void)fsync(dirfd);
	return 0;
}

static void put_line(char *buf, size_t *off, size_t len, const char *key, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp), klen = strlen(key);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (*off + klen + 1 + (sizeof(tmp) - i) + 2 > len)
		return;
	memcpy(buf + *off, key, klen);
	*off += klen;
	buf[(*off)++] = ' ';
	memcpy(buf + *off, tmp + i, sizeof(tmp) - i);
	*off += sizeof(tmp) - i;
	buf[(*off)++] = '\n';
	buf[*off] = '\0';
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int write_record(int sandbox_fd, const struct agent_exit_record *rec)
{
	char buf[512];
	int n = agent_exit_record_format(rec, buf, sizeof(buf));

	if (n < 0)
		return n;
	return write_atomic_assafe(sandbox_fd, AGENT_EXIT_STATUS_FILE, buf, (size_t)n, true);
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

static _Noreturn void supervisor_main(const struct agent_spawn *sp_in, int report_fd)
{
	static const int ignored[] = {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
	struct sigaction dfl = {.sa_handler = SIG_DFL}, ign = {.sa_handler = SIG_IGN};
	struct agent_spawn sp = *sp_in; /* shallow: the strings stay where they are */
	struct agent_launch_error err = {0};
	struct agent_exit_record rec = {0};
	char ident[128];
	size_t ilen = 0;
	uint64_t start = 0;
	sigset_t none;
	int keep[6], pidfd = -1, status = 0;
	struct rusage ru = {0};
	pid_t pid, w;

	(void)setsid();
	(void)prctl(PR_SET_NAME, "drover-sv", 0, 0, 0);
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		(void)sigaction(ignored[i], &ign, NULL);

	/* Keep what the task needs and the report pipe; the agent's stdio becomes /dev/null. */
	report_fd = lift(report_fd);
	sp.sandbox_fd = lift(sp.sandbox_fd);
	sp.cgroup_fd = lift(sp.cgroup_fd);
	sp.stdin_fd = lift(sp.stdin_fd);
	sp.stdout_fd = lift(sp.stdout_fd);
	sp.stderr_fd = lift(sp.stderr_fd);
	if (report_fd < 0 || sp.sandbox_fd < 0 || sp.cgroup_fd < 0 || sp.stdin_fd < 0 ||
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
	agent_close_fds_except(keep, ARRAY_SIZE(keep));

	if (agent_spawn_run(&sp, &pid, &pidfd, &err) < 0) {
		rec.how = AGENT_EXIT_LAUNCH_FAILED;
		rec.code = err.err;
		rec.stage = err.stage;
		rec.time_ns = realtime_ns();
		(void)write_record(sp.sandbox_fd, &rec);
		report(report_fd, (int32_t)err.stage, err.err, 0);
		_exit(1);
	}
	close(sp.cgroup_fd);
	close(sp.stdin_fd);
	close(sp.stdout_fd);
	close(sp.stderr_fd);
	if (pidfd >= 0)
		close(pidfd);

	(void)pid_starttime(0, &start);
	ident[0] = '\0';
	put_line(ident, &ilen, sizeof(ident), "pid", (uint64_t)getpid());
	put_line(ident, &ilen, sizeof(ident), "start", start);
	put_line(ident, &ilen, sizeof(ident), "task_pid", (uint64_t)pid);
	/* no fsync: the pid and start time mean nothing after a crash of the host */
	if (write_atomic_assafe(sp.sandbox_fd, AGENT_SUPERVISOR_FILE, ident, ilen, false) < 0) {
		/* Without it a restarted agent cannot find us; the task still runs and is reported. */
	}
	report(report_fd, AGENT_LAUNCH_OK, 0, pid);
	close(report_fd);

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
	_exit(write_record(sp.sandbox_fd, &rec) < 0 ? 4 : 0);
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

int agent_task_launch(const struct agent_spawn *sp, int supervisor_cgroup_fd,
		      struct agent_task_proc *ret, struct agent_launch_error *err)
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
		supervisor_main(sp, p[1]);
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

static int after_supervisor(int sandbox_fd)
{
	struct agent_exit_record rec;

	return agent_exit_status_read(sandbox_fd, &rec) == 0 ? AGENT_REATTACH_EXITED
							     : AGENT_REATTACH_ORPHANED;
}

int agent_task_reattach(int sandbox_fd, struct agent_task_proc *ret)
{
	char buf[256];
	uint64_t pid, start, task_pid = 0, now;
	struct pollfd pfd;
	int fd, r;

	r = read_small(sandbox_fd, AGENT_SUPERVISOR_FILE, buf, sizeof(buf));
	if (r == -ENOENT)
		return after_supervisor(sandbox_fd);
	if (r < 0)
		return r;
	if (agent_keyed_get(buf, "pid", &pid) < 0 || agent_keyed_get(buf, "start", &start) < 0 ||
	    pid == 0 || pid > INT32_MAX)
		return -EINVAL;
	(void)agent_keyed_get(buf, "task_pid", &task_pid);

	fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (fd < 0) {
		if (errno == ESRCH)
			return after_supervisor(sandbox_fd);
		return -errno;
	}
	/* Same process? Its start time, read while the pidfd shows it alive. */
	r = pid_starttime((pid_t)pid, &now);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	if (r < 0 || now != start || poll(&pfd, 1, 0) != 0) {
		close(fd);
		return after_supervisor(sandbox_fd);
	}
	*ret = (struct agent_task_proc){
		.supervisor_pid = (pid_t)pid,
		.supervisor_pidfd = fd,
		.task_pid = (pid_t)task_pid,
		.child = false,
	};
	return AGENT_REATTACH_RUNNING;
}
