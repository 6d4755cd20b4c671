// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Run-queue latency per cgroup: the time a thread waits runnable before it runs, as a
 * log2 histogram keyed by the cgroup id of the thread that waited (the woken one, not
 * whichever task happened to be current when it was woken).
 *
 * Two ways to know how long `next` waited, chosen by the loader (use_sched_info):
 *
 *  - sched_info (CONFIG_SCHED_INFO, the usual case): the scheduler itself stamps
 *    next->sched_info.last_queued with its run-queue clock when the task is queued (woken,
 *    new or preempted) and turns it into run_delay right after this tracepoint. The wait is
 *    this CPU's rq->clock (updated by __schedule just before) minus that stamp, plus what
 *    run_delay gained since the task last ran (parts of a wait booked at a migration): the
 *    same figure the kernel adds to schedstat's run_delay, with no clock read and no program
 *    on the wakeup paths. Needs the fields, and cfs_rq->rq (CONFIG_FAIR_GROUP_SCHED) to
 *    reach the run queue from next.
 *  - otherwise: the wakeup programs stamp bpf_ktime_get_ns() into task-local storage (no
 *    pid-keyed hash to look up, insert and delete on every switch).
 *
 * With track_all (the default, for tests and tools) a histogram is created for every cgroup
 * that waits; the agent clears it and creates the histograms of its task cgroups itself, so
 * other cgroups on the host cost one failed lookup and no map space.
 *
 * That lookup, on every switch of every task of the host: where the kernel has cgroup local
 * storage (6.2), runq_switch_cg first tests whether next's cgroup has any local storage at
 * all (one load of cgrp->bpf_cgrp_storage: no helper call, no kernfs id, no hash), and the
 * loader gives every cgroup it tracks a mark in runq_tracked so that the pointer is set there.
 * A cgroup with storage from some other BPF user goes on to the lookup as before. Elsewhere
 * runq_switch looks every id up. The histograms stay in the hash either way: that is what the
 * agent reads in batches and `drover cgroup` reads pinned.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "runqlat.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_RUNNING 0

const volatile bool track_all = true;
const volatile bool use_sched_info = false;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} runq_start SEC(".maps");

/* sched_info way: run_delay after the task's last arrival, + 1 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} runq_delay_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RUNQ_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct runq_hist);
} runq_hists SEC(".maps");

/* 1 in the storage of every cgroup the loader tracks: its existence is the mark (runq_switch_cg
 * without track_all tests the storage pointer, never the value) */
struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} runq_tracked SEC(".maps");

static __always_inline void mark_enqueued(struct task_struct *p)
{
	__u64 *ts;

	if (!p->pid) /* the idle tasks */
		return;
	ts = bpf_task_storage_get(&runq_start, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ts)
		*ts = bpf_ktime_get_ns();
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

/*
 * The scheduler's stamp: next's wait since it was queued on this run queue. A wait that began
 * on another run queue (the task was migrated while queued) is split by the kernel: the part
 * before the move went into run_delay at the dequeue. 0: next was not queued.
 */
static __always_inline __u64 queued_here(struct task_struct *next)
{
	/* BTF pointers: plain (CO-RE relocated) loads */
	__u64 queued = next->sched_info.last_queued, now;
	struct rq *rq;

	if (!queued)
		return 0;
	/* this CPU's run queue: next's cfs_rq follows its CPU whatever its class (the per-CPU
	 * `runqueues` is not in kallsyms everywhere, so no typed ksym) */
	rq = next->se.cfs_rq ? next->se.cfs_rq->rq : NULL;
	if (!rq)
		return 0;
	now = rq->clock;
	return now > queued ? now - queued : 0;
}

/*
 * The whole wait of a tracked task from the scheduler's stamps: run_delay after this arrival
 * minus run_delay after its previous one (kept in task storage, +1 so that 0 means "not
 * seen yet"), which adds the parts the kernel booked at migrations. The first wait seen of
 * a task is the last part only.
 */
static __always_inline __u64 whole_wait(struct task_struct *next, __u64 here)
{
	__u64 after = next->sched_info.run_delay + here, *seen, d = here;

	seen = bpf_task_storage_get(&runq_delay_seen, next, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!seen)
		return here;
	if (*seen && after >= *seen - 1)
		d = after - (*seen - 1);
	*seen = after + 1;
	return d;
}

/* The ktime way: next's wait since a wakeup program (or a preemption) stamped it. */
static __always_inline __u64 stamped_wait(struct task_struct *prev, struct task_struct *next)
{
	__u64 *tsp, d;

	/* a preempted task goes straight back on the run queue */
	if (prev->__state == TASK_RUNNING)
		mark_enqueued(prev);
	if (!next->pid)
		return 0;
	tsp = bpf_task_storage_get(&runq_start, next, 0, 0);
	if (!tsp || !*tsp)
		return 0;
	d = bpf_ktime_get_ns() - *tsp;
	*tsp = 0;
	return d;
}

/*
 * The histogram of next's cgroup, created with track_all; NULL: not tracked. With cg (the
 * cgroup storage way) and without track_all, a cgroup without local storage (untracked) costs
 * the loads of next->cgroups->dfl_cgrp and of its storage pointer, and no hash lookup.
 */
static __always_inline struct runq_hist *hist_of(struct task_struct *next, bool cg)
{
	static const struct runq_hist zero;
	struct cgroup *cgrp = next->cgroups->dfl_cgrp;
	struct runq_hist *h;
	__u64 cgid;

	if (cg && !track_all && !cgrp->bpf_cgrp_storage)
		return NULL;
	/* tp_btf arguments are BTF pointers: plain (CO-RE relocated) loads, no probe_read */
	cgid = cgrp->kn->id;
	h = bpf_map_lookup_elem(&runq_hists, &cgid);
	if (h || !track_all)
		return h;
	bpf_map_update_elem(&runq_hists, &cgid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&runq_hists, &cgid);
}

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next, bool cg)
{
	struct runq_hist *h;
	__u64 delta;
	__u32 slot;

	if (use_sched_info) {
		/* cheap tests first: most switches are of tasks that did not wait (one load of
		 * next, whose lines the scheduler has just used) or that no one tracks */
		if (!next->sched_info.last_queued)
			return 0;
		h = hist_of(next, cg);
		if (!h)
			return 0;
		delta = whole_wait(next, queued_here(next));
	} else {
		delta = stamped_wait(prev, next);
		if (!delta)
			return 0;
		h = hist_of(next, cg);
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

/* The loader keeps one of the two: runq_switch_cg where cgroup local storage exists. */
SEC("tp_btf/sched_switch")
int BPF_PROG(runq_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next, false);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(runq_switch_cg, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next, true);
}
