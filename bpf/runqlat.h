/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Run-queue latency per cgroup: layouts shared by runqlat.bpf.c and the agent. */
#ifndef DROVER_BPF_RUNQLAT_H
#define DROVER_BPF_RUNQLAT_H

#define RUNQ_SLOTS 32 /* log2 buckets of microseconds: [2^k, 2^(k+1)) us */
#define RUNQ_MAX_CGROUPS 16384

/* Value of the per-cgroup map, keyed by the cgroup's kernfs id (__u64). */
struct runq_hist {
	__u64 slots[RUNQ_SLOTS];
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
};

#endif
