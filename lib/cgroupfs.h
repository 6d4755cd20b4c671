/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure parsers of cgroupfs and /proc texts, shared by the agent and the CLI: strings in,
 * values out, no I/O (read the files with fileio.h's file_read_allat()). Each returns 0 or
 * -errno and writes ret_* only on success.
 */
#ifndef DROVER_CGROUPFS_H
#define DROVER_CGROUPFS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The mount point of the first cgroup2 file system in mountinfo text, unescaped
 * ("\040" -> ' '). -ENOENT when there is none.
 */
int cgroupfs_mountinfo_find_cgroup2(const char *mountinfo, char **ret_path);
/* The mount point of the cgroup v1 hierarchy that holds controller name, or -ENOENT. */
int cgroupfs_mountinfo_find_v1(const char *mountinfo, const char *name, char **ret_path);
/*
 * One controller's line of /proc/cgroups: ret_hierarchy (0 = not bound to v1) and
 * ret_enabled. -ENOENT when the kernel does not list it.
 */
int cgroupfs_proc_cgroups_lookup(const char *text, const char *name, unsigned *ret_hierarchy,
				 bool *ret_enabled);
/*
 * A flat-keyed file ("key value\n" lines: cgroup.events, cpu.stat, memory.events); "max"
 * reads as UINT64_MAX.
 */
int cgroupfs_keyed_get(const char *text, const char *key, uint64_t *ret);
/* cgroup.events -> populated (0/1) and frozen (0/1, -1 if the line is missing). */
int cgroupfs_events_parse(const char *text, int *ret_populated, int *ret_frozen);
/*
 * The number of CPUs in a cpu list ("0-3,8,10-11\n" -> 7), as cpuset.cpus.effective and
 * /sys/devices/system/cpu/online write it. -EINVAL for malformed text; 0 for an empty list.
 */
int cgroupfs_cpulist_count(const char *text);

#endif
