/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging to stderr with levels. The macros test the level before evaluating their
 * arguments. Library code returns -errno and lets the caller log once:
 *	return log_error_errno(r, "cannot open '%s': %m", path);
 */
#ifndef DROVER_LOG_H
#define DROVER_LOG_H

#include <errno.h>
#include "util.h"

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The process-wide level: one of the two globals the house rules allow. */
extern enum log_level log_max_level;

int log_level_parse(const char *s, enum log_level *ret);
void log_set_ident(const char *ident);
void log_internal(enum log_level l, int err, const char *file, int line, const char *fmt, ...)
	_printf_(5, 6);

#define log_full_errno(l, err, ...)                                                  \
	({                                                                           \
		int _e_ = (err) < 0 ? -(err) : (err);                               \
		if ((l) <= log_max_level)                                            \
			log_internal((l), _e_, __FILE__, __LINE__, __VA_ARGS__);     \
		-_e_;                                                                \
	})

#define log_error(...) ((void)log_full_errno(LOG_ERR, 0, __VA_ARGS__))
#define log_warn(...) ((void)log_full_errno(LOG_WARN, 0, __VA_ARGS__))
#define log_info(...) ((void)log_full_errno(LOG_INFO, 0, __VA_ARGS__))
#define log_debug(...) ((void)log_full_errno(LOG_DEBUG, 0, __VA_ARGS__))
#define log_error_errno(err, ...) log_full_errno(LOG_ERR, err, __VA_ARGS__)
#define log_warn_errno(err, ...) log_full_errno(LOG_WARN, err, __VA_ARGS__)

#endif
