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
 * stage, willing to take the agent if it has GPUs, the offer capped by the role's (and its
 * ancestors') limit and still allocatable,
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

static int64_t unmet(const struct role *q, uint32_t id)
{
	int64_t g = vec_get(&q->gv, id) - vec_get(&q->alloc, id);

	return g > 0 ? g : 0;
}

static bool has_unmet(const struct role *q)
{
	for (uint32_t i = 0; i < q->gv.ns; i++)
		if (q->gv.s[i] > 0 && unmet(q, i) > 0)
			return true;
	return false;
}

static inline void cap_scalar(struct vec *o, uint32_t id, int64_t cap)
{
	if (id < o->ns && o->s[id] > cap)
		o->s[id] = cap > 0 ? cap : 0;
}

/*
 * Build into a->offer what f would get from ag now; true when it is allocatable. Only
 * scalars are ever capped, so the offer's ranges and sets are all of the agent's: they
 * are borrowed (a->offer.x aliases ag->avail.x until the offer is allocated or dropped).
 */
static bool make_offer(struct alloc *a, struct fw *f, struct agent *ag, int stage)
{
	struct vec *o = &a->offer;
	struct role *q;

	if (o->ns < ag->avail.ns && vec_reserve(o, ag->avail.ns) < 0)
		return false;
	for (uint32_t i = 0; i < o->ns; i++)
		o->s[i] = vec_get(&ag->avail, i);
	o->x = ag->avail.x;
	if (a->n_limit_roles)
		for (struct role *r = f->role; r != a->root; r = r->parent)
			for (uint32_t i = 0; i < r->lv.ns; i++)
				if (r->lv.s[i] > 0)
					cap_scalar(o, i, r->lv.s[i] - vec_get(&r->alloc, i));
	if (stage == 1) {
		q = alloc_quota_role(a, f->role, false);
		for (uint32_t i = 0; i < q->gv.ns; i++)
			if (q->gv.s[i] > 0)
				cap_scalar(o, i, unmet(q, i));
	} else if (a->n_quota_roles) {
		q = alloc_quota_role(a, f->role, true);
		for (uint32_t i = 0; i < a->required.ns; i++) {
			int64_t allowed;

			if (a->required.s[i] <= 0)
				continue;
			allowed = vec_get(&a->unalloc, i) - a->required.s[i];
			if (q)
				allowed = alloc_scalar_add(allowed, unmet(q, i));
			cap_scalar(o, i, allowed);
		}
	}
	return alloc_vec_allocatable(a, o);
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
	    is_excluded(p, f) || (ag->gpus && f->no_gpus))
		return false;
	if (p->stage == 1) {
		struct role *q = alloc_quota_role(a, f->role, false);

		if (!q || !has_unmet(q))
			return false;
	}
	if (!make_offer(a, f, ag, p->stage))
		return false;
	if (bit_test(ag->has_filter, f->slot)) {
		struct fgroup *g = alloc_filter_find(a, f, ag);

		if (g && g->expires > a->now && vec_contains(&g->sr->v, &a->offer))
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

/* required = the unmet guarantees of the top-most guaranteed roles (headroom). */
static int recompute_required(struct alloc *a)
{
	int rc;

	vec_zero(&a->required);
	for (size_t i = 0; a->roles.slots && i <= a->roles.mask; i++) {
		struct role *r = a->roles.slots[i].val;

		if (!a->roles.slots[i].hash || !r->guarantee.n || alloc_quota_role(a, r, true) != r)
			continue;
		if ((rc = vec_reserve(&a->required, r->gv.ns)) < 0)
			return rc;
		for (uint32_t k = 0; k < r->gv.ns; k++)
			if (r->gv.s[k] > 0)
				a->required.s[k] = alloc_scalar_add(a->required.s[k], unmet(r, k));
	}
	return 0;
}

static bool vec_any(const struct vec *v)
{
	for (uint32_t i = 0; i < v->ns; i++)
		if (v->s[i])
			return true;
	return false;
}

static int stage2_prepare(struct alloc *a)
{
	int rc;

	vec_zero(&a->unalloc);
	if (!a->n_quota_roles)
		return 0;
	rc = recompute_required(a);
	if (rc < 0 || !vec_any(&a->required))
		return rc;
	for (uint32_t s = 0; s < a->ag_hi; s++) {
		struct agent *ag = a->ag_slots[s];

		if (ag && ag->active && (rc = vec_add_scalars(&a->unalloc, &ag->avail)) < 0)
			return rc;
	}
	return 0;
}

/* Remember the offer in a->offer for the callback (in the arena: no heap per offer). */
static int record_offer(struct alloc *a, struct fw *f, struct agent *ag, int stage)
{
	const struct vec *o = &a->offer;
	uint64_t key = pair_key(f, ag);
	struct pending_offer *po = NULL;
	uintptr_t idx;
	int rc = 0;

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
			a->pending = n;
			a->pending_cap = cap;
		}
		po = &a->pending[a->n_pending++];
		po->fw = f;
		po->ag = ag;
		po->ns = o->ns;
		po->s = arena_alloc(&a->arena, o->ns * sizeof(*o->s) + 1);
		if (!po->s || res_copy_arena(&o->x, &a->arena, &po->x) < 0)
			return -ENOMEM;
		memcpy(po->s, o->s, o->ns * sizeof(*o->s));
		if (stage == 1)
			rc = alloc_map_put_u64(&a->pending_idx, key, (void *)(uintptr_t)a->n_pending);
	} else {
		/* the guarantee stage offered this pair already: one offer holds both */
		if (po->ns < o->ns) {
			int64_t *s = arena_alloc(&a->arena, o->ns * sizeof(*s));

			if (!s)
				return -ENOMEM;
			memcpy(s, po->s, po->ns * sizeof(*s));
			memset(s + po->ns, 0, (o->ns - po->ns) * sizeof(*s));
			po->s = s;
			po->ns = o->ns;
		}
		for (uint32_t i = 0; i < o->ns; i++)
			po->s[i] = alloc_scalar_add(po->s[i], o->s[i]);
		if (o->x.n) {
			struct alloc_res sum = ALLOC_RES_INIT;

			rc = alloc_res_add(&sum, &po->x);
			if (rc == 0)
				rc = alloc_res_add(&sum, &o->x);
			if (rc == 0)
				rc = res_copy_arena(&sum, &a->arena, &po->x);
			alloc_res_clear(&sum);
		}
	}
	if (rc < 0)
		return rc;
	if (stage == 2 && vec_any(&a->required)) {
		vec_sub_scalars(&a->unalloc, o);
		if (alloc_quota_role(a, f->role, true))
			rc = 1; /* required headroom changes below, after the allocation */
	}
	return rc;
}

