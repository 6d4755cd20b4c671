/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's eBPF side: loads the programs of bpf/ (one loader each, bpf_<feat>.c), attaches
 * the enforcement programs once at <cgroup-root>/tasks, keeps per-task allowlists and
 * histograms keyed by the task leaf's cgroup id, samples usage on a timer, turns OOM events
 * into terminal messages, and pins everything for `drover` and bpftool.
 *
 * Pinned under --bpf-pin-dir (default /sys/fs/bpf/drover; bpffs is mounted at /sys/fs/bpf
 * when nothing is, as bpftool does), replaced at every start, removed at exit (but the
 * enforcement's links and maps, below):
 *
 *	cgstat_walk       iter.s/cgroup program      cgstats       mmapable array  slot -> struct cgstat_rec
 *	runq_switch       tp_btf/sched_switch         runq_hists    mmapable array, open addressing by cgid
 *	                                                            -> struct runq_hist
 *	                  (program runq_switch_cg where the kernel has cgroup storage: its runq_tracked
 *	                   marks and the per-thread runq_seen array are not pinned)
 *	runq_wakeup       tp_btf/sched_wakeup         (only where the scheduler's stamps are missing)
 *	runq_wakeup_new   tp_btf/sched_wakeup_new
 *	bind4, bind6      cgroup/bind4, cgroup/bind6  port_owner    mmapable array  port -> holder cgid
 *	                                                            (0: unmanaged, ~0: free)
 *	                                              port_denied   hash  cgid -> denied binds
 *	dev               cgroup/dev                  dev_allow     hash  {cgid, type, major, minor} -> rwm mask
 *	                                              dev_denied    hash  cgid -> denied accesses
 *	oom_kill_process  kprobe/oom_kill_process     oom_events    ringbuf of struct oom_event
 *	 or mark_victim   raw_tp/mark_victim (when the kprobe cannot attach, or --bpf-oom)
 *
 * (cgid = the task leaf's cgroup id = its directory's inode number; layouts in bpf/<feat>.h.)
 * The attachments are bpf_links. The OOM and sampling ones end when the agent exits; the
 * enforcement ones are pinned too (link_bind4, link_bind6, link_dev) and, with their maps
 * (port_owner, port_denied, dev_allow, dev_denied), stay after the agent exits or is
 * killed, since its tasks go on running: the next agent takes over the maps (same shape)
 * and gives the links its programs (BPF_LINK_UPDATE), so enforcement never lapses. Without
 * a pin dir the links end with the agent.
 *
 * Each part is optional: what fails to load is reported (log, REGISTER `enforcement.bpf`) and
 * the agent falls back to reading cgroupfs for usage. --bpf off loads nothing.
 */
#ifndef DROVER_AGENT_BPF_AGENT_H
#define DROVER_AGENT_BPF_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "loop.h"
#include "resources.h"

struct agent_bpf;

struct agent_bpf_config {
	bool enabled;           /* --bpf auto */
	const char *pin_dir;    /* "" or NULL: no pinning */
	bool stats;             /* --bpf-stats: BPF_ENABLE_STATS while the agent runs */
	int tasks_fd;           /* <cgroup-root>/tasks */
	const struct alloc_res *total; /* the agent's resources: its `ports` ranges are managed */
	struct loop *loop;
	int64_t sample_ns;      /* --sample-interval */
	int oom_mode;           /* --bpf-oom: enum bpf_oom_mode */
	const char *devices_allow; /* --task-devices: what a drover.devices label may ask for */
};

/*
 * Never fails for a missing kernel feature (that is reported); -ENOMEM, or -EINVAL for a
 * bad devices_allow.
 */
int agent_bpf_init(const struct agent_bpf_config *cfg, struct agent_bpf **ret);
void agent_bpf_fini(struct agent_bpf *b);

/* enforcement.bpf for REGISTER and GET_STATE. */
json_t *agent_bpf_enforcement_json(const struct agent_bpf *b);

/*
 * A task leaf exists and nothing runs in it yet: allow its ports (TaskInfo resources `ports`)
 * and devices (TaskInfo label "drover.devices": "c 10:200 rwm; b 8:0 r", each rule within
 * the agent's --task-devices, else -EPERM: a framework cannot widen its allowlist), start its
 * run-queue histogram. Also called for re-attached tasks after a restart. -errno + err.
 */
int agent_bpf_task_start(struct agent_bpf *b, int cgroup_fd, const struct alloc_res *res,
			 json_t *task_info, char *err, size_t errlen);
/* The leaf is about to go: drop its entries. */
void agent_bpf_task_stop(struct agent_bpf *b, int cgroup_fd, const struct alloc_res *res);

/* Add the BPF fields of the last sample to a container's `usage` object. */
void agent_bpf_usage_json(struct agent_bpf *b, int cgroup_fd, json_t *usage);
/* Prometheus lines for one task (labels as given). */
void agent_bpf_metrics(struct agent_bpf *b, int cgroup_fd, const char *labels, FILE *f);
/*
 * The task ended: sample its cgroup once more and add the exact figures to the terminal
 * `accounting` object; oom_msg gets "OOM killed: pid … (comm) at … MiB, limit … MiB" when an
 * OOM kill hit the task, else "".
 */
void agent_bpf_task_finish(struct agent_bpf *b, int cgroup_fd, json_t *acct, char *oom_msg,
			   size_t len);

#endif
