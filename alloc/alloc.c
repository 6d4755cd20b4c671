// SPDX-License-Identifier: Apache-2.0
/* alloc: agents, frameworks, roles, allocations, shares: the allocator's bookkeeping. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "err.h"
#include "util.h"

void alloc_config_defaults(struct alloc_config *c)
{
	memset(c, 0, sizeof(*c));
	c->allocation_interval = 1.0;
	c->default_refuse_seconds = 5.0;
	c->min_allocatable = "cpus:0.01|mem:32";
	c->fairness_exclude = "gpus";
	c->role_sorter = "drf";
	c->framework_sorter = "drf";
	c->seed = 1;
	c->walk_budget = 64;
}

/* ---------------------------------------------------------------- roles */

int alloc_role_validate(const char *role, char *err, size_t errlen)
{
	const char *p = role, *comp;
	int depth = 0;

	if (!role || !*role)
		return alloc_fail(err, errlen, "role name is empty");
	if (streq(role, "*"))
		return 0;
	while (*p) {
		size_t len;

		comp = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - comp);
		if (len == 0)
			return alloc_fail(err, errlen, "role '%s' has an empty path component", role);
		if ((len == 1 && comp[0] == '.') || (len == 2 && comp[0] == '.' && comp[1] == '.'))
			return alloc_fail(err, errlen, "role '%s' has a '.' or '..' component", role);
		if (comp[0] == '-')
			return alloc_fail(err, errlen, "role '%s': a component starts with '-'", role);
		for (const char *q = comp; q < p; q++)
			if (*q <= ' ' || *q == 127 || *q == '*' || *q == '\\')
				return alloc_fail(err, errlen, "role '%s' has a bad character", role);
		if (++depth > ALLOC_ROLE_DEPTH_MAX)
			return alloc_fail(err, errlen, "role '%s' is nested deeper than %d", role,
					  ALLOC_ROLE_DEPTH_MAX);
		if (*p == '/') {
			p++;
			if (!*p)
				return alloc_fail(err, errlen, "role '%s' ends with '/'", role);
		}
	}
	return 0;
}

static void role_free(struct role *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->self_name);
	alloc_res_clear(&r->guarantee);
	alloc_res_clear(&r->limit);
	vec_clear(&r->gv);
	vec_clear(&r->lv);
	vec_clear(&r->alloc);
	vec_clear(&r->self_alloc);
	alloc_res_clear(&r->alloc_res);
	free(r->tiers);
	free(r);
}

static struct role *role_new(struct alloc *a, const char *name, struct role *parent)
{
	struct role *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->name = strdup(name);
	if (!r->name || asprintf(&r->self_name, "%s%s.", name, *name ? "/" : "") < 0) {
		r->self_name = NULL;
		role_free(r);
		return NULL;
	}
	r->parent = parent;
	r->depth = parent ? parent->depth + 1 : 0;
	r->weight = 1.0;
	alloc_sorter_init(&r->children, alloc_rng_next(&a->rng));
	r->ent.name = r->name;
	r->self_ent.name = r->self_name;
	return r;
}

/* The role called name, creating it and its ancestors. */
static struct role *role_get(struct alloc *a, const char *name, bool create)
{
	struct role *r = alloc_map_get_str(&a->roles, name), *parent;
	const char *slash;

	if (r || !create)
		return r;
	slash = strrchr(name, '/');
	if (slash) {
		_cleanup_free_ char *pname = strndup(name, (size_t)(slash - name));

		if (!pname)
			return NULL;
		parent = role_get(a, pname, true);
	} else {
		parent = a->root;
	}
	if (!parent)
		return NULL;
	r = role_new(a, name, parent);
	if (!r)
		return NULL;
	if (alloc_map_put_str(&a->roles, r->name, r) < 0) {
		role_free(r);
		return NULL;
	}
	r->ent.key = a->role_policy->key(0, r->weight, &a->rng);
	alloc_sorter_insert(&parent->children, &r->ent);
	return r;
}

struct role_tier *alloc_role_tier(struct role *r, int tier)
{
	for (size_t i = 0; i < r->ntiers; i++)
		if (r->tiers[i].tier == tier)
			return &r->tiers[i];
	return NULL;
}

static struct role_tier *role_tier_get(struct alloc *a, struct role *r, int tier)
{
	struct role_tier *t = alloc_role_tier(r, tier), *n;

	if (t)
		return t;
	n = realloc(r->tiers, (r->ntiers + 1) * sizeof(*n));
	if (!n)
		return NULL;
	r->tiers = n;
	t = &n[r->ntiers++];
	t->tier = tier;
	t->n_offerable = 0;
	alloc_sorter_init(&t->fws, alloc_rng_next(&a->rng));
	return t;
}

struct role *alloc_quota_role(const struct alloc *a, const struct role *r, bool top)
{
	struct role *q = NULL;

	for (; r && r != a->root; r = r->parent) {
		if (r->guarantee.n) {
			q = (struct role *)r;
			if (!top)
				return q;
		}
	}
	return q;
}

/* ---------------------------------------------------------------- shares and keys */

/* Dominant share of v against the cluster total, fairness-excluded names skipped. */
static double share_of(const struct alloc *a, const struct vec *v)
{
	uint32_t n = v->ns < a->tot.ns ? v->ns : a->tot.ns;
	double share = 0;

	for (uint32_t i = 0; i < n; i++) {
		double s;

		if (!v->s[i] || a->tot.s[i] <= 0)
			continue;
		s = (double)v->s[i] / (double)a->tot.s[i];
		if (s > share && !a->names.excluded[i])
			share = s;
	}
	return share;
}

