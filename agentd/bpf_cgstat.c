// SPDX-License-Identifier: Apache-2.0
/* Loader and reader of bpf/cgstat.bpf.c: see bpf_cgstat.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_cgstat.h"
#include "bpf_common.h"
#include "cgstat.skel.h"

#define BATCH 1024

struct bpf_cgstat {
	struct cgstat_bpf *skel;
	struct bpf_link *link;
	unsigned max;
	uint64_t gen;
	struct bpf_cgstat_rec *recs; /* max entries */
	size_t n;
	uint64_t *keys;              /* BATCH */
	struct cgstat *vals;         /* BATCH */
	uint64_t *stale;             /* max */
	struct bpf_cgstat_timing timing;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int bpf_cgstat_open(int root_fd, unsigned max_cgroups, struct bpf_cgstat **ret, char *err,
		    size_t errlen)
{
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo;
	struct bpf_cgstat *c;
	int r;

	if (!max_cgroups)
		max_cgroups = CGSTAT_DEFAULT_MAX_CGROUPS;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->max = max_cgroups;
	c->recs = calloc(max_cgroups, sizeof(*c->recs));
	c->stale = calloc(max_cgroups, sizeof(*c->stale));
	c->keys = calloc(BATCH, sizeof(*c->keys));
	c->vals = calloc(BATCH, sizeof(*c->vals));
	if (!c->recs || !c->stale || !c->keys || !c->vals) {
		r = -ENOMEM;
		snprintf(err, errlen, "cgstat: out of memory");
		goto out_free;
	}

	c->skel = cgstat_bpf__open();
	if (!c->skel) {
		r = bpf_common_fail(-errno, "cgstat: open", err, errlen);
		goto out_free;
	}
	r = bpf_map__set_max_entries(c->skel->maps.cgstats, max_cgroups);
	if (r) {
		r = bpf_common_fail(r, "cgstat: size the map", err, errlen);
		goto out_destroy_skel;
	}
	c->skel->rodata->use_css_rstat_flush = !bpf_kernel_has_func("cgroup_rstat_flush") &&
					      bpf_kernel_has_func("css_rstat_flush");
	c->skel->rodata->page_size = (__u64)sysconf(_SC_PAGESIZE);
	r = cgstat_bpf__load(c->skel);
	if (r) {
		r = bpf_common_fail(r, "cgstat: load", err, errlen);
		goto out_destroy_skel;
	}
	memset(&linfo, 0, sizeof(linfo));
	linfo.cgroup.cgroup_fd = (__u32)root_fd;
	linfo.cgroup.order = BPF_CGROUP_ITER_DESCENDANTS_PRE;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	c->link = bpf_program__attach_iter(c->skel->progs.cgstat_walk, &opts);
	if (!c->link) {
		r = bpf_common_fail(-errno, "cgstat: attach the cgroup iterator", err, errlen);
		goto out_destroy_skel;
	}
	*ret = c;
	return 0;

out_destroy_skel:
	cgstat_bpf__destroy(c->skel);
out_free:
	free(c->recs);
	free(c->stale);
	free(c->keys);
	free(c->vals);
	free(c);
	return r;
}

/* One walk: the program writes the map; the seq output stays empty. */
static int walk(struct bpf_cgstat *c)
{
	char buf[64];
	ssize_t n;
	int fd = bpf_iter_create(bpf_link__fd(c->link));

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n < 0 ? -errno : 0;
}

static int cmp_rec(const void *a, const void *b)
{
	uint64_t x = ((const struct bpf_cgstat_rec *)a)->id, y = ((const struct bpf_cgstat_rec *)b)->id;

	return x < y ? -1 : x > y;
}

int bpf_cgstat_collect(struct bpf_cgstat *c)
{
	int fd = bpf_map__fd(c->skel->maps.cgstats);
	size_t nstale = 0;
	uint64_t t0, t1, batch = 0;
	bool first = true;
	int r;

	c->skel->bss->walk_gen = ++c->gen;
	c->skel->bss->walk_visited = 0;
	c->skel->bss->walk_dropped = 0;
	t0 = mono_ns();
	r = walk(c);
	t1 = mono_ns();
	if (r < 0)
		return r;
	c->n = 0;
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, bopts);
		__u32 count = BATCH;

		r = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, c->keys, c->vals, &count,
					 &bopts);
		if (r < 0 && errno != ENOENT)
			return -errno;
		first = false;
		for (__u32 i = 0; i < count; i++) {
			if (c->vals[i].gen != c->gen) {
				if (nstale < c->max)
					c->stale[nstale++] = c->keys[i];
				continue;
			}
			if (c->n < c->max) {
				c->recs[c->n].id = c->keys[i];
				c->recs[c->n].s = c->vals[i];
				c->n++;
			}
		}
		if (r < 0) /* ENOENT: that was the last batch */
			break;
	}
	for (size_t i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, &c->stale[i]);
	qsort(c->recs, c->n, sizeof(*c->recs), cmp_rec);
	c->timing.walk_ns = t1 - t0;
	c->timing.read_ns = mono_ns() - t1;
	c->timing.visited = c->skel->bss->walk_visited;
	c->timing.dropped = c->skel->bss->walk_dropped;
	return (int)c->n;
}

const struct bpf_cgstat_rec *bpf_cgstat_find(const struct bpf_cgstat *c, uint64_t id)
{
	struct bpf_cgstat_rec key = {.id = id};

	if (!c || !c->n)
		return NULL;
	return bsearch(&key, c->recs, c->n, sizeof(*c->recs), cmp_rec);
}

const struct bpf_cgstat_rec *bpf_cgstat_records(const struct bpf_cgstat *c, size_t *ret_n)
{
	*ret_n = c->n;
	return c->recs;
}

void bpf_cgstat_timing(const struct bpf_cgstat *c, struct bpf_cgstat_timing *ret)
{
	*ret = c->timing;
}

int bpf_cgstat_prog_fd(const struct bpf_cgstat *c)
{
	return bpf_program__fd(c->skel->progs.cgstat_walk);
}

int bpf_cgstat_pin(struct bpf_cgstat *c, const char *dir)
{
	int r = bpf_pin_prog(dir, "cgstat_walk", c->skel->progs.cgstat_walk);

	return r < 0 ? r : bpf_pin_map(dir, "cgstats", c->skel->maps.cgstats);
}

void bpf_cgstat_unpin(const char *dir)
{
	bpf_unpin(dir, "cgstat_walk");
	bpf_unpin(dir, "cgstats");
}

void bpf_cgstat_close(struct bpf_cgstat *c)
{
	if (!c)
		return;
	bpf_link__destroy(c->link);
	cgstat_bpf__destroy(c->skel);
	free(c->recs);
	free(c->stale);
	free(c->keys);
	free(c->vals);
	free(c);
}

void bpf_cgstat_split(const struct cgstat *s, uint64_t *ret_user_ns, uint64_t *ret_system_ns)
{
	unsigned __int128 total = (unsigned __int128)s->user_raw_ns + s->system_raw_ns;
	uint64_t user;

	if (!total) {
		*ret_user_ns = s->cpu_ns; /* the kernel: no ticks seen yet, all of it is user */
		*ret_system_ns = 0;
		return;
	}
	user = (uint64_t)((unsigned __int128)s->cpu_ns * s->user_raw_ns / total);
	*ret_user_ns = user;
	*ret_system_ns = s->cpu_ns - user;
}
