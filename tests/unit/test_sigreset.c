// SPDX-License-Identifier: Apache-2.0
/*
 * lib/sigreset: a child started by the agent keeps none of the agent's signal state: no
 * signal blocked, no handler (SIGUSR1's and SIGTERM's included), and, detached, the terminal
 * and job-control signals ignored. Each case runs in a forked child, as the agent's helpers do.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sigreset.h"

static void on_sig(int sig)
{
}

/* The agent's state: SIGUSR1 and SIGTERM handled, SIGCHLD blocked, SIGHUP ignored. */
static void agent_like(void)
{
	struct sigaction h = {.sa_handler = on_sig}, ign = {.sa_handler = SIG_IGN};
	sigset_t set;

	sigaction(SIGUSR1, &h, NULL);
	sigaction(SIGTERM, &h, NULL);
	sigaction(SIGHUP, &ign, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static bool is(int sig, void (*want)(int))
{
	struct sigaction cur;

	return sigaction(sig, NULL, &cur) == 0 && cur.sa_handler == want;
}

static bool none_blocked(void)
{
	sigset_t cur;

	sigprocmask(SIG_SETMASK, NULL, &cur);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&cur, sig) == 1)
			return false;
	return true;
}

/* fn run in a child after agent_like(): its exit status (0: every expectation held). */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		agent_like();
		_exit(fn());
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int defaults_child(void)
{
	sigreset_defaults();
	if (!none_blocked())
		return 1;
	if (!is(SIGUSR1, SIG_DFL) || !is(SIGTERM, SIG_DFL) || !is(SIGHUP, SIG_DFL))
		return 2;
	return 0;
}

static int detached_child(void)
{
	static const int ignored[] = {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};

	sigreset_detached();
	if (!none_blocked())
		return 1;
	if (!is(SIGUSR1, SIG_DFL) || !is(SIGTERM, SIG_DFL) || !is(SIGCHLD, SIG_DFL))
		return 2;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (!is(ignored[i], SIG_IGN))
			return 3;
	return 0;
}

static void test_defaults(void **state)
{
	assert_int_equal(in_child(defaults_child), 0);
}

static void test_detached(void **state)
{
	assert_int_equal(in_child(detached_child), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_detached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