double alloc_dominant_share(struct alloc *a, const struct alloc_res *res)
{
	double share = 0;

	for (size_t i = 0; i < res->n; i++) {
		const struct alloc_res_item *it = &res->items[i];
		int id;
		double s;

		if (it->type != ALLOC_RES_SCALAR || (id = names_find(&a->names, it->name)) < 0 ||
		    vec_get(&a->tot, (uint32_t)id) <= 0)
			continue;
		s = (double)it->scalar / (double)a->tot.s[id];
		if (s > share && !a->names.excluded[id])
			share = s;
	}
	return share;
}

static void rekey_entry(struct alloc *a, const struct alloc_policy *p, struct alloc_sorter *s,
			struct alloc_sorter_entry *e, const struct vec *res, double weight,
			bool bump)
{
	double key = p->key(share_of(a, res), weight, &a->rng);

	if (!e->level) {
		e->key = key;
		e->count += bump;
		return;
	}
	alloc_sorter_update(s, e, key, e->count + bump);
}

static void rekey_fw(struct alloc *a, struct fw *f, bool bump)
{
	struct role_tier *t = alloc_role_tier(f->role, f->tier);

	rekey_entry(a, a->fw_policy, &t->fws, &f->ent, &f->alloc, 1.0, bump);
}

static void rekey_role_path(struct alloc *a, struct role *r, bool bump)
{
	if (r->self_ent.level || bump)
		rekey_entry(a, a->role_policy, &r->children, &r->self_ent, &r->self_alloc, r->weight,
			    bump);
	for (; r != a->root; r = r->parent)
		rekey_entry(a, a->role_policy, &r->parent->children, &r->ent, &r->alloc, r->weight,
			    bump);
}

void alloc_rekey_all(struct alloc *a)
{
	for (size_t i = 0; a->roles.slots && i <= a->roles.mask; i++) {
		struct role *r = a->roles.slots[i].val;

		if (!a->roles.slots[i].hash)
			continue;
		rekey_entry(a, a->role_policy, &r->parent->children, &r->ent, &r->alloc, r->weight,
			    false);
		rekey_entry(a, a->role_policy, &r->children, &r->self_ent, &r->self_alloc, r->weight,
			    false);
	}
	for (uint32_t s = 0; s < a->fw_hi; s++)
		if (a->fw_slots[s])
			rekey_fw(a, a->fw_slots[s], false);
	a->keys_dirty = false;
}

/* ---------------------------------------------------------------- setup */

