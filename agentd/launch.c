// SPDX-License-Identifier: Apache-2.0
/*
 * Launching a task's process into its cgroup. What runs where (agent, supervisor, child)
 * and why the child path is async-signal-safe: launch.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "id.h"
#include "launch.h"
#include "logger.h"
#include "sigreset.h"
#include "strv.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---------------------------------------------------------------- IDs */

bool agent_task_id_valid_n(const char *id, size_t len)
{
	return id_is_valid(id, len, NULL);
}

bool agent_task_id_valid(const char *id)
{
	return id && agent_task_id_valid_n(id, strnlen(id, AGENT_ID_MAX + 1));
}

/* ---------------------------------------------------------------- stages */

static const char *const stage_names[_AGENT_LAUNCH_STAGE_MAX] = {
	[AGENT_LAUNCH_OK] = "ok",
	[AGENT_LAUNCH_INVALID] = "invalid",
	[AGENT_LAUNCH_USER] = "user",
	[AGENT_LAUNCH_SANDBOX] = "sandbox",
	[AGENT_LAUNCH_CLONE] = "clone",
	[AGENT_LAUNCH_CGROUP] = "cgroup",
	[AGENT_LAUNCH_CHDIR] = "chdir",
	[AGENT_LAUNCH_CREDENTIALS] = "credentials",
	[AGENT_LAUNCH_SETUP] = "setup",
	[AGENT_LAUNCH_EXEC] = "exec",
	[AGENT_LAUNCH_SUPERVISOR] = "supervisor",
};

const char *agent_launch_stage_name(enum agent_launch_stage s)
{
	return s < _AGENT_LAUNCH_STAGE_MAX ? stage_names[s] : "unknown";
}

int agent_launch_stage_from_name(const char *name)
{
	for (int s = 0; s < _AGENT_LAUNCH_STAGE_MAX; s++)
		if (streq(name, stage_names[s]))
			return s;
	return -ENOENT;
}

static int set_err(struct agent_launch_error *err, enum agent_launch_stage stage, int e,
		   const char *fmt, ...) _printf_(4, 5);

static int set_err(struct agent_launch_error *err, enum agent_launch_stage stage, int e,
		   const char *fmt, ...)
{
	va_list ap;

	if (e < 0)
		e = -e;
	if (err) {
		err->stage = stage;
		err->err = e;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return -e;
}

void agent_launch_error_format(struct agent_launch_error *err, const struct agent_spawn *sp)
{
	const char *what = sp && sp->path ? sp->path : "?";
	const char *e = strerror(err->err);
	char *m = err->message;
	size_t n = sizeof(err->message);

	switch (err->stage) {
	case AGENT_LAUNCH_EXEC:
		if (sp && sp->argv && streq(sp->path, "/bin/sh") && sp->argv[1] &&
		    streq(sp->argv[1], "-c"))
			snprintf(m, n, "cannot execute the shell '/bin/sh': %s", e);
		else
			snprintf(m, n, "cannot execute '%s': %s", what, e);
		break;
	case AGENT_LAUNCH_CREDENTIALS:
		snprintf(m, n, "cannot switch to user '%s' (uid %u, gid %u): %s",
			 sp && sp->user ? sp->user : "?", sp ? (unsigned)sp->uid : 0,
			 sp ? (unsigned)sp->gid : 0, e);
		break;
	case AGENT_LAUNCH_CHDIR:
		snprintf(m, n, "cannot enter the sandbox: %s", e);
		break;
	case AGENT_LAUNCH_CGROUP:
		snprintf(m, n, "cannot join the task's cgroup: %s", e);
		break;
	case AGENT_LAUNCH_CLONE:
		snprintf(m, n, "cannot create the task's process: %s", e);
		break;
	case AGENT_LAUNCH_SETUP:
		snprintf(m, n, "cannot set up the task's process: %s", e);
		break;
	case AGENT_LAUNCH_SUPERVISOR:
		snprintf(m, n, "the task's supervisor failed: %s", e);
		break;
	case AGENT_LAUNCH_USER:
		snprintf(m, n, "unknown user '%s'", sp && sp->user ? sp->user : "?");
		break;
	default:
		snprintf(m, n, "launch failed (%s): %s", agent_launch_stage_name(err->stage), e);
	}
}

/* ---------------------------------------------------------------- prepare */

void agent_spawn_free(struct agent_spawn *sp)
{
	if (!sp)
		return;
	free(sp->path);
	strv_free(sp->argv);
	strv_free(sp->envp);
	free(sp->search);
	free(sp->user);
	free(sp->groups);
	closep(&sp->sandbox_fd);
	closep(&sp->cgroup_fd);
	closep(&sp->stdin_fd);
	closep(&sp->stdout_fd);
	closep(&sp->stderr_fd);
	closep(&sp->logger_pidfd);
	free(sp);
}

/* Copy a NULL-terminated vector, counting toward the totals the kernel would refuse. */
static int strv_copy(char *const *v, char ***ret, size_t *count, size_t *total)
{
	size_t n = 0;
	char **out;

	while (v && v[n])
		n++;
	if (*count + n > AGENT_ARGS_COUNT_MAX)
		return -E2BIG;
	out = calloc(n + 1, sizeof(char *));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(v[i], AGENT_ARG_STRLEN_MAX + 1);

		if (len > AGENT_ARG_STRLEN_MAX || *total + len + 1 > AGENT_ARGS_TOTAL_MAX) {
			strv_free(out);
			return -E2BIG;
		}
		*total += len + 1;
		out[i] = strdup(v[i]);
		if (!out[i]) {
			strv_free(out);
			return -ENOMEM;
		}
	}
	*count += n;
	*ret = out;
	return 0;
}

