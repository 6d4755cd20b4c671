/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Isolators: one ops table per isolation mechanism, after Mesos's isolator interface.
 * cpu, memory and pids live here (isolator_<name>.c); the eBPF device and port isolators
 * plug into the same table (add them to agent_isolators[] in isolator.c). A new mechanism is
 * a new file.
 *
 * The life of a task, as the agent drives it:
 *
 *	agent_cgroup_task_create()       the leaf
 *	agent_isolators_prepare()        validate the limits and write them into the leaf,
 *	                                 before any process exists (clone3 puts the task
 *	                                 straight into a limited cgroup)
 *	agent_task_launch()              (supervisor.h)
 *	agent_isolators_usage()          every sample and at the end
 *	agent_isolators_cleanup()        before the leaf is removed
 *	agent_isolators_recover()        after an agent restart, for each surviving leaf
 *
 * Enforcement modes. strict: a limit that cannot be written fails the launch with a reason,
 * never a task running unlimited. best-effort: a limit whose controller is missing is
 * skipped and reported in struct agent_isolation; a write that fails on a controller that
 * is there still fails the launch (that is a real error, not a missing feature). The
 * agent-wide default pids.max is best-effort in both modes (strict start-up needs only cpu
 * and memory); an explicit per-task pids limit is enforced like the others.
 *
 * The mapping (all written with checked writes):
 *	cpu.weight      = 100 per cpu of the task's cpus resource, clamped to [1, 10000]
 *	cpu.max         = "<cpus_limit * 100000> 100000" when a CPU limit applies, else "max 100000"
 *	memory.max      = the mem limit, else the mem resource (Mesos: mem is a hard limit)
 *	memory.high     = memory.max - memory.max / 16 (page-aligned): reclaim and throttling
 *	                  start 1/16 below the hard limit, so page cache is pushed out before
 *	                  the OOM killer acts; anonymous memory that outgrows memory.max is
 *	                  still OOM-killed (memory.events oom_kill), which is what the status
 *	                  reports
 *	memory.swap.max = 0 (no swap; skipped with a note when swap is not accounted)
 *	pids.max        = the task's pids limit, else the agent's --pids-max
 */
#ifndef DROVER_AGENT_ISOLATOR_H
#define DROVER_AGENT_ISOLATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

#define AGENT_CPU_PERIOD_US 100000ULL
#define AGENT_CPU_QUOTA_MIN_US 1000ULL /* the kernel's floor for cpu.max quota */
#define AGENT_CPUS_MAX 100000.0        /* beyond that a value is absurd, not big */
#define AGENT_MEM_MIN_BYTES (4ULL << 20)
#define AGENT_MEM_UNLIMITED UINT64_MAX

/* What the task asked for (TaskInfo.resources and TaskInfo.limits), in plain units. */
struct agent_task_limits {
	double cpus;              /* resources cpus: cpu.weight; 0: leave the default (100) */
	double cpus_limit;        /* limits cpus: cpu.max quota; 0: none; INFINITY: none */
	uint64_t mem_bytes;       /* resources mem; 0: no memory limit at all */
	uint64_t mem_limit_bytes; /* limits mem; 0: mem_bytes is the limit; AGENT_MEM_UNLIMITED */
	uint64_t pids_max;        /* 0: the agent's default (--pids-max) */
};

/* The agent-wide settings every isolator sees. */
struct agent_isolator_ctx {
	bool strict;               /* --enforce strict */
	unsigned available;        /* AGENT_CTRL_BIT()s usable in the leaves (report.available) */
	uint64_t pids_max_default; /* --pids-max */
};

/* What prepare did, for GET_CONTAINERS, REGISTER and the log. */
struct agent_isolation {
	unsigned applied; /* AGENT_CTRL_BIT()s whose limits were written */
	unsigned skipped; /* ... whose limits were skipped (best-effort, controller missing) */
	char note[512];   /* "cpu limits not enforced (controller missing); ..." or "" */
};

/* Usage of one task's cgroup. `valid` says which groups of fields were read. */
#define AGENT_USAGE_CPU (1u << 0)
#define AGENT_USAGE_CPU_THROTTLE (1u << 1)
#define AGENT_USAGE_MEM (1u << 2)
#define AGENT_USAGE_MEM_PEAK (1u << 3)
#define AGENT_USAGE_MEM_EVENTS (1u << 4)
#define AGENT_USAGE_PIDS (1u << 5)

