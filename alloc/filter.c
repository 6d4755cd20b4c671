// SPDX-License-Identifier: Apache-2.0
/*
 * alloc/filter: refuse filters. One filter per (framework, agent) holds the declined
 * resources and an expiry; a later decline on the same pair replaces it. The filter keeps
 * the framework from being offered that agent while the offer would be within the
 * declined resources.
 *
 * Representation: filters of one framework with equal declined resources and equal
 * expiry form a group (struct fgroup). A group holds its agents as a short list of agent
 * slots (each pair also indexed in a->filters) until it reaches dense_min agents, then as
 * a bitmap over agent slots. A framework that declined the same resources on most of
 * 50,000 agents in one go thus costs one 6 KiB bitmap, not 45,000 objects. Declined
 * resources are shared between groups by content (refcounted). Groups sit in a min-heap
 * by expiry (expired at the start of each cycle); per agent two bitmaps over framework
 * slots (see internal.h) make the cycle's test one bit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---------------------------------------------------------------- expiry heap */

static void heap_swap(struct alloc *a, size_t i, size_t j)
{
	struct fgroup *t = a->heap[i];

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

static void heap_del(struct alloc *a, struct fgroup *g)
{
	size_t i = g->heap_idx;

	a->heap_n--;
	if (i != a->heap_n) {
		a->heap[i] = a->heap[a->heap_n];
		a->heap[i]->heap_idx = i;
		heap_down(a, i);
		heap_up(a, i);
	}
}

/* ---------------------------------------------------------------- shared resources */

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

static void shared_put(struct alloc *a, struct shared_res *sr)
{
	if (--sr->refs)
		return;
	if (sr->in_map)
		alloc_map_del_u64(&a->shared, sr->hash);
	alloc_res_clear(&sr->res);
	vec_clear(&sr->v);
	free(sr);
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
	sr->hash = h;
	sr->refs = 1;
	if (alloc_res_copy(&sr->res, res) < 0 || vec_from_res(&a->names, &sr->v, res) < 0) {
		shared_put(a, sr);
		return NULL;
	}
	/* on a hash collision the newcomer simply stays private */
	if (!alloc_map_get_u64(&a->shared, h) && alloc_map_put_u64(&a->shared, h, sr) == 0)
		sr->in_map = true;
	return sr;
}

/* ---------------------------------------------------------------- groups */

static uint64_t group_key(const struct fw *f, const struct shared_res *sr, double expires)
{
	uint64_t e;

	memcpy(&e, &expires, sizeof(e));
	return ((uint64_t)f->slot * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)(uintptr_t)sr * 31) ^
	       (e * 0xc2b2ae3d27d4eb4fULL);
}

static void group_free(struct alloc *a, struct fgroup *g)
{
	struct fw *f = g->fw;

	heap_del(a, g);
	if (g->in_map)
		alloc_map_del_u64(&a->groups, g->key);
	if (g->bits)
		for (uint32_t i = 0; i < f->n_dense; i++)
			if (f->dense[i] == g) {
				f->dense[i] = f->dense[--f->n_dense];
				break;
			}
	if (f->last == g)
		f->last = NULL;
	f->n_groups--;
	dlist_del(&g->fw_link);
	shared_put(a, g->sr);
	free(g->members);
	free(g->bits);
	free(g);
}

/* The group of f for (res, expires), created if needed. */
static struct fgroup *group_get(struct alloc *a, struct fw *f, const struct alloc_res *res,
				double expires)
{
	struct fgroup *g = f->last;
	struct shared_res *sr;
	uint64_t key;

	if (g && g->expires == expires && alloc_res_equal(&g->sr->res, res))
		return g;
	if (a->heap_n == a->heap_cap) {
		size_t cap = a->heap_cap ? a->heap_cap * 2 : 64;
		struct fgroup **n = realloc(a->heap, cap * sizeof(*n));

		if (!n)
			return NULL;
		a->heap = n;
		a->heap_cap = cap;
	}
	sr = shared_get(a, res);
	if (!sr)
		return NULL;
	key = group_key(f, sr, expires);
	g = alloc_map_get_u64(&a->groups, key);
	if (g && g->fw == f && g->sr == sr && g->expires == expires) {
		shared_put(a, sr);
		f->last = g;
		return g;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		shared_put(a, sr);
		return NULL;
	}
	g->fw = f;
	g->sr = sr;
	g->expires = expires;
	g->key = key;
	/* on a key collision the newcomer simply stays out of the map */
	if (!alloc_map_get_u64(&a->groups, key) && alloc_map_put_u64(&a->groups, key, g) == 0)
		g->in_map = true;
	dlist_add(&f->groups, &g->fw_link);
	f->n_groups++;
	g->heap_idx = a->heap_n;
	a->heap[a->heap_n++] = g;
	heap_up(a, g->heap_idx);
	f->last = g;
	return g;
}