static int resolve_user(struct agent_spawn *sp, const char *name, struct agent_launch_error *err)
{
	long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	_cleanup_free_ char *buf = NULL;
	struct passwd pw, *res = NULL;
	int r, n = 32;

	if (sz <= 0)
		sz = 16384;
	for (;;) {
		buf = malloc((size_t)sz);
		if (!buf)
			return -ENOMEM;
		r = getpwnam_r(name, &pw, buf, (size_t)sz, &res);
		if (r != ERANGE || sz > (1 << 20))
			break;
		free(TAKE_PTR(buf));
		sz *= 2;
	}
	if (r != 0)
		return set_err(err, AGENT_LAUNCH_USER, r, "cannot look up user '%s': %s", name,
			       strerror(r));
	if (!res)
		return set_err(err, AGENT_LAUNCH_USER, ENOENT, "unknown user '%s'", name);
	/* root only by its name, which the master's run_tasks ACL must have allowed */
	if (pw.pw_uid == 0 && strcmp(name, "root") != 0)
		return set_err(err, AGENT_LAUNCH_USER, EPERM,
			       "user '%s' has uid 0: a task runs as root only when it asks for "
			       "'root' by name",
			       name);
	sp->uid = pw.pw_uid;
	sp->gid = pw.pw_gid;
	for (;;) {
		gid_t *g = realloc(sp->groups, (size_t)n * sizeof(gid_t));
		int got = n;

		if (!g)
			return -ENOMEM;
		sp->groups = g;
		if (getgrouplist(name, pw.pw_gid, g, &got) >= 0) {
			sp->ngroups = got;
			break;
		}
		if (got <= n || got > 65536)
			return set_err(err, AGENT_LAUNCH_USER, EINVAL,
				       "cannot list the groups of user '%s'", name);
		n = got;
	}
	sp->set_user = true;
	return 0;
}

static int open_output(int sandbox_fd, const char *name, const struct agent_spawn *sp,
		       struct agent_launch_error *err)
{
	int fd = openat(sandbox_fd, name,
			O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);

	if (fd < 0)
		return set_err(err, AGENT_LAUNCH_SANDBOX, errno, "cannot open '%s' in the sandbox: %m",
			       name);
	if (sp->set_user && fchown(fd, sp->uid, sp->gid) < 0) {
		int e = errno;

		close(fd);
		return set_err(err, AGENT_LAUNCH_SANDBOX, e, "cannot hand '%s' to user '%s': %s",
			       name, sp->user, strerror(e));
	}
	return fd;
}

