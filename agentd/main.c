// SPDX-License-Identifier: Apache-2.0
/* drover-agent: parse args -> load config -> init -> loop -> teardown. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "flags.h"
#include "log.h"
#include "version.h"

static struct agent *the_agent; /* for the signal handler only */

static void on_signal(int sig)
{
	if (the_agent)
		loop_stop(the_agent->loop);
}

static int run(struct agent_flags *flags)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct agent a;
	int r;

	signal(SIGPIPE, SIG_IGN);
	r = agent_init(&a, flags);
	if (r < 0) {
		agent_fini(&a);
		return 1;
	}
	the_agent = &a;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	loop_timer_set(a.reconnect_timer, 0, 0); /* subscribe at once */
	r = agent_run(&a);
	log_info("shutting down (tasks keep running)");
	the_agent = NULL;
	agent_fini(&a);
	return r < 0 ? 1 : 0;
}

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
	r = run(&flags);
out:
	conf_free(agent_flag_table, &flags);
	return r;
}
