// SPDX-License-Identifier: Apache-2.0
/*
 * Shortest round-trip doubles in JSON text. jansson formats every real with one precision
 * for the whole dump, so jsonnum_dumps() lets jansson write the text at full precision
 * (17 digits: every double exact) and then rewrites each real token of that well-formed
 * text in its shortest exact form; strings are copied untouched.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonnum.h"

/* jansson's precision field in the dump flags: JSON_REAL_PRECISION(n) is (n & 0x1F) << 11 */
#define PRECISION_MASK JSON_REAL_PRECISION(0x1F)

/* "1e+021" -> "1e21", "1e-05" -> "1e-5": the exponent as jansson writes it */
static void tidy_exponent(char *s)
{
	char *e = strchr(s, 'e'), *d;

	if (!e)
		return;
	d = e + 1;
	if (*d == '+')
		memmove(d, d + 1, strlen(d + 1) + 1);
	else if (*d == '-')
		d++;
	while (d[0] == '0' && d[1])
		memmove(d, d + 1, strlen(d + 1) + 1);
}

int jsonnum_format_double(double d, char *buf, size_t len)
{
	char tmp[JSONNUM_DOUBLE_LEN];
	int n = 0;

	if (!isfinite(d))
		return -EINVAL;
	for (int prec = 1; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof(tmp) - 2, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (!strpbrk(tmp, ".e"))
		strcat(tmp, ".0");
	tidy_exponent(tmp);
	n = (int)strlen(tmp);
	if ((size_t)n >= len)
		return -ENOSPC;
	memcpy(buf, tmp, (size_t)n + 1);
	return n;
}

/* Rewrites the reals of jansson's output text s in place (never longer: see above). */
static void shorten_reals(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (*r == '"') {
			*w++ = *r++;
			while (*r && *r != '"') {
				if (*r == '\\' && r[1])
					*w++ = *r++;
				*w++ = *r++;
			}
			if (*r)
				*w++ = *r++;
		} else if (*r == '-' || (*r >= '0' && *r <= '9')) {
			size_t n = strspn(r, "0123456789+-.eE");
			char num[JSONNUM_DOUBLE_LEN];

			if (memchr(r, '.', n) || memchr(r, 'e', n) || memchr(r, 'E', n)) {
				double d = strtod(r, NULL);
				int m = jsonnum_format_double(d, num, sizeof(num));
				if (m > 0 && (size_t)m <= n) {
					memcpy(w, num, (size_t)m);
					w += m;
					r += n;
					continue;
				}
			}
			memmove(w, r, n);
			w += n;
			r += n;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

char *jsonnum_dumps(const json_t *json, size_t flags)
{
	char *s = json_dumps(json, (flags & ~(size_t)PRECISION_MASK) | JSON_REAL_PRECISION(17));

	if (s)
		shorten_reals(s);
	return s;
}
