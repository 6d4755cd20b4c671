// SPDX-License-Identifier: Apache-2.0
/*
 * The per-task logger process: design and what a task cannot do to it, logger.h. Every
 * line that runs in the logger (or in the child that forks it) is async-signal-safe: it is
 * a fork of a multi-threaded agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "launch.h"
#include "logger.h"
#include "sigreset.h"
#include "util.h"

static const char *const stream_names[2] = {"stdout", "stderr"};

void agent_logger_config_env(struct agent_logger_config *cfg, char *const *envp)
{
	static const char *const keys[2] = {"CONTAINER_LOGGER_MAX_STDOUT_SIZE=",
					    "CONTAINER_LOGGER_MAX_STDERR_SIZE="};

	for (size_t i = 0; envp && envp[i]; i++) {
		for (int s = 0; s < 2; s++) {
			size_t klen = strlen(keys[s]);
			int64_t v;

			if (strncmp(envp[i], keys[s], klen) != 0 ||
			    conf_parse_size(envp[i] + klen, &v) < 0 || v < AGENT_LOGGER_PAGE)
				continue;
			/* the agent's cap holds: a task may ask for less, never for more */
			if (cfg->max_size[s] == 0 || (uint64_t)v <= cfg->max_size[s])
				cfg->max_size[s] = (uint64_t)v;
		}
	}
}

/* ---------------------------------------------------------------- in the logger */

struct stream {
	int in; /* the pipe's read end; -1 at EOF */
	int fd; /* the live file; -1 when it could not be opened */
	const char *name; /* "stdout" */
	uint64_t size; /* of the live file, as far as this logger wrote it */
	uint64_t max; /* 0: never rotate */
};

/* "<base>.<n>" into buf (n < 1000). */
static void rotated_name(char *buf, const char *base, unsigned n)
{
	size_t len = strlen(base);
	char digits[4];
	int k = 0;

	memcpy(buf, base, len);
	buf[len++] = '.';
	do {
		digits[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n && k < 3);
	while (k)
		buf[len++] = digits[--k];
	buf[len] = '\0';
}

/*
 * (Re)open the live file: appended to, no symlink followed, never blocking; anything but a
 * regular file under the name (the task's FIFO, socket, directory) is removed first.
 */
static void stream_open(int dirfd, struct stream *s)
{
	const int flags = O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
			  O_NOCTTY;
	struct stat st;

	for (int attempt = 0; attempt < 2; attempt++) {
		s->fd = openat(dirfd, s->name, flags | (attempt ? O_EXCL : 0), 0640);
		if (s->fd >= 0 && fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode)) {
			s->size = (uint64_t)st.st_size;
			return;
		}
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		if (unlinkat(dirfd, s->name, 0) < 0 && errno == EISDIR)
			(void)unlinkat(dirfd, s->name, AT_REMOVEDIR);
	}
}

/* stdout.<n-2> -> stdout.<n-1>, ..., stdout -> stdout.1; then a new stdout. */
static void stream_rotate(int dirfd, struct stream *s, unsigned max_files)
{
	char from[32], to[32];

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (max_files <= 1) {
		(void)unlinkat(dirfd, s->name, 0);
	} else {
		for (unsigned i = max_files - 1; i >= 2; i--) {
			rotated_name(from, s->name, i - 1);
			rotated_name(to, s->name, i);
			(void)renameat(dirfd, from, dirfd, to);
		}
		rotated_name(to, s->name, 1);
		if (renameat(dirfd, s->name, dirfd, to) < 0)
			(void)unlinkat(dirfd, s->name, 0);
	}
	s->size = 0;
	stream_open(dirfd, s);
	if (s->fd >= 0 && s->size > 0 && ftruncate(s->fd, 0) == 0)
		s->size = 0; /* something took the name meanwhile: the cap still holds */
}

