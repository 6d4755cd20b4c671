/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Terminal accounting from taskstats over generic netlink (libnl-genl-3): one socket on the
 * agent's loop, registered with TASKSTATS_CMD_ATTR_REGISTER_CPUMASK for every possible CPU,
 * so the kernel sends one TASKSTATS_CMD_NEW message for every thread that exits on the host
 * (its own CPU time, delay accounting, I/O, context switches). The agent keeps the
 * messages that belong to a task it tracks and sums them; the sum goes into the terminal
 * status update (drover.accounting.taskstats).
 *
 * Which task an exited thread belongs to (the message carries pid, tgid and parent tgid,
 * no cgroup), in this order:
 *   1. its tgid is the task's main process or was in the leaf's cgroup.procs when the
 *      agent last looked (agent_taskstats_add_pids, done just before the final kill);
 *   2. its parent is the task's supervisor (orphans of the task are re-parented to it,
 *      a child subreaper) or a known process of the task;
 *   3. /proc/<tgid>/cgroup, else /proc/<parent>/cgroup names the task's leaf: a child
 *      exits while its parent lives (else it would have been re-parented, case 2).
 * Case 3 reads up to two small /proc files per unrelated exit on the host, and only while
 * the agent tracks at least one task. A process whose parent died after re-parenting to
 * init can be missed; cgroup cpu.stat (accounting.cpu_ns) stays the exact CPU total.
 *
 * Only the per-thread records (TASKSTATS_TYPE_AGGR_PID) are summed; the per-process
 * aggregate that rides along with a thread group's last thread would count twice.
 *
 * Delay accounting (cpu wait, block I/O, swap-in, reclaim, thrashing, compaction) is zero
 * unless the kernel has it on (kernel.task_delayacct=1 or the "delayacct" boot parameter);
 * agent_taskstats_delayacct() says which, and the sum's JSON leaves the delays out then.
 *
 * Needs CAP_NET_ADMIN and the initial user and pid namespaces (the kernel refuses the
 * registration otherwise); agent_taskstats_open() says why it cannot.
 */
#ifndef DROVER_AGENT_TASKSTATS_H
#define DROVER_AGENT_TASKSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

/* One exited thread, from a TASKSTATS_CMD_NEW message. */
struct agent_taskstats_rec {
	unsigned version; /* the kernel's TASKSTATS_VERSION */
	uint32_t pid, tgid, ppid;
	char comm[33];
	uint64_t utime_us, stime_us;
	uint64_t cpu_count, cpu_delay_ns;
	uint64_t blkio_count, blkio_delay_ns;
	uint64_t swapin_count, swapin_delay_ns;
	uint64_t freepages_count, freepages_delay_ns;
	uint64_t thrashing_count, thrashing_delay_ns;
	uint64_t compact_count, compact_delay_ns;
	uint64_t hiwater_rss_kb;
	uint64_t minflt, majflt;
	uint64_t read_bytes, write_bytes;
	uint64_t nvcsw, nivcsw;
};

/* The sum over a task's exited threads. */
struct agent_taskstats_sum {
	uint64_t threads;   /* exit records summed */
	uint64_t processes; /* ... of which were a process's main thread */
	uint64_t utime_us, stime_us;
	uint64_t cpu_count, cpu_delay_ns;
	uint64_t blkio_count, blkio_delay_ns;
	uint64_t swapin_count, swapin_delay_ns;
	uint64_t freepages_count, freepages_delay_ns;
	uint64_t thrashing_count, thrashing_delay_ns;
	uint64_t compact_count, compact_delay_ns;
	uint64_t hiwater_rss_kb_max;
	uint64_t minflt, majflt;
	uint64_t read_bytes, write_bytes;
	uint64_t nvcsw, nivcsw;
	bool partial; /* tracking began after the task started (agent restart) */
};

struct agent_taskstats;

/* ---- pure parts (unit-tested) ---- */

/*
 * The attributes of one TASKSTATS_CMD_NEW message (after the genl header). 0 when it holds
 * a per-thread record, -ENOENT when not (e.g. only a TGID aggregate), -EINVAL when torn.
 */
int agent_taskstats_parse(const void *attrs, size_t len, struct agent_taskstats_rec *ret);
/*
 * {"threads", "processes", "user_ns", "system_ns", "max_rss_bytes", "read_bytes", ...,
 *  "delay_accounting": "on"|why not, and when on "cpu_delay_ns", "blkio_delay_ns", ...}
 */
json_t *agent_taskstats_sum_json(const struct agent_taskstats_sum *s, bool delayacct_on,
				 const char *delayacct_why);
/*
 * Is delay accounting on? Reads <proc_root>/sys/kernel/task_delayacct; why gets the
 * reason when not ("kernel.task_delayacct is 0 (enable with sysctl ...)").
 */
bool agent_taskstats_delayacct(const char *proc_root, char *why, size_t len);

/* ---- the tracker ---- */

/* A tracker without a socket (tests feed it messages). */
int agent_taskstats_new(struct agent_taskstats **ret);
/*
 * Open the netlink socket, resolve the TASKSTATS family and register for the exits on
 * every possible CPU. err gets the reason on failure (no taskstats in the kernel, not
 * permitted, not in the initial namespaces).
 */
int agent_taskstats_open(struct agent_taskstats **ret, char *err, size_t errlen);
/* Deregister, close, free. NULL-safe. */
void agent_taskstats_free(struct agent_taskstats *ts);
/* The socket for the loop (EPOLLIN), -1 without one. */
int agent_taskstats_fd(const struct agent_taskstats *ts);
/* Tests: read <root>/<pid>/cgroup instead of /proc/<pid>/cgroup. */
int agent_taskstats_set_proc_root(struct agent_taskstats *ts, const char *root);

/*
 * Read everything queued on the socket (non-blocking) and account it. Returns the number
 * of records read, or -errno. Overruns (ENOBUFS) are counted in lost().
 */
int agent_taskstats_receive(struct agent_taskstats *ts);
/* Account a buffer of netlink messages as received from the socket. */
int agent_taskstats_feed(struct agent_taskstats *ts, const void *buf, size_t len);

/*
 * Start summing for owner: cgroup_path is the leaf as /proc/<pid>/cgroup shows it
 * ("/drover.slice/tasks/fw/task"); supervisor and task are the pids of the task's
 * supervisor and main process (0: unknown). partial: the task started before tracking.
 */
int agent_taskstats_track(struct agent_taskstats *ts, const void *owner, const char *cgroup_path,
			  pid_t supervisor, pid_t task, bool partial);
/* Processes of the task seen alive (cgroup.procs), for attribution after they exit. */
int agent_taskstats_add_pids(struct agent_taskstats *ts, const void *owner, const pid_t *pids,
			     size_t n);
/* Stop tracking owner; ret (may be NULL) gets its sum. -ENOENT when not tracked. */
int agent_taskstats_untrack(struct agent_taskstats *ts, const void *owner,
			    struct agent_taskstats_sum *ret);

#endif
