// SPDX-License-Identifier: Apache-2.0
/* drover-master: parse args -> load config -> init -> loop -> teardown. */
#include <stdio.h>
#include <stdlib.h>

#include "flags.h"
#include "log.h"
#include "version.h"

static const char synopsis[] = "[OPTIONS]\n\nThe Drover master: scheduler, agent and operator APIs.";

int main(int argc, char **argv)
{
	struct master_flags flags = {0};
	char err[512] = "";
	enum log_level level;
	int r, optind_;

	log_set_ident("drover-master");
	r = conf_parse(master_flag_table, &flags, "DROVER_MASTER", argc, argv, &optind_, err,
		       sizeof(err));
	if (r == CONF_HELP) {
		conf_usage(stdout, "drover-master", synopsis, master_flag_table, "DROVER_MASTER");
		r = 0;
		goto out;
	}
	if (r == CONF_VERSION) {
		version_print("drover-master");
		r = 0;
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "drover-master: %s\n", err);
		r = 2;
		goto out;
	}
	if (optind_ < argc) {
		fprintf(stderr, "drover-master: unexpected argument '%s'\n", argv[optind_]);
		r = 2;
		goto out;
	}
	if (log_level_parse(flags.log_level, &level) < 0) {
		fprintf(stderr, "drover-master: option '--log-level': '%s' is not a level\n",
			flags.log_level);
		r = 2;
		goto out;
	}
	log_max_level = level;
	log_error("the master's serving loop is not built yet (see issue 4)");
	r = 1;
out:
	conf_free(master_flag_table, &flags);
	return r;
}
