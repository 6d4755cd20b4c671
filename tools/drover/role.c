// SPDX-License-Identifier: Apache-2.0
/*
 * `drover role`: roles with their weights, quota and dominant shares (GET_ROLES),
 * UPDATE_WEIGHTS and UPDATE_QUOTA. GET_ROLES has no tier: a role's tier shown here is that of its frameworks
 * (GET_FRAMEWORKS), "-" when it has none and "mixed" when they differ.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/resources.h"
#include "api.h"
#include "main.h"

/* Add "tier" to each role from the tiers of its frameworks. */
static void add_tiers(json_t *roles)
{
	json_t *fws = api_master("GET_FRAMEWORKS"), *r, *f;
	size_t i, j;

	json_array_foreach(roles, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		json_t *tier = NULL;
		bool mixed = false;
		json_array_foreach(json_object_get(fws, "frameworks"), j, f) {
			json_t *t = json_object_get(f, "tier");
			if (!streq(json_string_value(json_object_get(f, "role")), name))
				continue;
			if (tier && !json_equal(tier, t))
				mixed = true;
			tier = t;
		}
		if (tier && !mixed)
			json_object_set(r, "tier", tier);
		else if (mixed)
			json_object_set_new(r, "tier", json_string("mixed"));
	}
	json_decref(fws);
}

static int do_list(int argc, char **argv)
{
	json_t *p, *roles, *r;
	size_t i;

	if (argc)
		return usage_err("role list");
	p = api_master("GET_ROLES");
	if (!p)
		return EXIT_FAILED;
	roles = json_object_get(p, "roles");
	add_tiers(roles);
	if (json_output) {
		json_print(json_incref(roles));
		json_decref(p);
		return EXIT_OK;
	}
	printf("%-16s %7s %5s %4s %7s %8s  %-28s %s\n", "ROLE", "WEIGHT", "TIER", "FWS", "SHARE",
	       "W.SHARE", "ALLOCATED", "QUOTA (GUARANTEE/LIMIT)");
	json_array_foreach(roles, i, r) {
		char alloc[256], g[256], l[256], tier[16];
		json_t *t = json_object_get(r, "tier");
		res_text(json_object_get(r, "allocated"), alloc, sizeof(alloc));
		res_text(json_object_get(r, "quota_guarantee"), g, sizeof(g));
		res_text(json_object_get(r, "quota_limit"), l, sizeof(l));
		if (json_is_integer(t))
			snprintf(tier, sizeof(tier), "%lld", (long long)json_integer_value(t));
		else
			snprintf(tier, sizeof(tier), "%s", json_is_string(t) ? json_string_value(t) : "-");
		printf("%-16s %7g %5s %4lld %7.4f %8.4f  %-28s %s/%s\n",
		       json_string_value(json_object_get(r, "name")),
		       json_number_value(json_object_get(r, "weight")), tier,
		       (long long)json_array_size(json_object_get(r, "frameworks")),
		       json_number_value(json_object_get(r, "dominant_share")),
		       json_number_value(json_object_get(r, "weighted_share")), alloc, g, l);
	}
	json_decref(p);
	return EXIT_OK;
}

/* role weight ROLE=W...: UPDATE_WEIGHTS (all or none are applied) */
static int do_weight(int argc, char **argv)
{
	json_t *infos = json_array(), *out;
	int r;

	if (argc < 1) {
		json_decref(infos);
		return usage_err("role weight ROLE=WEIGHT...");
	}
	for (; argc; NEXT_ARG()) {
		char *eq = strchr(argv[0], '='), *end;
		double w = eq ? strtod(eq + 1, &end) : 0;
		if (!eq || eq == argv[0] || end == eq + 1 || *end || !isfinite(w) || w <= 0) {
			json_decref(infos);
			p_err("bad weight '%s' (ROLE=WEIGHT, a positive number)", argv[0]);
			return EXIT_USAGE;
		}
		json_array_append_new(infos, json_pack("{s:s%,s:f}", "role", argv[0],
						       (int)(eq - argv[0]), "weight", w));
	}
	out = json_deep_copy(infos);
	r = api_master_change("UPDATE_WEIGHTS", json_pack("{s:o}", "weight_infos", infos));
	if (r == 0 && json_output) {
		json_print(json_pack("{s:o}", "weight_infos", out));
		out = NULL;
	} else if (r == 0) {
		size_t i;
		json_t *e;
		json_array_foreach(out, i, e)
			printf("role %s: weight %g\n", json_string_value(json_object_get(e, "role")),
			       json_real_value(json_object_get(e, "weight")));
	}
	json_decref(out);
	return r ? EXIT_FAILED : EXIT_OK;
}

