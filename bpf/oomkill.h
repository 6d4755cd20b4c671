/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * OOM kills as ring-buffer events: layouts shared by oomkill.bpf.c and its loader
 * (agentd/bpf_oomkill.c). One event per kill, from kprobe/oom_kill_process (as bcc's oomkill),
 * before the victim is signalled.
 */
#ifndef DROVER_BPF_OOMKILL_H
#define DROVER_BPF_OOMKILL_H

#define OOM_COMM_LEN 16

struct oom_event {
	__u64 ts_ns;           /* bpf_ktime_get_ns() */
	__u64 victim_cgid;     /* the victim's cgroup2 cgroup: the task's leaf */
	__u64 memcg_cgid;      /* the memcg whose limit was hit (0: the whole system) */
	__u64 memcg_usage;     /* bytes charged to that memcg at the kill */
	__u64 memcg_limit;     /* its memory.max in bytes (~0: none) */
	__u64 totalpages;      /* oom_control.totalpages: what the OOM killer measured against */
	__u32 pid;             /* the victim's tgid */
	__u32 tid;
	char comm[OOM_COMM_LEN];
};

#endif
