/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's cgroup v2 runtime: discovery, the agent's root, task leaves, kill, events.
 *
 * Layout under the cgroup2 mount (found in /proc/self/mountinfo, never assumed):
 *
 *	<mount>/<cgroup-root>/                    default "drover.slice"
 *	    agent/                                the agent daemon (no-internal-processes rule)
 *	    supervisor/                           every task's supervisor (see supervisor.h)
 *	    tasks/                                interior node, controllers enabled
 *	        <framework-id>/                   interior node, removed with its last task
 *	            <task-id>/                    the task's leaf: limits, processes, accounting
 *
 * Why nested and not flat <root>/<task-id>: Mesos task IDs are unique only within their
 * framework (two frameworks may both launch "task-1"), and a flat layout would also let a
 * task named "agent" collide with the agent's own cgroup. The directories are named by
 * the IDs' disk_name(..., DISK_NAME_CGROUP) (diskname.h: escaped, never an interface file's
 * name such as "memory.max"); the functions below take those names and check them with
 * agent_task_id_valid() before they touch a path.
 *
 * Every function works on directory fds (openat and friends), so the unit tests run it
 * against a tmpdir that holds hand-made cgroup.* files. Functions return 0/positive or
 * -errno, write ret_* only on success and never log: the daemon logs once.
 */
#ifndef DROVER_AGENT_CGROUP_H
#define DROVER_AGENT_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroupfs.h"

/* The controllers the agent knows about. Only cpu, memory and pids carry limits today. */
enum agent_ctrl {
	AGENT_CTRL_CPU,
	AGENT_CTRL_MEMORY,
	AGENT_CTRL_PIDS,
	AGENT_CTRL_IO,
	AGENT_CTRL_CPUSET,
	_AGENT_CTRL_MAX,
};
#define AGENT_CTRL_BIT(c) (1u << (c))
/* What strict enforcement needs. */
#define AGENT_CTRL_REQUIRED (AGENT_CTRL_BIT(AGENT_CTRL_CPU) | AGENT_CTRL_BIT(AGENT_CTRL_MEMORY))
/* What the agent enables when it can. */
#define AGENT_CTRL_WANTED                                                                 \
	(AGENT_CTRL_BIT(AGENT_CTRL_CPU) | AGENT_CTRL_BIT(AGENT_CTRL_MEMORY) |              \
	 AGENT_CTRL_BIT(AGENT_CTRL_PIDS))

/* Why a controller is missing. */
enum agent_ctrl_why {
	AGENT_CTRL_AVAILABLE = 0,
	AGENT_CTRL_NOT_WANTED,       /* the agent did not ask for it */
	AGENT_CTRL_NOT_IN_KERNEL,    /* absent from /proc/cgroups */
	AGENT_CTRL_KERNEL_DISABLED,  /* /proc/cgroups "enabled 0" (cgroup_disable=) */
	AGENT_CTRL_V1_BOUND,         /* bound to a cgroup v1 hierarchy */
	AGENT_CTRL_NOT_IN_PARENT,    /* not in cgroup.controllers of a cgroup above the root */
	AGENT_CTRL_ENABLE_FAILED,    /* writing "+name" to a cgroup.subtree_control failed */
};

struct agent_ctrl_state {
	enum agent_ctrl_why why;
	int err;         /* AGENT_CTRL_ENABLE_FAILED: the positive errno */
	char where[256]; /* the cgroup (relative to the mount) or v1 mount point concerned */
};

struct agent_cgroup_report {
	unsigned available; /* AGENT_CTRL_BIT()s enabled for the task leaves */
	struct agent_ctrl_state ctrl[_AGENT_CTRL_MAX];
	bool has_kill;      /* cgroup.kill exists (kernel >= 5.14) */
};

