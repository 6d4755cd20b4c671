// SPDX-License-Identifier: Apache-2.0
/* `drover task`: list, show, kill (task_kill.c) and run (task_run.c) tasks. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "api.h"
#include "main.h"

#define idv id_value

static const char *task_id(json_t *t)
{
	return id_value(t, "task_id");
}

/* The latest status's health: "healthy", "unhealthy", or "-" (no health check said yet). */
static const char *task_health(json_t *t)
{
	json_t *st = json_object_get(t, "statuses");
	json_t *h = json_object_get(json_array_get(st, json_array_size(st) - 1), "healthy");

	return !json_is_boolean(h) ? "-" : json_is_true(h) ? "healthy" : "unhealthy";
}

static int do_list(int argc, char **argv)
{
	const char *state = NULL, *fw = NULL;
	json_t *p, *tasks, *t, *out;
	bool all = false;
	size_t i;

	while (argc >= 1 && (streq(argv[0], "--all") || streq(argv[0], "-a"))) {
		all = true;
		NEXT_ARG();
	}
	while (argc >= 2) {
		if (is_prefix(argv[0], "--state") || is_prefix(argv[0], "state"))
			state = argv[1];
		else if (is_prefix(argv[0], "--framework") || is_prefix(argv[0], "framework"))
			fw = argv[1];
		else
			break;
		argc -= 2;
		argv += 2;
		while (argc >= 1 && (streq(argv[0], "--all") || streq(argv[0], "-a"))) {
			all = true;
			NEXT_ARG();
		}
	}
	if (argc) {
		return usage_err("task list [--state S] [--framework F] [--all]");
	}
	p = api_master("GET_TASKS");
	if (!p)
		return EXIT_FAILED;
	tasks = json_deep_copy(json_object_get(p, "tasks"));
	json_array_extend(tasks, json_object_get(p, "unreachable_tasks"));
	if (all)
		json_array_extend(tasks, json_object_get(p, "completed_tasks"));
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
	json_decref(tasks);
	if (json_output) {
		json_print(out);
	} else {
		printf("%-36s %-16s %-9s %-38s %-38s %s\n", "TASK", "STATE", "HEALTH", "FRAMEWORK",
		       "AGENT", "RESOURCES");
		json_array_foreach(out, i, t) {
			char res[256];
			res_text(json_object_get(t, "resources"), res, sizeof(res));
			printf("%-36s %-16s %-9s %-38s %-38s %s\n", idv(t, "task_id"),
			       json_string_value(json_object_get(t, "state")), task_health(t),
			       idv(t, "framework_id"), idv(t, "agent_id"), res);
		}
		json_decref(out);
	}
	json_decref(p);
	return EXIT_OK;
}

static int do_show(int argc, char **argv)
{
	json_t *p, *tasks, *t;
	int rc = EXIT_FAILED;

	if (argc != 1)
		return usage_err("task show ID");
	p = api_master("GET_TASKS");
	if (!p)
		return EXIT_FAILED;
	/* a live task wins over a completed one with the same ID */
	tasks = json_deep_copy(json_object_get(p, "tasks"));
	json_array_extend(tasks, json_object_get(p, "unreachable_tasks"));
	json_array_extend(tasks, json_object_get(p, "completed_tasks"));
	t = find_by_id(tasks, argv[0], "task", task_id);
	if (t) {
		if (json_output) {
			json_print(json_incref(t));
		} else {
			printf("health: %s\n", task_health(t));
			print_kv(t, 0);
		}
		rc = EXIT_OK;
	}
	json_decref(tasks);
	json_decref(p);
	return rc;
}

static const struct cmd cmds[];

static int do_help(int argc, char **argv)
{
	return print_cmds_help(
		"task", cmds,
		"list shows live tasks (--all adds completed ones); S is a state with or without\n"
		"TASK_ (running, TASK_FINISHED). ID is a task ID or a unique prefix of one.\n"
		"logs prints a task's stdout (--stderr: its stderr) from the agent that ran it; -f\n"
		"  follows it until the task ends, --tail N starts with its last N lines.\n"
		"kill fails over to the task's framework when it is disconnected (a --detach run)\n"
		"and sends KILL; --force does so even if the framework looks connected.\n"
		"run OPTIONS: --name N --role R --cpus C --mem MIB --ports K --limit-cpus C\n"
		"  --limit-mem MIB --user U --env K=V --count N --grace SECONDS --detach -v\n"
		"  --health-cmd CMD | --health-http PORT[/PATH] | --health-tcp PORT\n"
		"  [--health-interval S --health-timeout S --health-delay S --health-grace S\n"
		"  --health-retries N]\n"
		"  ('drover task run help' for its exit codes).\n");
}

static const struct cmd cmds[] = {
	{"list", do_list, " [--state S] [--framework F] [--all]"},
	{"show", do_show, " ID"},
	{"kill", do_task_kill, " ID [--grace SECONDS] [--force]"},
	{"run", do_task_run, " [OPTIONS] -- CMD [ARGS...]"},
	{"logs", do_task_logs, " ID [-f] [--stderr] [--tail N] [--framework FW]"},
	{"help", do_help, NULL},
	{0},
};

int do_task(int argc, char **argv)
{
	/* "l" stays "list" (`drover t l`), as it was before "logs" shared its first letter */
	if (argc > 0 && streq(argv[0], "l"))
		argv[0] = "list";
	return cmd_select(cmds, argc, argv, do_help);
}
