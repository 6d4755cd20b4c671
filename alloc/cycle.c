// SPDX-License-Identifier: Apache-2.0
/*
 * alloc/cycle: one allocation cycle.
 *
 * Stage 1 (only when some role has a quota guarantee): every agent, in slot order, goes to
 * frameworks whose quota role is below its guarantee; guaranteed resources are capped at
 * what is still missing. Stage 2: every agent goes to frameworks in the full order, while
 * enough unallocated resources are held back to meet the guarantees not met yet
 * (headroom). In both, an agent's available resources go to the first eligible framework
 * in order: offerable (active, not suppressed), not already offered this agent in this
 * stage, the offer capped by the role's (and its ancestors') limit and still allocatable,
 * and not filtered. If caps left something allocatable, the next eligible one gets it.
 *
 * Picking: an in-order walk of the role tree (tier by tier, highest first) skips
 * subtrees without offerable frameworks and frameworks whose filter covers the agent
 * (one bit test). When the walk has taken walk_budget steps without a match, a scan of
 * the candidate bitmap (offerable & ~covered) finds the minimum under the same order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct pick {
	struct alloc *a;
	struct agent *ag;
	int stage, tier;
	size_t nexcl;
	uint32_t budget;
};

static int64_t unmet(const struct role *q, const char *name)
{
	int64_t g = alloc_res_scalar(&q->guarantee, name) - alloc_res_scalar(&q->alloc, name);

	return g > 0 ? g : 0;
}

static bool has_unmet(const struct role *q)
{
	for (size_t i = 0; i < q->guarantee.n; i++)
		if (unmet(q, q->guarantee.items[i].name) > 0)
			return true;
	return false;
}

static void cap_scalar(struct alloc_res *r, const char *name, int64_t cap)
{
	int64_t v = alloc_res_scalar(r, name);

	if (v > cap)
		alloc_res_set_scalar(r, name, cap > 0 ? cap : 0);
}

/* Build into a->offer what f would get from ag now; true when it is allocatable. */
static bool make_offer(struct alloc *a, struct fw *f, struct agent *ag, int stage)
{
	struct alloc_res *o = &a->offer;
	struct role *q;

	if (alloc_res_copy(o, &ag->avail) < 0)
		return false;
	for (struct role *r = f->role; r != a->root; r = r->parent)
		for (size_t i = 0; i < r->limit.n; i++) {
			const struct alloc_res_item *it = &r->limit.items[i];

			cap_scalar(o, it->name, it->scalar - alloc_res_scalar(&r->alloc, it->name));
		}
	if (stage == 1) {
		q = alloc_quota_role(a, f->role, false);
		for (size_t i = 0; i < q->guarantee.n; i++)
			cap_scalar(o, q->guarantee.items[i].name, unmet(q, q->guarantee.items[i].name));
	} else if (a->required.n) {
		q = alloc_quota_role(a, f->role, true);
		for (size_t i = 0; i < a->required.n; i++) {
			const char *n = a->required.items[i].name;
			int64_t allowed = alloc_res_scalar(&a->unalloc, n) - a->required.items[i].scalar;

			if (q)
				allowed += unmet(q, n);
			cap_scalar(o, n, allowed);
		}
	}
	return alloc_is_allocatable(a, o);
}

static bool is_excluded(const struct pick *p, const struct fw *f)
{
	for (size_t i = 0; i < p->nexcl; i++)
		if (p->a->excl[i] == f)
			return true;
	return false;
}

/* Eligibility of f for p->ag; on true a->offer holds the offer. */
static bool try_fw(struct pick *p, struct fw *f)
{
	struct alloc *a = p->a;
	struct agent *ag = p->ag;

	if (!bit_test(a->offerable, f->slot) || bit_test(ag->covered, f->slot) ||
	    is_excluded(p, f))
		return false;
	if (p->stage == 1) {
		struct role *q = alloc_quota_role(a, f->role, false);

		if (!q || !has_unmet(q))
			return false;
	}
	if (!make_offer(a, f, ag, p->stage))
		return false;
	if (bit_test(ag->has_filter, f->slot)) {
		struct filter *flt = alloc_map_get_u64(&a->filters, pair_key(f, ag));

		if (flt && flt->expires > a->now && alloc_res_contains(&flt->sr->res, &a->offer))
			return false;
	}
	return true;
}