/* The scalars of resource text ("cpus:2;mem:1024") as a QuotaConfig map; NULL if bad. */
static json_t *quota_map(const char *text)
{
	struct alloc_res r = ALLOC_RES_INIT;
	char err[256];
	json_t *map;

	if (alloc_res_parse(text, &r, err, sizeof(err)) < 0) {
		p_err("bad resources '%s': %s", text, err);
		return NULL;
	}
	map = json_object();
	for (size_t i = 0; i < r.n; i++)
		if (r.items[i].type == ALLOC_RES_SCALAR)
			json_object_set_new(map, r.items[i].name,
					    json_pack("{s:f}", "value",
						      (double)r.items[i].scalar / ALLOC_SCALAR_UNIT));
	alloc_res_clear(&r);
	return map;
}

/* role quota ROLE [guarantee RES] [limit RES] [force]: UPDATE_QUOTA (neither: removed) */
static int do_quota(int argc, char **argv)
{
	json_t *config, *out;
	bool force = false;
	int r;

	if (argc < 1)
		return usage_err("role quota ROLE [guarantee RES] [limit RES] [force]");
	config = json_pack("{s:s}", "role", argv[0]);
	for (NEXT_ARG(); argc; NEXT_ARG()) {
		const char *key = streq(argv[0], "guarantee") ? "guarantees"
				  : streq(argv[0], "limit")   ? "limits"
							      : NULL;
		json_t *map;
		if (streq(argv[0], "force")) {
			force = true;
			continue;
		}
		if (!key || argc < 2) {
			json_decref(config);
			return usage_err("role quota ROLE [guarantee RES] [limit RES] [force]");
		}
		NEXT_ARG();
		map = quota_map(argv[0]);
		if (!map) {
			json_decref(config);
			return EXIT_USAGE;
		}
		json_object_set_new(config, key, map);
	}
	out = json_deep_copy(config);
	r = api_master_change("UPDATE_QUOTA", json_pack("{s:b,s:[o]}", "force", force,
							"quota_configs", config));
	if (r == 0 && json_output) {
		json_print(out);
		out = NULL;
	} else if (r == 0) {
		char *s = json_dumps(out, JSON_COMPACT);
		printf("role %s: quota %s\n", json_string_value(json_object_get(out, "role")),
		       json_object_size(out) > 1 ? s : "removed");
		free(s);
	}
	json_decref(out);
	return r ? EXIT_FAILED : EXIT_OK;
}

static const struct cmd cmds[];

static int do_help(int argc, char **argv)
{
	return print_cmds_help(
		"role", cmds,
		"SHARE is the role's dominant share, W.SHARE that share divided by the weight\n"
		"(weighted DRF offers next to the lowest). Weights set with 'role weight' and quotas\n"
		"set with 'role quota' (RES: cpus:2;mem:1024, scalars; neither guarantee nor limit:\n"
		"the quota is removed; force: past the cluster's capacity) are kept in the registry.\n");
}

static const struct cmd cmds[] = {
	{"list", do_list, ""},
	{"weight", do_weight, " ROLE=WEIGHT..."},
	{"quota", do_quota, " ROLE [guarantee RES] [limit RES] [force]"},
	{"help", do_help, NULL},
	{0},
};

int do_role(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_help);
}
