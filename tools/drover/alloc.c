// SPDX-License-Identifier: Apache-2.0
/* drover alloc: offline tools around the allocator (`simulate SCENARIO.json`). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "main.h"
#include "sim.h"

static int do_alloc_help(int argc, char **argv)
{
	if (json_output) {
		json_print(json_pack("{s:[s]}", "commands", "simulate"));
		return EXIT_OK;
	}
	fprintf(stderr,
		"Usage: %s alloc simulate SCENARIO.json\n"
		"       %s alloc help\n\n"
		"Runs allocation cycles over SCENARIO.json (agents, roles, frameworks with a\n"
		"task demand) and prints per framework the tasks placed, resources held and\n"
		"dominant share, and per role its share. Format: docs/allocation.md.\n",
		bin_name, bin_name);
	return EXIT_OK;
}

static void print_plain(json_t *out)
{
	size_t i;
	json_t *o;

	printf("cycles: %lld\n", (long long)json_integer_value(json_object_get(out, "cycles")));
	printf("%-20s %-16s %5s %8s %8s  %s\n", "FRAMEWORK", "ROLE", "TIER", "TASKS", "SHARE",
	       "ALLOCATED");
	json_array_foreach(json_object_get(out, "frameworks"), i, o)
		printf("%-20s %-16s %5lld %4lld/%-3lld %8.4f  %s\n",
		       json_string_value(json_object_get(o, "id")),
		       json_string_value(json_object_get(o, "role")),
		       (long long)json_integer_value(json_object_get(o, "tier")),
		       (long long)json_integer_value(json_object_get(o, "tasks")),
		       (long long)json_integer_value(json_object_get(o, "wanted")),
		       json_real_value(json_object_get(o, "share")),
		       json_string_value(json_object_get(o, "allocated")));
	printf("\n%-20s %8s %8s %8s  %s\n", "ROLE", "WEIGHT", "SHARE", "WSHARE", "ALLOCATED");
	json_array_foreach(json_object_get(out, "roles"), i, o)
		printf("%-20s %8.3g %8.4f %8.4f  %s\n", json_string_value(json_object_get(o, "name")),
		       json_real_value(json_object_get(o, "weight")),
		       json_real_value(json_object_get(o, "share")),
		       json_real_value(json_object_get(o, "weighted_share")),
		       json_string_value(json_object_get(o, "allocated")));
}

static int do_simulate(int argc, char **argv)
{
	json_t *sc, *out = NULL;
	json_error_t jerr;
	char err[512] = "";
	int rc;

	if (argc != 1) {
		p_err("usage: %s alloc simulate SCENARIO.json", bin_name);
		return EXIT_USAGE;
	}
	sc = streq(argv[0], "-") ? json_loadf(stdin, 0, &jerr) : json_load_file(argv[0], 0, &jerr);
	if (!sc) {
		p_err("%s:%d: %s", argv[0], jerr.line, jerr.text);
		return EXIT_FAILED;
	}
	rc = alloc_sim_run(sc, &out, err, sizeof(err));
	json_decref(sc);
	if (rc < 0) {
		p_err("%s: %s", argv[0], err[0] ? err : strerror(-rc));
		return EXIT_FAILED;
	}
	if (json_output) {
		json_print(out);
		return EXIT_OK;
	}
	print_plain(out);
	json_decref(out);
	return EXIT_OK;
}

static const struct cmd cmds[] = {
	{"simulate", do_simulate, "SCENARIO.json | run allocation cycles offline"},
	{"help", do_alloc_help, NULL},
	{0},
};

int do_alloc(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_alloc_help);
}