/* The agent's cgroup root, opened. */
struct agent_cgroup {
	char *mount;        /* the cgroup2 mount point, e.g. "/sys/fs/cgroup/unified" */
	char *root;         /* relative to the mount, e.g. "drover.slice" */
	int mount_fd;
	int root_fd;
	int agent_fd;       /* <root>/agent */
	int supervisor_fd;  /* <root>/supervisor */
	int tasks_fd;       /* <root>/tasks */
	struct agent_cgroup_report report;
};

const char *agent_ctrl_name(enum agent_ctrl c);
/* "cpu" -> AGENT_CTRL_CPU; -ENOENT for names the agent does not know. */
int agent_ctrl_from_name(const char *name);

/* ---- pure parsers (strings in, values out; no I/O) ---- */

/* "cpu memory pids\n" -> AGENT_CTRL_BIT()s (unknown names are ignored). */
unsigned agent_ctrl_mask_parse(const char *text);

/* The cgroupfs and /proc parsers are lib/cgroupfs.h's (the CLI shares them). */

/* ---- report ---- */

/* "cpu: missing (bound to a cgroup v1 hierarchy at /sys/fs/cgroup/cpu)", "memory: available". */
int agent_ctrl_describe(const struct agent_cgroup_report *r, enum agent_ctrl c, char *buf,
			size_t len);
/* One line for every wanted controller, "; "-separated. */
int agent_cgroup_report_format(const struct agent_cgroup_report *r, char *buf, size_t len);
/*
 * --enforce strict: 0 when cpu and memory are available; else -EOPNOTSUPP and a message
 * naming each missing one and why.
 */
int agent_cgroup_check_strict(const struct agent_cgroup_report *r, char *buf, size_t len);

/* ---- small file helpers on a directory fd ---- */

/*
 * Read a whole (small) file at dirfd into a NUL-terminated buffer: lib/fileio.h's safe reader
 * (no symlink, regular files only, never blocks, at most 64 MiB). The length or -errno.
 */
int agent_read_fileat(int dirfd, const char *name, char **ret_text);
/* Write value to an existing file at dirfd (no O_CREAT, no truncation semantics needed). */
int agent_write_fileat(int dirfd, const char *name, const char *value);
/* Write-temp + fsync + rename + fsync(dir): the file is either old or new, never torn. */
int agent_write_file_atomic(int dirfd, const char *name, const char *data, size_t len);
/*
 * Write-temp + rename, with the two fsyncs only when durable: without them the file is
 * still old or new, never torn, for any reader and across a crash of the writer (the page
 * cache survives it); only a crash of the host may lose it. For records whose subject
 * dies with the host anyway (a running task's record, its supervisor's pid): the fsyncs
 * were most of a launch's latency (docs/benchmarks.md, "Agent launch").
 */
int agent_write_file_replace(int dirfd, const char *name, const char *data, size_t len,
			     bool durable);

/* ---- setup ---- */

/*
 * Find the cgroup2 mount in /proc/self/mountinfo and open it. ret_path gets the mount
 * point. -ENOENT (no cgroup2 mounted) or the error of open().
 */
int agent_cgroup_mount_open(char **ret_path, int *ret_fd);

/*
 * Create and open the agent's root (root_rel, relative to the mount at mount_fd), its
 * agent/, supervisor/ and tasks/ children; move pid (0: none) into agent/; enable every
 * controller of `wanted` that can be enabled, on the way down from the mount and in the
 * root and tasks/; record in ret->report what is available and why the rest is not.
 * mountinfo and proc_cgroups are the texts of /proc/self/mountinfo and /proc/cgroups
 * (either may be NULL), used only to explain missing controllers.
 * Takes ownership of mount_fd (closed on failure too). err gets a readable message.
 */
int agent_cgroup_setup(int mount_fd, const char *mount_path, const char *root_rel,
		       unsigned wanted, pid_t pid, const char *mountinfo,
		       const char *proc_cgroups, struct agent_cgroup *ret, char *err,
		       size_t errlen);