/* Count a vector toward the limits agent_spawn_prepare enforces; -E2BIG beyond them. */
static int strv_measure(char *const *v, size_t *count, size_t *total)
{
	for (size_t i = 0; v && v[i]; i++) {
		size_t len = strnlen(v[i], AGENT_ARG_STRLEN_MAX + 1);

		if (++*count > AGENT_ARGS_COUNT_MAX || len > AGENT_ARG_STRLEN_MAX ||
		    *total + len + 1 > AGENT_ARGS_TOTAL_MAX)
			return -E2BIG;
		*total += len + 1;
	}
	return 0;
}

int agent_launch_spec_check(const struct agent_launch_spec *spec, struct agent_launch_error *err)
{
	size_t count = 0, total = 0;
	int r;

	if (err)
		*err = (struct agent_launch_error){0};
	if (!!spec->command == !!spec->path)
		return set_err(err, AGENT_LAUNCH_INVALID, EINVAL,
			       "give either a shell command or an executable path");
	if (spec->command && !*spec->command)
		return set_err(err, AGENT_LAUNCH_INVALID, EINVAL, "the command is empty");
	if (spec->path && !*spec->path)
		return set_err(err, AGENT_LAUNCH_INVALID, EINVAL, "the executable path is empty");
	if (spec->command) {
		char *const shv[] = {"sh", "-c", (char *)spec->command, NULL};

		r = strv_measure(shv, &count, &total);
	} else {
		char *const one[] = {(char *)spec->path, NULL};

		r = strv_measure(spec->argv ? spec->argv : one, &count, &total);
	}
	if (r >= 0)
		r = strv_measure(spec->envp, &count, &total);
	if (r < 0)
		return set_err(err, AGENT_LAUNCH_INVALID, E2BIG,
			       "the command line and environment are too large (at most %d strings of %d bytes, %d bytes in all)",
			       AGENT_ARGS_COUNT_MAX, AGENT_ARG_STRLEN_MAX, AGENT_ARGS_TOTAL_MAX);
	return 0;
}

int agent_spawn_prepare(const struct agent_launch_spec *spec, struct agent_spawn **ret,
			struct agent_launch_error *err)
{
	struct agent_spawn *sp;
	size_t count = 0, total = 0;
	int r;

	r = agent_launch_spec_check(spec, err); /* command/path and sizes */
	if (r < 0)
		return r;
	if (spec->sandbox_fd < 0 || spec->cgroup_fd < 0)
		return set_err(err, AGENT_LAUNCH_INVALID, EBADF, "no sandbox or cgroup given");

	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	sp->sandbox_fd = sp->cgroup_fd = sp->stdin_fd = sp->stdout_fd = sp->stderr_fd = -1;
	sp->logger_pidfd = -1;
	sp->flags = spec->flags;

	if (spec->command) {
		char *const shv[] = {"sh", "-c", (char *)spec->command, NULL};

		sp->path = strdup("/bin/sh");
		r = sp->path ? strv_copy(shv, &sp->argv, &count, &total) : -ENOMEM;
	} else {
		char *const one[] = {(char *)spec->path, NULL};

		sp->path = strdup(spec->path);
		r = sp->path ? strv_copy(spec->argv ? spec->argv : one, &sp->argv, &count, &total)
			     : -ENOMEM;
	}
	if (r >= 0) {
		char *const none[] = {NULL};

		r = strv_copy(spec->envp ? spec->envp : none, &sp->envp, &count, &total);
	}
	if (r < 0) /* sizes were checked above: only -ENOMEM is left */
		goto out_free;
	for (char **e = sp->envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0) {
			free(sp->search);
			sp->search = strdup(*e + 5);
		}
	if (!sp->search)
		sp->search = strdup(DEFAULT_PATH);
	if (!sp->search) {
		r = -ENOMEM;
		goto out_free;
	}

	if (spec->user) {
		sp->user = strdup(spec->user);
		if (!sp->user) {
			r = -ENOMEM;
			goto out_free;
		}
		r = resolve_user(sp, spec->user, err);
		if (r < 0)
			goto out_free;
	} else if (spec->dynamic_uid) {
		/* a uid of its own (uid_pool.h): no passwd entry, gid = uid, no groups */
		if (asprintf(&sp->user, "dynamic uid %u", (unsigned)spec->dynamic_uid) < 0) {
			sp->user = NULL;
			r = -ENOMEM;
			goto out_free;
		}
		sp->uid = (uid_t)spec->dynamic_uid;
		sp->gid = (gid_t)spec->dynamic_uid;
		sp->ngroups = 0;
		sp->set_user = true;
	}
	sp->seccomp = spec->seccomp;

