// SPDX-License-Identifier: Apache-2.0
/*
 * `drover offer`: outstanding offers. The master has no GET_OFFERS call; every framework of
 * GET_FRAMEWORKS carries its outstanding offers, which is where these come from.
 */
#include <stdio.h>

#include "api.h"
#include "main.h"

static int do_list(int argc, char **argv)
{
	json_t *p, *f, *o, *out;
	size_t i, j;

	if (argc)
		return usage_err("offer list");
	p = api_master("GET_FRAMEWORKS");
	if (!p)
		return EXIT_FAILED;
	out = json_array();
	json_array_foreach(json_object_get(p, "frameworks"), i, f)
		json_array_foreach(json_object_get(f, "offers"), j, o)
			json_array_append(out, o);
	json_decref(p);
	if (json_output) {
		json_print(out);
		return EXIT_OK;
	}
	printf("%-24s %-40s %-20s %-10s %s\n", "OFFER", "FRAMEWORK", "HOSTNAME", "ROLE",
	       "RESOURCES");
	json_array_foreach(out, i, o) {
		char res[512];
		const char *host = json_string_value(json_object_get(o, "hostname"));
		const char *role = json_string_value(
			json_object_get(json_object_get(o, "allocation_info"), "role"));
		res_text(json_object_get(o, "resources"), res, sizeof(res));
		printf("%-24s %-40s %-20s %-10s %s\n", id_value(o, "id"), id_value(o, "framework_id"),
		       host ? host : "-", role ? role : "-", res);
	}
	json_decref(out);
	return EXIT_OK;
}

static const struct cmd cmds[];

static int do_help(int argc, char **argv)
{
	return print_cmds_help("offer", cmds, "Offers sent to frameworks and not yet used.\n");
}

static const struct cmd cmds[] = {
	{"list", do_list, ""},
	{"help", do_help, NULL},
	{0},
};

int do_offer(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_help);
}