/* The daemon's one call: mount_open + setup, reading the /proc texts itself. */
int agent_cgroup_init(const char *root_rel, pid_t pid, struct agent_cgroup *ret, char *err,
		      size_t errlen);
/* Close the fds and free the strings (the cgroups stay). NULL-safe. */
void agent_cgroup_done(struct agent_cgroup *cg);
/*
 * Remove the agent's own cgroups (supervisor/, tasks/, agent/ and the root) — for tests and
 * for an agent that is shutting down for good. Fails with -EBUSY while anything lives
 * there; move pid (0: none) to the mount's root cgroup first.
 */
int agent_cgroup_teardown(struct agent_cgroup *cg, pid_t pid);

/*
 * cpuset.cpus.effective of the nearest cgroup that has one, from the agent's own cgroup up
 * to the mount (the CPUs the agent and its tasks may use). -ENOENT when the cpuset
 * controller is nowhere on the path (then every online CPU is usable).
 */
int agent_cgroup_cpuset_effective(const struct agent_cgroup *cg, char **ret_text);

/* ---- task leaves ---- */

/*
 * Create <root>/tasks/<framework_id>/<task_id> (the framework's directory on demand, with
 * the available controllers enabled in it) and return an O_DIRECTORY fd of the leaf.
 * -EINVAL for an unsafe ID, -EEXIST when the leaf is already there (a leftover: the
 * caller decides whether to re-attach or kill and remove it).
 */
int agent_cgroup_task_create(const struct agent_cgroup *cg, const char *framework_id,
			     const char *task_id, int *ret_fd);
/*
 * <parent>/<name> (made when missing, a safe name only) with the controllers of the mask
 * enable enabled for its children (executors: executor.h). An O_DIRECTORY fd, or -errno.
 */
int agent_cgroup_subdir_create(int parent_fd, const char *name, unsigned enable, int *ret_fd);
/* Open an existing leaf (recovery). -ENOENT when it is not there. */
int agent_cgroup_task_open(const struct agent_cgroup *cg, const char *framework_id,
			   const char *task_id, int *ret_fd);
/*
 * rmdir the leaf, retrying EBUSY for up to ~200 ms (exiting tasks leave it late), then the
 * framework's directory when it was the last. 0 also when the leaf was already gone.
 */
int agent_cgroup_task_remove(const struct agent_cgroup *cg, const char *framework_id,
			     const char *task_id);
/*
 * Every leaf under tasks/ as "framework/task" strings, NULL-terminated (recovery; free
 * with strv_free() of strv.h).
 */
int agent_cgroup_task_list(const struct agent_cgroup *cg, char ***ret);

/* ---- processes, signals, kill, events (on any cgroup dir fd) ---- */

/* Move pid into the cgroup at dirfd (write cgroup.procs; "0" moves the caller). */
int agent_cgroup_attach(int dirfd, pid_t pid);
/* The pids in cgroup.procs. ret_pids may come back NULL with *ret_n == 0. */
int agent_cgroup_procs(int dirfd, pid_t **ret_pids, size_t *ret_n);
/* Send sig to every process in the cgroup; returns how many were signalled. */
int agent_cgroup_signal(int dirfd, int sig);
/*
 * Kill everything in the cgroup: "1" > cgroup.kill; on kernels without it (< 5.14)
 * freeze (when cgroup.freeze exists), SIGKILL every pid in cgroup.procs until none is
 * left, thaw. Returns 0; the processes are gone once cgroup.events says populated 0.
 */
int agent_cgroup_kill(int dirfd);
/* 1 when the cgroup (or a descendant) holds a process, 0 when not. */
int agent_cgroup_populated(int dirfd);
/* Block until populated 0 or timeout_ms passes (-ETIMEDOUT). For cleanup paths and tests. */
int agent_cgroup_wait_empty(int dirfd, int timeout_ms);

#endif
