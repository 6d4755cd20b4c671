// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Empty programs of the hot programs' types, for drover-bpfbench events only: what it costs
 * to run any program at that hook here (the dispatch, and under BPF_ENABLE_STATS the two
 * clock reads of the accounting), the floor beside which the real programs' figures are read.
 * The cgroup ones are attached by the bench to its scratch cgroup (no auto-attach).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sched_switch")
int BPF_PROG(floor_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(floor_wakeup, struct task_struct *p)
{
	return 0;
}

/* one clock read more than the empty program: what bpf_ktime_get_ns() costs here */
__u64 floor_sink = 0;

SEC("tp_btf/sched_switch")
int BPF_PROG(floor_switch_clock, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	floor_sink += bpf_ktime_get_ns();
	return 0;
}

SEC("cgroup/bind4")
int floor_bind4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/dev")
int floor_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	return 1;
}
