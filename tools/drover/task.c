// SPDX-License-Identifier: Apache-2.0
/* `drover task`: list, show and run tasks. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "api.h"
#include "main.h"

static const char *idv(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(json_object_get(o, k), "value"));

	return v ? v : "";
}

static int do_list(int argc, char **argv)
{
	const char *state = NULL, *fw = NULL;
	json_t *p, *tasks, *t, *out;
	size_t i;

	while (argc >= 2) {
		if (is_prefix(argv[0], "--state") || is_prefix(argv[0], "state"))
			state = argv[1];
		else if (is_prefix(argv[0], "--framework") || is_prefix(argv[0], "framework"))
			fw = argv[1];
		else
			break;
		argc -= 2;
		argv += 2;
	}
	if (argc) {
		p_err("usage: %s task list [--state S] [--framework F]", bin_name);
		return EXIT_USAGE;
	}
	p = api_master("GET_TASKS");
	if (!p)
		return EXIT_FAILED;
	tasks = json_object_get(p, "tasks");
	out = json_array();
	json_array_foreach(tasks, i, t) {
		const char *s = json_string_value(json_object_get(t, "state"));
		if (state && !(streq(s, state) || (strncmp(s, "TASK_", 5) == 0 &&
						    strcasecmp(s + 5, state) == 0)))
			continue;
		if (fw && !streq(idv(t, "framework_id"), fw))
			continue;
		json_array_append(out, t);
	}
	if (json_output) {
		json_print(out);
	} else {
		printf("%-36s %-16s %-38s %s\n", "TASK", "STATE", "FRAMEWORK", "AGENT");
		json_array_foreach(out, i, t)
			printf("%-36s %-16s %-38s %s\n", idv(t, "task_id"),
			       json_string_value(json_object_get(t, "state")), idv(t, "framework_id"),
			       idv(t, "agent_id"));
		json_decref(out);
	}
	json_decref(p);
	return EXIT_OK;
}

static int do_show(int argc, char **argv)
{
	json_t *p, *t;
	size_t i;
	int rc = EXIT_FAILED;

	if (argc != 1) {
		p_err("usage: %s task show ID", bin_name);
		return EXIT_USAGE;
	}
	p = api_master("GET_TASKS");
	if (!p)
		return EXIT_FAILED;
	json_array_foreach(json_object_get(p, "tasks"), i, t) {
		if (streq(idv(t, "task_id"), argv[0])) {
			if (json_output) {
				json_print(json_incref(t));
			} else {
				char *s = json_dumps(t, JSON_INDENT(2) | JSON_SORT_KEYS);
				printf("%s\n", s);
				free(s);
			}
			rc = EXIT_OK;
			break;
		}
	}
	if (rc != EXIT_OK)
		p_err("no task '%s'", argv[0]);
	json_decref(p);
	return rc;
}

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %s task { list [--state S] [--framework F] | show ID |\n"
		"                 run [OPTIONS] -- CMD [ARGS...] | help }\n",
		bin_name);
	return EXIT_OK;
}

static const struct cmd cmds[] = {
	{"list", do_list, "list [--state S] [--framework F]"},
	{"show", do_show, "show ID"},
	{"run", do_task_run, "run [OPTIONS] -- CMD [ARGS...]"},
	{"help", do_help, NULL},
	{0},
};

int do_task(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_help);
}
