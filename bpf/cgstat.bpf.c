// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Exact per-cgroup CPU, memory and throttling in one sleepable cgroup-iterator walk.
 *
 * CPU is the kernel's own basis: after an rstat flush, cgrp->bstat.cputime.sum_exec_runtime
 * is what cpu.stat prints as usage_usec (in ns). Memory is read from the cgroup's mem_cgroup
 * (CO-RE, the subsystem index from the running kernel's enum, never hard-coded), throttling
 * from its task_group's cfs_bandwidth. Layout and contract: cgstat.h.
 *
 * The rstat flush kfunc was renamed in 6.16 (cgroup_rstat_flush(cgrp) ->
 * css_rstat_flush(&cgrp->self)). Both are weak; the loader probes kernel BTF and sets
 * use_css_rstat_flush, so the verifier drops the call that does not exist.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cgstat.h"

char LICENSE[] SEC("license") = "GPL"; /* the rstat kfuncs are GPL-only */

const volatile bool use_css_rstat_flush = false;
const volatile __u64 page_size = 4096;

/* Cgroups visited and records that did not fit into the array, in the last walk (the loader
 * zeroes both before each walk). */
__u64 walk_visited = 0;
__u64 walk_dropped = 0;

extern void cgroup_rstat_flush(struct cgroup *cgrp) __ksym __weak;
extern void css_rstat_flush(struct cgroup_subsys_state *css) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, CGSTAT_DEFAULT_MAX_CGROUPS); /* the loader sizes it */
	__type(key, __u32);
	__type(value, struct cgstat_rec);
} cgstats SEC(".maps");

/* The css of subsystem `id` for this cgroup, or NULL when the controller is not enabled. */
static __always_inline struct cgroup_subsys_state *subsys_css(struct cgroup *cgrp, int id)
{
	struct cgroup_subsys_state *css = NULL;

	if (id < 0)
		return NULL;
	bpf_core_read(&css, sizeof(css), &cgrp->subsys[id]);
	return css;
}

/* Memory and throttling come from other structures than the walked cgroup, through probe
 * reads (a css cannot be turned into its mem_cgroup/task_group by a BTF load on 6.1). They
 * cost only where the controller is enabled; fields stay 0 elsewhere. */
static __always_inline void read_memory(struct cgroup *cgrp, struct cgstat *s)
{
	struct cgroup_subsys_state *css;
	struct mem_cgroup *memcg;
	int id = -1, ev;

	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	css = subsys_css(cgrp, id);
	if (!css)
		return;
	memcg = (struct mem_cgroup *)css; /* css is mem_cgroup's first member */
	s->mem_current = BPF_CORE_READ(memcg, memory.usage.counter) * page_size;
	s->mem_peak = BPF_CORE_READ(memcg, memory.watermark) * page_size;
	s->mem_max = BPF_CORE_READ(memcg, memory.max);
	if (s->mem_max < (~0ULL) / page_size)
		s->mem_max *= page_size;
	else
		s->mem_max = ~0ULL;
	if (bpf_core_enum_value_exists(enum memcg_memory_event, MEMCG_OOM_KILL)) {
		ev = bpf_core_enum_value(enum memcg_memory_event, MEMCG_OOM_KILL);
		bpf_core_read(&s->oom_kill, sizeof(s->oom_kill), &memcg->memory_events[ev]);
	}
	if (bpf_core_enum_value_exists(enum memcg_memory_event, MEMCG_OOM)) {
		ev = bpf_core_enum_value(enum memcg_memory_event, MEMCG_OOM);
		bpf_core_read(&s->oom, sizeof(s->oom), &memcg->memory_events[ev]);
	}
	s->flags |= CGSTAT_F_MEM;
}

static __always_inline void read_throttling(struct cgroup *cgrp, struct cgstat *s)
{
	struct cgroup_subsys_state *css;
	struct task_group *tg;
	int id = -1;

	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id))
		id = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
	css = subsys_css(cgrp, id);
	if (!css)
		return;
	tg = (struct task_group *)css; /* css is task_group's first member */
	s->nr_periods = BPF_CORE_READ(tg, cfs_bandwidth.nr_periods);
	s->nr_throttled = BPF_CORE_READ(tg, cfs_bandwidth.nr_throttled);
	s->throttled_ns = BPF_CORE_READ(tg, cfs_bandwidth.throttled_time);
	s->flags |= CGSTAT_F_CPU_CTRL;
}

SEC("iter.s/cgroup")
int cgstat_walk(struct bpf_iter__cgroup *ctx)
{
	struct cgroup *cgrp = ctx->cgroup;
	struct cgstat_rec *rec;
	__u32 slot;

	if (!cgrp)
		return 0; /* the end of the walk */
	/* pre-order: the first cgroup is the walk's root; one flush covers its subtree */
	if (ctx->meta->seq_num == 0) {
		if (use_css_rstat_flush)
			css_rstat_flush(&cgrp->self);
		else
			cgroup_rstat_flush(cgrp);
	}
	slot = (__u32)ctx->meta->seq_num;
	rec = bpf_map_lookup_elem(&cgstats, &slot); /* an array: inlined, no helper call */
	if (!rec) {
		walk_dropped++;
		return 0;
	}
	/* the walked cgroup is a trusted BTF pointer: plain (CO-RE relocated) loads */
	rec->id = cgrp->kn->id;
	rec->s.cpu_ns = cgrp->bstat.cputime.sum_exec_runtime;
	rec->s.user_raw_ns = cgrp->bstat.cputime.utime;
	rec->s.system_raw_ns = cgrp->bstat.cputime.stime;
	rec->s.level = cgrp->level;
	rec->s.flags = 0;
	rec->s.mem_current = rec->s.mem_peak = rec->s.mem_max = 0;
	rec->s.oom = rec->s.oom_kill = 0;
	rec->s.nr_periods = rec->s.nr_throttled = rec->s.throttled_ns = 0;
	read_memory(cgrp, &rec->s);
	read_throttling(cgrp, &rec->s);
	walk_visited++;
	return 0;
}
