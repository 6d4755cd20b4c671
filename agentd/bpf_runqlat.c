// SPDX-License-Identifier: Apache-2.0
/* Loader and reader of bpf/runqlat.bpf.c: see bpf_runqlat.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_common.h"
#include "bpf_runqlat.h"
#include "runqlat.skel.h"

struct bpf_runqlat {
	struct runqlat_bpf *skel;
	bool sched_info; /* the wait from the scheduler's own stamp: no wakeup programs */
	bool cgrp_storage; /* runq_switch_cg and the runq_tracked marks, not runq_switch */
	struct runq_hist *hists; /* runq_hists, mapped: RUNQ_MAX_CGROUPS entries */
};

#define HISTS_SIZE (sizeof(struct runq_hist) * RUNQ_MAX_CGROUPS)

/* The switch program loaded: runq_switch_cg where cgroup local storage exists. */
static struct bpf_program *switch_prog(const struct bpf_runqlat *q)
{
	return q->cgrp_storage ? q->skel->progs.runq_switch_cg : q->skel->progs.runq_switch;
}

static int open_load_attach(bool track_all, bool sched_info_ok, struct bpf_runqlat **ret,
			    char *err, size_t errlen)
{
	struct bpf_runqlat *q = calloc(1, sizeof(*q));
	int r;

	if (!q)
		return -ENOMEM;
	q->skel = runqlat_bpf__open();
	if (!q->skel) {
		r = bpf_common_fail(-errno, "runqlat: open", err, errlen);
		goto out_free;
	}
	q->skel->rodata->track_all = track_all;
	q->sched_info = sched_info_ok && bpf_kernel_has_member("sched_info", "last_queued") &&
			bpf_kernel_has_member("sched_entity", "cfs_rq") &&
			bpf_kernel_has_member("cfs_rq", "rq");
	q->skel->rodata->use_sched_info = q->sched_info;
	q->cgrp_storage = libbpf_probe_bpf_map_type(bpf_map__type(q->skel->maps.runq_tracked),
						    NULL) == 1;
	bpf_program__set_autoload(q->skel->progs.runq_switch, !q->cgrp_storage);
	bpf_program__set_autoload(q->skel->progs.runq_switch_cg, q->cgrp_storage);
	bpf_map__set_autocreate(q->skel->maps.runq_tracked, q->cgrp_storage);
	if (q->sched_info) {
		bpf_program__set_autoload(q->skel->progs.runq_wakeup, false);
		bpf_program__set_autoload(q->skel->progs.runq_wakeup_new, false);
	}
	r = runqlat_bpf__load(q->skel);
	if (r) {
		r = bpf_common_fail(r, "runqlat: load", err, errlen);
		goto out_destroy_skel;
	}
	r = runqlat_bpf__attach(q->skel);
	if (r) {
		r = bpf_common_fail(r, "runqlat: attach", err, errlen);
		goto out_destroy_skel;
	}
	q->hists = mmap(NULL, HISTS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			bpf_map__fd(q->skel->maps.runq_hists), 0);
	if (q->hists == MAP_FAILED) {
		q->hists = NULL;
		r = bpf_common_fail(-errno, "runqlat: mmap of runq_hists", err, errlen);
		goto out_destroy_skel;
	}
	*ret = q;
	return 0;

out_destroy_skel:
	runqlat_bpf__destroy(q->skel);
out_free:
	free(q);
	return r;
}

int bpf_runqlat_open_tracked(struct bpf_runqlat **ret, char *err, size_t errlen)
{
	return open_load_attach(false, true, ret, err, errlen);
}

int bpf_runqlat_open_opts(bool track_all, bool sched_info_ok, struct bpf_runqlat **ret,
			  char *err, size_t errlen)
{
	return open_load_attach(track_all, sched_info_ok, ret, err, errlen);
}

struct runq_hist *bpf_runq_entry_find(struct runq_hist *table, uint64_t cgid, bool claim)
{
	struct runq_hist *tomb = NULL;

	for (__u32 i = 0; i < RUNQ_PROBES; i++) {
		struct runq_hist *h = &table[runq_entry(cgid, i)];
		uint64_t id = __atomic_load_n(&h->cgid, __ATOMIC_ACQUIRE);

		if (id == cgid)
			return h;
		if (id == RUNQ_TOMB && !tomb)
			tomb = h;
		if (!id)
			return claim ? (tomb ? tomb : h) : NULL;
	}
	return claim ? tomb : NULL;
}

int bpf_runqlat_track(struct bpf_runqlat *q, int cgroup_fd, uint64_t cgid)
{
	struct runq_hist *h;
	__u32 one = 1;

	if (!cgid || cgid == RUNQ_TOMB)
		return -EINVAL;
	h = bpf_runq_entry_find(q->hists, cgid, true);
	if (!h)
		return -ENOSPC;
	/* counts from zero, then the id: the program counts into an entry once its id is set */
	__atomic_store_n(&h->cgid, RUNQ_TOMB, __ATOMIC_RELEASE);
	memset((char *)h + sizeof(h->cgid), 0, sizeof(*h) - sizeof(h->cgid));
	__atomic_store_n(&h->cgid, cgid, __ATOMIC_RELEASE);
	/* the mark after the entry: a marked cgroup always has one (until forgotten) */
	if (q->cgrp_storage && bpf_map__update_elem(q->skel->maps.runq_tracked, &cgroup_fd,
						    sizeof(cgroup_fd), &one, sizeof(one), 0) < 0)
		return -errno;
	return 0;
}

