/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Garbage collection of sandboxes, as Mesos's --gc_delay and --gc_disk_headroom.
 *
 * A sandbox (<work>/sandboxes/<framework>/<task>/<run>, or <framework>/<task> as an agent
 * before run IDs laid it out) that no task of the agent needs any more (no process, no
 * update waiting for an acknowledgement: the caller's in_use says; a /files read runs on
 * the same loop as a pass, so none is under way during one, files.h) is removed once older
 * than
 *
 *	max_age = gc_delay * max(0, 1 - gc_disk_headroom - usage)
 *
 * where usage is the used fraction of the file system that holds the work dir; its age is
 * its directory's mtime (its task can set it: it can only get its own sandbox collected
 * sooner, or kept until the disk fills, when max_age is 0 and every unused sandbox goes).
 *
 * Collection never blocks the agent's loop on a big or deep sandbox: in the loop a victim
 * is only renamed into <work>/gc/ (one rename, same file system); a worker thread empties
 * <work>/gc/ (agent_sandbox_remove: no symlink followed, not past the file system's edge).
 * A task's "latest" link (files.h) goes with the run it names.
 */
#ifndef DROVER_AGENT_SANDBOX_GC_H
#define DROVER_AGENT_SANDBOX_GC_H

#include <stdbool.h>
#include <stdint.h>

struct agent_gc;

struct agent_gc_stats {
	int kept, collected, failed;
	double usage;       /* the file system's used fraction */
	int64_t max_age_ns; /* the age past which a sandbox went */
};

/* For <work_dir>; empties what a previous agent left in <work>/gc/. 0 or -errno. */
int agent_gc_new(const char *work_dir, struct agent_gc **ret);
/* Waits for the worker thread. Accepts NULL. */
void agent_gc_free(struct agent_gc *gc);

/*
 * One pass: every sandbox not in_use(path, data) and older than max_age goes. now_ns is
 * CLOCK_REALTIME. 0 or -errno (the sandboxes dir cannot be read).
 */
int agent_gc_collect(struct agent_gc *gc, int64_t gc_delay_ns, double headroom, int64_t now_ns,
		     bool (*in_use)(const char *path, void *data), void *data,
		     struct agent_gc_stats *ret);

/* Mesos's formula (above); usage and headroom are fractions in [0, 1]. */
int64_t agent_gc_max_age(int64_t gc_delay_ns, double headroom, double usage);

#endif
