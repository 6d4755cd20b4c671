// SPDX-License-Identifier: Apache-2.0
/* drover-agent: parse args -> load config -> init -> loop -> teardown. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "flags.h"
#include "daemon.h"
#include "log.h"

static struct agent *the_agent; /* for the signal handler only */

static void on_signal(int sig)
{
	if (the_agent)
		loop_stop(the_agent->loop);
}

/* SIGUSR1, as Mesos's agent: unregister from the master, kill every task, exit. */
static void on_sigusr1(int sig, siginfo_t *info, void *ctx)
{
	if (the_agent)
		agent_shutdown_request(the_agent, info ? info->si_uid : (uid_t)-1);
}

static int run(struct agent_flags *flags)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct sigaction usr1 = {.sa_sigaction = on_sigusr1, .sa_flags = SA_SIGINFO};
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
	sigaction(SIGUSR1, &usr1, NULL);
	loop_timer_set(a.reconnect_timer, 0, 0); /* subscribe at once */
	r = agent_run(&a);
	if (a.terminating)
		log_info("agent terminating (unregistered)");
	else
		log_info("shutting down (tasks keep running)");
	the_agent = NULL;
	agent_fini(&a);
	return r < 0 ? 1 : 0;
}

static const char synopsis[] = "[OPTIONS]\n\nThe Drover agent: runs tasks in cgroup v2 leaves.";

int main(int argc, char **argv)
{
	static const struct daemon_desc desc = {
		.prog = "drover-agent",
		.synopsis = synopsis,
		.env_prefix = "DROVER_AGENT",
		.table = agent_flag_table,
		.log_level_offset = offsetof(struct agent_flags, log_level),
	};
	struct agent_flags flags = {0};
	int r = daemon_parse_args(&desc, &flags, argc, argv);

	if (r < 0)
		r = run(&flags);
	conf_free(agent_flag_table, &flags);
	return r;
}
