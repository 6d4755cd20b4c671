/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Launching a task's process: the command (shell string or argv), its environment, its
 * sandbox (working directory holding the stdout and stderr files), its user, and its
 * cgroup, joined atomically with clone3(CLONE_INTO_CGROUP | CLONE_PIDFD).
 *
 * Two steps, because the second one runs inside a forked supervisor (supervisor.h):
 *
 *	agent_spawn_prepare()   in the agent: validates, resolves the user (NSS), copies
 *	                        argv/envp, opens stdin (/dev/null), stdout and stderr. May
 *	                        allocate; fails with a stage and a message.
 *	agent_spawn_run()       async-signal-safe (no malloc, no stdio, no NSS): may run in a
 *	                        child forked from a multi-threaded process. Clones the task
 *	                        into its cgroup (on x86-64 with CLONE_VM | CLONE_VFORK, as
 *	                        posix_spawn does: no copy of the page tables; elsewhere or
 *	                        when the kernel refuses, fork-like) and waits until it has
 *	                        exec'ed or failed; a
 *	                        CLOEXEC pipe carries {stage, errno} of a failure back, so a
 *	                        missing executable is told apart from a task that exits 127.
 *
 * The task's process: a new session; signal mask and dispositions reset; stdin /dev/null;
 * stdout/stderr appended to <sandbox>/stdout and <sandbox>/stderr (through the task's
 * logger when the spec names one: pipes, rotated files, logger.h); cwd the sandbox;
 * setgroups + setresgid + setresuid when a user (or a dynamic uid) is given (the sandbox,
 * made 0700, and both files are chowned to that user first); no capabilities;
 * PR_SET_NO_NEW_PRIVS; the seccomp filter (seccomp.h) when given; every other fd closed on
 * exec.
 * A name without '/' is searched in the task's PATH (or a default PATH).
 */
#ifndef DROVER_AGENT_LAUNCH_H
#define DROVER_AGENT_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sock_fprog;
struct agent_logger_config;

/* Longest task or framework ID: one path component. */
#define AGENT_ID_MAX 255
/* Limits on what a task may pass to execve (the kernel's own are 128 KiB a string). */
#define AGENT_ARG_STRLEN_MAX (128 * 1024 - 1)
#define AGENT_ARGS_TOTAL_MAX (1024 * 1024)
#define AGENT_ARGS_COUNT_MAX 16384

/*
 * Is id a valid task, framework or executor ID (id_is_valid(), Mesos's rule: 1..255 bytes,
 * not "." or "..", no control character, '/' or '\')? Such an ID, and every name
 * disk_name() makes, is also safe as one path component; paths are built from the
 * disk_name() of an ID (diskname.h), and a directory name read back is checked with this.
 */
bool agent_task_id_valid(const char *id);
/* Same, for a buffer that may hold NULs (JSON strings decode to those). */
bool agent_task_id_valid_n(const char *id, size_t len);

/* Where a launch failed. */
enum agent_launch_stage {
	AGENT_LAUNCH_OK = 0,
	AGENT_LAUNCH_INVALID,     /* the request: command, sizes, IDs */
	AGENT_LAUNCH_USER,        /* unknown user (err ENOENT) or NSS failure */
	AGENT_LAUNCH_SANDBOX,     /* opening or chowning the sandbox and its files */
	AGENT_LAUNCH_CLONE,       /* clone3/clone */
	AGENT_LAUNCH_CGROUP,      /* joining the cgroup (fallback: cgroup.procs) */
	AGENT_LAUNCH_CHDIR,       /* entering the sandbox */
	AGENT_LAUNCH_CREDENTIALS, /* setgroups/setresgid/setresuid */
	AGENT_LAUNCH_SETUP,       /* setsid, dup2, prctl, seccomp */
	AGENT_LAUNCH_EXEC,        /* execve: missing executable, not executable, ... */
	AGENT_LAUNCH_SUPERVISOR,  /* the supervisor died or failed on its own */
	_AGENT_LAUNCH_STAGE_MAX,
};

struct agent_launch_error {
	enum agent_launch_stage stage;
	int err;           /* positive errno */
	char message[512]; /* for the status update's message */
};

/* "exec", "user", ...: stable names, also used in the exit-status file. */
const char *agent_launch_stage_name(enum agent_launch_stage s);
int agent_launch_stage_from_name(const char *name);

#define AGENT_LAUNCH_F_NO_CLONE3 (1u << 0) /* use the fork + cgroup.procs fallback (tests) */
#define AGENT_LAUNCH_F_NO_VFORK (1u << 1)  /* fork-like clone3, not CLONE_VM|CLONE_VFORK (bench) */

