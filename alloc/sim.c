// SPDX-License-Identifier: Apache-2.0
/* alloc/sim: scenario in, allocation cycles with simple frameworks, results out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "sim.h"
#include "err.h"
#include "util.h"

struct sim_fw {
	const char *id;
	struct alloc_res task;
	long wanted, placed, per_offer;
	bool done;
};

struct sim {
	struct alloc *a;
	struct sim_fw *fws;
	size_t nfw;
	long placed_this_cycle;
	double now;
	int rc;
};

/* A resources field: the text form or the Mesos JSON array. */
static int get_res(const json_t *o, const char *field, const char *where, bool required,
		   struct alloc_res *ret, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, field);
	char e2[200];
	int rc;

	if (!v) {
		if (required)
			return alloc_fail(err, errlen, "%s: missing '%s'", where, field);
		return 0;
	}
	if (json_is_string(v))
		rc = alloc_res_parse(json_string_value(v), ret, e2, sizeof(e2));
	else
		rc = alloc_res_from_json(v, ret, e2, sizeof(e2));
	if (rc < 0)
		return alloc_fail(err, errlen, "%s: '%s': %s", where, field, e2);
	return 0;
}

static struct sim_fw *find(struct sim *s, const char *id)
{
	for (size_t i = 0; i < s->nfw; i++)
		if (streq(s->fws[i].id, id))
			return &s->fws[i];
	return NULL;
}

static void on_offer(void *opaque, const char *fw, const char *role, const char *agent,
		     const struct alloc_res *res)
{
	struct sim *s = opaque;
	struct sim_fw *f = find(s, fw);
	struct alloc_res left = ALLOC_RES_INIT;
	long n = 0;
	int rc;

	if (!f || alloc_res_copy(&left, res) < 0) {
		s->rc = -ENOMEM;
		return;
	}
	while (n < f->per_offer && f->placed < f->wanted && alloc_res_contains(&left, &f->task)) {
		alloc_res_sub(&left, &f->task);
		f->placed++;
		n++;
	}
	s->placed_this_cycle += n;
	/* the rest is declined with refuse_seconds 0; an offer it cannot use at all is
	 * declined with a long filter (until the agent's resources change), as real
	 * frameworks do, so that others get their turn */
	rc = alloc_decline(s->a, fw, role, agent, &left, n ? 0 : ALLOC_REFUSE_MAX, s->now);
	if (rc < 0)
		s->rc = rc;
	if (f->placed == f->wanted && !f->done) {
		f->done = true;
		alloc_framework_suppress(s->a, fw, NULL);
	}
	alloc_res_clear(&left);
}

static json_t *fmt_res(const struct alloc_res *r)
{
	char buf[1024];

	alloc_res_format(r, buf, sizeof(buf));
	return json_string(buf);
}

static void add_role(void *opaque, const struct alloc_role_info *ri)
{
	json_array_append_new(opaque, json_pack("{s:s,s:f,s:o,s:f,s:f}", "name", ri->name,
						"weight", ri->weight, "allocated",
						fmt_res(ri->allocated), "share", ri->share,
						"weighted_share", ri->weighted_share));
}

static int cmp_name(const void *x, const void *y)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)x, "name")),
		      json_string_value(json_object_get(*(json_t *const *)y, "name")));
}