void bpf_runqlat_forget(struct bpf_runqlat *q, int cgroup_fd, uint64_t cgid)
{
	struct runq_hist *h = bpf_runq_entry_find(q->hists, cgid, false);

	if (q->cgrp_storage)
		bpf_map__delete_elem(q->skel->maps.runq_tracked, &cgroup_fd, sizeof(cgroup_fd), 0);
	if (h)
		__atomic_store_n(&h->cgid, RUNQ_TOMB, __ATOMIC_RELEASE);
}

int bpf_runqlat_read(struct bpf_runqlat *q, uint64_t cgid, struct runq_hist *ret)
{
	const struct runq_hist *h = bpf_runq_entry_find(q->hists, cgid, false);

	if (!h)
		return -ENOENT;
	memcpy(ret, h, sizeof(*ret));
	/* forgotten or taken over while we copied */
	if (__atomic_load_n(&h->cgid, __ATOMIC_ACQUIRE) != cgid)
		return -ENOENT;
	return 0;
}

int bpf_runqlat_prog_fds(struct bpf_runqlat *q, int *fds, const char **names, int max)
{
	struct bpf_program *progs[] = {switch_prog(q), q->skel->progs.runq_wakeup,
				       q->skel->progs.runq_wakeup_new};
	int n = 0;

	for (size_t i = 0; i < (q->sched_info ? 1 : 3) && n < max; i++, n++) {
		fds[n] = bpf_program__fd(progs[i]);
		names[n] = bpf_program__name(progs[i]);
	}
	return n;
}

int bpf_runqlat_pin(struct bpf_runqlat *q, const char *dir)
{
	int r = bpf_pin_prog(dir, "runq_switch", switch_prog(q));

	if (r == 0 && !q->sched_info)
		r = bpf_pin_prog(dir, "runq_wakeup", q->skel->progs.runq_wakeup);
	if (r == 0 && !q->sched_info)
		r = bpf_pin_prog(dir, "runq_wakeup_new", q->skel->progs.runq_wakeup_new);
	if (r == 0)
		r = bpf_pin_map(dir, "runq_hists", q->skel->maps.runq_hists);
	return r;
}

void bpf_runqlat_unpin(const char *dir)
{
	bpf_unpin(dir, "runq_wakeup");
	bpf_unpin(dir, "runq_wakeup_new");
	bpf_unpin(dir, "runq_switch");
	bpf_unpin(dir, "runq_hists");
}

const char *bpf_runqlat_clock(const struct bpf_runqlat *q)
{
	return q->sched_info ? "sched_info.last_queued and rq->clock"
			     : "bpf_ktime_get_ns() stamps in task storage";
}

void bpf_runqlat_close(struct bpf_runqlat *q)
{
	if (!q)
		return;
	if (q->hists)
		munmap(q->hists, HISTS_SIZE);
	runqlat_bpf__destroy(q->skel);
	free(q);
}

uint64_t bpf_runq_quantile_us(const struct runq_hist *h, double q)
{
	uint64_t total = runq_count(h), want, seen = 0;

	if (!total)
		return 0;
	want = (uint64_t)((double)total * q + 0.999999);
	if (want < 1)
		want = 1;
	for (int i = 0; i < RUNQ_SLOTS; i++) {
		seen += h->slots[i];
		if (seen >= want)
			return 1ULL << (i + 1); /* bucket i holds [2^i, 2^(i+1)) us (0 for i == 0) */
	}
	return 1ULL << RUNQ_SLOTS;
}

void bpf_runq_delta(const struct runq_hist *now, const struct runq_hist *prev,
		    struct runq_hist *ret)
{
	bool reset = !prev || runq_count(prev) > runq_count(now);

	for (int i = 0; i < RUNQ_SLOTS; i++)
		ret->slots[i] = reset || prev->slots[i] > now->slots[i] ? now->slots[i]
									  : now->slots[i] - prev->slots[i];
	ret->total_ns = reset || prev->total_ns > now->total_ns ? now->total_ns
								 : now->total_ns - prev->total_ns;
	ret->max_ns = now->max_ns;
}

void bpf_runq_summarize(const struct runq_hist *now, const struct runq_hist *prev,
			struct bpf_runq_summary *ret)
{
	struct runq_hist d;

	bpf_runq_delta(now, prev, &d);
	ret->count = runq_count(&d);
	ret->p50_us = bpf_runq_quantile_us(&d, 0.5);
	ret->p99_us = bpf_runq_quantile_us(&d, 0.99);
	ret->max_us = now->max_ns / 1000;
	ret->total_count = runq_count(now);
	ret->total_wait_ns = now->total_ns;
}
