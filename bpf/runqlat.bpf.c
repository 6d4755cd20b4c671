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
 *    this CPU's rq->clock (updated by __schedule just before) minus that stamp, plus the
 *    parts of the same wait the kernel booked into run_delay when it migrated the task while
 *    it waited: the same figure the kernel adds to schedstat's run_delay, with no clock read.
 *    Needs the fields, and cfs_rq->rq (CONFIG_FAIR_GROUP_SCHED) to reach the run queue.
 *  - otherwise: the wakeup programs stamp bpf_ktime_get_ns() into task-local storage (no
 *    pid-keyed hash to look up, insert and delete on every switch).
 *
 * The parts booked at migrations: whole_wait keeps, per tracked thread, its run_delay after
 * its last arrival in runq_seen, an array indexed by pid (an inlined lookup: task storage
 * would cost a helper call, ~100 ns more per switch on the host we measure on, and the
 * fentry/fexit programs on deactivate_task() that could catch the parts where they are booked
 * do not load there).
 *
 * Histograms live in runq_hists, an array used as an open-addressing table keyed by cgroup
 * id (runqlat.h): found with inlined array lookups, no hash lookup and no helper call, and
 * mmap-able, so the agent reads its tasks' histograms without a system call.
 *
 * With track_all (the default, for tests and tools) the program claims an entry for every
 * cgroup that waits; the agent turns it off and claims the entries of its task cgroups
 * itself, so other cgroups on the host cost a few failed probes and no map space.
 *
 * Those probes, on every switch of every task of the host: where the kernel has cgroup local
 * storage (6.2), runq_switch_cg first tests whether next's cgroup has any local storage at
 * all (one load of cgrp->bpf_cgrp_storage: no helper call), and the loader gives every cgroup
 * it tracks a mark in runq_tracked so that the pointer is set there. A cgroup with storage
 * from some other BPF user goes on to the probes as before. Elsewhere runq_switch probes for
 * every switch.
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

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RUNQ_MAX_CGROUPS);
	__type(key, __u32);
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

/*
 * Per tracked thread, at the slot of its pid (RUNQ_TASK_SLOTS; the start time tells which
 * thread holds a slot): run_delay after its last arrival, + 1 (0: not seen yet).
 */
struct runq_seen {
	__u64 start_time;
	__u64 seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RUNQ_TASK_SLOTS);
	__type(key, __u32);
	__type(value, struct runq_seen);
} runq_seen SEC(".maps");

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

/* log2(ns / 1000) without a division: log2(ns) - 9 or - 10 (1000 is 2^9.97) */
static __always_inline __u32 us_bucket(__u64 ns)
{
	__u32 j = log2_u64(ns), i;

	if (j < 10)
		return 0;
	i = j - 9;
	if (ns < (1000ULL << i))
		i--;
	return i < RUNQ_SLOTS ? i : RUNQ_SLOTS - 1;
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
 * minus run_delay after its previous one, which adds the parts the kernel booked into
 * run_delay when it migrated the task while it waited. The first wait seen of a thread is the
 * last part only, and so is every wait of a thread whose slot another tracked thread took
 * since its previous arrival (two live tracked threads whose pids are equal modulo
 * RUNQ_TASK_SLOTS take it in turns).
 */
static __always_inline __u64 whole_wait(struct task_struct *next, __u64 here)
{
	__u64 after = next->sched_info.run_delay + here, start = next->start_time, d = here;
	__u32 k = (__u32)next->pid & (RUNQ_TASK_SLOTS - 1);
	struct runq_seen *e = bpf_map_lookup_elem(&runq_seen, &k);

	if (!e)
		return here;
	if (e->start_time == start && e->seen && after >= e->seen - 1)
		d = after - (e->seen - 1);
	e->start_time = start;
	e->seen = after + 1;
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
 * The entry of cgroup id cgid (runqlat.h), claimed here with track_all; NULL: not tracked.
 * A claim races only with other CPUs claiming: the compare-and-swap decides, and the loser
 * takes the winner's entry when it is for the same cgroup.
 */
static __always_inline struct runq_hist *entry_of(__u64 cgid)
{
	struct runq_hist *h, *free = NULL;

	#pragma unroll
	for (__u32 i = 0; i < RUNQ_PROBES; i++) {
		__u32 k = runq_entry(cgid, i);

		h = bpf_map_lookup_elem(&runq_hists, &k);
		if (!h)
			return NULL;
		if (h->cgid == cgid)
			return h;
		if (!h->cgid) {
			free = h;
			break;
		}
	}
	if (!track_all || !free)
		return NULL;
	if (__sync_val_compare_and_swap(&free->cgid, 0, cgid) == 0 || free->cgid == cgid)
		return free;
	return NULL;
}

/*
 * The entry of p's cgroup. With cg (the cgroup storage way) and without track_all, a cgroup
 * without local storage (untracked) costs the loads of p->cgroups->dfl_cgrp and of its
 * storage pointer, and no probe.
 */
static __always_inline struct runq_hist *hist_of(struct task_struct *p, bool cg)
{
	/* tp_btf arguments are BTF pointers: plain (CO-RE relocated) loads, no probe_read */
	struct cgroup *cgrp = p->cgroups->dfl_cgrp;

	if (cg && !track_all && !cgrp->bpf_cgrp_storage)
		return NULL;
	return entry_of(cgrp->kn->id);
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
	slot = us_bucket(delta);
	__sync_fetch_and_add(&h->slots[slot], 1);
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
