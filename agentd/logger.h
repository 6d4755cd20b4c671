/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A task's stdout and stderr, captured with size-capped rotation (Mesos's logrotate
 * container logger, without logrotate).
 *
 * The task writes into two pipes. A small process per task, "drover-logger", reads them and
 * appends to <sandbox>/stdout and <sandbox>/stderr; when a file would pass max_size bytes
 * it is rotated (stdout -> stdout.1 -> ... -> stdout.<max_files - 1>, the oldest dropped),
 * so each stream keeps at most max_size * max_files bytes on disk.
 *
 * The logger is a fork of the agent that never execs (as the supervisor, supervisor.h: only
 * async-signal-safe calls), started twice removed (the agent forks a child that forks the
 * logger and exits), so it is nobody's child in the agent and init reaps it: it outlives an
 * agent restart as the supervisor does. It lives in the supervisor cgroup (not charged to
 * the task, untouched by the task's cgroup.kill), setsid()s, holds no fd of the agent but
 * its pipes and the sandbox, and runs as the task's user (it can write nothing the task
 * could not). It exits when every writer of both pipes is gone: the task and whatever
 * inherited its stdout/stderr.
 *
 * What a task cannot do to it: block the agent (the agent never reads the pipes; a slow
 * logger only makes the task's own writes wait), grow the files past the cap (the logger
 * counts what it writes; a full disk drops output instead of blocking the task), or lead
 * it elsewhere: files are opened relative to the sandbox with O_NOFOLLOW|O_NONBLOCK and
 * must be regular files (a symlink or FIFO planted under the name is removed and the file
 * made again), and as the task's user it could not write outside what the task may anyway.
 */
#ifndef DROVER_AGENT_LOGGER_H
#define DROVER_AGENT_LOGGER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define AGENT_LOGGER_PAGE 4096 /* the smallest max_size (Mesos: one page) */

struct agent_logger_config {
	uint64_t max_size[2]; /* stdout, stderr: bytes per file before rotation; 0: never */
	unsigned max_files; /* per stream, the live file included; >= 1 */
};

/*
 * The task's environment may lower the caps (Mesos's CONTAINER_LOGGER_MAX_STDOUT_SIZE and
 * CONTAINER_LOGGER_MAX_STDERR_SIZE, a size as "1MiB" or bytes, at least one page); a value
 * above the agent's cap, unparsable or below a page is ignored. Pure.
 */
void agent_logger_config_env(struct agent_logger_config *cfg, char *const *envp);

/*
 * Start the logger (above). out_fd and err_fd are the files it starts with (opened by the
 * caller: <sandbox>/stdout and stderr, appended to; taken over, closed here). On success
 * *ret_out and *ret_err are the pipes' write ends (CLOEXEC) for the task, and *ret_pidfd a
 * pidfd of the logger (readable once it has written everything and exited; -1 where the
 * kernel has no pidfd_open). cgroup_fd: where the logger runs (-1: the caller's cgroup).
 * uid/gid: switched to when set_user. 0 or -errno.
 */
int agent_logger_start(int sandbox_fd, int out_fd, int err_fd,
		       const struct agent_logger_config *cfg, bool set_user, uid_t uid, gid_t gid,
		       int cgroup_fd, int *ret_out, int *ret_err, int *ret_pidfd);

#endif