/* Append data, rotating at the cap; what the disk refuses is dropped (never waited for). */
static void stream_write(int dirfd, struct stream *s, unsigned max_files, const char *data,
			 size_t len)
{
	while (len > 0) {
		size_t part = len;

		if (s->max && s->size >= s->max)
			stream_rotate(dirfd, s, max_files);
		if (s->max && s->size + part > s->max)
			part = (size_t)(s->max - s->size);
		if (s->fd < 0)
			stream_open(dirfd, s);
		for (size_t off = 0; s->fd >= 0 && off < part;) {
			ssize_t n = write(s->fd, data + off, part - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* ENOSPC, EDQUOT, EIO: this part is lost */
			off += (size_t)n;
		}
		s->size += part; /* counted even when lost: the cap never waits on the disk */
		data += part;
		len -= part;
	}
}

static int lift(int fd)
{
	return fd >= 0 && fd < 3 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd;
}

struct logger_args {
	int sandbox_fd, in[2], file[2];
	const struct agent_logger_config *cfg;
	bool set_user;
	uid_t uid;
	gid_t gid;
};

static _Noreturn void logger_main(const struct logger_args *a)
{
	static char buf[65536]; /* the logger's own copy of the agent's memory */
	struct stream s[2];
	int dirfd, keep[5], null_fd;

	(void)setsid();
	(void)prctl(PR_SET_NAME, "drover-logger", 0, 0, 0);
	sigreset_detached();

	dirfd = lift(a->sandbox_fd);
	for (int i = 0; i < 2; i++) {
		s[i] = (struct stream){.in = lift(a->in[i]),
				       .fd = lift(a->file[i]),
				       .name = stream_names[i],
				       .max = a->cfg->max_size[i]};
		if (s[i].in < 0 || s[i].fd < 0)
			_exit(2);
	}
	if (dirfd < 0)
		_exit(2);
	/* the agent's stdio (its log) is not ours */
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (null_fd >= 0) {
		(void)dup2(null_fd, 0);
		(void)dup2(null_fd, 1);
		(void)dup2(null_fd, 2);
	}
	keep[0] = dirfd;
	keep[1] = s[0].in;
	keep[2] = s[1].in;
	keep[3] = s[0].fd;
	keep[4] = s[1].fd;
	agent_close_fds_except(keep, ARRAY_SIZE(keep));
	/* raw system calls: glibc's wrappers would signal threads this fork does not have */
	if (a->set_user && (syscall(SYS_setgroups, (size_t)0, NULL) < 0 ||
			    syscall(SYS_setresgid, a->gid, a->gid, a->gid) < 0 ||
			    syscall(SYS_setresuid, a->uid, a->uid, a->uid) < 0))
		_exit(3);
	for (int i = 0; i < 2; i++) {
		struct stat st;

		if (fstat(s[i].fd, &st) == 0)
			s[i].size = (uint64_t)st.st_size;
	}

	for (;;) {
		struct pollfd p[2];
		int n = 0, which[2];

		for (int i = 0; i < 2; i++)
			if (s[i].in >= 0) {
				p[n] = (struct pollfd){.fd = s[i].in, .events = POLLIN};
				which[n++] = i;
			}
		if (n == 0)
			_exit(0);
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(4);
		}
		for (int k = 0; k < n; k++) {
			struct stream *st = &s[which[k]];
			ssize_t got;

			if (!p[k].revents)
				continue;
			got = read(st->in, buf, sizeof(buf));
			if (got > 0) {
				stream_write(dirfd, st, a->cfg->max_files, buf, (size_t)got);
			} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(st->in);
				st->in = -1;
			}
		}
	}
}

/* ---------------------------------------------------------------- in the agent */

struct spawn_args {
	const struct logger_args *args;
	pid_t logger; /* written by the child (it shares our memory) */
};

/*
 * The first child (agent_vfork_call: in our memory, while we wait): fork the logger (the
 * one copy of our page tables) and exit, so the logger is nobody's child here.
 */
static void spawn_logger(void *data)
{
	struct spawn_args *s = data;
	int ignored_fd = -1;
	bool joined;
	pid_t pid = agent_clone_into(-1, false, &ignored_fd, &joined);

	if (pid == 0)
		logger_main(s->args);
	s->logger = pid;
}

int agent_logger_start(int sandbox_fd, int out_fd, int err_fd,
		       const struct agent_logger_config *cfg, bool set_user, uid_t uid, gid_t gid,
		       int cgroup_fd, int *ret_out, int *ret_err, int *ret_pidfd)
{
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, rep[2] = {-1, -1}, pidfd = -1, r = 0;
	struct logger_args args = {
		.sandbox_fd = sandbox_fd,
		.file = {out_fd, err_fd},
		.cfg = cfg,
		.set_user = set_user,
		.uid = uid,
		.gid = gid,
	};
	struct spawn_args sa = {.args = &args, .logger = -ECHILD};
	pid_t child, logger = -1;
	bool joined = false;
	ssize_t n;

	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		r = -errno;
		goto out_close;
	}
	args.in[0] = po[0];
	args.in[1] = pe[0];
	child = agent_vfork_call(cgroup_fd, spawn_logger, &sa);
	if (child > 0) {
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		logger = sa.logger;
		n = sizeof(logger);
		goto started;
	}
	/* no vfork here: fork a child that forks the logger and reports its pid */
	child = agent_clone_into(cgroup_fd, false, &pidfd, &joined);
	if (child == 0) {
		int ignored_fd = -1;
		bool j;
		pid_t gc;

		if (!joined && cgroup_fd >= 0) {
			int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);

			if (fd >= 0) { /* not fatal: the logger then stays in the agent's cgroup */
				(void)!write(fd, "0", 1);
				close(fd);
			}
		}
		gc = agent_clone_into(-1, false, &ignored_fd, &j);
		if (gc == 0)
			logger_main(&args);
		do
			n = write(rep[1], &gc, sizeof(gc));
		while (n < 0 && errno == EINTR);
		_exit(gc < 0 ? 1 : 0);
	}
	if (child < 0) {
		r = child;
		goto out_close;
	}
	close(rep[1]);
	rep[1] = -1;
	do
		n = read(rep[0], &logger, sizeof(logger));
	while (n < 0 && errno == EINTR);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
started:
	if (n != sizeof(logger) || logger <= 0) {
		r = n == sizeof(logger) && logger < 0 ? logger : -ECHILD;
		goto out_close;
	}
	/* alive until both pipes have no writer left, and we hold the write ends */
	*ret_pidfd = (int)syscall(SYS_pidfd_open, logger, 0);
	*ret_out = po[1];
	*ret_err = pe[1];
	po[1] = pe[1] = -1;
out_close:
	closep(&po[0]);
	closep(&po[1]);
	closep(&pe[0]);
	closep(&pe[1]);
	closep(&rep[0]);
	closep(&rep[1]);
	close(out_fd);
	close(err_fd);
	return r;
}
