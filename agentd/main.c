// SPDX-License-Identifier: Apache-2.0
/* drover-agent: parse args -> load config -> init -> loop -> teardown. */
#include <stdio.h>
#include <stdlib.h>

#include "flags.h"
#include "log.h"
#include "version.h"

static const char synopsis[] = "[OPTIONS]\n\nThe Drover agent: runs tasks in cgroup v2 leaves.";

int main(int argc, char **argv)
{
	struct agent_flags flags = {0};
	char err[512] = "";
	enum log_level level;
	int r, optind_;

	log_set_ident("drover-agent");
	r = conf_parse(agent_flag_table, &flags, "DROVER_AGENT", argc, argv, &optind_, err,
		       sizeof(err));
	if (r == CONF_HELP) {
		conf_usage(stdout, "drover-agent", synopsis, agent_flag_table, "DROVER_AGENT");
		r = 0;
		goto out;
	}
	if (r == CONF_VERSION) {
		version_print("drover-agent");
		r = 0;
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "drover-agent: %s\n", err);
		r = 2;
		goto out;
	}
	if (optind_ < argc) {
		fprintf(stderr, "drover-agent: unexpected argument '%s'\n", argv[optind_]);
		r = 2;
		goto out;
	}
	if (log_level_parse(flags.log_level, &level) < 0) {
		fprintf(stderr, "drover-agent: option '--log-level': '%s' is not a level\n",
			flags.log_level);
		r = 2;
		goto out;
	}
	log_max_level = level;
	log_error("the agent's runtime is not built yet (see issue 5)");
	r = 1;
out:
	conf_free(agent_flag_table, &flags);
	return r;
}
