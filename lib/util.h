/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers every Drover file may use: cleanup attributes, ownership transfer, sizes. */
#ifndef DROVER_UTIL_H
#define DROVER_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand a cleanup-owned pointer or fd to someone else. */
#define TAKE_PTR(p)                            \
	({                                     \
		__typeof__(p) _tp_ = (p);      \
		(p) = NULL;                    \
		_tp_;                          \
	})
#define TAKE_FD(fd)                            \
	({                                     \
		int _tf_ = (fd);               \
		(fd) = -1;                     \
		_tf_;                          \
	})

static inline bool streq(const char *a, const char *b)
{
	return a && b && __builtin_strcmp(a, b) == 0;
}

#endif
