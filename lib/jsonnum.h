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
 * Writes finite d into buf (at least JSONNUM_DOUBLE_LEN bytes) with the fewest significant
 * digits that strtod() reads back as d, laid out as Mesos's JSON writer does: plain
 * decimals from 1e-6 up to 1e21 (0.3, 604800.0, 0.000001), whole values with ".0", else
 * an exponent without '+' or leading zeros (1e21, 1.5e-7). Returns the length, -EINVAL for
 * NaN and infinities (not JSON) or -ENOSPC.
 */
int jsonnum_format_double(double d, char *buf, size_t len);

/*
 * json_dumps(json, flags) with every real written by jsonnum_format_double() (any
 * JSON_REAL_PRECISION in flags is overridden). Free the result; NULL on error, like
 * json_dumps().
 */
char *jsonnum_dumps(const json_t *json, size_t flags);

#endif
