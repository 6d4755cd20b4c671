/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A new child process's signals, set before it runs its own job (after fork or clone,
 * before exec): what it inherited from the agent (blocked signals, the agent's handlers)
 * must not carry over. Async-signal-safe: only sigprocmask() and sigaction().
 */
#ifndef DROVER_SIGRESET_H
#define DROVER_SIGRESET_H

/* No signal blocked, every disposition back to its default (SIGKILL and SIGSTOP aside). */
void sigreset_defaults(void);
/*
 * sigreset_defaults(), then the terminal and job-control signals ignored (SIGHUP, SIGINT,
 * SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU): for the agent's helpers that outlive it in
 * their own session (a task's supervisor, its logger).
 */
void sigreset_detached(void);

#endif
