// SPDX-License-Identifier: Apache-2.0
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "log.h"

enum log_level log_max_level = LOG_INFO;
static const char *log_ident = "drover";

static const char *const level_names[] = {
	[LOG_ERR] = "error",
	[LOG_WARN] = "warn",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

int log_level_parse(const char *s, enum log_level *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (streq(s, level_names[i])) {
			*ret = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *log_level_name(enum log_level l)
{
	return (size_t)l < ARRAY_SIZE(level_names) ? level_names[l] : "?";
}

void log_set_ident(const char *ident)
{
	log_ident = ident;
}

/*
 * One line per message: "2026-11-25T15:30:01.123Z drover-master info: text". The text is
 * escaped as a whole (lib/escape.h): names and messages from the wire end up in it, and none
 * may add a line or send a terminal escape to whoever reads the log.
 */
void log_internal(enum log_level l, int err, const char *file, int line, const char *fmt, ...)
{
	char ts[32], raw[2048], msg[4 * sizeof(raw)];
	struct timespec now;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	errno = err; /* so that %m prints the error being reported */
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_ctrl(raw, strlen(raw), 0, msg, sizeof(msg));

	if (log_max_level >= LOG_DEBUG)
		fprintf(stderr, "%s.%03ldZ %s %s: %s (%s:%d)\n", ts, now.tv_nsec / 1000000,
			log_ident, log_level_name(l), msg, file, line);
	else
		fprintf(stderr, "%s.%03ldZ %s %s: %s\n", ts, now.tv_nsec / 1000000, log_ident,
			log_level_name(l), msg);
}
