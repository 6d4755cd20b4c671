/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc/internal: the allocator's state, shared by alloc.c (objects and bookkeeping),
 * filter.c (refuse filters and their bitmaps) and cycle.c (the allocation cycle).
 *
 * Resources inside are struct vec (vec.h): dense scalar arrays over interned names, so
 * the hot path compares and adds integers; struct alloc_res is kept only where the API
 * hands one out (agent total/available, role and framework allocation, offers).
 *
 * Indexes that keep a cycle fast:
 *   - every framework has a slot number; per agent two bitmaps over slots: has_filter
 *     (a live filter exists) and covered (that filter covers the agent's available
 *     resources as they were when the bits were computed, cover_avail);
 *   - filters live in groups (struct fgroup): one per framework, declined resources and
 *     expiry, holding its agents as a list or a bitmap;
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
#include "vec.h"

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
	struct alloc_res guarantee, limit; /* scalars, as set (GET_ROLES) */
	struct vec gv, lv;                 /* the same, dense */
	struct vec alloc;                  /* whole subtree (scalars) */
	struct vec self_alloc;             /* own frameworks (scalars) */
	struct alloc_res alloc_res;        /* alloc_role_get's copy of the allocation */
	struct alloc_sorter children;      /* child roles' ent, and self_ent */
	struct alloc_sorter_entry ent, self_ent;
	struct role_tier *tiers;
	size_t ntiers;
	uint32_t n_frameworks;
};

struct fgroup;

/*
 * One framework in one role: Mesos's (framework, role) client of a role sorter. A
 * framework in several roles (MULTI_ROLE) is a list of them linked by next_role; the
 * first (the head) is the one in a->fws. Shares, filters, suppression and allocations are
 * per client; active, tier and no_gpus are the framework's, kept equal in all clients.
 */
struct fw {
	char *id; /* the framework's */
	uint32_t slot;
	struct role *role;
	int tier;
	bool active, suppressed;
	bool retired;                  /* role removed: holds its allocations, no offers */
	struct fw *next_role;          /* the framework's next client */
	bool no_gpus;                  /* not offered agents with GPUs (no GPU_RESOURCES) */
	struct vec alloc;              /* scalars */
	struct alloc_res alloc_res;    /* alloc_framework_get's copy of the allocation */
	struct alloc_sorter_entry ent; /* in role's tier sorter */
	struct alloc_dlist allocs;
	struct alloc_dlist groups;     /* its filter groups */
	uint32_t n_groups;
	struct fgroup **dense;         /* those with an agent bitmap */
	uint32_t n_dense, dense_cap;
	struct fgroup *last;           /* the group the last decline went to */
};

struct agent {
	char *id, *hostname;
	uint32_t slot;
	bool active;
	bool gpus;                  /* its total has GPUs */
	struct alloc_res total;     /* as given (alloc_agent_get) */
	struct vec tv;              /* total, dense */
	struct vec allocated;       /* scalars: sum of the allocations */
	struct vec avail;           /* total - allocated (ranges and sets too) */
	struct vec cover_avail;     /* avail when the covered bits were computed */
	struct alloc_res avail_res; /* alloc_agent_get's copy of avail */
	uint64_t *has_filter, *covered;
	struct alloc_dlist allocs;
	uint32_t n_filters;
};

struct allocation {
	struct fw *fw;
	struct agent *ag;
	struct vec res;
	struct alloc_dlist fw_link, ag_link; /* fw_link doubles as the free-list link */
};

/* Declined resources, shared by every filter group with equal contents (refcounted). */
struct shared_res {
	struct alloc_res res;
	struct vec v;
	uint64_t hash;
	uint32_t refs;
	bool in_map;
};

/*
 * Filters of one framework that share declined resources and expiry: the agents they
 * hold are a small list (each pair also in a->filters) or, from dense_min agents on,
 * a bitmap over agent slots (the group is then in fw->dense). Either way a filter costs
 * a few bits or a few bytes, not an object.
 */
struct fgroup {
	struct fw *fw;
	struct shared_res *sr;
	double expires;
	size_t heap_idx;
	uint64_t key;       /* in a->groups when in_map */
	bool in_map;
	uint32_t n;         /* agents held */
	uint32_t *members;  /* sparse: agent slots (n of them) */
	uint32_t cap;
	uint64_t *bits;     /* dense: over agent slots (nwords words) */
	uint32_t nwords;
	struct alloc_dlist fw_link;
};

struct tier_count {
	int tier;
	uint32_t n;
};

struct pending_offer {
	struct fw *fw;
	struct agent *ag;
	int64_t *s;         /* scalars offered (arena) */
	uint32_t ns;
	struct alloc_res x; /* ranges and sets offered (arena) */
};

struct alloc {
	double interval, default_refuse;
	struct vec *min_alloc;            /* alternatives */
	size_t n_min_alloc;
	struct alloc_names names;
	const struct alloc_policy *role_policy, *fw_policy;
	uint64_t rng;
	uint32_t walk_budget, dense_min;

	struct role *root;
	struct alloc_map roles, fws, agents; /* by name/id */
	struct alloc_map allocs;             /* by key(fw slot, agent slot) */
	struct alloc_map filters;            /* sparse filters by key(fw slot, agent slot) */
	struct alloc_map groups;             /* struct fgroup by (fw, resources, expiry) */
	struct alloc_map shared;             /* struct shared_res by content hash */
	struct alloc_dlist al_free;          /* recycled allocation records */
	size_t n_filters;

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

	struct fgroup **heap;
	size_t heap_n, heap_cap;

	struct alloc_res totals; /* scalars (alloc_cluster_total) */
	struct vec tot;          /* the same, dense */
	bool keys_dirty;
	size_t n_quota_roles, n_limit_roles;

	struct tier_count *tiers; /* tiers with frameworks, highest first */
	size_t ntiers;

	/* cycle scratch */
	struct vec offer; /* its x is borrowed from the agent (cycle.c) */
	struct vec tmp, part, unalloc, required;
	struct fw **excl;
	size_t excl_cap;
	struct pending_offer *pending;
	size_t n_pending, pending_cap;
	struct alloc_map pending_idx;
	struct arena arena;
	struct alloc_res_item *view; /* the item array of the offer being handed out */
	size_t view_cap;
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
void alloc_rekey_all(struct alloc *a);
struct role_tier *alloc_role_tier(struct role *r, int tier);
struct role *alloc_quota_role(const struct alloc *a, const struct role *r, bool top);

/* Allocate an offer the cycle built (v->x is all of ag->avail.x: it is moved). */
int alloc_do_allocate_vec(struct alloc *a, struct fw *f, struct agent *ag, const struct vec *v);
bool alloc_vec_allocatable(const struct alloc *a, const struct vec *v);

/* filter.c */
int alloc_filter_add(struct alloc *a, struct fw *f, struct agent *ag, const struct alloc_res *res,
		     double expires);
/* The group holding f's filter on ag, or NULL (checks the has_filter bit first). */
struct fgroup *alloc_filter_find(const struct alloc *a, const struct fw *f,
				 const struct agent *ag);
void alloc_filters_drop_fw(struct alloc *a, struct fw *f);
void alloc_filters_drop_agent(struct alloc *a, struct agent *ag);
void alloc_filters_expire(struct alloc *a, double now);
void alloc_filters_refresh_cover(struct alloc *a, struct agent *ag);
void alloc_filters_free_all(struct alloc *a);

#endif
