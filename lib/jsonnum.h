/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON numbers as Mesos writes them: every double in the shortest form that reads back as
 * the same double (0.3, not jansson's default 0.29999999999999999), whole values with
 * ".0" (15.0). jsonnum_dumps() is json_dumps() with that rule; every JSON body Drover
 * writes should go through it.
 */
#ifndef DROVER_JSONNUM_H
#define DROVER_JSONNUM_H

#include <stddef.h>
#include <jansson.h>

/* Enough for any finite double in this form, with its NUL. */
#define JSONNUM_DOUBLE_LEN 32

/*
 * Writes finite d into buf (at least JSONNUM_DOUBLE_LEN bytes) as the shortest "%.Ng"
 * (N = 1..17) that strtod() reads back as d, with ".0" appended when that text has no '.'
 * and no exponent, and a positive exponent without its '+' and leading zeros (as jansson
 * writes it). Returns the length, or -EINVAL for NaN and infinities (not JSON).
 */
int jsonnum_format_double(double d, char *buf, size_t len);

/*
 * json_dumps(json, flags) with every real written by jsonnum_format_double() (any
 * JSON_REAL_PRECISION in flags is overridden). Free the result; NULL on error, like
 * json_dumps().
 */
char *jsonnum_dumps(const json_t *json, size_t flags);

#endif
