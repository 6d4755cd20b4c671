// SPDX-License-Identifier: Apache-2.0
/* `drover framework`: the frameworks the master knows (GET_FRAMEWORKS). */
#include <stdio.h>

#include "api.h"
#include "main.h"

static const char *framework_id(json_t *f)
{
	return id_value(json_object_get(f, "framework_info"), "id");
}

static int do_list(int argc, char **argv)
{
	json_t *p, *f;
	size_t i;

	if (argc)
		return usage_err("framework list");
	p = api_master("GET_FRAMEWORKS");
	if (!p)
		return EXIT_FAILED;
	if (json_output) {
		json_print(json_incref(json_object_get(p, "frameworks")));
		json_decref(p);
		return EXIT_OK;
	}
	printf("%-40s %-20s %-10s %5s %-12s %5s %6s %7s  %s\n", "FRAMEWORK", "NAME", "ROLE", "TIER",
	       "STATE", "TASKS", "OFFERS", "SHARE", "ALLOCATED");
	json_array_foreach(json_object_get(p, "frameworks"), i, f) {
		char res[256];
		json_t *fi = json_object_get(f, "framework_info");
		const char *st = json_is_true(json_object_get(f, "connected"))
					 ? (json_is_true(json_object_get(f, "suppressed")) ? "suppressed"
											   : "active")
					 : "disconnected";
		res_text(json_object_get(f, "allocated_resources"), res, sizeof(res));
		printf("%-40s %-20s %-10s %5lld %-12s %5lld %6zu %7.4f  %s\n", framework_id(f),
		       json_string_value(json_object_get(fi, "name")),
		       json_string_value(json_object_get(f, "role")),
		       (long long)json_integer_value(json_object_get(f, "tier")), st,
		       (long long)json_integer_value(json_object_get(f, "tasks")),
		       json_array_size(json_object_get(f, "offers")),
		       json_number_value(json_object_get(f, "dominant_share")), res);
	}
	json_decref(p);
	return EXIT_OK;
}

static int do_show(int argc, char **argv)
{
	json_t *p, *f;

	if (argc != 1)
		return usage_err("framework show ID");
	p = api_master("GET_FRAMEWORKS");
	if (!p)
		return EXIT_FAILED;
	f = find_by_id(json_object_get(p, "frameworks"), argv[0], "framework", framework_id);
	if (f) {
		if (json_output)
			json_print(json_incref(f));
		else
			print_kv(f, 0);
	}
	json_decref(p);
	return f ? EXIT_OK : EXIT_FAILED;
}

static const struct cmd cmds[];

static int do_help(int argc, char **argv)
{
	return print_cmds_help("framework", cmds,
			       "ID is a framework ID or a unique prefix of one.\n");
}

static const struct cmd cmds[] = {
	{"list", do_list, ""},
	{"show", do_show, " ID"},
	{"help", do_help, NULL},
	{0},
};

int do_framework(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_help);
}
