// SPDX-License-Identifier: Apache-2.0
/*
 * Quota at run time (Mesos's v2 quota): GET_QUOTA and UPDATE_QUOTA {force, quota_configs:
 * [QuotaConfig {role, guarantees: {name: {value}}, limits: {...}}]}. An update is checked
 * whole (every config valid, every role allowed update_quotas, and unless force: guarantees
 * within the cluster's capacity, what each role's tasks hold within its new limits) before any
 * of it is applied; then the allocator has it at once, the registry keeps it (it wins over
 * --roles after a restart), and the offers of the roles it changes are rescinded so that
 * the next cycle offers within it. A config with neither map removes the role's quota.
 * Unlike Mesos 1.11, nested roles ("eng/ml") may have a quota (the allocator enforces limits
 * on a role's subtree).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "master.h"
#include "operator.h"
#include "validate.h"

/* Mesos's bounds on a quota value: 1 EB for mem and disk (in MB), 1e12 for anything else */
#define QUOTA_MAX_BYTES_MB (1024.0 * 1024 * 1024 * 1024)
#define QUOTA_MAX_OTHER 1e12

/* A Value.Scalar ({"value": number or numeric string}) as a number; false if it is not. */
static bool scalar_value(json_t *s, double *ret)
{
	json_t *v = json_is_object(s) ? json_object_get(s, "value") : NULL;
	char *end;

	if (json_is_number(v)) {
		*ret = json_number_value(v);
		return true;
	}
	if (!json_is_string(v))
		return false;
	*ret = strtod(json_string_value(v), &end);
	return end != json_string_value(v) && *end == '\0';
}

/* A map name -> Value.Scalar (null or absent: empty) into ret. */
static int parse_map(json_t *map, const char *path, const char *what, struct alloc_res *ret,
		     char *err, size_t errlen)
{
	const char *name;
	json_t *s;
	double v;

	if (!map || json_is_null(map))
		return 0;
	if (!json_is_object(map)) {
		snprintf(err, errlen, "'%s.%s' must be an object (name -> {\"value\": number})",
			 path, what);
		return -EINVAL;
	}
	json_object_foreach(map, name, s) {
		double max = streq(name, "mem") || streq(name, "disk") ? QUOTA_MAX_BYTES_MB :
									 QUOTA_MAX_OTHER;
		if (!*name || strlen(name) >= ALLOC_RES_NAME_MAX) {
			snprintf(err, errlen,
				 "'%s.%s' has a resource name that is empty or longer "
				 "than %d bytes",
				 path, what, ALLOC_RES_NAME_MAX - 1);
			return -EINVAL;
		}
		if (!scalar_value(s, &v) || !isfinite(v) || v < 0 || v > max) {
			snprintf(err, errlen, "'%s.%s.%s' must be {\"value\": v} with 0 <= v <= %g",
				 path, what, name, max);
			return -EINVAL;
		}
		if (alloc_res_set_scalar(ret, name, llround(v * ALLOC_SCALAR_UNIT)) < 0) {
			snprintf(err, errlen, "'%s.%s.%s': out of memory", path, what, name);
			return -ENOMEM;
		}
	}
	return 0;
}

int master_quota_parse(json_t *config, const char *path, struct alloc_res *guarantee,
		       struct alloc_res *limit, char *err, size_t errlen)
{
	const char *role = json_string_value(json_object_get(config, "role"));
	char why[256];
	int r;

	if (!json_is_object(config)) {
		snprintf(err, errlen, "'%s' must be an object", path);
		return -EINVAL;
	}
	if (!role) {
		snprintf(err, errlen, "'%s.role' must be a string", path);
		return -EINVAL;
	}
	if (!master_role_is_valid(role, why, sizeof(why)) || streq(role, "*")) {
		snprintf(err, errlen, "'%s.role': %s", path,
			 streq(role, "*") ? "the default role '*' cannot have a quota" : why);
		return -EINVAL;
	}
	r = parse_map(json_object_get(config, "guarantees"), path, "guarantees", guarantee, err,
		      errlen);
	if (r == 0)
		r = parse_map(json_object_get(config, "limits"), path, "limits", limit, err,
			      errlen);
	if (r < 0)
		return r;
	/* guarantees within limits: a name the limits leave out is unlimited */
	for (size_t i = 0; i < guarantee->n; i++) {
		const struct alloc_res_item *g = &guarantee->items[i];
		if (alloc_res_find(limit, g->name) &&
		    g->scalar > alloc_res_scalar(limit, g->name)) {
			snprintf(err, errlen, "'%s': the guarantee of '%s' is above its limit",
				 path, g->name);
			return -EINVAL;
		}
	}
	return 0;
}