	sp->sandbox_fd = fcntl(spec->sandbox_fd, F_DUPFD_CLOEXEC, 3);
	sp->cgroup_fd = fcntl(spec->cgroup_fd, F_DUPFD_CLOEXEC, 3);
	if (sp->sandbox_fd < 0 || sp->cgroup_fd < 0) {
		r = set_err(err, AGENT_LAUNCH_INVALID, errno, "bad sandbox or cgroup fd: %m");
		goto out_free;
	}
	/* the task's own: no other user may enter it (other frameworks' tasks included) */
	if (sp->set_user &&
	    (fchown(sp->sandbox_fd, sp->uid, sp->gid) < 0 || fchmod(sp->sandbox_fd, 0700) < 0)) {
		r = set_err(err, AGENT_LAUNCH_SANDBOX, errno,
			    "cannot hand the sandbox to user '%s': %m", sp->user);
		goto out_free;
	}
	sp->stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (sp->stdin_fd < 0) {
		r = set_err(err, AGENT_LAUNCH_SANDBOX, errno, "cannot open /dev/null: %m");
		goto out_free;
	}
	r = open_output(sp->sandbox_fd, "stdout", sp, err);
	if (r < 0)
		goto out_free;
	sp->stdout_fd = r;
	r = open_output(sp->sandbox_fd, "stderr", sp, err);
	if (r < 0)
		goto out_free;
	sp->stderr_fd = r;
	if (spec->logger) {
		struct agent_logger_config cfg = *spec->logger;

		agent_logger_config_env(&cfg, sp->envp);
		r = agent_logger_start(sp->sandbox_fd, TAKE_FD(sp->stdout_fd), TAKE_FD(sp->stderr_fd),
				       &cfg, sp->set_user, sp->uid, sp->gid, spec->logger_cgroup_fd,
				       &sp->stdout_fd, &sp->stderr_fd, &sp->logger_pidfd);
		if (r < 0) {
			r = set_err(err, AGENT_LAUNCH_SANDBOX, r, "cannot start the task's logger: %s",
				    strerror(-r));
			goto out_free;
		}
	}
	*ret = sp;
	return 0;
out_free:
	if (r == -ENOMEM && err && err->stage == AGENT_LAUNCH_OK)
		set_err(err, AGENT_LAUNCH_INVALID, ENOMEM, "out of memory");
	agent_spawn_free(sp);
	return r;
}

/* ---------------------------------------------------------------- sandbox removal */

/* Empty the directory at dfd (consumed), recursing at most depth levels on the same fs. */
static int rm_contents(int dfd, dev_t dev, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	while ((de = readdir(d))) {
		struct stat st;
		int fd;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != dev || depth <= 0) {
				r = -EXDEV;
				continue;
			}
			fd = openat(dirfd(d), de->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				(void)rm_contents(fd, dev, depth - 1);
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && r == 0)
				r = -errno;
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && r == 0) {
			r = -errno;
		}
	}
	closedir(d);
	return r;
}

int agent_sandbox_remove(const char *path)
{
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	r = rm_contents(fd, st.st_dev, 16);
	if (rmdir(path) < 0 && errno != ENOENT)
		return r < 0 ? r : -errno;
	return 0;
}

/* ---------------------------------------------------------------- clone */

pid_t agent_clone_into(int cgroup_fd, bool fallback, int *ret_pidfd, bool *ret_joined)
{
	int pidfd = -1;
	long pid;

	if (!fallback) {
		struct clone_args args = {
			.flags = CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
			.pidfd = (uint64_t)(uintptr_t)&pidfd,
			.exit_signal = SIGCHLD,
			.cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0,
		};

		pid = syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0) {
			if (pid > 0)
				*ret_pidfd = pidfd;
			*ret_joined = cgroup_fd >= 0;
			return (pid_t)pid;
		}
		/* clone3 missing (< 5.3) or without the cgroup field (< 5.7). */
		if (errno != ENOSYS && errno != E2BIG)
			return -errno;
	}
	/* clone(2) keeps parent_tid third on x86-64, arm64 and the other CLONE_BACKWARDS ones. */
	pid = syscall(SYS_clone, (unsigned long)(CLONE_PIDFD | SIGCHLD), 0UL, &pidfd, 0UL, 0UL);
	if (pid < 0 && errno == EINVAL) {
		pidfd = -1;
		pid = syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, 0UL, 0UL, 0UL);
		if (pid > 0)
			pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	}
	if (pid < 0)
		return -errno;
	if (pid > 0)
		*ret_pidfd = pidfd;
	*ret_joined = false;
	return (pid_t)pid;
}

