/* SPDX-License-Identifier: Apache-2.0 */
/* The allocator's one error reporter: a message into the caller's buffer, -EINVAL back. */
#ifndef DROVER_ALLOC_ERR_H
#define DROVER_ALLOC_ERR_H

#include <stddef.h>

#include "util.h"

/* Format into err (when err and errlen are non-zero) and return -EINVAL. */
int alloc_fail(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);

#endif
