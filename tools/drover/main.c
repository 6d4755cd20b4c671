// SPDX-License-Identifier: Apache-2.0
/* drover: the operator's CLI. Options, object dispatch, the error and JSON printers. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"
#include "version.h"

bool json_output;
bool pretty_output;
const char *master_url = "127.0.0.1:5050";
const char *agent_url = "127.0.0.1:5051";
const char *bin_name = "drover";

bool is_prefix(const char *arg, const char *keyword)
{
	size_t n = strlen(arg);

	return n > 0 && strncmp(arg, keyword, n) == 0;
}

void p_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_output)
		json_print(json_pack("{s:s}", "error", msg));
	else
		fprintf(stderr, "Error: %s\n", msg);
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
		p_err("unknown command '%s' (try '%s help')", argv[0], bin_name);
		return EXIT_USAGE;
	}
	if (n > 1) {
		p_err("'%s' is ambiguous: %s", argv[0], cands);
		return EXIT_USAGE;
	}
	return match->func(argc - 1, argv + 1);
}

static const struct cmd objects[];

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
			"                    --agent HOST:PORT | -V|--version | -h|--help }\n\n"
			"Keywords match by unique prefix: '%s v' = '%s version'.\n",
		bin_name, bin_name);
	return EXIT_OK;
}

int do_version(int argc, char **argv)
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
	{"alloc", do_alloc, "simulate SCENARIO.json"},
	{"task", do_task, "list, show and run tasks"},
	{"version", do_version, "print the version"},
	{0},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"pretty", no_argument, NULL, 'p'},
		{"master", required_argument, NULL, 'm'},
		{"agent", required_argument, NULL, 'a'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool want_version = false;
	const char *env;
	int c;

	env = getenv("DROVER_MASTER");
	if (env && *env)
		master_url = env;
	env = getenv("DROVER_AGENT");
	if (env && *env)
		agent_url = env;

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
	return cmd_select(objects, argc - optind, argv + optind, do_help);
}