static int setup(struct sim *s, const json_t *sc, char *err, size_t errlen)
{
	json_t *agents = json_object_get(sc, "agents"), *roles = json_object_get(sc, "roles");
	json_t *fws = json_object_get(sc, "frameworks"), *cfg = json_object_get(sc, "config"), *o;
	struct alloc_config c;
	size_t i;
	int rc;

	alloc_config_defaults(&c);
	if (cfg && !json_is_object(cfg))
		return alloc_fail(err, errlen, "'config' must be an object");
	if (json_object_get(cfg, "min_allocatable"))
		c.min_allocatable = json_string_value(json_object_get(cfg, "min_allocatable"));
	if (json_object_get(cfg, "fairness_exclude"))
		c.fairness_exclude = json_string_value(json_object_get(cfg, "fairness_exclude"));
	if (json_object_get(cfg, "role_sorter"))
		c.role_sorter = json_string_value(json_object_get(cfg, "role_sorter"));
	if (json_object_get(cfg, "framework_sorter"))
		c.framework_sorter = json_string_value(json_object_get(cfg, "framework_sorter"));
	if (json_is_integer(json_object_get(cfg, "seed")))
		c.seed = (uint64_t)json_integer_value(json_object_get(cfg, "seed"));
	rc = alloc_new(&c, &s->a, err, errlen);
	if (rc < 0)
		return rc;

	if (!json_is_array(agents) || !json_array_size(agents))
		return alloc_fail(err, errlen, "'agents' must be a non-empty array");
	json_array_foreach(agents, i, o) {
		json_t *cnt = json_object_get(o, "count");
		const char *id = json_string_value(json_object_get(o, "id"));
		struct alloc_res r = ALLOC_RES_INIT;
		char where[64], aid[160];
		long n = cnt ? (long)json_integer_value(cnt) : 1;

		snprintf(where, sizeof(where), "agents[%zu]", i);
		if (!json_is_object(o))
			return alloc_fail(err, errlen, "%s: not an object", where);
		if (cnt && (!json_is_integer(cnt) || n < 1 || n > 1000000))
			return alloc_fail(err, errlen, "%s: 'count' must be an integer in 1..1000000", where);
		rc = get_res(o, "resources", where, true, &r, err, errlen);
		for (long k = 0; rc == 0 && k < n; k++) {
			if (id && n == 1)
				snprintf(aid, sizeof(aid), "%s", id);
			else
				snprintf(aid, sizeof(aid), "%s-%ld", id ? id : "agent", k);
			rc = alloc_agent_add(s->a, aid, aid, &r);
			if (rc == -EEXIST)
				rc = alloc_fail(err, errlen, "%s: duplicate agent id '%s'", where, aid);
		}
		alloc_res_clear(&r);
		if (rc < 0)
			return rc;
	}

	if (roles && !json_is_array(roles))
		return alloc_fail(err, errlen, "'roles' must be an array");
	json_array_foreach(roles, i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		json_t *w = json_object_get(o, "weight");
		struct alloc_res g = ALLOC_RES_INIT, l = ALLOC_RES_INIT;
		char where[64], e2[200];

		snprintf(where, sizeof(where), "roles[%zu]", i);
		if (!name || alloc_role_validate(name, e2, sizeof(e2)) < 0)
			return alloc_fail(err, errlen, "%s: 'name': %s", where, name ? e2 : "missing");
		if (w && (!json_is_number(w) || alloc_role_set_weight(s->a, name, json_number_value(w)) < 0))
			return alloc_fail(err, errlen, "%s: 'weight' must be a number > 0", where);
		rc = get_res(o, "guarantee", where, false, &g, err, errlen);
		if (rc == 0)
			rc = get_res(o, "limit", where, false, &l, err, errlen);
		if (rc == 0 && (g.n || l.n) && alloc_role_set_quota(s->a, name, &g, &l) < 0)
			rc = alloc_fail(err, errlen, "%s: quota must be scalars with guarantee <= limit", where);
		alloc_res_clear(&g);
		alloc_res_clear(&l);
		if (rc < 0)
			return rc;
	}

	if (!json_is_array(fws) || !json_array_size(fws))
		return alloc_fail(err, errlen, "'frameworks' must be a non-empty array");
	s->fws = calloc(json_array_size(fws), sizeof(*s->fws));
	if (!s->fws)
		return -ENOMEM;
	json_array_foreach(fws, i, o) {
		struct sim_fw *f = &s->fws[s->nfw];
		const char *role = json_string_value(json_object_get(o, "role"));
		json_t *frs = json_object_get(o, "roles"); /* several (MULTI_ROLE), or "role" */
		json_t *tier = json_object_get(o, "tier"), *tasks = json_object_get(o, "tasks");
		json_t *per = json_object_get(o, "tasks_per_offer");
		char where[64];

		snprintf(where, sizeof(where), "frameworks[%zu]", i);
		f->id = json_string_value(json_object_get(o, "id"));
		if (!f->id || !*f->id)
			return alloc_fail(err, errlen, "%s: missing 'id'", where);
		if (frs && (role || !json_is_array(frs) || !json_array_size(frs)))
			return alloc_fail(err, errlen,
					  "%s: 'roles' must be a non-empty array, without 'role'",
					  where);
		for (size_t k = 0; k < json_array_size(frs); k++)
			if (!json_is_string(json_array_get(frs, k)))
				return alloc_fail(err, errlen, "%s: 'roles[%zu]' must be a string",
						  where, k);
		if (frs)
			role = json_string_value(json_array_get(frs, 0));
		if (!role)
			role = "*";
		if (tier && !json_is_integer(tier))
			return alloc_fail(err, errlen, "%s: 'tier' must be an integer", where);
		if (!json_is_integer(tasks) || json_integer_value(tasks) < 0)
			return alloc_fail(err, errlen, "%s: 'tasks' must be an integer >= 0", where);
		if (per && (!json_is_integer(per) || json_integer_value(per) < 1))
			return alloc_fail(err, errlen, "%s: 'tasks_per_offer' must be an integer >= 1", where);
		rc = get_res(o, "task", where, true, &f->task, err, errlen);
		s->nfw++;
		if (rc < 0)
			return rc;
		if (alloc_res_is_empty(&f->task))
			return alloc_fail(err, errlen, "%s: 'task' is empty", where);
		f->wanted = (long)json_integer_value(tasks);
		f->per_offer = per ? (long)json_integer_value(per) : 1;
		rc = alloc_framework_add(s->a, f->id, role, tier ? (int)json_integer_value(tier) : 0,
					 true);
		if (rc == -EEXIST)
			return alloc_fail(err, errlen, "%s: duplicate framework id '%s'", where, f->id);
		if (rc == -EINVAL)
			return alloc_fail(err, errlen, "%s: bad 'role' '%s'", where, role);
		if (rc < 0)
			return rc;
		for (size_t k = 1; k < json_array_size(frs); k++) {
			const char *r = json_string_value(json_array_get(frs, k));
			struct alloc_framework_info fi;

			if (alloc_framework_get(s->a, f->id, r, &fi) == 0)
				return alloc_fail(err, errlen, "%s: role '%s' appears twice", where,
						  r);
			rc = alloc_framework_role_add(s->a, f->id, r, false);
			if (rc == -EINVAL)
				return alloc_fail(err, errlen, "%s: bad role '%s'", where, r);
			if (rc < 0)
				return rc;
		}
		if (f->wanted == 0) {
			f->done = true;
			alloc_framework_suppress(s->a, f->id, NULL);
		}
	}
	return 0;
}

