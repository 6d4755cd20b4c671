// SPDX-License-Identifier: Apache-2.0
/*
 * alloc/filter: refuse filters. One filter per (framework, agent) holds the declined
 * resources and an expiry; a later decline on the same pair replaces it. The filter keeps
 * the framework from being offered that agent while the offer would be within the
 * declined resources. Filters sit in a min-heap by expiry (expired at the start of each
 * cycle) and in two per-agent bitmaps (see internal.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void heap_swap(struct alloc *a, size_t i, size_t j)
{
	struct filter *t = a->heap[i];

	a->heap[i] = a->heap[j];
	a->heap[j] = t;
	a->heap[i]->heap_idx = i;
	a->heap[j]->heap_idx = j;
}

static void heap_up(struct alloc *a, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (a->heap[p]->expires <= a->heap[i]->expires)
			break;
		heap_swap(a, i, p);
		i = p;
	}
}

static void heap_down(struct alloc *a, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < a->heap_n && a->heap[l]->expires < a->heap[m]->expires)
			m = l;
		if (r < a->heap_n && a->heap[r]->expires < a->heap[m]->expires)
			m = r;
		if (m == i)
			return;
		heap_swap(a, i, m);
		i = m;
	}
}

static uint64_t res_hash(const struct alloc_res *r)
{
	uint64_t h = 1469598103934665603ULL;

#define MIX(p, len)                                                  \
	for (size_t k_ = 0; k_ < (len); k_++)                         \
		h = (h ^ ((const unsigned char *)(p))[k_]) * 1099511628211ULL
	for (size_t i = 0; i < r->n; i++) {
		const struct alloc_res_item *it = &r->items[i];

		MIX(it->name, strlen(it->name) + 1);
		MIX(&it->type, sizeof(it->type));
		MIX(&it->scalar, sizeof(it->scalar));
		if (it->type == ALLOC_RES_RANGES)
			MIX(it->ranges, it->n * sizeof(*it->ranges));
		else if (it->type == ALLOC_RES_SET)
			for (size_t k = 0; k < it->n; k++)
				MIX(it->set[k], strlen(it->set[k]) + 1);
	}
#undef MIX
	return h;
}

static struct shared_res *shared_get(struct alloc *a, const struct alloc_res *res)
{
	uint64_t h = res_hash(res);
	struct shared_res *sr = alloc_map_get_u64(&a->shared, h);

	if (sr && alloc_res_equal(&sr->res, res)) {
		sr->refs++;
		return sr;
	}
	sr = calloc(1, sizeof(*sr));
	if (!sr)
		return NULL;
	if (alloc_res_copy(&sr->res, res) < 0) {
		alloc_res_clear(&sr->res);
		free(sr);
		return NULL;
	}
	sr->hash = h;
	sr->refs = 1;
	/* on a hash collision the newcomer simply stays private */
	if (!alloc_map_get_u64(&a->shared, h) && alloc_map_put_u64(&a->shared, h, sr) == 0)
		sr->in_map = true;
	return sr;
}

static void shared_put(struct alloc *a, struct shared_res *sr)
{
	if (--sr->refs)
		return;
	if (sr->in_map)
		alloc_map_del_u64(&a->shared, sr->hash);
	alloc_res_clear(&sr->res);
	free(sr);
}

void alloc_filters_free_all(struct alloc *a)
{
	while (a->heap_n)
		alloc_filter_remove(a, a->heap[0]);
	alloc_map_free(&a->shared);
}

void alloc_filter_remove(struct alloc *a, struct filter *flt)
{
	size_t i = flt->heap_idx;

	a->heap_n--;
	if (i != a->heap_n) {
		a->heap[i] = a->heap[a->heap_n];
		a->heap[i]->heap_idx = i;
		heap_down(a, i);
		heap_up(a, i);
	}
	alloc_map_del_u64(&a->filters, pair_key(flt->fw, flt->ag));
	bit_clear(flt->ag->has_filter, flt->fw->slot);
	bit_clear(flt->ag->covered, flt->fw->slot);
	dlist_del(&flt->fw_link);
	dlist_del(&flt->ag_link);
	shared_put(a, flt->sr);
	free(flt);
}

int alloc_filter_add(struct alloc *a, struct fw *f, struct agent *ag, const struct alloc_res *res,
		     double expires)
{
	struct filter *flt = alloc_map_get_u64(&a->filters, pair_key(f, ag));
	int rc;

	if (flt)
		alloc_filter_remove(a, flt);
	if (a->heap_n == a->heap_cap) {
		size_t cap = a->heap_cap ? a->heap_cap * 2 : 64;
		struct filter **n = realloc(a->heap, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		a->heap = n;
		a->heap_cap = cap;
	}
	flt = calloc(1, sizeof(*flt));
	if (!flt)
		return -ENOMEM;
	flt->fw = f;
	flt->ag = ag;
	flt->expires = expires;
	flt->sr = shared_get(a, res);
	rc = flt->sr ? alloc_map_put_u64(&a->filters, pair_key(f, ag), flt) : -ENOMEM;
	if (rc < 0) {
		if (flt->sr)
			shared_put(a, flt->sr);
		free(flt);
		return rc;
	}
	dlist_add(&f->filters, &flt->fw_link);
	dlist_add(&ag->filters, &flt->ag_link);
	flt->heap_idx = a->heap_n;
	a->heap[a->heap_n++] = flt;
	heap_up(a, flt->heap_idx);
	bit_set(ag->has_filter, f->slot);
	if (alloc_res_contains(&flt->sr->res, &ag->cover_avail))
		bit_set(ag->covered, f->slot);
	return 0;
}

void alloc_filters_expire(struct alloc *a, double now)
{
	while (a->heap_n && a->heap[0]->expires <= now)
		alloc_filter_remove(a, a->heap[0]);
}

/*
 * Recompute ag->covered against the agent's available resources. Called when those grew
 * beyond cover_avail: a covered bit stays true while available only shrinks.
 */
void alloc_filters_refresh_cover(struct alloc *a, struct agent *ag)
{
	if (alloc_res_copy(&ag->cover_avail, &ag->avail) < 0) {
		/* no memory: forget every cover bit; the exact check still runs */
		for (struct alloc_dlist *l = ag->filters.next; l != &ag->filters; l = l->next)
			bit_clear(ag->covered, container_of(l, struct filter, ag_link)->fw->slot);
		alloc_res_clear(&ag->cover_avail);
		return;
	}
	for (struct alloc_dlist *l = ag->filters.next; l != &ag->filters; l = l->next) {
		struct filter *flt = container_of(l, struct filter, ag_link);

		if (alloc_res_contains(&flt->sr->res, &ag->avail))
			bit_set(ag->covered, flt->fw->slot);
		else
			bit_clear(ag->covered, flt->fw->slot);
	}
}
