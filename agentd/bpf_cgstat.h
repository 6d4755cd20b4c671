/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loader and reader of bpf/cgstat.bpf.c: exact CPU, memory and throttling of every cgroup
 * below a root, collected in one cgroup-iterator walk and read back in batches.
 *
 *	bpf_cgstat_open(root_fd)     open -> size the map, set rodata -> load -> attach the
 *	                             iterator to root_fd (DESCENDANTS_PRE)
 *	bpf_cgstat_collect()         walk (one read() of a fresh iterator fd), then read the map
 *	                             with bpf_map_lookup_batch into a table sorted by cgroup id;
 *	                             records of cgroups that are gone are deleted from the map
 *	bpf_cgstat_find(id)          a record of the last collect (binary search)
 */
#ifndef DROVER_AGENT_BPF_CGSTAT_H
#define DROVER_AGENT_BPF_CGSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/cgstat.h"

struct bpf_cgstat;

struct bpf_cgstat_rec {
	uint64_t id;
	struct cgstat s;
};

/* Timings of the last collect, for the benchmark and the log. */
struct bpf_cgstat_timing {
	uint64_t walk_ns, read_ns;
	uint64_t visited, dropped;
};

int bpf_cgstat_open(int root_fd, unsigned max_cgroups, struct bpf_cgstat **ret, char *err,
		    size_t errlen);
/* Number of records, or -errno. */
int bpf_cgstat_collect(struct bpf_cgstat *c);
const struct bpf_cgstat_rec *bpf_cgstat_find(const struct bpf_cgstat *c, uint64_t id);
/* The records of the last collect, sorted by id. */
const struct bpf_cgstat_rec *bpf_cgstat_records(const struct bpf_cgstat *c, size_t *ret_n);
void bpf_cgstat_timing(const struct bpf_cgstat *c, struct bpf_cgstat_timing *ret);
int bpf_cgstat_prog_fd(const struct bpf_cgstat *c);
/* Pin as <dir>/cgstat_walk (the program) and <dir>/cgstats (the map). */
int bpf_cgstat_pin(struct bpf_cgstat *c, const char *dir);
void bpf_cgstat_unpin(const char *dir);
void bpf_cgstat_close(struct bpf_cgstat *c);

/*
 * cpu.stat's user/system split from the raw tick-sampled utime/stime: cpu_ns scaled by
 * utime/(utime+stime), as the kernel's cputime_adjust() does (without its monotonic clamp).
 */
void bpf_cgstat_split(const struct cgstat *s, uint64_t *ret_user_ns, uint64_t *ret_system_ns);

#endif
