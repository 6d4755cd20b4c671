// SPDX-License-Identifier: Apache-2.0
/* A new child process's signals (sigreset.h). */
#include <signal.h>
#include <stddef.h>

#include "sigreset.h"
#include "util.h"

void sigreset_defaults(void)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
}

void sigreset_detached(void)
{
	static const int ignored[] = {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
	struct sigaction ign = {.sa_handler = SIG_IGN};

	sigreset_defaults();
	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		(void)sigaction(ignored[i], &ign, NULL);
}
