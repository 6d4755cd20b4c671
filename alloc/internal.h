/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc/internal: the allocator's state, shared by alloc.c (objects and bookkeeping),
 * filter.c (refuse filters and their bitmaps) and cycle.c (the allocation cycle).
 *
 * Indexes that keep a cycle fast:
 *   - every framework has a slot number; per agent two bitmaps over slots: has_filter
 *     (a live filter exists) and covered (that filter covers the agent's available
 *     resources as they were when the bits were computed, cover_avail);
 *   - a global bitmap of offerable frameworks (active and not suppressed);
 *   - per role and tier, a count of offerable frameworks in the subtree, so the walk
 *     skips subtrees with nobody to offer to.
 */
#ifndef DROVER_ALLOC_INTERNAL_H
#define DROVER_ALLOC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "map.h"
#include "sorter.h"

struct alloc_dlist {
	struct alloc_dlist *prev, *next;
};

#define container_of(p, T, m) ((T *)((char *)(p)-offsetof(T, m)))

static inline void dlist_init(struct alloc_dlist *l)
{
	l->prev = l->next = l;
}
static inline void dlist_add(struct alloc_dlist *head, struct alloc_dlist *n)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}
static inline void dlist_del(struct alloc_dlist *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}
static inline bool dlist_empty(const struct alloc_dlist *l)
{
	return l->next == l;
}

struct role_tier {
	int tier;
	struct alloc_sorter fws; /* this role's own frameworks of this tier */
	uint32_t n_offerable;    /* offerable frameworks of this tier in the subtree */
};

struct role {
	char *name;      /* "" for the root */
	char *self_name; /* "eng/." : the entry for the role's own frameworks */
	struct role *parent;
	int depth;
	double weight;
	struct alloc_res guarantee, limit; /* scalars */
	struct alloc_res alloc;            /* whole subtree */
	struct alloc_res self_alloc;       /* own frameworks */
	struct alloc_sorter children;      /* child roles' ent, and self_ent */
	struct alloc_sorter_entry ent, self_ent;
	struct role_tier *tiers;
	size_t ntiers;
	uint32_t n_frameworks;
};

struct fw {
	char *id;
	uint32_t slot;
	struct role *role;
	int tier;
	bool active, suppressed;
	struct alloc_res alloc;
	struct alloc_sorter_entry ent; /* in role's tier sorter */
	struct alloc_dlist allocs, filters;
};

struct agent {
	char *id, *hostname;
	uint32_t slot;
	bool active;
	struct alloc_res total, allocated, avail;
	struct alloc_res cover_avail;
	uint64_t *has_filter, *covered;
	struct alloc_dlist allocs, filters;
};

struct allocation {
	struct fw *fw;
	struct agent *ag;
	struct alloc_res res;
	struct alloc_dlist fw_link, ag_link;
};

/* Declined resources, shared by every filter with equal contents (refcounted). */
struct shared_res {
	struct alloc_res res;
	uint64_t hash;
	uint32_t refs;
	bool in_map;
};

struct filter {
	struct fw *fw;
	struct agent *ag;
	struct shared_res *sr;
	double expires;
	size_t heap_idx;
	struct alloc_dlist fw_link, ag_link;
};

struct tier_count {
	int tier;
	uint32_t n;
};

struct pending_offer {
	struct fw *fw;
	struct agent *ag;
	struct alloc_res res;
};

struct alloc {
	double interval, default_refuse;
	struct alloc_res *min_alloc; /* alternatives */
	size_t n_min_alloc;
	char **exclude;
	size_t n_exclude;
	const struct alloc_policy *role_policy, *fw_policy;
	uint64_t rng;
	uint32_t walk_budget;

	struct role *root;
	struct alloc_map roles, fws, agents; /* by name/id */
	struct alloc_map allocs, filters;    /* by key(fw slot, agent slot) */
	struct alloc_map shared;             /* struct shared_res by content hash */

	struct fw **fw_slots;
	uint32_t fw_hi; /* slots in use are < fw_hi */
	size_t fw_cap, words;
	uint32_t *fw_free;
	size_t n_fw_free;
	uint64_t *offerable;

	struct agent **ag_slots;
	uint32_t ag_hi;
	size_t ag_cap;
	uint32_t *ag_free;
	size_t n_ag_free;

	struct filter **heap;
	size_t heap_n, heap_cap;

	struct alloc_res totals;
	bool keys_dirty;
	size_t n_quota_roles;

	struct tier_count *tiers; /* tiers with frameworks, highest first */
	size_t ntiers;

	/* cycle scratch */
	struct alloc_res offer, tmp, unalloc, required;
	struct fw **excl;
	size_t excl_cap;
	struct pending_offer *pending;
	size_t n_pending, pending_cap;
	struct alloc_map pending_idx;
	double now;
};

static inline uint64_t pair_key(const struct fw *f, const struct agent *ag)
{
	return (uint64_t)f->slot << 32 | ag->slot;
}
static inline bool bit_test(const uint64_t *b, uint32_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}
static inline void bit_set(uint64_t *b, uint32_t i)
{
	b[i / 64] |= 1ULL << (i % 64);
}
static inline void bit_clear(uint64_t *b, uint32_t i)
{
	b[i / 64] &= ~(1ULL << (i % 64));
}

/* alloc.c */
void alloc_rekey_fw(struct alloc *a, struct fw *f);
void alloc_rekey_role_path(struct alloc *a, struct role *r);
void alloc_rekey_all(struct alloc *a);
struct role_tier *alloc_role_tier(struct role *r, int tier);
int alloc_do_allocate(struct alloc *a, struct fw *f, struct agent *ag,
		      const struct alloc_res *res);
struct role *alloc_quota_role(const struct alloc *a, const struct role *r, bool top);

/* filter.c */
int alloc_filter_add(struct alloc *a, struct fw *f, struct agent *ag, const struct alloc_res *res,
		     double expires);
void alloc_filter_remove(struct alloc *a, struct filter *flt);
void alloc_filters_expire(struct alloc *a, double now);
void alloc_filters_refresh_cover(struct alloc *a, struct agent *ag);
void alloc_filters_free_all(struct alloc *a);

#endif
