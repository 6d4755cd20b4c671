// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* One ring-buffer event per OOM kill: victim, its cgroup, the memcg and its size. The two
 * sources and what each knows: oomkill.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "oomkill.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 page_size = 4096;
/* raw_tp/mark_victim's first argument is a struct task_struct * (else: int pid) */
const volatile bool mark_victim_has_task = false;

/* memcg ancestors searched for a limit from the tracepoint */
#define MEMCG_MAX_DEPTH 16

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} oom_events SEC(".maps");

static __always_inline void fill_task(struct oom_event *e, struct task_struct *t)
{
	e->pid = BPF_CORE_READ(t, tgid);
	e->tid = BPF_CORE_READ(t, pid);
	BPF_CORE_READ_STR_INTO(&e->comm, t, comm);
	e->victim_cgid = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

/* memcg page counter max in bytes, ~0 for none (PAGE_COUNTER_MAX and above) */
static __always_inline __u64 limit_bytes(__u64 max_pages)
{
	return max_pages < (1ULL << 62) / page_size ? max_pages * page_size : ~0ULL;
}

static __always_inline void fill_memcg(struct oom_event *e, struct mem_cgroup *memcg)
{
	e->memcg_cgid = BPF_CORE_READ(memcg, css.cgroup, kn, id);
	e->memcg_usage = BPF_CORE_READ(memcg, memory.usage.counter) * page_size;
	e->memcg_limit = limit_bytes(BPF_CORE_READ(memcg, memory.max));
}

SEC("kprobe/oom_kill_process")
int BPF_KPROBE(oom_kill_process, struct oom_control *oc, const char *message)
{
	struct task_struct *victim = BPF_CORE_READ(oc, chosen);
	struct mem_cgroup *memcg = BPF_CORE_READ(oc, memcg);
	struct oom_event *e;

	if (!victim)
		return 0;
	e = bpf_ringbuf_reserve(&oom_events, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	fill_task(e, victim);
	e->totalpages = BPF_CORE_READ(oc, totalpages);
	if (memcg)
		fill_memcg(e, memcg);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* The nearest memcg of t (its own, then ancestors) with a limit: the one an OOM kill inside a
 * limited cgroup came from, as far as the tracepoint can tell. */
static __always_inline void guess_memcg(struct oom_event *e, struct task_struct *t)
{
	struct cgroup_subsys_state *css = NULL;
	int id;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	css = BPF_CORE_READ(t, cgroups, subsys[id]);
	for (int i = 0; i < MEMCG_MAX_DEPTH && css; i++) {
		struct mem_cgroup *memcg = (struct mem_cgroup *)css; /* css comes first */

		if (limit_bytes(BPF_CORE_READ(memcg, memory.max)) != ~0ULL) {
			fill_memcg(e, memcg);
			e->flags |= OOM_F_MEMCG_GUESS;
			return;
		}
		css = BPF_CORE_READ(css, parent);
	}
}

SEC("raw_tp/mark_victim")
int mark_victim(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *t = NULL;
	struct oom_event *e;

	e = bpf_ringbuf_reserve(&oom_events, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->flags = OOM_F_TRACEPOINT;
	if (mark_victim_has_task) {
		t = (struct task_struct *)ctx->args[0];
	} else {
		e->pid = (__u32)ctx->args[0]; /* a pid (the kernel's tid) */
		e->tid = e->pid;
		/* the allocating task is often the victim itself */
		t = bpf_get_current_task_btf();
		if (BPF_CORE_READ(t, pid) != (int)e->pid)
			t = NULL;
	}
	if (t) {
		fill_task(e, t);
		guess_memcg(e, t);
	} else {
		e->flags |= OOM_F_PID_ONLY;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}