struct agent_launch_spec {
	const char *command;  /* shell: run as /bin/sh -c command (Mesos shell=true) */
	const char *path;     /* else: the executable (searched in PATH when without '/') */
	char *const *argv;    /* else: argv, argv[0] included; NULL means {path} */
	char *const *envp;    /* the task's whole environment; NULL means empty */
	const char *user;     /* NULL: the agent's own user (or dynamic_uid) */
	uint32_t dynamic_uid; /* with user NULL: run as uid = gid = this, no groups (0: no) */
	const struct sock_fprog *seccomp; /* installed just before exec (NULL: none) */
	int sandbox_fd;       /* the sandbox directory (the caller creates it) */
	int cgroup_fd;        /* the task's leaf (agent_cgroup_task_create) */
	unsigned flags;       /* AGENT_LAUNCH_F_* */
	/* NULL: the task writes <sandbox>/stdout and stderr itself, uncapped; else through a
	 * logger (logger.h) with these caps, started in logger_cgroup_fd (-1: stay) */
	const struct agent_logger_config *logger;
	int logger_cgroup_fd;
};

/* A prepared launch. Everything agent_spawn_run needs, already allocated and opened. */
struct agent_spawn {
	char *path;          /* what to exec (a name without '/' is searched in search) */
	char **argv;
	char **envp;
	char *search;        /* PATH for the search */
	char *user;          /* for messages */
	bool set_user;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	const struct sock_fprog *seccomp; /* not owned: the agent's (seccomp.h) */
	int sandbox_fd;      /* owned dups */
	int cgroup_fd;
	int stdin_fd;
	int stdout_fd;
	int stderr_fd;
	int logger_pidfd;    /* the task's logger (logger.h), -1: none or no pidfd */
	unsigned flags;
};

int agent_spawn_prepare(const struct agent_launch_spec *spec, struct agent_spawn **ret,
			struct agent_launch_error *err);
/*
 * The request-only checks of agent_spawn_prepare (command or path, sizes), without fds,
 * users or allocations: the agent calls it before it creates the sandbox and the leaf, so
 * a bad request leaves nothing behind. AGENT_LAUNCH_INVALID with a message, or 0.
 */
int agent_launch_spec_check(const struct agent_launch_spec *spec, struct agent_launch_error *err);
/*
 * Remove a task's sandbox directory (its files and, below it, directories the task made),
 * without following symlinks and without leaving the directory's file system. 0 also when
 * it is already gone.
 */
int agent_sandbox_remove(const char *path);
void agent_spawn_free(struct agent_spawn *sp);

/*
 * Start the task (async-signal-safe; see above). On success the process has exec'ed:
 * ret_pid and ret_pidfd (-1 where pidfds are missing) are set. On failure err->stage and
 * err->err are set but not err->message (formatting is not async-signal-safe): call
 * agent_launch_error_format() in the agent. The caller reaps the child.
 */
int agent_spawn_run(const struct agent_spawn *sp, pid_t *ret_pid, int *ret_pidfd,
		    struct agent_launch_error *err);
/* Fill err->message from err->stage/err->err ("cannot execute 'x': No such file ..."). */
void agent_launch_error_format(struct agent_launch_error *err, const struct agent_spawn *sp);

/*
 * Fork-like clone into the cgroup at cgroup_fd (-1: stay), with a pidfd. Raw syscalls,
 * no atfork handlers: safe in a child of a multi-threaded process, and the child may only
 * make async-signal-safe calls. Falls back to clone(2) when clone3 or CLONE_INTO_CGROUP is
 * missing (or `fallback`), in which case *ret_joined is false and the child must join the
 * cgroup itself. Returns the pid in the parent, 0 in the child, -errno.
 */
pid_t agent_clone_into(int cgroup_fd, bool fallback, int *ret_pidfd, bool *ret_joined);

/*
 * fn(arg) in a child that shares our memory (CLONE_VM | CLONE_VFORK, in the cgroup at
 * cgroup_fd, -1: ours), on a stack of its own; returns when the child has exited (the
 * caller reaps it: the pid), or -ENOSYS where it cannot (not x86-64, ASan): then fork. fn
 * makes only async-signal-safe calls and must not return to anything of ours but its
 * caller (it exits when it returns). Costs no copy of our page tables.
 */
pid_t agent_vfork_call(int cgroup_fd, void (*fn)(void *), void *arg);

/* Close every fd >= 3 except those in keep (close_range where the kernel has it). */
void agent_close_fds_except(const int *keep, size_t n);

#endif