/* 1: found (into *ret), 0: nobody in this subtree, -1: budget spent. */
static int walk_role(struct pick *p, struct role *r, struct fw **ret)
{
	struct role_tier *t = alloc_role_tier(r, p->tier);

	if (!t || !t->n_offerable)
		return 0;
	for (struct alloc_sorter_entry *e = alloc_sorter_first(&r->children); e;
	     e = alloc_sorter_next(e)) {
		if (e == &r->self_ent) {
			for (struct alloc_sorter_entry *fe = alloc_sorter_first(&t->fws); fe;
			     fe = alloc_sorter_next(fe)) {
				if (p->budget-- == 0)
					return -1;
				if (try_fw(p, container_of(fe, struct fw, ent))) {
					*ret = container_of(fe, struct fw, ent);
					return 1;
				}
			}
		} else {
			int rc = walk_role(p, container_of(e, struct role, ent), ret);

			if (rc)
				return rc;
		}
	}
	return 0;
}

/* The order of the walk, as a comparison: tier, then role path, then framework. */
static int fw_cmp(const struct alloc *a, const struct fw *x, const struct fw *y)
{
	const struct role *px[ALLOC_ROLE_DEPTH_MAX + 1], *py[ALLOC_ROLE_DEPTH_MAX + 1];
	const struct alloc_sorter_entry *ex, *ey;
	int dx = x->role->depth, dy = y->role->depth, i;
	const struct role *r;

	if (x->tier != y->tier)
		return x->tier > y->tier ? -1 : 1;
	if (x->role == y->role)
		return alloc_sorter_cmp(&x->ent, &y->ent);
	for (r = x->role; r != a->root; r = r->parent)
		px[r->depth - 1] = r;
	for (r = y->role; r != a->root; r = r->parent)
		py[r->depth - 1] = r;
	for (i = 0; i < dx && i < dy && px[i] == py[i]; i++)
		;
	ex = i < dx ? &px[i]->ent : &px[i - 1]->self_ent;
	ey = i < dy ? &py[i]->ent : &py[i - 1]->self_ent;
	return alloc_sorter_cmp(ex, ey);
}

static struct fw *scan_bitmap(struct pick *p)
{
	struct alloc *a = p->a;
	struct fw *best = NULL;

	for (size_t w = 0; w < a->words; w++) {
		uint64_t bits = a->offerable[w] & ~p->ag->covered[w];

		while (bits) {
			uint32_t slot = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
			struct fw *f = a->fw_slots[slot];

			bits &= bits - 1;
			if (best && fw_cmp(a, f, best) >= 0)
				continue;
			if (try_fw(p, f))
				best = f;
		}
	}
	if (best && !try_fw(p, best)) /* rebuild its offer */
		return NULL;
	return best;
}

static struct fw *pick(struct pick *p)
{
	struct fw *f = NULL;

	p->budget = p->a->walk_budget;
	for (size_t i = 0; i < p->a->ntiers; i++) {
		int rc;

		p->tier = p->a->tiers[i].tier;
		rc = walk_role(p, p->a->root, &f);
		if (rc > 0)
			return f;
		if (rc < 0)
			return scan_bitmap(p);
	}
	return NULL;
}

static int recompute_required(struct alloc *a)
{
	int rc;

	alloc_res_clear(&a->required);
	for (size_t i = 0; a->roles.slots && i <= a->roles.mask; i++) {
		struct role *r = a->roles.slots[i].val;

		if (!a->roles.slots[i].hash || alloc_res_is_empty(&r->guarantee) ||
		    alloc_quota_role(a, r, true) != r)
			continue;
		for (size_t k = 0; k < r->guarantee.n; k++) {
			const char *n = r->guarantee.items[k].name;
			int64_t need = unmet(r, n);

			if (need > 0) {
				rc = alloc_res_set_scalar(&a->required, n,
							  alloc_res_scalar(&a->required, n) + need);
				if (rc < 0)
					return rc;
			}
		}
	}
	return 0;
}

