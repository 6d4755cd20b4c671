// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Run-queue latency per cgroup: the time a thread waits runnable before it runs, as a
 * log2 histogram keyed by the cgroup id of the thread that waited (the woken one, not
 * whichever task happened to be current when it was woken).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "runqlat.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_RUNNING 0

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} runq_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RUNQ_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct runq_hist);
} runq_hists SEC(".maps");

static __always_inline void mark_enqueued(struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, pid);
	__u64 now;

	if (!pid)
		return;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&runq_start, &pid, &now, BPF_ANY);
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	#pragma unroll
	for (int i = 5; i >= 0; i--) {
		__u32 shift = 1u << i;
		if (v >> shift) {
			v >>= shift;
			r += shift;
		}
	}
	return r;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(runq_wakeup, struct task_struct *p)
{
	mark_enqueued(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(runq_wakeup_new, struct task_struct *p)
{
	mark_enqueued(p);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(runq_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	static const struct runq_hist zero;
	struct runq_hist *h;
	__u64 *tsp, delta, cgid;
	__u32 pid, slot;

	/* a preempted task goes straight back on the run queue */
	if (BPF_CORE_READ(prev, __state) == TASK_RUNNING)
		mark_enqueued(prev);

	pid = BPF_CORE_READ(next, pid);
	tsp = bpf_map_lookup_elem(&runq_start, &pid);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&runq_start, &pid);

	cgid = BPF_CORE_READ(next, cgroups, dfl_cgrp, kn, id);
	h = bpf_map_lookup_elem(&runq_hists, &cgid);
	if (!h) {
		bpf_map_update_elem(&runq_hists, &cgid, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&runq_hists, &cgid);
		if (!h)
			return 0;
	}
	slot = log2_u64(delta / 1000);
	if (slot >= RUNQ_SLOTS)
		slot = RUNQ_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->total_ns, delta);
	if (delta > h->max_ns)
		h->max_ns = delta; /* racy by design: a max that can lag one event */
	return 0;
}
