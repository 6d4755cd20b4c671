/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-cgroup usage collected in one cgroup-iterator walk: layouts shared by cgstat.bpf.c and
 * its loader (agentd/bpf_cgstat.c).
 *
 * The walk (iter.s/cgroup, BPF_CGROUP_ITER_DESCENDANTS_PRE from a root the loader chooses)
 * flushes rstat once at the root, then writes one struct cgstat_rec per visited cgroup into
 * slot <ordinal in the walk> of the mmapable array `cgstats` (BPF_F_MMAPABLE), the cgroup's
 * kernfs id (== its directory's inode number) inside the record. After a walk, slots
 * 0 .. walk_visited-1 hold this walk's records, in pre-order; the loader reads them from its
 * mapping of the array with no system call. The seq output stays empty: the array has no
 * 8-page cap, so one read() walks any number of cgroups (up to the array's size; the rest are
 * counted in walk_dropped).
 */
#ifndef DROVER_BPF_CGSTAT_H
#define DROVER_BPF_CGSTAT_H

#define CGSTAT_DEFAULT_MAX_CGROUPS 16384

/* struct cgstat.flags */
#define CGSTAT_F_MEM 0x1      /* the memory controller is enabled: mem_* and oom_* are valid */
#define CGSTAT_F_CPU_CTRL 0x2 /* the cpu controller is enabled: nr_periods.. are valid */

struct cgstat {
	__u64 cpu_ns;         /* bstat.cputime.sum_exec_runtime: cpu.stat usage_usec * 1000 */
	__u64 user_raw_ns;    /* bstat.cputime.utime: tick-sampled, the split of cpu_ns */
	__u64 system_raw_ns;  /* bstat.cputime.stime */
	__u64 mem_current;    /* bytes: memory.current */
	__u64 mem_peak;       /* bytes: memory.peak (the counter's watermark) */
	__u64 mem_max;        /* bytes: memory.max (page counter max) */
	__u64 oom;            /* memory.events oom */
	__u64 oom_kill;       /* memory.events oom_kill */
	__u64 nr_periods;     /* cpu.stat nr_periods */
	__u64 nr_throttled;   /* cpu.stat nr_throttled */
	__u64 throttled_ns;   /* cpu.stat throttled_usec * 1000 */
	__u32 flags;          /* CGSTAT_F_* */
	__u32 level;          /* depth below the cgroup2 root */
};

/* One slot of `cgstats`. */
struct cgstat_rec {
	__u64 id; /* the cgroup's kernfs id */
	struct cgstat s;
};

#endif