static int stage2_prepare(struct alloc *a)
{
	int rc;

	alloc_res_clear(&a->unalloc);
	if (!a->n_quota_roles)
		return 0;
	rc = recompute_required(a);
	if (rc < 0 || !a->required.n)
		return rc;
	for (uint32_t s = 0; s < a->ag_hi; s++) {
		struct agent *ag = a->ag_slots[s];

		if (ag && ag->active && (rc = alloc_res_add(&a->unalloc, &ag->avail)) < 0)
			return rc;
	}
	alloc_res_only_scalars(&a->unalloc);
	return 0;
}

static int record_offer(struct alloc *a, struct fw *f, struct agent *ag, int stage)
{
	uint64_t key = pair_key(f, ag);
	struct pending_offer *po = NULL;
	uintptr_t idx;
	int rc;

	if (stage == 2 && a->pending_idx.n) {
		idx = (uintptr_t)alloc_map_get_u64(&a->pending_idx, key);
		if (idx)
			po = &a->pending[idx - 1];
	}
	if (!po) {
		if (a->n_pending == a->pending_cap) {
			size_t cap = a->pending_cap ? a->pending_cap * 2 : 256;
			struct pending_offer *n = realloc(a->pending, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			memset(n + a->pending_cap, 0, (cap - a->pending_cap) * sizeof(*n));
			a->pending = n;
			a->pending_cap = cap;
		}
		po = &a->pending[a->n_pending++];
		po->fw = f;
		po->ag = ag;
		rc = alloc_res_copy(&po->res, &a->offer);
		if (rc == 0 && stage == 1)
			rc = alloc_map_put_u64(&a->pending_idx, key, (void *)(uintptr_t)a->n_pending);
	} else {
		rc = alloc_res_add(&po->res, &a->offer);
	}
	if (rc < 0)
		return rc;
	if (stage == 2 && a->required.n) {
		rc = alloc_res_sub(&a->unalloc, &a->offer);
		if (rc == 0 && alloc_quota_role(a, f->role, true))
			rc = 1; /* required headroom changes below, after the allocation */
	}
	return rc;
}

static int visit(struct alloc *a, struct agent *ag, int stage)
{
	struct pick p = {.a = a, .ag = ag, .stage = stage};
	struct fw *f;
	int rc;

	if (!ag->active || !alloc_is_allocatable(a, &ag->avail))
		return 0;
	if (!alloc_res_contains(&ag->cover_avail, &ag->avail))
		alloc_filters_refresh_cover(a, ag);
	while ((f = pick(&p))) {
		bool requota;

		rc = record_offer(a, f, ag, stage);
		if (rc < 0)
			return rc;
		requota = rc > 0;
		rc = alloc_do_allocate(a, f, ag, &a->offer);
		if (rc < 0)
			return rc;
		if (requota && (rc = recompute_required(a)) < 0)
			return rc;
		if (p.nexcl == a->excl_cap) {
			size_t cap = a->excl_cap ? a->excl_cap * 2 : 16;
			struct fw **n = realloc(a->excl, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			a->excl = n;
			a->excl_cap = cap;
		}
		a->excl[p.nexcl++] = f;
		if (!alloc_is_allocatable(a, &ag->avail))
			break;
	}
	return 0;
}

int alloc_cycle(struct alloc *a, double now, alloc_offer_fn fn, void *opaque)
{
	int rc = 0, stage;

	a->now = now;
	alloc_filters_expire(a, now);
	if (a->keys_dirty || a->role_policy->rekey_each_cycle || a->fw_policy->rekey_each_cycle)
		alloc_rekey_all(a);
	a->n_pending = 0;
	alloc_map_free(&a->pending_idx);
	alloc_res_clear(&a->required);
	for (stage = a->n_quota_roles ? 1 : 2; stage <= 2 && rc == 0; stage++) {
		if (stage == 2 && (rc = stage2_prepare(a)) < 0)
			break;
		for (uint32_t s = 0; s < a->ag_hi && rc == 0; s++)
			if (a->ag_slots[s])
				rc = visit(a, a->ag_slots[s], stage);
	}
	for (size_t i = 0; i < a->n_pending; i++)
		if (fn)
			fn(opaque, a->pending[i].fw->id, a->pending[i].ag->id, &a->pending[i].res);
	return rc < 0 ? rc : (int)a->n_pending;
}