static int parse_config(struct alloc *a, const struct alloc_config *c, char *err, size_t errlen)
{
	const char *p;
	int rc;

	if (!isfinite(c->allocation_interval) || c->allocation_interval < 0)
		return alloc_fail(err, errlen, "allocation_interval must be finite and >= 0");
	if (!isfinite(c->default_refuse_seconds) || c->default_refuse_seconds < 0)
		return alloc_fail(err, errlen, "default_refuse_seconds must be finite and >= 0");
	a->interval = c->allocation_interval;
	a->default_refuse = c->default_refuse_seconds;
	a->rng = c->seed ? c->seed : 1;
	a->walk_budget = c->walk_budget ? c->walk_budget : 64;
	a->dense_min = c->filter_dense_min;
	a->role_policy = alloc_policy_find(c->role_sorter ? c->role_sorter : "drf");
	if (!a->role_policy)
		return alloc_fail(err, errlen, "role_sorter: unknown policy '%s'", c->role_sorter);
	a->fw_policy = alloc_policy_find(c->framework_sorter ? c->framework_sorter : "drf");
	if (!a->fw_policy)
		return alloc_fail(err, errlen, "framework_sorter: unknown policy '%s'",
				  c->framework_sorter);

	p = c->min_allocatable ? c->min_allocatable : "";
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		_cleanup_free_ char *alt = strndup(p, len);
		struct alloc_res res;
		struct vec *v;
		char e2[200];

		if (!alt)
			return -ENOMEM;
		v = realloc(a->min_alloc, (a->n_min_alloc + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		a->min_alloc = v;
		memset(&v[a->n_min_alloc], 0, sizeof(*v));
		alloc_res_init(&res);
		rc = alloc_res_parse(alt, &res, e2, sizeof(e2));
		if (rc < 0) {
			alloc_res_clear(&res);
			return alloc_fail(err, errlen, "min_allocatable: %s", e2);
		}
		a->n_min_alloc++;
		rc = vec_from_res(&a->names, &v[a->n_min_alloc - 1], &res);
		alloc_res_clear(&res);
		if (rc < 0)
			return rc;
		p += len;
		if (*p == '|')
			p++;
	}

	p = c->fairness_exclude ? c->fairness_exclude : "";
	while (*p) {
		size_t len = strcspn(p, ",");

		/* a longer name is no resource name: it can exclude nothing */
		if (len && len < ALLOC_RES_NAME_MAX) {
			char name[ALLOC_RES_NAME_MAX];
			int id;

			memcpy(name, p, len);
			name[len] = '\0';
			if ((id = names_id(&a->names, name)) < 0)
				return id;
			a->names.excluded[id] = true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

int alloc_new(const struct alloc_config *cfg, struct alloc **ret, char *err, size_t errlen)
{
	struct alloc_config def;
	struct alloc *a = calloc(1, sizeof(*a));
	int rc;

	if (!a)
		return -ENOMEM;
	if (!cfg) {
		alloc_config_defaults(&def);
		cfg = &def;
	}
	names_init(&a->names);
	alloc_map_init(&a->roles, true);
	alloc_map_init(&a->fws, true);
	alloc_map_init(&a->agents, true);
	alloc_map_init(&a->allocs, false);
	alloc_map_init(&a->filters, false);
	alloc_map_init(&a->groups, false);
	alloc_map_init(&a->shared, false);
	alloc_map_init(&a->pending_idx, false);
	dlist_init(&a->al_free);
	rc = parse_config(a, cfg, err, errlen);
	if (rc < 0)
		goto out_free;
	a->root = role_new(a, "", NULL);
	if (!a->root) {
		rc = -ENOMEM;
		goto out_free;
	}
	*ret = a;
	return 0;
out_free:
	alloc_free(a);
	return rc;
}

static void fw_free(struct fw *f)
{
	if (!f)
		return;
	free(f->id);
	vec_clear(&f->alloc);
	alloc_res_clear(&f->alloc_res);
	free(f->dense);
	free(f);
}

static void agent_free(struct agent *ag)
{
	if (!ag)
		return;
	free(ag->id);
	free(ag->hostname);
	alloc_res_clear(&ag->total);
	vec_clear(&ag->tv);
	vec_clear(&ag->allocated);
	vec_clear(&ag->avail);
	vec_clear(&ag->cover_avail);
	alloc_res_clear(&ag->avail_res);
	free(ag->has_filter);
	free(ag->covered);
	free(ag);
}

/* Allocation records are recycled: a cycle that offers every agent makes as many. */
static struct allocation *allocation_new(struct alloc *a)
{
	struct allocation *al;

	if (dlist_empty(&a->al_free))
		return calloc(1, sizeof(*al));
	al = container_of(a->al_free.next, struct allocation, fw_link);
	dlist_del(&al->fw_link);
	return al;
}

static void allocation_free(struct alloc *a, struct allocation *al)
{
	vec_zero(&al->res);
	al->fw = NULL;
	al->ag = NULL;
	dlist_add(&a->al_free, &al->fw_link);
}

static void allocation_destroy(struct allocation *al)
{
	vec_clear(&al->res);
	free(al);
}

void alloc_free(struct alloc *a)
{
	if (!a)
		return;
	alloc_filters_free_all(a);
	free(a->heap);
	for (size_t i = 0; a->allocs.slots && i <= a->allocs.mask; i++)
		if (a->allocs.slots[i].hash)
			allocation_destroy(a->allocs.slots[i].val);
	while (!dlist_empty(&a->al_free)) {
		struct allocation *al = container_of(a->al_free.next, struct allocation, fw_link);

		dlist_del(&al->fw_link);
		allocation_destroy(al);
	}
	for (uint32_t s = 0; s < a->fw_hi; s++)
		fw_free(a->fw_slots[s]);
	for (uint32_t s = 0; s < a->ag_hi; s++)
		agent_free(a->ag_slots[s]);
	for (size_t i = 0; a->roles.slots && i <= a->roles.mask; i++)
		if (a->roles.slots[i].hash)
			role_free(a->roles.slots[i].val);
	role_free(a->root);
	alloc_map_free(&a->roles);
	alloc_map_free(&a->fws);
	alloc_map_free(&a->agents);
	alloc_map_free(&a->allocs);
	alloc_map_free(&a->filters);
	alloc_map_free(&a->groups);
	alloc_map_free(&a->pending_idx);
	free(a->fw_slots);
	free(a->fw_free);
	free(a->offerable);
	free(a->ag_slots);
	free(a->ag_free);
	for (size_t i = 0; i < a->n_min_alloc; i++)
		vec_clear(&a->min_alloc[i]);
	free(a->min_alloc);
	free(a->tiers);
	alloc_res_clear(&a->totals);
	vec_clear(&a->tot);
	alloc_res_init(&a->offer.x); /* borrowed, see cycle.c */
	vec_clear(&a->offer);
	vec_clear(&a->tmp);
	vec_clear(&a->part);
	vec_clear(&a->unalloc);
	vec_clear(&a->required);
	free(a->pending);
	free(a->excl);
	arena_free(&a->arena);
	free(a->view);
	names_free(&a->names);
	free(a);
}

bool alloc_vec_allocatable(const struct alloc *a, const struct vec *v)
{
	if (vec_is_empty(v))
		return false;
	if (a->n_min_alloc == 0)
		return true;
	for (size_t i = 0; i < a->n_min_alloc; i++)
		if (vec_contains(v, &a->min_alloc[i]))
			return true;
	return false;
}

const struct alloc_res *alloc_cluster_total(const struct alloc *a)
{
	return &a->totals;
}

size_t alloc_filter_count(const struct alloc *a)
{
	return a->n_filters;
}

/* ---------------------------------------------------------------- agents */

static int totals_change(struct alloc *a, const struct alloc_res *add, const struct alloc_res *sub)
{
	int rc = 0;

	if (sub)
		rc = alloc_res_sub(&a->totals, sub);
	if (rc == 0 && add) {
		rc = alloc_res_add(&a->totals, add);
		alloc_res_only_scalars(&a->totals);
	}
	a->keys_dirty = true;
	if (rc == 0)
		rc = vec_from_res(&a->names, &a->tot, &a->totals);
	return rc;
}

/* avail = total - allocated, at a floor of 0; ranges and sets less every allocation's. */
static int agent_recompute_avail(struct agent *ag)
{
	uint32_t n = ag->tv.ns > ag->allocated.ns ? ag->tv.ns : ag->allocated.ns;
	int rc;

	if ((rc = vec_reserve(&ag->avail, n)) < 0)
		return rc;
	for (uint32_t i = 0; i < ag->avail.ns; i++) {
		int64_t t = vec_get(&ag->tv, i), u = vec_get(&ag->allocated, i);

		ag->avail.s[i] = t > u ? t - u : 0;
	}
	if ((rc = alloc_res_copy(&ag->avail.x, &ag->tv.x)) < 0)
		return rc;
	for (struct alloc_dlist *l = ag->allocs.next; l != &ag->allocs && ag->avail.x.n; l = l->next) {
		struct allocation *al = container_of(l, struct allocation, ag_link);

		if (al->res.x.n && (rc = alloc_res_sub(&ag->avail.x, &al->res.x)) < 0)
			return rc;
	}
	return 0;
}

int alloc_agent_add(struct alloc *a, const char *id, const char *hostname,
		    const struct alloc_res *total)
{
	struct agent *ag;
	uint32_t slot;
	int rc = -ENOMEM;

	if (!id || !*id)
		return -EINVAL;
	if (alloc_map_get_str(&a->agents, id))
		return -EEXIST;
	ag = calloc(1, sizeof(*ag));
	if (!ag)
		return -ENOMEM;
	dlist_init(&ag->allocs);
	ag->active = true;
	ag->id = strdup(id);
	ag->hostname = strdup(hostname ? hostname : id);
	ag->has_filter = calloc(a->words ? a->words : 1, sizeof(uint64_t));
	ag->covered = calloc(a->words ? a->words : 1, sizeof(uint64_t));
	if (!ag->id || !ag->hostname || !ag->has_filter || !ag->covered)
		goto out_free;
	ag->gpus = alloc_res_scalar(total, "gpus") > 0;
	if ((rc = alloc_res_copy(&ag->total, total)) < 0 ||
	    (rc = vec_from_res(&a->names, &ag->tv, total)) < 0 ||
	    (rc = agent_recompute_avail(ag)) < 0 ||
	    /* no filters yet: every cover bit (none) is right for all of avail */
	    (rc = vec_copy(&ag->cover_avail, &ag->avail)) < 0)
		goto out_free;
	if (a->n_ag_free) {
		slot = a->ag_free[--a->n_ag_free];
	} else {
		if (a->ag_hi == a->ag_cap) {
			size_t cap = a->ag_cap ? a->ag_cap * 2 : 64;
			struct agent **n = realloc(a->ag_slots, cap * sizeof(*n));
			uint32_t *fr;

			rc = -ENOMEM;
			if (!n)
				goto out_free;
			a->ag_slots = n;
			fr = realloc(a->ag_free, cap * sizeof(*fr));
			if (!fr)
				goto out_free;
			a->ag_free = fr;
			a->ag_cap = cap;
		}
		slot = a->ag_hi++;
	}
	ag->slot = slot;
	rc = alloc_map_put_str(&a->agents, ag->id, ag);
	if (rc < 0) {
		a->ag_free[a->n_ag_free++] = slot;
		goto out_free;
	}
	a->ag_slots[slot] = ag;
	return totals_change(a, &ag->total, NULL);
out_free:
	agent_free(ag);
	return rc;
}

static struct agent *agent_find(const struct alloc *a, const char *id)
{
	return id ? alloc_map_get_str(&a->agents, id) : NULL;
}

static struct fw *fw_find(const struct alloc *a, const char *id)
{
	return id ? alloc_map_get_str(&a->fws, id) : NULL;
}

/* Take res (⊆ al->res) away from an allocation and everything that counts it. */
static int unallocate(struct alloc *a, struct allocation *al, const struct vec *res)
{
	struct fw *f = al->fw;
	struct agent *ag = al->ag;
	struct role *r;
	int rc;

	if ((rc = vec_sub(&a->names, &al->res, res)) < 0)
		return rc;
	vec_sub_scalars(&f->alloc, res);
	vec_sub_scalars(&f->role->self_alloc, res);
	vec_sub_scalars(&ag->allocated, res);
	for (r = f->role; r != a->root; r = r->parent)
		vec_sub_scalars(&r->alloc, res);
	rekey_fw(a, f, false);
	rekey_role_path(a, f->role, false);
	if (vec_is_empty(&al->res)) {
		alloc_map_del_u64(&a->allocs, pair_key(f, ag));
		dlist_del(&al->fw_link);
		dlist_del(&al->ag_link);
		allocation_free(a, al);
	}
	return agent_recompute_avail(ag);
}

static int unallocate_all(struct alloc *a, struct allocation *al)
{
	struct vec copy = {0};
	int rc = vec_copy(&copy, &al->res);

	if (rc == 0)
		rc = unallocate(a, al, &copy);
	vec_clear(&copy);
	return rc;
}

int alloc_agent_remove(struct alloc *a, const char *id)
{
	struct agent *ag = agent_find(a, id);

	if (!ag)
		return -ENOENT;
	while (!dlist_empty(&ag->allocs)) {
		struct allocation *al = container_of(ag->allocs.next, struct allocation, ag_link);
		int rc = unallocate_all(a, al);

		if (rc < 0)
			return rc;
	}
	alloc_filters_drop_agent(a, ag);
	totals_change(a, NULL, &ag->total);
	alloc_map_del_str(&a->agents, ag->id);
	a->ag_slots[ag->slot] = NULL;
	a->ag_free[a->n_ag_free++] = ag->slot;
	agent_free(ag);
	return 0;
}

int alloc_agent_update_total(struct alloc *a, const char *id, const struct alloc_res *total)
{
	struct agent *ag = agent_find(a, id);
	int rc;

	if (!ag)
		return -ENOENT;
	if ((rc = totals_change(a, NULL, &ag->total)) < 0 || (rc = totals_change(a, total, NULL)) < 0)
		return rc;
	if ((rc = alloc_res_copy(&ag->total, total)) < 0 ||
	    (rc = vec_from_res(&a->names, &ag->tv, total)) < 0)
		return rc;
	ag->gpus = alloc_res_scalar(total, "gpus") > 0;
	return agent_recompute_avail(ag);
}

int alloc_agent_set_active(struct alloc *a, const char *id, bool active)
{
	struct agent *ag = agent_find(a, id);

	if (!ag)
		return -ENOENT;
	ag->active = active;
	return 0;
}

int alloc_agent_get(const struct alloc *a, const char *id, const struct alloc_res **ret_total,
		    const struct alloc_res **ret_available)
{
	struct agent *ag = agent_find(a, id);

	if (!ag)
		return -ENOENT;
	if (ret_available) {
		int rc = vec_to_res(&a->names, &ag->avail, &ag->avail_res);

		if (rc < 0)
			return rc;
		*ret_available = &ag->avail_res;
	}
	if (ret_total)
		*ret_total = &ag->total;
	return 0;
}

/* ---------------------------------------------------------------- frameworks */

static int grow_fw_slots(struct alloc *a)
{
	size_t cap = a->fw_cap ? a->fw_cap * 2 : 64, words = cap / 64;
	struct fw **slots = realloc(a->fw_slots, cap * sizeof(*slots));
	uint32_t *fr;
	uint64_t *b;

	if (!slots)
		return -ENOMEM;
	a->fw_slots = slots;
	fr = realloc(a->fw_free, cap * sizeof(*fr));
	if (!fr)
		return -ENOMEM;
	a->fw_free = fr;
	b = realloc(a->offerable, words * sizeof(*b));
	if (!b)
		return -ENOMEM;
	memset(b + a->words, 0, (words - a->words) * sizeof(*b));
	a->offerable = b;
	for (uint32_t s = 0; s < a->ag_hi; s++) {
		struct agent *ag = a->ag_slots[s];
		size_t old = a->words ? a->words : 1;

		if (!ag || words <= old)
			continue;
		b = realloc(ag->has_filter, words * sizeof(*b));
		if (!b)
			return -ENOMEM;
		memset(b + old, 0, (words - old) * sizeof(*b));
		ag->has_filter = b;
		b = realloc(ag->covered, words * sizeof(*b));
		if (!b)
			return -ENOMEM;
		memset(b + old, 0, (words - old) * sizeof(*b));
		ag->covered = b;
	}
	a->fw_cap = cap;
	a->words = words;
	return 0;
}

static void tier_count(struct alloc *a, int tier, int delta)
{
	size_t i;

	for (i = 0; i < a->ntiers; i++)
		if (a->tiers[i].tier == tier)
			break;
	if (i == a->ntiers) {
		/* caller checked memory: tiers has room (see framework_add) */
		size_t pos = 0;

		while (pos < a->ntiers && a->tiers[pos].tier > tier)
			pos++;
		memmove(&a->tiers[pos + 1], &a->tiers[pos], (a->ntiers - pos) * sizeof(a->tiers[0]));
		a->tiers[pos] = (struct tier_count){tier, 0};
		a->ntiers++;
		i = pos;
	}
	a->tiers[i].n += (uint32_t)delta;
	if (a->tiers[i].n == 0) {
		memmove(&a->tiers[i], &a->tiers[i + 1], (a->ntiers - i - 1) * sizeof(a->tiers[0]));
		a->ntiers--;
	}
}

/* Set whether f may get offers, keeping the bitmap and subtree counts in step. */
static void fw_update_offerable(struct alloc *a, struct fw *f)
{
	bool now = f->active && !f->suppressed && !f->retired;
	bool was = bit_test(a->offerable, f->slot);

	if (now == was)
		return;
	if (now)
		bit_set(a->offerable, f->slot);
	else
		bit_clear(a->offerable, f->slot);
	for (struct role *r = f->role; r; r = r->parent)
		alloc_role_tier(r, f->tier)->n_offerable += now ? 1 : (uint32_t)-1;
}

/* The client of framework id in role (NULL: the first), or NULL. */
static struct fw *client_find(const struct alloc *a, const char *id, const char *role)
{
	struct fw *f = fw_find(a, id);

	if (!role)
		return f;
	while (f && strcmp(f->role->name, role) != 0)
		f = f->next_role;
	return f;
}

/* A new client of framework id in role; not yet linked to the framework's other ones. */
static int client_new(struct alloc *a, const char *id, const char *role, int tier, bool active,
		      struct fw **ret)
{
	struct tier_count *tc;
	struct role_tier *t;
	struct role *r;
	struct fw *f;
	uint32_t slot;
	int rc;

	if (!id || !*id || alloc_role_validate(role, NULL, 0) < 0)
		return -EINVAL;
	r = role_get(a, role, true);
	if (!r)
		return -ENOMEM;
	for (struct role *p = r; p; p = p->parent)
		if (!role_tier_get(a, p, tier))
			return -ENOMEM;
	tc = realloc(a->tiers, (a->ntiers + 1) * sizeof(*tc));
	if (!tc)
		return -ENOMEM;
	a->tiers = tc;
	if (!a->n_fw_free && a->fw_hi == a->fw_cap && (rc = grow_fw_slots(a)) < 0)
		return rc;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->id = strdup(id))) {
		fw_free(f);
		return -ENOMEM;
	}
	slot = a->n_fw_free ? a->fw_free[--a->n_fw_free] : a->fw_hi++;
	a->fw_slots[slot] = f;
	f->slot = slot;
	f->role = r;
	f->tier = tier;
	f->active = active;
	dlist_init(&f->allocs);
	dlist_init(&f->groups);
	f->ent.name = f->id;
	f->ent.key = a->fw_policy->key(0, 1.0, &a->rng);
	t = alloc_role_tier(r, tier);
	alloc_sorter_insert(&t->fws, &f->ent);
	if (r->n_frameworks++ == 0) {
		r->self_ent.key = a->role_policy->key(share_of(a, &r->self_alloc),
						      r->weight, &a->rng);
		alloc_sorter_insert(&r->children, &r->self_ent);
	}
	tier_count(a, tier, 1);
	fw_update_offerable(a, f);
	*ret = f;
	return 0;
}

/* Free a client: its allocations return to their agents, its filters go. Not unlinked. */
static int client_destroy(struct alloc *a, struct fw *f)
{
	struct role *r;

	while (!dlist_empty(&f->allocs)) {
		int rc = unallocate_all(a, container_of(f->allocs.next, struct allocation, fw_link));

		if (rc < 0)
			return rc;
	}
	alloc_filters_drop_fw(a, f);
	f->active = false;
	fw_update_offerable(a, f);
	r = f->role;
	alloc_sorter_remove(&alloc_role_tier(r, f->tier)->fws, &f->ent);
	if (--r->n_frameworks == 0)
		alloc_sorter_remove(&r->children, &r->self_ent);
	tier_count(a, f->tier, -1);
	a->fw_slots[f->slot] = NULL;
	a->fw_free[a->n_fw_free++] = f->slot;
	fw_free(f);
	return 0;
}

int alloc_framework_add(struct alloc *a, const char *id, const char *role, int tier, bool active)
{
	struct fw *f;
	int rc;

	if (id && fw_find(a, id))
		return -EEXIST;
	if ((rc = client_new(a, id, role, tier, active, &f)) < 0)
		return rc;
	rc = alloc_map_put_str(&a->fws, f->id, f);
	if (rc < 0) {
		client_destroy(a, f);
		return rc;
	}
	return 0;
}

int alloc_framework_role_add(struct alloc *a, const char *id, const char *role, bool suppressed)
{
	struct fw *head = fw_find(a, id), *f, *last;
	int rc;

	if (!head)
		return -ENOENT;
	if (!role)
		return -EINVAL;
	f = client_find(a, id, role);
	if (!f) {
		if ((rc = client_new(a, id, role, head->tier, head->active, &f)) < 0)
			return rc;
		f->no_gpus = head->no_gpus;
		for (last = head; last->next_role; last = last->next_role)
			;
		last->next_role = f;
	}
	f->retired = false;
	f->suppressed = suppressed;
	fw_update_offerable(a, f);
	return 0;
}

int alloc_framework_role_remove(struct alloc *a, const char *id, const char *role)
{
	struct fw *head = fw_find(a, id), *f = role ? client_find(a, id, role) : NULL;

	if (!f)
		return -ENOENT;
	alloc_filters_drop_fw(a, f);
	f->retired = true;
	fw_update_offerable(a, f);
	if (f == head || !dlist_empty(&f->allocs))
		return 0; /* kept: the head names the framework; allocations stay charged */
	for (struct fw *p = head; p; p = p->next_role)
		if (p->next_role == f) {
			p->next_role = f->next_role;
			break;
		}
	return client_destroy(a, f);
}

int alloc_framework_remove(struct alloc *a, const char *id)
{
	struct fw *f = fw_find(a, id), *next;
	int rc;

	if (!f)
		return -ENOENT;
	alloc_map_del_str(&a->fws, f->id);
	for (; f; f = next) {
		next = f->next_role;
		if ((rc = client_destroy(a, f)) < 0)
			return rc;
	}
	return 0;
}

int alloc_framework_set_active(struct alloc *a, const char *id, bool active)
{
	struct fw *f = fw_find(a, id);

	if (!f)
		return -ENOENT;
	for (; f; f = f->next_role) {
		f->active = active;
		fw_update_offerable(a, f);
	}
	return 0;
}

int alloc_framework_suppress(struct alloc *a, const char *id, const char *role)
{
	struct fw *f = client_find(a, id, role);

	if (!f)
		return -ENOENT;
	for (; f; f = role ? NULL : f->next_role) {
		f->suppressed = true;
		fw_update_offerable(a, f);
	}
	return 0;
}

int alloc_framework_set_gpu_agents(struct alloc *a, const char *id, bool offer)
{
	struct fw *f = fw_find(a, id);

	if (!f)
		return -ENOENT;
	for (; f; f = f->next_role)
		f->no_gpus = !offer;
	return 0;
}

int alloc_framework_revive(struct alloc *a, const char *id, const char *role)
{
	struct fw *f = client_find(a, id, role);

	if (!f)
		return -ENOENT;
	for (; f; f = role ? NULL : f->next_role) {
		alloc_filters_drop_fw(a, f);
		f->suppressed = false;
		fw_update_offerable(a, f);
	}
	return 0;
}

/* ---------------------------------------------------------------- roles (API) */

int alloc_role_set_weight(struct alloc *a, const char *role, double weight)
{
	struct role *r;

	if (alloc_role_validate(role, NULL, 0) < 0 || !isfinite(weight) || weight <= 0)
		return -EINVAL;
	r = role_get(a, role, true);
	if (!r)
		return -ENOMEM;
	r->weight = weight;
	rekey_role_path(a, r, false);
	return 0;
}

static bool only_scalars(const struct alloc_res *r)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (r->items[i].type != ALLOC_RES_SCALAR)
			return false;
	return true;
}

int alloc_role_set_quota(struct alloc *a, const char *role, const struct alloc_res *guarantee,
			 const struct alloc_res *limit)
{
	struct alloc_res empty = ALLOC_RES_INIT;
	struct role *r;
	bool had, had_limit;
	int rc;

	if (alloc_role_validate(role, NULL, 0) < 0 || !only_scalars(guarantee) ||
	    !only_scalars(limit))
		return -EINVAL;
	if (!guarantee)
		guarantee = &empty;
	if (!limit)
		limit = &empty;
	/* a guarantee above the limit could never be met */
	for (size_t i = 0; i < limit->n; i++)
		if (alloc_res_scalar(guarantee, limit->items[i].name) > limit->items[i].scalar)
			return -EINVAL;
	r = role_get(a, role, true);
	if (!r)
		return -ENOMEM;
	had = !alloc_res_is_empty(&r->guarantee);
	had_limit = !alloc_res_is_empty(&r->limit);
	if ((rc = alloc_res_copy(&r->guarantee, guarantee)) < 0 ||
	    (rc = alloc_res_copy(&r->limit, limit)) < 0 ||
	    (rc = vec_from_res(&a->names, &r->gv, guarantee)) < 0 ||
	    (rc = vec_from_res(&a->names, &r->lv, limit)) < 0)
		return rc;
	a->n_quota_roles += (size_t)(!alloc_res_is_empty(&r->guarantee)) - had;
	a->n_limit_roles += (size_t)(!alloc_res_is_empty(&r->limit)) - had_limit;
	return 0;
}

/* ---------------------------------------------------------------- allocations */

/*
 * Allocate v to f on ag. take_x: v->x is ag->avail.x, all of it (an offer made by the
 * cycle, whose ranges and sets are never capped): move it rather than copy it.
 */
static int do_allocate(struct alloc *a, struct fw *f, struct agent *ag, const struct vec *v,
		       bool take_x)
{
	uint64_t key = pair_key(f, ag);
	struct allocation *al = alloc_map_get_u64(&a->allocs, key);
	struct role *r;
	int rc;

	if (!al) {
		al = allocation_new(a);
		if (!al)
			return -ENOMEM;
		al->fw = f;
		al->ag = ag;
		rc = alloc_map_put_u64(&a->allocs, key, al);
		if (rc < 0) {
			allocation_free(a, al);
			return rc;
		}
		dlist_add(&f->allocs, &al->fw_link);
		dlist_add(&ag->allocs, &al->ag_link);
	}
	if (a->names.mixed && (vec_clash(&a->names, &al->res, v) || vec_clash(&a->names, &ag->avail, v)))
		return -EINVAL;
	if ((rc = vec_add_scalars(&al->res, v)) < 0 || (rc = vec_add_scalars(&f->alloc, v)) < 0 ||
	    (rc = vec_add_scalars(&f->role->self_alloc, v)) < 0 ||
	    (rc = vec_add_scalars(&ag->allocated, v)) < 0)
		return rc;
	for (r = f->role; r != a->root; r = r->parent)
		if ((rc = vec_add_scalars(&r->alloc, v)) < 0)
			return rc;
	vec_sub_scalars(&ag->avail, v);
	if (v->x.n && take_x) {
		/* v->x aliases ag->avail.x */
		if (!al->res.x.n) {
			alloc_res_clear(&al->res.x); /* an empty item array may be left */
			al->res.x = ag->avail.x;
			alloc_res_init(&ag->avail.x);
		} else {
			rc = alloc_res_add(&al->res.x, &ag->avail.x);
			alloc_res_clear(&ag->avail.x);
			if (rc < 0)
				return rc;
		}
	} else if (v->x.n) {
		if ((rc = alloc_res_add(&al->res.x, &v->x)) < 0 ||
		    (rc = alloc_res_sub(&ag->avail.x, &v->x)) < 0)
			return rc;
	}
	rekey_fw(a, f, true);
	rekey_role_path(a, f->role, true);
	return 0;
}

int alloc_do_allocate_vec(struct alloc *a, struct fw *f, struct agent *ag, const struct vec *v)
{
	return do_allocate(a, f, ag, v, true);
}

int alloc_allocation_add(struct alloc *a, const char *fw, const char *role, const char *agent,
			 const struct alloc_res *res)
{
	struct fw *f = client_find(a, fw, role);
	struct agent *ag = agent_find(a, agent);
	int rc;

	if (!f || !ag)
		return -ENOENT;
	if (alloc_res_is_empty(res))
		return 0;
	if ((rc = vec_from_res(&a->names, &a->tmp, res)) < 0)
		return rc;
	return do_allocate(a, f, ag, &a->tmp, false);
}

static int recover(struct alloc *a, struct fw *f, struct agent *ag, const struct alloc_res *res)
{
	struct allocation *al = alloc_map_get_u64(&a->allocs, pair_key(f, ag));
	int rc;

	if (!al)
		return alloc_res_is_empty(res) ? 0 : -ENOENT;
	if ((rc = vec_from_res(&a->names, &a->tmp, res)) < 0 ||
	    (rc = vec_intersect(&al->res, &a->tmp, &a->part)) < 0)
		return rc;
	return vec_is_empty(&a->part) ? 0 : unallocate(a, al, &a->part);
}

int alloc_recover(struct alloc *a, const char *fw, const char *role, const char *agent,
		  const struct alloc_res *res)
{
	struct fw *f = client_find(a, fw, role);
	struct agent *ag = agent_find(a, agent);

	if (!f || !ag)
		return -ENOENT;
	return recover(a, f, ag, res);
}

int alloc_decline(struct alloc *a, const char *fw, const char *role, const char *agent,
		  const struct alloc_res *res, double refuse_seconds, double now)
{
	struct fw *f = client_find(a, fw, role);
	struct agent *ag = agent_find(a, agent);
	int rc;

	if (!f || !ag)
		return -ENOENT;
	rc = recover(a, f, ag, res);
	/* declining what is no longer allocated (already recovered) still sets the filter */
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (isnan(refuse_seconds) || !isfinite(now))
		return -EINVAL;
	if (refuse_seconds < 0)
		refuse_seconds = a->default_refuse;
	if (refuse_seconds == 0 || alloc_res_is_empty(res))
		return 0;
	if (refuse_seconds < a->interval)
		refuse_seconds = a->interval;
	if (refuse_seconds > ALLOC_REFUSE_MAX)
		refuse_seconds = ALLOC_REFUSE_MAX;
	return alloc_filter_add(a, f, ag, res, now + refuse_seconds);
}

/* ---------------------------------------------------------------- queries */

/* ret += the ranges and sets f holds (the scalars are counted in f->alloc). */
static int add_fw_rest(struct fw *f, struct alloc_res *ret)
{
	int rc;

	for (struct alloc_dlist *l = f->allocs.next; l != &f->allocs; l = l->next) {
		struct allocation *al = container_of(l, struct allocation, fw_link);

		if (al->res.x.n && (rc = alloc_res_add(ret, &al->res.x)) < 0)
			return rc;
	}
	return 0;
}

static int add_role_rest(struct role *r, struct alloc_res *ret)
{
	int rc;

	for (struct alloc_sorter_entry *e = alloc_sorter_first(&r->children); e;
	     e = alloc_sorter_next(e)) {
		if (e != &r->self_ent) {
			if ((rc = add_role_rest(container_of(e, struct role, ent), ret)) < 0)
				return rc;
			continue;
		}
		for (size_t t = 0; t < r->ntiers; t++)
			for (struct alloc_sorter_entry *fe = alloc_sorter_first(&r->tiers[t].fws); fe;
			     fe = alloc_sorter_next(fe))
				if ((rc = add_fw_rest(container_of(fe, struct fw, ent), ret)) < 0)
					return rc;
	}
	return 0;
}

static void role_info(struct alloc *a, struct role *r, struct alloc_role_info *ret)
{
	/* on ENOMEM the copy is short of ranges and sets; the scalars are exact */
	if (vec_to_res(&a->names, &r->alloc, &r->alloc_res) == 0)
		add_role_rest(r, &r->alloc_res);
	ret->name = r->name;
	ret->weight = r->weight;
	ret->share = share_of(a, &r->alloc);
	ret->weighted_share = ret->share / r->weight;
	ret->frameworks = r->n_frameworks;
	ret->allocated = &r->alloc_res;
	ret->guarantee = &r->guarantee;
	ret->limit = &r->limit;
}

int alloc_role_get(struct alloc *a, const char *role, struct alloc_role_info *ret)
{
	struct role *r = role ? role_get(a, role, false) : NULL;

	if (!r)
		return -ENOENT;
	role_info(a, r, ret);
	return 0;
}

void alloc_roles_foreach(struct alloc *a, void (*fn)(void *opaque, const struct alloc_role_info *),
			 void *opaque)
{
	for (size_t i = 0; a->roles.slots && i <= a->roles.mask; i++) {
		struct alloc_role_info info;

		if (!a->roles.slots[i].hash)
			continue;
		role_info(a, a->roles.slots[i].val, &info);
		fn(opaque, &info);
	}
}

int alloc_framework_get(struct alloc *a, const char *fw, const char *role,
			struct alloc_framework_info *ret)
{
	struct fw *head = fw_find(a, fw), *f = client_find(a, fw, role);
	const struct vec *sum;
	int rc;

	if (!f)
		return -ENOENT;
	ret->id = f->id;
	ret->role = f->role->name;
	ret->tier = f->tier;
	ret->active = f->active;
	ret->suppressed = f->suppressed || f->retired;
	ret->allocations = f->ent.count;
	sum = &f->alloc;
	if (!role && head->next_role) {
		/* the whole framework: every role's allocation */
		if ((rc = vec_copy(&a->tmp, &head->alloc)) < 0)
			return rc;
		for (f = head->next_role; f; f = f->next_role) {
			if ((rc = vec_add_scalars(&a->tmp, &f->alloc)) < 0)
				return rc;
			ret->suppressed = ret->suppressed && (f->suppressed || f->retired);
			ret->allocations += f->ent.count;
		}
		sum = &a->tmp;
		f = head;
	}
	if ((rc = vec_to_res(&a->names, sum, &f->alloc_res)) < 0)
		return rc;
	if ((rc = add_fw_rest(f, &f->alloc_res)) < 0)
		return rc;
	for (struct fw *c = f->next_role; sum == &a->tmp && c; c = c->next_role)
		if ((rc = add_fw_rest(c, &f->alloc_res)) < 0)
			return rc;
	ret->share = share_of(a, sum);
	ret->allocated = &f->alloc_res;
	return 0;
}