static int visit(struct alloc *a, struct agent *ag, int stage)
{
	struct pick p = {.a = a, .ag = ag, .stage = stage};
	struct fw *f;
	int rc;

	if (!ag->active || !alloc_vec_allocatable(a, &ag->avail))
		return 0;
	if (!vec_contains(&ag->cover_avail, &ag->avail))
		alloc_filters_refresh_cover(a, ag);
	while ((f = pick(&p))) {
		bool requota;

		rc = record_offer(a, f, ag, stage);
		if (rc < 0)
			break;
		requota = rc > 0;
		rc = alloc_do_allocate_vec(a, f, ag, &a->offer);
		alloc_res_init(&a->offer.x); /* moved to the allocation, or still the agent's */
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
		if (!alloc_vec_allocatable(a, &ag->avail))
			break;
	}
	alloc_res_init(&a->offer.x);
	return rc < 0 ? rc : 0;
}

int alloc_cycle(struct alloc *a, double now, alloc_offer_fn fn, void *opaque)
{
	int rc = 0, stage;

	a->now = now;
	alloc_filters_expire(a, now);
	if (a->keys_dirty || a->role_policy->rekey_each_cycle || a->fw_policy->rekey_each_cycle)
		alloc_rekey_all(a);
	a->n_pending = 0;
	arena_reset(&a->arena);
	alloc_map_free(&a->pending_idx);
	vec_zero(&a->required);
	for (stage = a->n_quota_roles ? 1 : 2; stage <= 2 && rc == 0; stage++) {
		if (stage == 2 && (rc = stage2_prepare(a)) < 0)
			break;
		for (uint32_t s = 0; s < a->ag_hi && rc == 0; s++)
			if (a->ag_slots[s])
				rc = visit(a, a->ag_slots[s], stage);
	}
	for (size_t i = 0; i < a->n_pending && fn; i++) {
		const struct pending_offer *po = &a->pending[i];
		struct alloc_res res;

		if (vec_res_view(&a->names, po->s, po->ns, &po->x, &a->view, &a->view_cap, &res) < 0) {
			rc = -ENOMEM;
			break;
		}
		fn(opaque, po->fw->id, po->fw->role->name, po->ag->id, &res);
	}
	return rc < 0 ? rc : (int)a->n_pending;
}
