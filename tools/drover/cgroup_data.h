/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-local view of the agent's cgroup slice: the cgroupfs leaves
 * <root>/tasks/<framework>/<task>, joined with the agent's GET_CONTAINERS and with the
 * run-queue histograms of the pinned runq_hists map. `cgroup tree|show|top` read only this.
 */
#ifndef DROVER_CLI_CGROUP_DATA_H
#define DROVER_CLI_CGROUP_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

struct cg_ctx {
	char *mount;	     /* the cgroup2 mount point */
	char root[256];	     /* the agent's slice, relative to the mount */
	int root_fd;	     /* O_DIRECTORY fd of <mount>/<root>, -1 when it does not exist */
	int runq_fd;	     /* the pinned runq_hists map, or -1 */
	json_t *containers;  /* the agent's GET_CONTAINERS list, or NULL (agent down) */
	const char *root_from; /* where root came from: "option", "agent", "default" */
};

/* Find the mount and the root; ask the agent (quietly). 0 or -errno (message printed). */
int cg_ctx_open(struct cg_ctx *ctx, bool want_agent);
void cg_ctx_close(struct cg_ctx *ctx);
/* Ask the agent again (for `top`). */
void cg_ctx_refresh(struct cg_ctx *ctx);

/*
 * One row per task: every field of the agent's container for it (whatever they are), plus
 * "path" (relative to the mount), "cgroup_id", "procs", "cgroup" (the cgroupfs files read:
 * cpu.stat, memory.*, pids.*, cpu.max, as numbers or flat objects), "rss_bytes" (sum over
 * its processes, for hosts without the memory controller) and "runq" (from the pinned
 * histogram map: count, avg_ns, max_ns, p50_ns, p99_ns) when there is one. Tasks the agent
 * lists without a leaf appear too ("path" absent).
 */
json_t *cg_rows(struct cg_ctx *ctx);
/* A row for any cgroup directory (absolute, relative to the mount or to the slice), or NULL. */
json_t *cg_path_row(struct cg_ctx *ctx, const char *arg);
/* The slice as a tree: {name, path, procs, children: [...], task: {task_id, state, pid}}. */
json_t *cg_tree(struct cg_ctx *ctx);

/* Numbers a row may or may not have; -1 when it does not. */
int64_t cg_row_cpu_ns(json_t *row);
int64_t cg_row_mem_bytes(json_t *row, const char **ret_src);
int64_t cg_row_runq_p99_ns(json_t *row);

#endif
