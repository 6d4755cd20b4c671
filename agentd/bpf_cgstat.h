/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loader and reader of bpf/cgstat.bpf.c: exact CPU, memory and throttling of every cgroup
 * below a root, collected in one cgroup-iterator walk into an mmapable array and read where
 * they lie, with no system call.
 *
 *	bpf_cgstat_open(root_fd)     open -> size the array, set rodata -> load -> mmap the
 *	                             array read-only -> attach the iterator to root_fd
 *	                             (DESCENDANTS_PRE)
 *	bpf_cgstat_collect()         walk (one read() of a fresh iterator fd): the program fills
 *	                             slots 0 .. n-1 in walk order; then an id -> slot index is
 *	                             rebuilt (open addressing, O(n))
 *	bpf_cgstat_find(id)          a record of the last collect
 *
 * Records point into the mapping: valid until the next collect, which rewrites them.
 */
#ifndef DROVER_AGENT_BPF_CGSTAT_H
#define DROVER_AGENT_BPF_CGSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/cgstat.h"

struct bpf_cgstat;

/* Timings of the last collect, for the benchmark and the log. */
struct bpf_cgstat_timing {
	uint64_t walk_ns, read_ns; /* read_ns: rebuilding the index */
	uint64_t visited, dropped;
};

int bpf_cgstat_open(int root_fd, unsigned max_cgroups, struct bpf_cgstat **ret, char *err,
		    size_t errlen);
/* Number of records, or -errno. */
int bpf_cgstat_collect(struct bpf_cgstat *c);
const struct cgstat_rec *bpf_cgstat_find(const struct bpf_cgstat *c, uint64_t id);
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