struct agent_task_usage {
	unsigned valid;
	uint64_t cpu_usage_usec, cpu_user_usec, cpu_system_usec;      /* cpu.stat (always there) */
	uint64_t cpu_nr_periods, cpu_nr_throttled, cpu_throttled_usec; /* cpu.stat (cpu controller) */
	uint64_t mem_current, mem_peak;                                /* bytes */
	uint64_t mem_max_limit;                                        /* memory.max (UINT64_MAX: max) */
	uint64_t mem_events_high, mem_events_max, mem_events_oom, mem_events_oom_kill;
	uint64_t pids_current;
};

/* An isolator's return from prepare when it skipped its work (best-effort). */
#define AGENT_ISOLATOR_SKIPPED 1

struct agent_isolator_ops {
	const char *name;
	enum agent_ctrl ctrl; /* the controller it needs (for reports) */
	/* Validate limits and write them into the leaf. 0, AGENT_ISOLATOR_SKIPPED or -errno+err. */
	int (*prepare)(const struct agent_isolator_ctx *ctx, int leaf_fd,
		       const struct agent_task_limits *lim, char *err, size_t errlen);
	/* Add what it measures to *u. Missing files are not an error. May be NULL. */
	int (*usage)(const struct agent_isolator_ctx *ctx, int leaf_fd, struct agent_task_usage *u);
	/* Before the leaf is removed. May be NULL. */
	int (*cleanup)(const struct agent_isolator_ctx *ctx, int leaf_fd);
	/* After an agent restart, for a leaf that survived. May be NULL. */
	int (*recover)(const struct agent_isolator_ctx *ctx, int leaf_fd,
		       const struct agent_task_limits *lim);
};

extern const struct agent_isolator_ops agent_isolator_cpu;
extern const struct agent_isolator_ops agent_isolator_memory;
extern const struct agent_isolator_ops agent_isolator_pids;

/* ---- running all of them ---- */

/*
 * prepare every isolator; on the first failure clean up the ones already prepared and
 * return its -errno with err saying which limit and why. ret (may be NULL) gets what was
 * applied and skipped.
 */
int agent_isolators_prepare(const struct agent_isolator_ctx *ctx, int leaf_fd,
			    const struct agent_task_limits *lim, struct agent_isolation *ret,
			    char *err, size_t errlen);
/* Fill *ret (zeroed first) from every isolator but those of the controllers in skip
 * (AGENT_CTRL_BIT()s: what the caller has from elsewhere, e.g. the last BPF sample). */
int agent_isolators_usage(const struct agent_isolator_ctx *ctx, int leaf_fd, unsigned skip,
			  struct agent_task_usage *ret);
void agent_isolators_cleanup(const struct agent_isolator_ctx *ctx, int leaf_fd);
int agent_isolators_recover(const struct agent_isolator_ctx *ctx, int leaf_fd,
			    const struct agent_task_limits *lim);

/*
 * The aggregate on the tasks/ cgroup: cpu.max for cpus (0: none) and memory.max for
 * mem_bytes (0: none), the agent's total resources, so that tasks together (limits above
 * their resources included) never take more than the agent offers. A missing controller is
 * said in note (best-effort in both modes: the leaves carry the per-task limits); a failed
 * write on a controller that is there is -errno.
 */
int agent_isolators_aggregate(const struct agent_isolator_ctx *ctx, int tasks_fd, double cpus,
			      uint64_t mem_bytes, char *note, size_t notelen);

/* ---- pure computations and parsers (unit-tested with strings) ---- */

/* 100 per cpu, rounded, clamped to [1, 10000]; 100 for cpus <= 0. */
uint64_t agent_cpu_weight(double cpus);
/* cpu.max text: "<quota> 100000", or "max 100000" when cpus_limit is 0 or infinite. */
int agent_cpu_max_format(double cpus_limit, char *buf, size_t len);
/* memory.max and memory.high in bytes (UINT64_MAX: "max"). -EINVAL for absurd values. */
int agent_memory_limits(const struct agent_task_limits *lim, uint64_t *ret_max,
			uint64_t *ret_high);
/* Validation before prepare: a message naming the field. */
int agent_task_limits_check(const struct agent_task_limits *lim, char *err, size_t errlen);
/* cpu.stat -> usage/user/system (+ periods/throttled when present). */
int agent_cpu_stat_parse(const char *text, struct agent_task_usage *u);
/* memory.events -> high/max/oom/oom_kill. */
int agent_memory_events_parse(const char *text, struct agent_task_usage *u);
/* A single-value file ("123\n" or "max\n" -> UINT64_MAX). */
int agent_u64_parse(const char *text, uint64_t *ret);
/* "max" for UINT64_MAX, else the decimal number. */
void agent_u64_format(uint64_t v, char *buf, size_t len);

#endif
