/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DROVER_VERSION_H
#define DROVER_VERSION_H

#include <stdio.h>
#include <jansson.h>

/*
 * DROVER_VERSION (the VERSION file) and DROVER_GIT_REV (the commit, "-dirty" for a modified
 * tree): written by the Makefile into $(BUILD)/gen/version_gen.h, replaced only when they
 * change, so --version always names the build's commit and only this header's users rebuild.
 */
#include "version_gen.h"

/*
 * Mesos's VersionInfo as Drover fills it, {"version", "git_sha"}: the body of GET /version
 * (master and agent) and GET_VERSION's version_info. A new object (NULL: out of memory).
 */
json_t *version_info_json(void);

static inline void version_print(const char *prog)
{
	printf("%s %s (git %s)\n", prog, DROVER_VERSION, DROVER_GIT_REV);
}

#endif