void agent_close_fds_except(const int *keep, size_t n)
{
	int sorted[16];
	size_t k = 0;
	unsigned lo = 3;

	/* insertion sort of the fds >= 3 to keep (a handful at most) */
	for (size_t i = 0; i < n && k < ARRAY_SIZE(sorted); i++) {
		size_t j = k;

		if (keep[i] < 3)
			continue;
		while (j > 0 && sorted[j - 1] > keep[i]) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = keep[i];
		k++;
	}
	for (size_t i = 0; i <= k; i++) {
		unsigned hi = i < k ? (unsigned)sorted[i] - 1 : ~0U;

		if (i < k && (unsigned)sorted[i] < lo) {
			continue; /* duplicate */
		}
		if (hi >= lo && syscall(SYS_close_range, lo, hi, 0) < 0) {
			/* < 5.9: one by one, up to a sane bound */
			unsigned top = hi;

			if (top > 65535)
				top = 65535;
			for (unsigned fd = lo; fd <= top; fd++)
				close((int)fd);
		}
		if (i < k)
			lo = (unsigned)sorted[i] + 1;
	}
}

/* ---------------------------------------------------------------- the child */

struct exec_report {
	int32_t stage;
	int32_t err;
};

static _Noreturn void child_fail(int fd, enum agent_launch_stage stage, int e)
{
	struct exec_report rep = {.stage = stage, .err = e};
	ssize_t n;

	do
		n = write(fd, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

/* execve, searching PATH like execvpe but in the task's PATH. Returns the errno. */
static int exec_search(const struct agent_spawn *sp)
{
	char buf[4096];
	const char *p = sp->search;
	size_t nlen = strlen(sp->path);
	int saved = ENOENT;

	if (strchr(sp->path, '/')) {
		execve(sp->path, sp->argv, sp->envp);
		return errno;
	}
	for (;;) {
		const char *c = strchrnul(p, ':');
		size_t dlen = (size_t)(c - p);

		if (dlen + 1 + nlen + 1 <= sizeof(buf)) {
			if (dlen == 0) {
				buf[0] = '.';
				dlen = 1;
			} else {
				memcpy(buf, p, dlen);
			}
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, sp->path, nlen + 1);
			execve(buf, sp->argv, sp->envp);
			switch (errno) {
			case EACCES:
				saved = EACCES;
				break;
			case ENOENT:
			case ENOTDIR:
			case ELOOP:
			case ENAMETOOLONG:
			case ENODEV:
			case ETIMEDOUT:
			case ESTALE:
				break;
			default:
				return errno;
			}
		}
		if (!*c)
			return saved;
		p = c + 1;
	}
}

/* Move fd out of 0..2 so the dup2 onto 0..2 cannot clobber it. */
static int lift(int fd)
{
	return fd >= 0 && fd < 3 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd;
}

/*
 * Least privilege (docs/security.md): the task can never hold a capability. The bounding
 * set is emptied while we still have CAP_SETPCAP (before the user switch); a task that
 * stays root (allowed by ACL) then gets no capabilities at exec either, as exec gives root
 * only what the bounding set holds. Without CAP_SETPCAP (an unprivileged agent) there is
 * nothing to drop: the task cannot gain what its parent lacks under NO_NEW_PRIVS.
 */
static int drop_bounding_set(void)
{
	for (unsigned long cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break; /* past the kernel's last capability */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EPERM && syscall(SYS_geteuid) != 0)
				return 0;
			return -1;
		}
	}
	return 0;
}

/* No ambient, inheritable, permitted or effective capabilities left before exec. */
static int clear_capabilities(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct none[2] = {{0}};

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -1;
	return (int)syscall(SYS_capset, &hdr, none);
}

