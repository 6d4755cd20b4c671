// SPDX-License-Identifier: Apache-2.0
/* drover-master: parse args -> load config -> init -> loop -> teardown. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "flags.h"
#include "leader.h"
#include "master.h"
#include "daemon.h"
#include "log.h"
#include "malloc_tune.h"

static struct master *the_master; /* for the signal handler only */
static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = 1;
	if (the_master)
		loop_stop(the_master->loop);
}

static int run(struct master_flags *flags)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct master m;
	int r;

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	do {
		/* a leader that stepped down (--zk) starts again as a candidate, from nothing */
		r = master_init(&m, flags);
		if (r < 0) {
			master_fini(&m);
			return 1;
		}
		the_master = &m;
		r = master_run(&m);
		the_master = NULL;
		log_info(r == MASTER_RESTART ? "restarting as a candidate" : "shutting down");
		master_fini(&m);
	} while (r == MASTER_RESTART && !stopping);
	return r < 0 ? 1 : 0;
}

static const char synopsis[] = "[OPTIONS]\n\nThe Drover master: scheduler, agent and operator APIs.";

int main(int argc, char **argv)
{
	static const struct daemon_desc desc = {
		.prog = "drover-master",
		.synopsis = synopsis,
		.env_prefix = "DROVER_MASTER",
		.table = master_flag_table,
		.log_level_offset = offsetof(struct master_flags, log_level),
	};
	struct master_flags flags = {0};
	int r = daemon_parse_args(&desc, &flags, argc, argv);

	if (r < 0) {
		malloc_tune_for_messages();
		r = run(&flags);
	}
	conf_free(master_flag_table, &flags);
	return r;
}