int alloc_sim_run(const json_t *scenario, json_t **ret, char *err, size_t errlen)
{
	struct sim s = {0};
	json_t *out = NULL, *fl, *rl, *mc;
	long max_cycles = 100000, cycles = 0;
	int rc;

	if (!json_is_object(scenario))
		return alloc_fail(err, errlen, "scenario must be a JSON object");
	mc = json_object_get(scenario, "max_cycles");
	if (mc && (!json_is_integer(mc) || json_integer_value(mc) < 1))
		return alloc_fail(err, errlen, "'max_cycles' must be an integer >= 1");
	if (mc)
		max_cycles = (long)json_integer_value(mc);
	rc = setup(&s, scenario, err, errlen);
	while (rc == 0 && cycles < max_cycles) {
		int n;

		s.placed_this_cycle = 0;
		s.now = (double)cycles;
		n = alloc_cycle(s.a, s.now, on_offer, &s);
		cycles++;
		if (n < 0 || s.rc < 0)
			rc = n < 0 ? n : s.rc;
		if (n == 0)
			break;
	}
	if (rc == 0) {
		fl = json_array();
		rl = json_array();
		out = json_pack("{s:I,s:o,s:o}", "cycles", (json_int_t)cycles, "frameworks", fl,
				"roles", rl);
		for (size_t i = 0; out && i < s.nfw; i++) {
			struct alloc_framework_info fi;

			alloc_framework_get(s.a, s.fws[i].id, NULL, &fi);
			json_array_append_new(fl, json_pack("{s:s,s:s,s:i,s:I,s:I,s:o,s:f}", "id", fi.id,
							    "role", fi.role, "tier", fi.tier, "tasks",
							    (json_int_t)s.fws[i].placed, "wanted",
							    (json_int_t)s.fws[i].wanted, "allocated",
							    fmt_res(fi.allocated), "share", fi.share));
		}
		alloc_roles_foreach(s.a, add_role, rl);
		/* roles come out of a hash table: sort them for stable output */
		if (out) {
			size_t n = json_array_size(rl);
			json_t **v = calloc(n + 1, sizeof(*v)), *sorted = json_array();

			for (size_t i = 0; v && i < n; i++)
				v[i] = json_incref(json_array_get(rl, i));
			if (v)
				qsort(v, n, sizeof(*v), cmp_name);
			for (size_t i = 0; v && i < n; i++)
				json_array_append_new(sorted, v[i]);
			free(v);
			json_object_set_new(out, "roles", sorted);
		}
		if (!out)
			rc = -ENOMEM;
	}
	for (size_t i = 0; i < s.nfw; i++)
		alloc_res_clear(&s.fws[i].task);
	free(s.fws);
	alloc_free(s.a);
	if (rc == 0)
		*ret = out;
	else if (err && errlen && !err[0]) /* a failure deep in the allocator: still say so */
		alloc_fail(err, errlen, "the simulation failed: %s", strerror(-rc));
	return rc;
}
