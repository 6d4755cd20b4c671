// SPDX-License-Identifier: Apache-2.0
/* `drover agent`: the cluster's agents (GET_AGENTS) and draining them (DRAIN_AGENT). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "main.h"

static const char *agent_id(json_t *a)
{
	return id_value(json_object_get(a, "agent_info"), "id");
}

static const char *agent_state(json_t *a)
{
	if (!json_is_true(json_object_get(a, "reachable")))
		return "unreachable";
	if (json_is_true(json_object_get(a, "draining")))
		return "draining";
	if (json_is_true(json_object_get(a, "deactivated")))
		return "deactivated";
	return json_is_true(json_object_get(a, "active")) ? "active" : "disconnected";
}

static int do_list(int argc, char **argv)
{
	json_t *p, *a;
	size_t i;

	if (argc)
		return usage_err("agent list");
	p = api_master("GET_AGENTS");
	if (!p)
		return EXIT_FAILED;
	if (json_output) {
		json_print(json_incref(json_object_get(p, "agents")));
		json_decref(p);
		return EXIT_OK;
	}
	printf("%-40s %-20s %-12s %5s  %-36s %s\n", "AGENT", "HOSTNAME", "STATE", "TASKS", "TOTAL",
	       "ALLOCATED");
	json_array_foreach(json_object_get(p, "agents"), i, a) {
		char tot[256], used[256];
		res_text(json_object_get(a, "total_resources"), tot, sizeof(tot));
		res_text(json_object_get(a, "allocated_resources"), used, sizeof(used));
		printf("%-40s %-20s %-12s %5lld  %-36s %s\n", agent_id(a),
		       json_string_value(json_object_get(json_object_get(a, "agent_info"), "hostname")),
		       agent_state(a), (long long)json_integer_value(json_object_get(a, "tasks")), tot,
		       used);
	}
	/* after a master's restart or failover, those not yet back: their AgentInfo alone */
	json_array_foreach(json_object_get(p, "recovered_agents"), i, a) {
		char tot[256];
		res_text(json_object_get(a, "resources"), tot, sizeof(tot));
		printf("%-40s %-20s %-12s %5s  %-36s %s\n", id_value(a, "id"),
		       json_string_value(json_object_get(a, "hostname")), "recovered", "-", tot,
		       "-");
	}
	json_decref(p);
	return EXIT_OK;
}

static int do_show(int argc, char **argv)
{
	json_t *p, *a;

	if (argc != 1)
		return usage_err("agent show ID");
	p = api_master("GET_AGENTS");
	if (!p)
		return EXIT_FAILED;
	a = find_by_id(json_object_get(p, "agents"), argv[0], "agent", agent_id);
	if (a) {
		json_object_set_new(a, "state", json_string(agent_state(a)));
		if (json_output)
			json_print(json_incref(a));
		else
			print_kv(a, 0);
	}
	json_decref(p);
	return a ? EXIT_OK : EXIT_FAILED;
}

/* drain|deactivate|reactivate ID: the master's *_AGENT calls */
static int agent_admin(const char *type, int argc, char **argv)
{
	double grace = -1;
	bool kill = true;
	const char *id = NULL;
	json_t *p, *a, *body;
	char *end;
	int r;

	for (; argc; NEXT_ARG()) {
		if (streq(type, "DRAIN_AGENT") && argc >= 2 && is_prefix(argv[0], "--grace")) {
			NEXT_ARG();
			grace = strtod(argv[0], &end);
			if (end == argv[0] || *end || !isfinite(grace) || grace < 0 || grace > 1e6)
				return usage_err("agent drain ID [--grace SECONDS] [--no-kill]");
		} else if (streq(type, "DRAIN_AGENT") && is_prefix(argv[0], "--no-kill")) {
			kill = false;
		} else if (!id && argv[0][0] != '-') {
			id = argv[0];
		} else {
			return usage_err(streq(type, "DRAIN_AGENT")
						 ? "agent drain ID [--grace SECONDS] [--no-kill]"
						 : "agent { deactivate | reactivate } ID");
		}
	}
	if (!id)
		return usage_err("agent { drain | deactivate | reactivate } ID");
	p = api_master("GET_AGENTS");
	if (!p)
		return EXIT_FAILED;
	a = find_by_id(json_object_get(p, "agents"), id, "agent", agent_id);
	if (!a) {
		json_decref(p);
		return EXIT_FAILED;
	}
	body = json_pack("{s:{s:s}}", "agent_id", "value", agent_id(a));
	if (streq(type, "DRAIN_AGENT")) {
		json_object_set_new(body, "kill_tasks", json_boolean(kill));
		if (grace >= 0)
			json_object_set_new(body, "max_grace_period",
					    json_pack("{s:I}", "nanoseconds", (json_int_t)(grace * 1e9)));
	}
	r = api_master_change(type, body);
	if (r == 0) {
		if (json_output)
			json_print(json_pack("{s:s,s:s}", "agent_id", agent_id(a), "done", type));
		else
			printf("%s: agent %s\n", type, agent_id(a));
	}
	json_decref(p);
	return r ? EXIT_FAILED : EXIT_OK;
}

static int do_drain(int argc, char **argv)
{
	return agent_admin("DRAIN_AGENT", argc, argv);
}

static int do_deactivate(int argc, char **argv)
{
	return agent_admin("DEACTIVATE_AGENT", argc, argv);
}

static int do_reactivate(int argc, char **argv)
{
	return agent_admin("REACTIVATE_AGENT", argc, argv);
}

/* gone ID: MARK_AGENT_GONE, for good: the full ID only (no prefix) */
static int do_gone(int argc, char **argv)
{
	json_t *body;
	int r;

	if (argc != 1 || argv[0][0] == '-')
		return usage_err("agent gone ID");
	body = json_pack("{s:{s:s}}", "agent_id", "value", argv[0]);
	r = api_master_change("MARK_AGENT_GONE", body);
	if (r == 0) {
		if (json_output)
			json_print(json_pack("{s:s,s:s}", "agent_id", argv[0], "done",
					     "MARK_AGENT_GONE"));
		else
			printf("MARK_AGENT_GONE: agent %s\n", argv[0]);
	}
	return r ? EXIT_FAILED : EXIT_OK;
}

static const struct cmd cmds[];

static int do_help(int argc, char **argv)
{
	return print_cmds_help("agent", cmds,
			       "ID is an agent ID or a unique prefix of one. drain stops offers and\n"
			       "kills the agent's tasks; reactivate undoes drain and deactivate.\n"
			       "gone (the full ID only) marks the agent gone for good: its tasks\n"
			       "are lost and it is refused if it comes back.\n");
}

static const struct cmd cmds[] = {
	{"list", do_list, ""},
	{"show", do_show, " ID"},
	{"drain", do_drain, " ID [--grace SECONDS] [--no-kill]"},
	{"deactivate", do_deactivate, " ID"},
	{"reactivate", do_reactivate, " ID"},
	{"gone", do_gone, " ID"},
	{"help", do_help, NULL},
	{0},
};

int do_agent(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_help);
}
