// SPDX-License-Identifier: Apache-2.0
/* drover: the operator's CLI. Options, object dispatch, the error and JSON printers. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "escape.h"
#include "main.h"
#include "version.h"

bool json_output;
static bool pretty_output;
const char *master_url = "127.0.0.1:5050";
const char *tls_ca_opt;
char *cli_principal, *cli_secret;
const char *agent_url = "127.0.0.1:5051";
const char *bin_name = "drover";
const char *cgroup_root_opt;
const char *bpf_pin_dir = "/sys/fs/bpf/drover";
const char *list_commands_object;

static const struct cmd objects[];

bool is_prefix(const char *arg, const char *keyword)
{
	size_t n = strlen(arg);

	return n > 0 && strncmp(arg, keyword, n) == 0;
}

void p_err(const char *fmt, ...)
{
	char msg[1024], esc[4 * sizeof(msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_output) {
		json_print(json_pack("{s:s}", "error", msg));
	} else {
		/* (the text may hold what a server answered) */
		escape_ctrl(msg, strlen(msg), 0, esc, sizeof(esc));
		fprintf(stderr, "Error: %s\n", esc);
	}
}

void p_info(const char *fmt, ...)
{
	char msg[1024], esc[4 * sizeof(msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* (task IDs, states and messages, sandboxes: what a master or agent sent) */
	escape_ctrl(msg, strlen(msg), 0, esc, sizeof(esc));
	fprintf(stderr, "drover: %s\n", esc);
}

void json_print(json_t *v)
{
	size_t flags = JSON_SORT_KEYS | (pretty_output ? JSON_INDENT(2) : JSON_COMPACT);

	if (!v)
		return;
	json_dumpf(v, stdout, flags);
	fputc('\n', stdout);
	json_decref(v);
}

int cmd_select(const struct cmd *cmds, int argc, char **argv, int (*help)(int, char **))
{
	const struct cmd *match = NULL;
	char cands[512] = "";
	size_t off = 0;
	int n = 0;

	if (list_commands_object) {
		json_t *names = json_array();
		for (const struct cmd *c = cmds; c->name; c++) {
			if (streq(c->name, "help"))
				continue;
			if (json_output)
				json_array_append_new(names, json_string(c->name));
			else
				printf("%s %s\n", list_commands_object, c->name);
		}
		if (json_output)
			json_print(json_pack("{s:s,s:o}", "object", list_commands_object, "commands",
					     names));
		else
			json_decref(names);
		return EXIT_OK;
	}
	if (argc < 1 || is_prefix(argv[0], "help"))
		return help(argc, argv);

	for (const struct cmd *c = cmds; c->name; c++) {
		if (streq(argv[0], c->name)) { /* an exact name wins over longer ones */
			match = c;
			n = 1;
			break;
		}
		if (is_prefix(argv[0], c->name)) {
			match = c;
			n++;
			off += (size_t)snprintf(cands + off, sizeof(cands) - off, "%s%s",
						off ? ", " : "", c->name);
			if (off >= sizeof(cands))
				off = sizeof(cands) - 1;
		}
	}
	if (n == 0) {
		p_err("unknown command '%s' (try '%s help')", argv[0],
		      cmds == objects ? bin_name : "OBJECT");
		return EXIT_USAGE;
	}
	if (n > 1) {
		p_err("'%s' is ambiguous: %s", argv[0], cands);
		return EXIT_USAGE;
	}
	return match->func(argc - 1, argv + 1);
}

static int do_help(int argc, char **argv)
{
	if (json_output) {
		json_t *list = json_array();
		for (const struct cmd *c = objects; c->name; c++)
			if (!streq(c->name, "help"))
				json_array_append_new(list, json_string(c->name));
		json_print(json_pack("{s:o}", "objects", list));
		return EXIT_OK;
	}
	fprintf(stderr,
		"Usage: %s [OPTIONS] OBJECT { COMMAND | help }\n"
		"       %s --version\n\n"
		"       OBJECT := {",
		bin_name, bin_name);
	for (const struct cmd *c = objects; c->name; c++)
		if (!streq(c->name, "help"))
			fprintf(stderr, " %s%s", c->name, c[1].name && !streq(c[1].name, "help") ? " |" : "");
	fprintf(stderr, " }\n"
			"       OPTIONS := { -j|--json | -p|--pretty | --master HOST:PORT |\n"
			"                    --agent HOST:PORT | --cgroup-root PATH | --bpf-dir DIR |\n"
			"                    --tls-ca FILE | --credential FILE |\n"
			"                    -V|--version | -h|--help }\n\n");
	for (const struct cmd *c = objects; c->name; c++)
		if (c->help)
			fprintf(stderr, "       %-10s %s\n", c->name, c->help);
	fprintf(stderr,
		"\nKeywords match by unique prefix: '%s t l' = '%s task list'.\n"
		"'%s OBJECT help' lists the commands of an object. -j and -p may also follow\n"
		"the command (up to a '--'). Exit status: 0 ok, 1 failed, 2 usage error.\n",
		bin_name, bin_name, bin_name);
	return EXIT_OK;
}

static int do_version(int argc, char **argv)
{
	if (json_output) {
		json_print(json_pack("{s:s,s:s}", "version", DROVER_VERSION, "git", DROVER_GIT_REV));
		return EXIT_OK;
	}
	version_print(bin_name);
	return EXIT_OK;
}

static const struct cmd objects[] = {
	{"help", do_help, NULL},
	{"agent", do_agent, "agents of the cluster: list, show, drain"},
	{"framework", do_framework, "frameworks: list, show"},
	{"role", do_role, "roles: weights, quota, dominant shares"},
	{"offer", do_offer, "outstanding offers"},
	{"task", do_task, "tasks: list, show, kill, run"},
	{"alloc", do_alloc, "offline allocation: simulate SCENARIO.json"},
	{"cgroup", do_cgroup, "this host's task cgroups: tree, show, top"},
	{"prog", do_prog, "Drover's BPF programs with run counts"},
	{"map", do_map, "Drover's pinned BPF maps: list, dump"},
	{"metrics", do_metrics, "the agent's (or master's) metrics"},
	{"version", do_version, "print the version"},
	{0},
};

/* The hidden `--list-commands`: "OBJECT COMMAND" per line, for the docs test. */
static int list_commands(void)
{
	for (const struct cmd *c = objects; c->name; c++) {
		char *argv[] = {NULL};
		if (streq(c->name, "help"))
			continue;
		if (c->func == do_version) {
			if (json_output)
				json_print(json_pack("{s:s,s:[]}", "object", c->name, "commands"));
			else
				printf("%s\n", c->name);
			continue;
		}
		list_commands_object = c->name;
		c->func(0, argv);
	}
	list_commands_object = NULL;
	return EXIT_OK;
}

/*
 * -j/-p anywhere before a "--" (bpftool accepts them after the command too): take them out
 * of argv so the object parsers never see them.
 */
static int take_json_flags(int argc, char **argv)
{
	int out = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (streq(a, "--")) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (streq(a, "-j") || streq(a, "--json")) {
			json_output = true;
		} else if (streq(a, "-p") || streq(a, "--pretty") || streq(a, "-jp") ||
			   streq(a, "-pj")) {
			json_output = true;
			pretty_output = true;
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"pretty", no_argument, NULL, 'p'},
		{"master", required_argument, NULL, 'm'},
		{"agent", required_argument, NULL, 'a'},
		{"cgroup-root", required_argument, NULL, 'c'},
		{"bpf-dir", required_argument, NULL, 'b'},
		{"tls-ca", required_argument, NULL, 't'},
		{"credential", required_argument, NULL, 'C'},
		{"list-commands", no_argument, NULL, 'L'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool want_version = false, want_list = false;
	const char *env, *credential = NULL;
	int c;

	env = getenv("DROVER_MASTER");
	if (env && *env)
		master_url = env;
	env = getenv("DROVER_AGENT");
	if (env && *env)
		agent_url = env;
	env = getenv("DROVER_CGROUP_ROOT");
	if (env && *env)
		cgroup_root_opt = env;
	env = getenv("DROVER_BPF_DIR");
	if (env && *env)
		bpf_pin_dir = env;
	env = getenv("DROVER_TLS_CA");
	if (env && *env)
		tls_ca_opt = env;
	env = getenv("DROVER_CREDENTIAL");
	if (env && *env)
		credential = env;
	argc = take_json_flags(argc, argv);

	/* "+": stop at the first operand so that `task run -- CMD -x` keeps its options */
	while ((c = getopt_long(argc, argv, "+jpVh", opts, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json_output = true;
			break;
		case 'p':
			json_output = true;
			pretty_output = true;
			break;
		case 'm':
			master_url = optarg;
			break;
		case 'a':
			agent_url = optarg;
			break;
		case 'c':
			cgroup_root_opt = optarg;
			break;
		case 'b':
			bpf_pin_dir = optarg;
			break;
		case 't':
			tls_ca_opt = optarg;
			break;
		case 'C':
			credential = optarg;
			break;
		case 'L':
			want_list = true;
			break;
		case 'V':
			want_version = true;
			break;
		case 'h':
			return do_help(0, NULL);
		default:
			p_err("unknown option (try '%s help')", bin_name);
			return EXIT_USAGE;
		}
	}
	if (want_version)
		return do_version(0, NULL);
	if (want_list)
		return list_commands();
	if (credential) {
		char err[1024];
		if (auth_credential_load(credential, &cli_principal, &cli_secret, err, sizeof(err)) < 0) {
			p_err("--credential: %s", err);
			return EXIT_USAGE;
		}
	}
	c = cmd_select(objects, argc - optind, argv + optind, do_help);
	free(cli_principal);
	free(cli_secret);
	return c;
}