json_t *master_quota_config(const char *role, const struct alloc_res *g, const struct alloc_res *l)
{
	json_t *j = json_pack("{s:s}", "role", role);
	const struct alloc_res *maps[2] = {g, l};
	const char *keys[2] = {"guarantees", "limits"};

	for (int k = 0; k < 2; k++) {
		json_t *map;
		if (alloc_res_is_empty(maps[k]))
			continue;
		map = json_object();
		for (size_t i = 0; i < maps[k]->n; i++)
			if (maps[k]->items[i].type == ALLOC_RES_SCALAR)
				json_object_set_new(map, maps[k]->items[i].name,
						    json_pack("{s:f}", "value",
							      (double)maps[k]->items[i].scalar /
								      ALLOC_SCALAR_UNIT));
		json_object_set_new(j, keys[k], map);
	}
	return j;
}

int master_quota_apply(struct master *m, json_t *config, bool persist)
{
	struct alloc_res g = ALLOC_RES_INIT, l = ALLOC_RES_INIT;
	const char *role = json_string_value(json_object_get(config, "role"));
	char err[256];
	json_t *norm;
	int r = master_quota_parse(config, "quota", &g, &l, err, sizeof(err));

	if (r == 0)
		r = alloc_role_set_quota(m->alloc, role, &g, &l);
	if (r == 0) {
		norm = master_quota_config(role, &g, &l);
		if (persist)
			master_persist_quota(m, role, norm);
		if (alloc_res_is_empty(&g) && alloc_res_is_empty(&l))
			json_object_del(m->quotas, role);
		else
			json_object_set(m->quotas, role, norm);
		json_decref(norm);
	}
	alloc_res_clear(&g);
	alloc_res_clear(&l);
	return r;
}

json_t *master_quota_get(struct master *m)
{
	json_t *configs = json_array(), *infos = json_array(), *c;
	const char *role;

	json_object_foreach(m->quotas, role, c) {
		struct alloc_res g = ALLOC_RES_INIT;
		json_t *gm = json_object_get(c, "guarantees"), *s;
		const char *name;

		json_array_append(configs, c);
		json_object_foreach(gm, name, s)
			alloc_res_set_scalar(
				&g, name,
				llround(json_number_value(json_object_get(s, "value")) *
					ALLOC_SCALAR_UNIT));
		/* the deprecated QuotaInfo: the guarantee alone */
		json_array_append_new(infos, json_pack("{s:s,s:o}", "role", role, "guarantee",
						       alloc_res_to_json(&g)));
		alloc_res_clear(&g);
	}
	return json_pack("{s:{s:o,s:o}}", "status", "infos", infos, "configs", configs);
}

/* Whether r is role or one of its subroles. */
static bool in_subtree(const char *r, const char *role, size_t rl)
{
	return r && strncmp(r, role, rl) == 0 && (r[rl] == '\0' || r[rl] == '/');
}

/*
 * What role and its subroles' tasks hold (Mesos's consumed quota: not what is offered). A task
 * counts in the role it is allocated to (a MULTI_ROLE framework's offer's role).
 */
static void role_consumption(struct master *m, const char *role, struct alloc_res *ret)
{
	size_t rl = strlen(role), it, jt;
	void *v, *w;

	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);) {
		struct framework *fw = v;
		if (!fw->multi_role && !in_subtree(fw->role, role, rl))
			continue;
		for (jt = 0; strmap_next(&fw->tasks, &jt, NULL, &w);) {
			struct task *t = w;
			if (!task_state_terminal(t->state) && t->state != TASK_UNREACHABLE &&
			    in_subtree(t->role ? t->role : fw->role, role, rl))
				alloc_res_add(ret, &t->res);
		}
	}
}

/* Unless force: the guarantees, once updated, within the cluster's capacity; each updated
 * role's tasks within its new limits. 0, or -EINVAL with err. */
static int check_fit(struct master *m, json_t *configs, const struct alloc_res *lims, char *err,
		     size_t errlen)
{
	struct alloc_res sum = ALLOC_RES_INIT;
	const struct alloc_res *cap = alloc_cluster_total(m->alloc);
	const char *role, *name;
	json_t *c, *s;
	size_t i;
	int r = 0;

	/* every role's guarantee, the updated ones as updated */
	json_object_foreach(m->quotas, role, c) {
		bool updated = false;
		json_array_foreach(configs, i, s)
			updated |= streq(role, json_string_value(json_object_get(s, "role")));
		if (updated)
			continue;
		json_object_foreach(json_object_get(c, "guarantees"), name, s)
			alloc_res_set_scalar(
				&sum, name,
				alloc_scalar_add(
					alloc_res_scalar(&sum, name),
					llround(json_number_value(json_object_get(s, "value")) *
						ALLOC_SCALAR_UNIT)));
	}
	json_array_foreach(configs, i, c) {
		json_object_foreach(json_object_get(c, "guarantees"), name, s) {
			double v = 0;
			scalar_value(s, &v);
			alloc_res_set_scalar(&sum, name,
					     alloc_scalar_add(alloc_res_scalar(&sum, name),
							      llround(v * ALLOC_SCALAR_UNIT)));
		}
	}
	for (i = 0; i < sum.n && r == 0; i++) {
		if (sum.items[i].scalar > alloc_res_scalar(cap, sum.items[i].name)) {
			snprintf(err, errlen,
				 "the guarantees of '%s' (%g in all) exceed the cluster's capacity "
				 "(%g); use 'force' to set them anyway",
				 sum.items[i].name, (double)sum.items[i].scalar / ALLOC_SCALAR_UNIT,
				 (double)alloc_res_scalar(cap, sum.items[i].name) /
					 ALLOC_SCALAR_UNIT);
			r = -EINVAL;
		}
	}
	alloc_res_clear(&sum);
	json_array_foreach(configs, i, c) {
		struct alloc_res used = ALLOC_RES_INIT;
		role = json_string_value(json_object_get(c, "role"));
		if (r < 0)
			break;
		role_consumption(m, role, &used);
		for (size_t k = 0; k < lims[i].n && r == 0; k++) {
			const char *n = lims[i].items[k].name;
			if (alloc_res_scalar(&used, n) > lims[i].items[k].scalar) {
				snprintf(
					err, errlen,
					"role '%s' holds more '%s' than its new limit; use 'force' "
					"to set it anyway",
					role, n);
				r = -EINVAL;
			}
		}
		alloc_res_clear(&used);
	}
	return r;
}

