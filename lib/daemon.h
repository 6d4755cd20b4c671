/* SPDX-License-Identifier: Apache-2.0 */
/* What every Drover daemon does first: its command line, --help, --version, log level. */
#ifndef DROVER_DAEMON_H
#define DROVER_DAEMON_H

#include "conf.h"

struct daemon_desc {
	const char *prog;       /* "drover-master" */
	const char *synopsis;   /* after "Usage: prog " */
	const char *env_prefix; /* "DROVER_MASTER" */
	const struct conf_opt *table;
	size_t log_level_offset; /* of the char * --log-level field in the flags struct */
};

/*
 * Fill flags from defaults, environment and argv, answer --help, --version and
 * --dump-flags (every option's effective value, conf_dump), print errors, apply
 * --log-level. Returns -1 when the daemon should go on, or else the exit status to leave
 * with (0 after --help/--version/--dump-flags, 2 on a usage error).
 */
int daemon_parse_args(const struct daemon_desc *d, void *flags, int argc, char **argv);
/* The same without --log-level, for the tools (log_level_offset is not read). */
int daemon_parse_tool_args(const struct daemon_desc *d, void *flags, int argc, char **argv);

#endif
