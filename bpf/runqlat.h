/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Run-queue latency per cgroup: layouts shared by runqlat.bpf.c and its readers (the
 * user-space readers are lib/runq.h).
 */
#ifndef DROVER_BPF_RUNQLAT_H
#define DROVER_BPF_RUNQLAT_H

#define RUNQ_SLOTS 32 /* log2 buckets of microseconds: [2^k, 2^(k+1)) us */
#define RUNQ_MAX_CGROUPS 16384 /* entries of runq_hists: a power of two */
#define RUNQ_PROBES 8 /* entries tried for one cgroup id before giving up */
#define RUNQ_TOMB (~0ULL) /* cgid of an entry whose cgroup was forgotten (probing goes on) */
#define RUNQ_TASK_SLOTS 262144 /* entries of runq_seen, by pid: a power of two */

/*
 * One entry of the runq_hists array: an open-addressing table keyed by the cgroup's kernfs
 * id. A cgroup's entry is the first of runq_entry(cgid, 0 .. RUNQ_PROBES - 1) whose cgid is
 * its id; probing stops at an entry whose cgid is 0 (never used). The fields the program
 * touches at every wait come first (one cache line with the small buckets).
 */
struct runq_hist {
	__u64 cgid; /* 0: free; RUNQ_TOMB: forgotten */
	__u64 total_ns; /* the waits' sum; their number is the buckets' (lib/runq.h) */
	__u64 max_ns;
	__u64 slots[RUNQ_SLOTS];
	__u64 pad[5]; /* 320 bytes: every entry starts a cache line */
};

/* The i-th entry to try for cgroup id cgid: linear probing from the id itself (ids are
 * handed out in sequence, so live cgroups rarely share a first entry). */
static inline __u32 runq_entry(__u64 cgid, __u32 i)
{
	return (__u32)(cgid + i) & (RUNQ_MAX_CGROUPS - 1);
}

#endif
