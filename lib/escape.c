// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

/* The escape for s[i] (and, for a C1 control, s[i + 1]) into e; its length (0: none). */
static size_t escape_one(const unsigned char *s, size_t n, size_t i, unsigned flags, char e[9],
			 size_t *ret_used)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = s[i];

	*ret_used = 1;
	if (c == '\n' || c == '\t') {
		if (flags & ESCAPE_KEEP_NL)
			return 0;
		e[0] = '\\';
		e[1] = c == '\n' ? 'n' : 't';
		return 2;
	}
	if (c == '\r') {
		e[0] = '\\';
		e[1] = 'r';
		return 2;
	}
	if (c < 0x20 || c == 0x7f) {
		e[0] = '\\';
		e[1] = 'x';
		e[2] = hex[c >> 4];
		e[3] = hex[c & 15];
		return 4;
	}
	if (c == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
		memcpy(e, "\\xc2\\x", 6);
		e[6] = hex[s[i + 1] >> 4];
		e[7] = hex[s[i + 1] & 15];
		*ret_used = 2;
		return 8;
	}
	return 0;
}

bool escape_ctrl_needed(const char *s, size_t n, unsigned flags)
{
	char e[9];
	size_t used;

	for (size_t i = 0; i < n; i += used)
		if (escape_one((const unsigned char *)s, n, i, flags, e, &used))
			return true;
	return false;
}

size_t escape_ctrl(const char *s, size_t n, unsigned flags, char *buf, size_t len)
{
	size_t need = 0, w = 0, used, el; /* w: written, equal to need until buf is full */
	const char *src;
	char e[9];

	for (size_t i = 0; i < n; i += used) {
		el = escape_one((const unsigned char *)s, n, i, flags, e, &used);
		src = el ? e : s + i;
		if (!el)
			el = 1;
		if (w == need && need + el < len) {
			memcpy(buf + w, src, el);
			w += el;
		}
		need += el;
	}
	if (len)
		buf[w] = '\0';
	return need;
}

char *escape_ctrl_dup(const char *s, unsigned flags)
{
	size_t n = strlen(s), need = escape_ctrl(s, n, flags, NULL, 0);
	char *out = malloc(need + 1);

	if (out)
		escape_ctrl(s, n, flags, out, need + 1);
	return out;
}

size_t escape_prom_label(const char *s, char *buf, size_t len)
{
	size_t need = 0, w = 0, el;
	const char *src;
	char e[2];

	for (; *s; s++) {
		src = e;
		el = 2;
		e[0] = '\\';
		if (*s == '\\' || *s == '"')
			e[1] = *s;
		else if (*s == '\n')
			e[1] = 'n';
		else
			src = s, el = 1;
		if (w == need && need + el < len) {
			memcpy(buf + w, src, el);
			w += el;
		}
		need += el;
	}
	if (len)
		buf[w] = '\0';
	return need;
}

/* s[0..n) escaped, as a JSON string (NULL without memory) */
static json_t *escaped_string(const char *s, size_t n)
{
	size_t need = escape_ctrl(s, n, 0, NULL, 0);
	char *e = malloc(need + 1);
	json_t *j = NULL;

	if (e) {
		escape_ctrl(s, n, 0, e, need + 1);
		j = json_stringn(e, need);
	}
	free(e);
	return j;
}

static bool string_needs_escape(json_t *x)
{
	return json_is_string(x) &&
	       escape_ctrl_needed(json_string_value(x), json_string_length(x), 0);
}

int escape_json_strings(json_t *v)
{
	json_t *x, *e, *renamed;
	const char *key;
	size_t i;
	int r = 0;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (string_needs_escape(x)) {
				e = escaped_string(json_string_value(x), json_string_length(x));
				if (!e || json_array_set_new(v, i, e) < 0)
					return -ENOMEM;
			} else if (escape_json_strings(x) < 0) {
				return -ENOMEM;
			}
		}
		return 0;
	}
	if (!json_is_object(v))
		return 0;
	/* values in place; keys that need escaping are moved afterwards (not while iterating) */
	renamed = json_object();
	if (!renamed)
		return -ENOMEM;
	json_object_foreach(v, key, x) {
		if (string_needs_escape(x)) {
			e = escaped_string(json_string_value(x), json_string_length(x));
			if (!e || json_object_set_new(v, key, e) < 0) {
				r = -ENOMEM;
				break;
			}
			x = e;
		} else if (escape_json_strings(x) < 0) {
			r = -ENOMEM;
			break;
		}
		if (escape_ctrl_needed(key, strlen(key), 0) &&
		    json_object_set(renamed, key, x) < 0) {
			r = -ENOMEM;
			break;
		}
	}
	json_object_foreach(r == 0 ? renamed : NULL, key, x) {
		char *k = escape_ctrl_dup(key, 0);
		if (!k || json_object_set(v, k, x) < 0) {
			free(k);
			r = -ENOMEM;
			break;
		}
		free(k);
		json_object_del(v, key);
	}
	json_decref(renamed);
	return r;
}
