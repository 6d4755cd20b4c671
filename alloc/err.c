// SPDX-License-Identifier: Apache-2.0
/* The allocator's one error reporter (err.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

int alloc_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}