static _Noreturn void child_exec(const struct agent_spawn *sp, int errfd, bool join)
{
	int efd, in, out, errf;

	if (join) {
		int fd = openat(sp->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "0", 1) != 1)
			child_fail(errfd, AGENT_LAUNCH_CGROUP, errno);
		close(fd);
	}
	if (setsid() < 0)
		child_fail(errfd, AGENT_LAUNCH_SETUP, errno);
	sigreset_defaults();

	efd = lift(errfd);
	if (efd < 0)
		child_fail(errfd, AGENT_LAUNCH_SETUP, errno);
	errfd = efd;
	in = lift(sp->stdin_fd);
	out = lift(sp->stdout_fd);
	errf = lift(sp->stderr_fd);
	if (in < 0 || out < 0 || errf < 0)
		child_fail(errfd, AGENT_LAUNCH_SETUP, errno);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errf, 2) < 0)
		child_fail(errfd, AGENT_LAUNCH_SETUP, errno);
	if (fchdir(sp->sandbox_fd) < 0)
		child_fail(errfd, AGENT_LAUNCH_CHDIR, errno);
	if (drop_bounding_set() < 0)
		child_fail(errfd, AGENT_LAUNCH_CREDENTIALS, errno);
	if (sp->set_user) {
		/*
		 * Raw system calls: glibc's wrappers broadcast to every thread glibc believes
		 * the process has (this child inherited the agent's thread list), and in a
		 * CLONE_VM child they would write that bookkeeping into the parent's memory.
		 */
		if (syscall(SYS_setgroups, (size_t)sp->ngroups, sp->groups) < 0 ||
		    syscall(SYS_setresgid, sp->gid, sp->gid, sp->gid) < 0 ||
		    syscall(SYS_setresuid, sp->uid, sp->uid, sp->uid) < 0)
			child_fail(errfd, AGENT_LAUNCH_CREDENTIALS, errno);
	}
	if (clear_capabilities() < 0)
		child_fail(errfd, AGENT_LAUNCH_CREDENTIALS, errno);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(errfd, AGENT_LAUNCH_SETUP, errno);
	/* last: the filter may deny what the steps above needed (seccomp.h) */
	if (sp->seccomp &&
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, sp->seccomp) < 0)
		child_fail(errfd, AGENT_LAUNCH_SETUP, errno);
	/* Everything the agent or the supervisor holds stays behind (>= 5.11; else CLOEXEC). */
	(void)syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
	child_fail(errfd, AGENT_LAUNCH_EXEC, exec_search(sp));
}

/*
 * Under ASan the child's instrumented frames would poison and unpoison shadow memory that
 * it shares with its parent (CLONE_VM): that build takes the fork-like path.
 */
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
/*
 * long agent_clone3_run(struct clone_args *args, size_t size, void (*fn)(void *), void *arg)
 * clone3, and in the child call fn(arg) on the new stack (args->stack), then exit. glibc
 * has no public clone3 wrapper that takes a function; clone(2) has no CLONE_INTO_CGROUP.
 * fn and arg ride in r8/r9, which the syscall instruction preserves. The symbol is local
 * to this object (.local): only this file calls it (C has no static asm function).
 */
long agent_clone3_run(struct clone_args *args, size_t size, void (*fn)(void *), void *arg);
__asm__(".text\n"
	".local agent_clone3_run\n"
	".type agent_clone3_run, @function\n"
	"agent_clone3_run:\n"
	"	movq %rdx, %r8\n"
	"	movq %rcx, %r9\n"
	"	movl $435, %eax\n" /* SYS_clone3 */
	"	syscall\n"
	"	testq %rax, %rax\n"
	"	jz 1f\n"
	"	ret\n"
	"1:	xorl %ebp, %ebp\n"
	"	movq %r9, %rdi\n"
	"	callq *%r8\n"
	"	movl $127, %edi\n"
	"	movl $60, %eax\n" /* SYS_exit: fn does not return */
	"	syscall\n"
	"	hlt\n"
	".size agent_clone3_run, .-agent_clone3_run\n");

struct vfork_arg {
	const struct agent_spawn *sp;
	int errfd;
};

static void vfork_child(void *data)
{
	struct vfork_arg *va = data;

	child_exec(va->sp, va->errfd, false);
}

