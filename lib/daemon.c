// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>

#include "daemon.h"
#include "log.h"
#include "version.h"

int daemon_parse_tool_args(const struct daemon_desc *d, void *flags, int argc, char **argv)
{
	char err[512] = "";
	int r, first;

	r = conf_parse(d->table, flags, d->env_prefix, argc, argv, &first, err, sizeof(err));
	if (r == CONF_HELP) {
		conf_usage(stdout, d->prog, d->synopsis, d->table, d->env_prefix);
		return 0;
	}
	if (r == CONF_VERSION) {
		version_print(d->prog);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", d->prog, err);
		return 2;
	}
	if (r == CONF_DUMP_FLAGS) {
		conf_dump(stdout, d->table, flags);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (first < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", d->prog, argv[first]);
		return 2;
	}
	return -1;
}

int daemon_parse_args(const struct daemon_desc *d, void *flags, int argc, char **argv)
{
	const char *level_text;
	enum log_level level;
	int r;

	log_set_ident(d->prog);
	r = daemon_parse_tool_args(d, flags, argc, argv);
	if (r >= 0)
		return r;
	level_text = *(const char **)((const char *)flags + d->log_level_offset);
	if (log_level_parse(level_text, &level) < 0) {
		fprintf(stderr, "%s: option '--log-level': '%s' is not one of error, warn, info, debug\n",
			d->prog, level_text);
		return 2;
	}
	log_max_level = level;
	return -1;
}