static bool group_has(const struct fgroup *g, uint32_t slot)
{
	return slot / 64 < g->nwords && bit_test(g->bits, slot);
}

static int group_bits_fit(struct fgroup *g, uint32_t slot)
{
	uint32_t words = slot / 64 + 1;
	uint64_t *b;

	if (words <= g->nwords)
		return 0;
	if (words < g->nwords * 2)
		words = g->nwords * 2;
	b = realloc(g->bits, words * sizeof(*b));
	if (!b)
		return -ENOMEM;
	memset(b + g->nwords, 0, (words - g->nwords) * sizeof(*b));
	g->bits = b;
	g->nwords = words;
	return 0;
}

static uint32_t dense_min(const struct alloc *a)
{
	uint32_t auto_min = a->ag_hi / 256;

	if (a->dense_min)
		return a->dense_min;
	return auto_min > 16 ? auto_min : 16;
}

/* Turn a listed group into a bitmap one. */
static int group_densify(struct alloc *a, struct fgroup *g)
{
	struct fw *f = g->fw;
	int rc;

	if (f->n_dense == f->dense_cap) {
		uint32_t cap = f->dense_cap ? f->dense_cap * 2 : 4;
		struct fgroup **n = realloc(f->dense, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->dense = n;
		f->dense_cap = cap;
	}
	if ((rc = group_bits_fit(g, a->ag_hi ? a->ag_hi - 1 : 0)) < 0)
		return rc;
	for (uint32_t i = 0; i < g->n; i++) {
		bit_set(g->bits, g->members[i]);
		alloc_map_del_u64(&a->filters, (uint64_t)f->slot << 32 | g->members[i]);
	}
	free(g->members);
	g->members = NULL;
	g->cap = 0;
	f->dense[f->n_dense++] = g;
	return 0;
}

static int group_add_member(struct alloc *a, struct fgroup *g, struct agent *ag)
{
	int rc;

	if (!g->bits && g->n + 1 >= dense_min(a) && (rc = group_densify(a, g)) < 0)
		return rc;
	if (g->bits) {
		if ((rc = group_bits_fit(g, ag->slot)) < 0)
			return rc;
		bit_set(g->bits, ag->slot);
	} else {
		if (g->n == g->cap) {
			uint32_t cap = g->cap ? g->cap * 2 : 2;
			uint32_t *m = realloc(g->members, cap * sizeof(*m));

			if (!m)
				return -ENOMEM;
			g->members = m;
			g->cap = cap;
		}
		if ((rc = alloc_map_put_u64(&a->filters, pair_key(g->fw, ag), g)) < 0)
			return rc;
		g->members[g->n] = ag->slot;
	}
	g->n++;
	return 0;
}

/* ---------------------------------------------------------------- filters */

struct fgroup *alloc_filter_find(const struct alloc *a, const struct fw *f,
				 const struct agent *ag)
{
	if (!bit_test(ag->has_filter, f->slot))
		return NULL;
	if (f->n_groups == 1) /* the usual case: one decline for many agents */
		return container_of(f->groups.next, struct fgroup, fw_link);
	for (uint32_t i = 0; i < f->n_dense; i++)
		if (group_has(f->dense[i], ag->slot))
			return f->dense[i];
	return alloc_map_get_u64(&a->filters, pair_key(f, ag));
}

static void pair_clear(struct alloc *a, struct fw *f, struct agent *ag)
{
	bit_clear(ag->has_filter, f->slot);
	bit_clear(ag->covered, f->slot);
	ag->n_filters--;
	a->n_filters--;
}

/* Drop f's filter on ag (in group g). */
static void filter_remove(struct alloc *a, struct fgroup *g, struct agent *ag)
{
	if (g->bits) {
		bit_clear(g->bits, ag->slot);
	} else {
		alloc_map_del_u64(&a->filters, pair_key(g->fw, ag));
		for (uint32_t i = 0; i < g->n; i++)
			if (g->members[i] == ag->slot) {
				g->members[i] = g->members[g->n - 1];
				break;
			}
	}
	pair_clear(a, g->fw, ag);
	if (--g->n == 0)
		group_free(a, g);
}

/* Drop every filter of group g. */
static void group_remove(struct alloc *a, struct fgroup *g)
{
	struct fw *f = g->fw;

	if (g->bits) {
		for (uint32_t w = 0; w < g->nwords; w++)
			for (uint64_t b = g->bits[w]; b; b &= b - 1)
				pair_clear(a, f, a->ag_slots[w * 64 + (uint32_t)__builtin_ctzll(b)]);
	} else {
		for (uint32_t i = 0; i < g->n; i++) {
			alloc_map_del_u64(&a->filters, (uint64_t)f->slot << 32 | g->members[i]);
			pair_clear(a, f, a->ag_slots[g->members[i]]);
		}
	}
	group_free(a, g);
}

int alloc_filter_add(struct alloc *a, struct fw *f, struct agent *ag, const struct alloc_res *res,
		     double expires)
{
	struct fgroup *g = alloc_filter_find(a, f, ag);
	int rc;

	if (g)
		filter_remove(a, g, ag);
	g = group_get(a, f, res, expires);
	if (!g)
		return -ENOMEM;
	if ((rc = group_add_member(a, g, ag)) < 0) {
		if (!g->n)
			group_free(a, g);
		return rc;
	}
	bit_set(ag->has_filter, f->slot);
	if (vec_contains(&g->sr->v, &ag->cover_avail))
		bit_set(ag->covered, f->slot);
	ag->n_filters++;
	a->n_filters++;
	return 0;
}

void alloc_filters_drop_fw(struct alloc *a, struct fw *f)
{
	while (!dlist_empty(&f->groups))
		group_remove(a, container_of(f->groups.next, struct fgroup, fw_link));
}

void alloc_filters_drop_agent(struct alloc *a, struct agent *ag)
{
	for (size_t w = 0; w < a->words && ag->n_filters; w++)
		for (uint64_t b = ag->has_filter[w]; b; b &= b - 1) {
			struct fw *f = a->fw_slots[w * 64 + (size_t)__builtin_ctzll(b)];

			filter_remove(a, alloc_filter_find(a, f, ag), ag);
		}
}

void alloc_filters_free_all(struct alloc *a)
{
	while (a->heap_n)
		group_remove(a, a->heap[0]);
	alloc_map_free(&a->shared);
	alloc_map_free(&a->groups);
}

void alloc_filters_expire(struct alloc *a, double now)
{
	while (a->heap_n && a->heap[0]->expires <= now)
		group_remove(a, a->heap[0]);
}

/*
 * Recompute ag->covered against the agent's available resources. Called when those grew
 * beyond cover_avail: a covered bit stays true while available only shrinks.
 */
void alloc_filters_refresh_cover(struct alloc *a, struct agent *ag)
{
	const struct shared_res *last = NULL;
	bool last_covers = false;

	if (vec_copy(&ag->cover_avail, &ag->avail) < 0) {
		/* no memory: forget every cover bit; the exact check still runs */
		memset(ag->covered, 0, (a->words ? a->words : 1) * sizeof(uint64_t));
		vec_zero(&ag->cover_avail);
		return;
	}
	for (size_t w = 0; w < a->words && ag->n_filters; w++) {
		uint64_t cov = 0;

		for (uint64_t b = ag->has_filter[w]; b; b &= b - 1) {
			uint32_t bit = (uint32_t)__builtin_ctzll(b);
			const struct fgroup *g = alloc_filter_find(a, a->fw_slots[w * 64 + bit], ag);

			/* groups mostly share their resources: test each content once */
			if (g->sr != last) {
				last = g->sr;
				last_covers = vec_contains(&g->sr->v, &ag->avail);
			}
			if (last_covers)
				cov |= 1ULL << bit;
		}
		ag->covered[w] = cov;
	}
}
