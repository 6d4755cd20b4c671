// SPDX-License-Identifier: Apache-2.0
/*
 * `drover metrics`: the Prometheus samples of the agent (GET /metrics on --agent) or of the
 * master. Plain mode prints the text as served; JSON mode an object "name{labels}": value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "escape.h"
#include "main.h"

/* Prometheus text -> {"sample{labels}": number}; comments and bad lines are skipped. */
static json_t *prom_to_json(char *text)
{
	json_t *out = json_object();
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp, *end;
		double v;
		if (line[0] == '#' || !line[0])
			continue;
		sp = strrchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		v = strtod(sp + 1, &end);
		if (end == sp + 1)
			continue;
		if (v == (double)(long long)v && v < 9e15 && v > -9e15)
			json_object_set_new(out, line, json_integer((json_int_t)v));
		else
			json_object_set_new(out, line, json_real(v));
	}
	return out;
}

static int show(const char *who)
{
	bool master = streq(who, "master");
	char *text = api_get_text(master ? master_url : agent_url, "/metrics");

	if (!text)
		return EXIT_FAILED;
	if (json_output) {
		json_print(prom_to_json(text));
	} else {
		/* its lines as they are, control characters in label values escaped */
		char *safe = escape_ctrl_dup(text, ESCAPE_KEEP_NL);
		fputs(safe ? safe : "", stdout);
		free(safe);
	}
	free(text);
	return EXIT_OK;
}

static int do_show(int argc, char **argv)
{
	if (argc == 0)
		return show("agent");
	if (argc == 1 && is_prefix(argv[0], "agent"))
		return show("agent");
	if (argc == 1 && is_prefix(argv[0], "master"))
		return show("master");
	return usage_err("metrics [show] [agent | master]");
}

static const struct cmd cmds[];

static int do_help(int argc, char **argv)
{
	return print_cmds_help("metrics", cmds,
			       "'drover metrics' alone is 'drover metrics show agent'. The agent is\n"
			       "--agent (default 127.0.0.1:5051), the master --master.\n");
}

static const struct cmd cmds[] = {
	{"show", do_show, " [agent | master]"},
	{"help", do_help, NULL},
	{0},
};

int do_metrics(int argc, char **argv)
{
	if (argc == 0 && !list_commands_object)
		return show("agent");
	if (argc == 1 && !is_prefix(argv[0], "show") && !is_prefix(argv[0], "help"))
		return do_show(argc, argv);
	return cmd_select(cmds, argc, argv, do_help);
}
