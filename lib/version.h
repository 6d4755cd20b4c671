/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DROVER_VERSION_H
#define DROVER_VERSION_H

#include <stdio.h>

#ifndef DROVER_VERSION
#define DROVER_VERSION "0.0.0"
#endif
#ifndef DROVER_GIT_REV
#define DROVER_GIT_REV "unknown"
#endif

static inline void version_print(const char *prog)
{
	printf("%s %s (git %s)\n", prog, DROVER_VERSION, DROVER_GIT_REV);
}

#endif
