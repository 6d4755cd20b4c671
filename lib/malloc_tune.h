/* SPDX-License-Identifier: Apache-2.0 */
/*
 * glibc malloc settings for a process that builds and frees large message trees all day
 * (the master's events and calls, the simulators'): see malloc_tune.c.
 */
#ifndef DROVER_MALLOC_TUNE_H
#define DROVER_MALLOC_TUNE_H

/* Keep freed memory for reuse instead of handing it back to the kernel after every burst. */
void malloc_tune_for_messages(void);

#endif