/*
 * posix_spawn's trick with CLONE_INTO_CGROUP: the child shares our memory (no page-table
 * copy, no copy-on-write faults) and we sleep until it has exec'ed or exited (CLONE_VFORK),
 * so it may use a stack carved from ours. The child only makes raw system calls
 * (child_exec) and its signal dispositions are its own (no CLONE_SIGHAND); callers have no
 * signal handlers installed (the supervisor resets them all). -ENOSYS etc. when the kernel
 * cannot (then the caller forks).
 */
static pid_t clone_vfork_into(const struct agent_spawn *sp, int errfd, int *ret_pidfd)
{
	static __thread bool unsupported;
	char stack[32768] __attribute__((aligned(16)));
	struct vfork_arg va = {.sp = sp, .errfd = errfd};
	int pidfd = -1;
	struct clone_args args = {
		.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_INTO_CGROUP,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
		.stack = (uint64_t)(uintptr_t)stack,
		.stack_size = sizeof(stack),
		.cgroup = (uint64_t)sp->cgroup_fd,
	};
	long pid;

	if (unsupported || sp->cgroup_fd < 0)
		return -ENOSYS;
	pid = agent_clone3_run(&args, sizeof(args), vfork_child, &va);
	if (pid < 0) {
		if (pid == -ENOSYS || pid == -E2BIG || pid == -EINVAL)
			unsupported = true;
		return (pid_t)pid;
	}
	*ret_pidfd = pidfd;
	return (pid_t)pid;
}

pid_t agent_vfork_call(int cgroup_fd, void (*fn)(void *), void *arg)
{
	const size_t size = 256 * 1024;
	struct clone_args args = {
		.flags = CLONE_VM | CLONE_VFORK | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
		.exit_signal = SIGCHLD,
		.stack_size = size,
		.cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0,
	};
	void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
			   -1, 0);
	long pid;

	if (stack == MAP_FAILED)
		return -errno;
	args.stack = (uint64_t)(uintptr_t)stack;
	pid = agent_clone3_run(&args, sizeof(args), fn, arg);
	munmap(stack, size);
	return (pid_t)pid;
}
#else
static pid_t clone_vfork_into(const struct agent_spawn *sp, int errfd, int *ret_pidfd)
{
	return -ENOSYS;
}

pid_t agent_vfork_call(int cgroup_fd, void (*fn)(void *), void *arg)
{
	return -ENOSYS;
}
#endif

int agent_spawn_run(const struct agent_spawn *sp, pid_t *ret_pid, int *ret_pidfd,
		    struct agent_launch_error *err)
{
	struct exec_report rep;
	int p[2], pidfd = -1;
	bool joined = false;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		err->stage = AGENT_LAUNCH_CLONE;
		err->err = errno;
		return -err->err;
	}
	pid = sp->flags & (AGENT_LAUNCH_F_NO_CLONE3 | AGENT_LAUNCH_F_NO_VFORK)
		      ? -ENOSYS
		      : clone_vfork_into(sp, p[1], &pidfd);
	if (pid == -ENOSYS || pid == -E2BIG || pid == -EINVAL)
		pid = agent_clone_into(sp->cgroup_fd, sp->flags & AGENT_LAUNCH_F_NO_CLONE3, &pidfd,
				       &joined);
	else
		joined = true;
	if (pid == 0) {
		close(p[0]);
		/* after the fallback clone the child joins the cgroup itself, before exec */
		child_exec(sp, p[1], !joined);
	}
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		err->stage = pid == -EBUSY || pid == -EOPNOTSUPP || pid == -EACCES ? AGENT_LAUNCH_CGROUP
										    : AGENT_LAUNCH_CLONE;
		err->err = -pid;
		return pid;
	}
	close(p[1]);
	do
		n = read(p[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == 0) {
		*ret_pid = pid;
		*ret_pidfd = pidfd;
		return 0;
	}
	/* The child failed before or at exec and has _exit(127)ed: reap it. */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	if (n != sizeof(rep) || rep.stage <= 0 || rep.stage >= _AGENT_LAUNCH_STAGE_MAX) {
		err->stage = AGENT_LAUNCH_SETUP;
		err->err = n < 0 ? errno : EPROTO;
	} else {
		err->stage = (enum agent_launch_stage)rep.stage;
		err->err = rep.err ? rep.err : EIO;
	}
	return -err->err;
}
