// SPDX-License-Identifier: Apache-2.0
/* drover-master: parse args -> load config -> init -> loop -> teardown. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "flags.h"
#include "master.h"
#include "log.h"
#include "version.h"

static struct master *the_master; /* for the signal handler only */

static void on_signal(int sig)
{
	if (the_master)
		loop_stop(the_master->loop);
}

static int run(struct master_flags *flags)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct master m;
	int r;

	signal(SIGPIPE, SIG_IGN);
	r = master_init(&m, flags);
	if (r < 0) {
		master_fini(&m);
		return 1;
	}
	the_master = &m;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	r = master_run(&m);
	log_info("shutting down");
	the_master = NULL;
	master_fini(&m);
	return r < 0 ? 1 : 0;
}

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
	r = run(&flags);
out:
	conf_free(master_flag_table, &flags);
	return r;
}
