/* SPDX-License-Identifier: Apache-2.0 */
/* Creating directory paths (work dirs, registry files' folders). */
#ifndef DROVER_MKDIR_H
#define DROVER_MKDIR_H

#include <sys/types.h>

/*
 * Create every missing directory above the last component of path, with mode (existing
 * ones are left as they are). 0, -ENAMETOOLONG (longer than PATH_MAX), or -errno.
 */
int mkdir_parents(const char *path, mode_t mode);
/* mkdir_parents(), then path itself. 0 when it exists already (as anything: see mkdir(2)). */
int mkdir_p(const char *path, mode_t mode);

#endif
