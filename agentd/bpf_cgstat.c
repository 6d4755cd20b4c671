// SPDX-License-Identifier: Apache-2.0
/* Loader and reader of bpf/cgstat.bpf.c: see bpf_cgstat.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_cgstat.h"
#include "bpf_common.h"
#include "cgstat.skel.h"
#include "loop.h"

struct bpf_cgstat {
	struct cgstat_bpf *skel;
	struct bpf_link *link;
	unsigned max;
	const struct cgstat_rec *recs; /* the array, mapped read-only: max slots */
	size_t map_len;
	size_t n;                      /* slots written by the last walk */
	/* id -> slot + 1 (0: empty), open addressing, rebuilt after each walk */
	uint32_t *index;
	uint32_t index_mask;
	struct bpf_cgstat_timing timing;
};

static uint32_t index_hash(const struct bpf_cgstat *c, uint64_t id)
{
	return (uint32_t)((id * 0x9E3779B97F4A7C15ULL) >> 32) & c->index_mask;
}

int bpf_cgstat_open(int root_fd, unsigned max_cgroups, struct bpf_cgstat **ret, char *err,
		    size_t errlen)
{
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo;
	struct bpf_cgstat *c;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint32_t cap = 1;
	void *m;
	int r;

	if (!max_cgroups)
		max_cgroups = CGSTAT_DEFAULT_MAX_CGROUPS;
	if (max_cgroups > (1U << 24)) {
		snprintf(err, errlen, "cgstat: at most %u cgroups", 1U << 24);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->max = max_cgroups;
	while (cap < 2 * max_cgroups)
		cap <<= 1; /* load factor <= 1/2 */
	c->index_mask = cap - 1;
	c->index = calloc(cap, sizeof(*c->index));
	if (!c->index) {
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
		r = bpf_common_fail(r, "cgstat: size the array", err, errlen);
		goto out_destroy_skel;
	}
	c->skel->rodata->use_css_rstat_flush = !bpf_kernel_has_func("cgroup_rstat_flush") &&
					      bpf_kernel_has_func("css_rstat_flush");
	c->skel->rodata->page_size = (__u64)page;
	r = cgstat_bpf__load(c->skel);
	if (r) {
		r = bpf_common_fail(r, "cgstat: load", err, errlen);
		goto out_destroy_skel;
	}
	c->map_len = ((size_t)max_cgroups * sizeof(struct cgstat_rec) + page - 1) / page * page;
	m = mmap(NULL, c->map_len, PROT_READ, MAP_SHARED, bpf_map__fd(c->skel->maps.cgstats), 0);
	if (m == MAP_FAILED) {
		r = bpf_common_fail(-errno, "cgstat: map the array", err, errlen);
		goto out_destroy_skel;
	}
	c->recs = m;
	memset(&linfo, 0, sizeof(linfo));
	linfo.cgroup.cgroup_fd = (__u32)root_fd;
	linfo.cgroup.order = BPF_CGROUP_ITER_DESCENDANTS_PRE;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	c->link = bpf_program__attach_iter(c->skel->progs.cgstat_walk, &opts);
	if (!c->link) {
		r = bpf_common_fail(-errno, "cgstat: attach the cgroup iterator", err, errlen);
		goto out_unmap;
	}
	*ret = c;
	return 0;

out_unmap:
	munmap((void *)c->recs, c->map_len);
out_destroy_skel:
	cgstat_bpf__destroy(c->skel);
out_free:
	free(c->index);
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

/* Rebuild the id -> slot index over slots 0 .. n-1. */
static void index_build(struct bpf_cgstat *c)
{
	memset(c->index, 0, ((size_t)c->index_mask + 1) * sizeof(*c->index));
	for (size_t i = 0; i < c->n; i++) {
		uint32_t h = index_hash(c, c->recs[i].id);

		while (c->index[h])
			h = (h + 1) & c->index_mask;
		c->index[h] = (uint32_t)i + 1;
	}
}

int bpf_cgstat_collect(struct bpf_cgstat *c)
{
	uint64_t t0, t1;
	int r;

	c->n = 0;
	c->skel->bss->walk_visited = 0;
	c->skel->bss->walk_dropped = 0;
	t0 = (uint64_t)now_mono_ns();
	r = walk(c);
	t1 = (uint64_t)now_mono_ns();
	if (r < 0) {
		index_build(c);
		return r;
	}
	c->n = c->skel->bss->walk_visited;
	if (c->n > c->max)
		c->n = c->max;
	index_build(c);
	c->timing.walk_ns = t1 - t0;
	c->timing.read_ns = (uint64_t)now_mono_ns() - t1;
	c->timing.visited = c->skel->bss->walk_visited;
	c->timing.dropped = c->skel->bss->walk_dropped;
	return (int)c->n;
}

const struct cgstat_rec *bpf_cgstat_find(const struct bpf_cgstat *c, uint64_t id)
{
	uint32_t h, slot;

	if (!c || !c->n)
		return NULL;
	for (h = index_hash(c, id); (slot = c->index[h]); h = (h + 1) & c->index_mask)
		if (c->recs[slot - 1].id == id)
			return &c->recs[slot - 1];
	return NULL;
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
	munmap((void *)c->recs, c->map_len);
	cgstat_bpf__destroy(c->skel);
	free(c->index);
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
