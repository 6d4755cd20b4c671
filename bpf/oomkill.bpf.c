// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* One ring-buffer event per OOM kill: victim, its cgroup, the memcg and its size. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "oomkill.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 page_size = 4096;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} oom_events SEC(".maps");

SEC("kprobe/oom_kill_process")
int BPF_KPROBE(oom_kill_process, struct oom_control *oc, const char *message)
{
	struct task_struct *victim = BPF_CORE_READ(oc, chosen);
	struct mem_cgroup *memcg = BPF_CORE_READ(oc, memcg);
	struct oom_event *e;
	__u64 max;

	if (!victim)
		return 0;
	e = bpf_ringbuf_reserve(&oom_events, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = BPF_CORE_READ(victim, tgid);
	e->tid = BPF_CORE_READ(victim, pid);
	BPF_CORE_READ_STR_INTO(&e->comm, victim, comm);
	e->victim_cgid = BPF_CORE_READ(victim, cgroups, dfl_cgrp, kn, id);
	e->totalpages = BPF_CORE_READ(oc, totalpages);
	if (memcg) {
		e->memcg_cgid = BPF_CORE_READ(memcg, css.cgroup, kn, id);
		e->memcg_usage = BPF_CORE_READ(memcg, memory.usage.counter) * page_size;
		max = BPF_CORE_READ(memcg, memory.max);
		e->memcg_limit = max < (~0ULL) / page_size ? max * page_size : ~0ULL;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}
