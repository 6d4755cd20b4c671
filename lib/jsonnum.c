// SPDX-License-Identifier: Apache-2.0
/*
 * Shortest round-trip doubles in JSON text. jansson formats every real with one precision
 * for the whole dump, so jsonnum_dumps() lets jansson write the text at full precision
 * (17 digits: every double exact) and then rewrites each real token of that well-formed
 * text in its shortest exact form, laid out as Mesos writes it; strings are copied as they are.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonnum.h"

/* jansson's precision field in the dump flags: JSON_REAL_PRECISION(n) is (n & 0x1F) << 11 */
#define PRECISION_MASK JSON_REAL_PRECISION(0x1F)

/*
 * Lays out the digits D (no leading or trailing zeros) of a value D[0].D[1..] x 10^exp as
 * Mesos's JSON writer (rapidjson) does: plain decimals while the point falls within 21
 * digits of the first one and no more than 6 zeros after it, a whole value with ".0",
 * otherwise "d.ddde-7" (no '+', no leading exponent zeros).
 */
static void layout(char *out, bool neg, const char *dig, int exp)
{
	int len = (int)strlen(dig), kk = exp + 1;

	if (neg)
		*out++ = '-';
	if (len <= kk && kk <= 21) {
		out += sprintf(out, "%s", dig);
		for (int i = len; i < kk; i++)
			*out++ = '0';
		strcpy(out, ".0");
	} else if (0 < kk && kk <= 21) {
		sprintf(out, "%.*s.%s", kk, dig, dig + kk);
	} else if (-6 < kk && kk <= 0) {
		out += sprintf(out, "0.");
		for (int i = kk; i < 0; i++)
			*out++ = '0';
		strcpy(out, dig);
	} else if (len == 1) {
		sprintf(out, "%se%d", dig, exp);
	} else {
		sprintf(out, "%c.%se%d", dig[0], dig + 1, exp);
	}
}

int jsonnum_format_double(double d, char *buf, size_t len)
{
	char tmp[JSONNUM_DOUBLE_LEN], dig[20], out[JSONNUM_DOUBLE_LEN + 8];
	const char *p;
	size_t n = 0;
	int exp;

	if (!isfinite(d))
		return -EINVAL;
	if (d == 0) {
		snprintf(out, sizeof(out), "%s", signbit(d) ? "-0.0" : "0.0");
	} else {
		/* the fewest significant digits that read back as d */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
		/* tmp is "[-]d[.ddd]e[+-]xx": its digits and exponent */
		for (p = tmp + (tmp[0] == '-'); *p != 'e'; p++)
			if (*p != '.')
				dig[n++] = *p;
		while (n > 1 && dig[n - 1] == '0')
			n--;
		dig[n] = '\0';
		exp = atoi(p + 1);
		layout(out, d < 0, dig, exp);
	}
	n = strlen(out);
	if (n >= len)
		return -ENOSPC;
	memcpy(buf, out, n + 1);
	return (int)n;
}

/*
 * jansson's output text s with each real token rewritten by jsonnum_format_double() (a
 * new string), or NULL when out of memory. s is well-formed JSON, so outside strings a
 * token starting with '-' or a digit is a number, and a real when it has '.', 'e' or 'E'.
 */
static char *shorten_reals(const char *s)
{
	struct buf b = BUF_INIT;
	const char *r = s;
	int err = 0;

	(void)!buf_reserve(&b, strlen(s) + 1); /* a head start; buf_append grows it anyway */
	while (*r && !err) {
		size_t n;

		if (*r == '"') {
			const char *q = r + 1;
			while (*q && *q != '"')
				q += q[0] == '\\' && q[1] ? 2 : 1;
			n = (size_t)(q - r) + (*q ? 1 : 0);
			err = buf_append(&b, r, n);
		} else if (*r == '-' || (*r >= '0' && *r <= '9')) {
			char num[JSONNUM_DOUBLE_LEN];
			int m = -1;

			n = strspn(r, "0123456789+-.eE");
			if (memchr(r, '.', n) || memchr(r, 'e', n) || memchr(r, 'E', n))
				m = jsonnum_format_double(strtod(r, NULL), num, sizeof(num));
			err = m > 0 ? buf_append(&b, num, (size_t)m) : buf_append(&b, r, n);
		} else {
			n = strcspn(r, "\"-0123456789");
			err = buf_append(&b, r, n);
		}
		r += n;
	}
	if (err) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

char *jsonnum_dumps(const json_t *json, size_t flags)
{
	char *s = json_dumps(json, (flags & ~(size_t)PRECISION_MASK) | JSON_REAL_PRECISION(17));
	char *out;

	if (!s)
		return NULL;
	out = shorten_reals(s);
	free(s);
	return out;
}