/* The offers of frameworks in a role the update changed go back (Mesos: best effort). */
static void rescind_offers(struct master *m, json_t *configs)
{
	size_t it, i;
	json_t *c;
	void *v;

	for (it = 0; strmap_next(&m->offers, &it, NULL, &v);) {
		struct offer *o = v;
		json_array_foreach(configs, i, c) {
			if (o->role &&
			    streq(o->role, json_string_value(json_object_get(c, "role")))) {
				master_offer_rescind(m, o);
				it = 0; /* the map changed: start over */
				break;
			}
		}
	}
}

void master_quota_update_call(struct master *m, struct msg *msg)
{
	char err[512] = "", path[64];
	json_t *uq = wire_get_object(msg->body, "update_quota", true, err, sizeof(err));
	json_t *configs = uq ? json_object_get(uq, "quota_configs") : NULL, *c;
	struct alloc_res *g = NULL, *l = NULL;
	bool force = false;
	size_t i, n = 0;
	int r = uq ? 0 : -EINVAL;

	if (r == 0 && wire_get_bool(uq, "force", &force, err, sizeof(err)) < 0)
		r = -EINVAL;
	/* a bare QuotaConfig counts as a list of one (Mesos's JSON rules) */
	configs = json_is_object(configs) ? json_pack("[O]", configs) :
		  json_is_array(configs)  ? json_incref(configs) :
					    json_array();
	n = json_array_size(configs);
	g = calloc(n + 1, sizeof(*g));
	l = calloc(n + 1, sizeof(*l));
	if (r == 0 && (!g || !l)) {
		snprintf(err, sizeof(err), "out of memory");
		r = -ENOMEM;
	}
	json_array_foreach(r == 0 ? configs : NULL, i, c) {
		snprintf(path, sizeof(path), "update_quota.quota_configs[%zu]", i);
		r = master_quota_parse(c, path, &g[i], &l[i], err, sizeof(err));
		for (size_t k = 0; r == 0 && k < i; k++)
			if (streq(json_string_value(json_object_get(c, "role")),
				  json_string_value(
					  json_object_get(json_array_get(configs, k), "role")))) {
				snprintf(err, sizeof(err), "'%s.role': role '%s' appears twice",
					 path, json_string_value(json_object_get(c, "role")));
				r = -EINVAL;
			}
		if (r < 0)
			break;
	}
	if (r < 0) {
		master_reply_error(m, msg->req, r == -ENOMEM ? 503 : 400,
				   "Failed to validate master::Call: %s", err);
		goto out;
	}
	json_array_foreach(configs, i, c)
		if (!master_authorize(m, msg, ACL_UPDATE_QUOTAS,
				      json_string_value(json_object_get(c, "role"))))
			goto out; /* answered 403 */
	if (!force && check_fit(m, configs, l, err, sizeof(err)) < 0) {
		master_reply_error(m, msg->req, 400, "Invalid QuotaConfig: %s", err);
		goto out;
	}
	json_array_foreach(configs, i, c) {
		if (master_quota_apply(m, c, true) < 0)
			log_warn("UPDATE_QUOTA: the allocator refused the quota of role '%s'",
				 json_string_value(json_object_get(c, "role")));
	}
	log_info("UPDATE_QUOTA: %zu role(s)%s", n, force ? " (forced)" : "");
	rescind_offers(m, configs);
	master_request_allocation(m);
	master_reply_error(m, msg->req, 200, "%s", "");
out:
	for (i = 0; g && l && i < n; i++) {
		alloc_res_clear(&g[i]);
		alloc_res_clear(&l[i]);
	}
	free(g);
	free(l);
	json_decref(configs);
}
