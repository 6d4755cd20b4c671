// SPDX-License-Identifier: Apache-2.0
/*
 * --roles FILE, read once at start:
 *   {"roles": [{"role": "eng", "weight": 3, "tier": 1,
 *               "quota": {"guarantee": "cpus:2;mem:1024", "limit": "cpus:8;mem:8192"}}]}
 * weight goes to alloc_role_set_weight, quota (text or Mesos JSON resources, scalars) to
 * master_quota_apply (quota.c), tier becomes the default tier of frameworks subscribing in the role
 * (framework_info.tier overrides it). Weights and quotas set later with UPDATE_WEIGHTS and
 * UPDATE_QUOTA are kept in the registry and win over the file on restart (the file is the
 * initial value; a role's quota removed with UPDATE_QUOTA stays removed).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "master.h"
#include "operator.h"
#include "validate.h"

#define ERRLEN 512

static int parse_res(json_t *v, const char *role, const char *what, struct alloc_res *ret)
{
	char err[ERRLEN];
	int r;

	if (!v)
		return 0;
	if (json_is_string(v))
		r = alloc_res_parse(json_string_value(v), ret, err, sizeof(err));
	else
		r = alloc_res_from_json(v, ret, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "--roles: role '%s': quota.%s: %s", role, what, err);
	return 0;
}

static int apply_role(struct master *m, json_t *e, size_t i)
{
	const char *role = json_string_value(json_object_get(e, "role"));
	json_t *w = json_object_get(e, "weight"), *tier = json_object_get(e, "tier");
	json_t *quota = json_object_get(e, "quota");
	struct alloc_res g = ALLOC_RES_INIT, l = ALLOC_RES_INIT;
	char err[ERRLEN];
	int r;

	if (!json_is_object(e))
		return log_error_errno(EINVAL, "--roles: roles[%zu] must be an object", i);
	if (!role || !master_role_is_valid(role, err, sizeof(err)))
		return log_error_errno(EINVAL, "--roles: roles[%zu].role: %s", i,
				       role ? err : "must be a string");
	if (w && (!json_is_number(w) || !master_weight_is_valid(json_number_value(w))))
		return log_error_errno(EINVAL,
				       "--roles: roles[%zu].weight must be a number in (0, 1000000]", i);
	if (tier && (!json_is_integer(tier) || llabs(json_integer_value(tier)) > 1000))
		return log_error_errno(EINVAL,
				       "--roles: roles[%zu].tier must be an integer in [-1000, 1000]",
				       i);
	if (quota && !json_is_object(quota))
		return log_error_errno(EINVAL, "--roles: roles[%zu].quota must be an object", i);
	if (parse_res(json_object_get(quota, "guarantee"), role, "guarantee", &g) < 0 ||
	    parse_res(json_object_get(quota, "limit"), role, "limit", &l) < 0) {
		alloc_res_clear(&g);
		return -EINVAL;
	}
	r = 0;
	if (w) {
		r = alloc_role_set_weight(m->alloc, role, json_number_value(w));
		if (r == 0)
			json_object_set_new(m->weights, role, json_real(json_number_value(w)));
	}
	if (r == 0 && quota) {
		/* as UPDATE_QUOTA's (GET_QUOTA shows it); one in the registry replaces it */
		json_t *config = master_quota_config(role, &g, &l);
		r = config ? master_quota_apply(m, config, false) : -ENOMEM;
		json_decref(config);
	}
	alloc_res_clear(&g);
	alloc_res_clear(&l);
	if (r < 0)
		return log_error_errno(r, "--roles: role '%s': the allocator refused it: %m "
					  "(a guarantee must fit within the limit)",
				       role);
	if (tier)
		json_object_set_new(m->role_tiers, role, json_integer(json_integer_value(tier)));
	return 0;
}

int master_roles_load(struct master *m, const char *path)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *roles, *e;
	size_t i;
	int r = 0;

	if (!j)
		return log_error_errno(EINVAL, "--roles: '%s': %s (line %d)", path, jerr.text,
				       jerr.line);
	roles = json_object_get(j, "roles");
	if (!json_is_array(roles)) {
		json_decref(j);
		return log_error_errno(EINVAL, "--roles: '%s': field 'roles' must be an array",
				       path);
	}
	json_array_foreach(roles, i, e) {
		r = apply_role(m, e, i);
		if (r < 0)
			break;
	}
	if (r == 0)
		log_info("--roles: %zu role(s) from '%s'", json_array_size(roles), path);
	json_decref(j);
	return r;
}
