/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loader and reader of bpf/runqlat.bpf.c: per-cgroup run-queue wait histograms (log2 us).
 * The agent runs it with track_all off: bpf_runqlat_track() creates the histogram of a task
 * cgroup, bpf_runqlat_forget() drops it; other cgroups are not counted.
 */
#ifndef DROVER_AGENT_BPF_RUNQLAT_H
#define DROVER_AGENT_BPF_RUNQLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/runqlat.h"
#include "runq.h"

struct bpf_runqlat;

/* Waits over one interval: the difference of two histograms, and what the agent reports. */
struct bpf_runq_summary {
	uint64_t count;  /* waits in the interval */
	uint64_t p50_us; /* upper bound of the bucket that holds the median */
	uint64_t p99_us;
	uint64_t max_us; /* the largest wait ever seen (the program keeps no per-interval max) */
	uint64_t total_count;
	uint64_t total_wait_ns;
};

/* track_all off: only cgroups passed to bpf_runqlat_track() are counted. */
int bpf_runqlat_open_tracked(struct bpf_runqlat **ret, char *err, size_t errlen);
/* Either mode (track_all), and with sched_info_ok false the bpf_ktime_get_ns() stamps even where the
 * scheduler's own would do (benchmarks compare the two). */
int bpf_runqlat_open_opts(bool track_all, bool sched_info_ok, struct bpf_runqlat **ret,
			  char *err, size_t errlen);
/* cgroup_fd: the cgroup whose id is cgid (its storage holds the mark the program tests). */
int bpf_runqlat_track(struct bpf_runqlat *q, int cgroup_fd, uint64_t cgid);
void bpf_runqlat_forget(struct bpf_runqlat *q, int cgroup_fd, uint64_t cgid);
/* Read from the mapped array: no system call. -ENOENT: cgid has no histogram. */
int bpf_runqlat_read(struct bpf_runqlat *q, uint64_t cgid, struct runq_hist *ret);
/* Where the wait comes from (see bpf/runqlat.bpf.c), for logs and benchmarks. */
const char *bpf_runqlat_clock(const struct bpf_runqlat *q);
/* Up to max (fd, name) pairs of its programs; returns how many. */
int bpf_runqlat_prog_fds(struct bpf_runqlat *q, int *fds, const char **names, int max);
/* runq_switch, runq_wakeup and runq_wakeup_new where loaded, runq_hists. */
int bpf_runqlat_pin(struct bpf_runqlat *q, const char *dir);
void bpf_runqlat_unpin(const char *dir);
void bpf_runqlat_close(struct bpf_runqlat *q);

/* ---- pure (unit-tested) ---- */

/* The upper bound in us of the bucket holding quantile q (0 < q <= 1) of h; 0 when empty. */
uint64_t bpf_runq_quantile_us(const struct runq_hist *h, double q);
/*
 * In a table of RUNQ_MAX_CGROUPS entries laid out as runq_hists: the entry of cgid (runqlat.h);
 * with claim, the one to take when it has none (the first forgotten entry on its probe
 * sequence, else the first never used one). NULL: none, or no room within RUNQ_PROBES.
 */
struct runq_hist *bpf_runq_entry_find(struct runq_hist *table, uint64_t cgid, bool claim);
/* now - prev, bucket by bucket (a histogram that was reset counts from zero). */
void bpf_runq_delta(const struct runq_hist *now, const struct runq_hist *prev,
		    struct runq_hist *ret);
void bpf_runq_summarize(const struct runq_hist *now, const struct runq_hist *prev,
			struct bpf_runq_summary *ret);

#endif
