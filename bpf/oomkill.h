/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * OOM kills as ring-buffer events: layouts shared by oomkill.bpf.c and its loader
 * (agentd/bpf_oomkill.c). One event per kill, before the victim is signalled, from one of
 * two programs (the loader attaches one):
 *
 *   kprobe/oom_kill_process   the OOM killer's own oom_control: the victim and the memcg
 *                             whose limit was hit (as bcc's oomkill). Needs the function
 *                             not to be inlined.
 *   raw_tp/mark_victim        the oom:mark_victim tracepoint, attached by name (no tracefs
 *                             needed). Its arguments changed within 6.1 point releases
 *                             (int pid -> struct task_struct *, uid_t); the loader reads the
 *                             running kernel's BTF and says which. With the task: everything
 *                             but the memcg that was hit, for which the nearest memcg of the
 *                             victim with a limit stands in (OOM_F_MEMCG_GUESS). With only
 *                             the pid: OOM_F_PID_ONLY, the loader completes comm and cgroup
 *                             from /proc/<pid> (the victim is signalled, not yet reaped).
 */
#ifndef DROVER_BPF_OOMKILL_H
#define DROVER_BPF_OOMKILL_H

#define OOM_COMM_LEN 16

/* struct oom_event.flags */
#define OOM_F_TRACEPOINT 0x1  /* from raw_tp/mark_victim */
#define OOM_F_MEMCG_GUESS 0x2 /* memcg_*: the victim's nearest limited memcg, not oc->memcg */
#define OOM_F_PID_ONLY 0x4    /* only pid is from the kernel */

struct oom_event {
	__u64 ts_ns;           /* bpf_ktime_get_ns() */
	__u64 victim_cgid;     /* the victim's cgroup2 cgroup: the task's leaf */
	__u64 memcg_cgid;      /* the memcg whose limit was hit (0: the whole system) */
	__u64 memcg_usage;     /* bytes charged to that memcg at the kill */
	__u64 memcg_limit;     /* its memory.max in bytes (~0: none) */
	__u64 totalpages;      /* oom_control.totalpages (kprobe only) */
	__u32 pid;             /* the victim's tgid */
	__u32 tid;
	char comm[OOM_COMM_LEN];
	__u32 flags;           /* OOM_F_* */
	__u32 pad;
};

#endif
