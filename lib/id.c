// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "id.h"

void uuid_random(char out[UUID_STR_LEN])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n > 0)
			got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, UUID_STR_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

bool id_is_valid(const char *s, size_t len, const char **ret_why)
{
	const char *why = NULL;

	if (!s || len == 0)
		why = "is empty";
	else if (len > ID_MAX_LEN)
		why = "is longer than 255 bytes";
	else if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		why = "is '.' or '..'";
	else {
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c < 0x20 || c == 0x7f)
				why = "contains a control character";
			else if (c == '/')
				why = "contains '/'";
			else if (c == '\\')
				why = "contains '\\'";
			if (why)
				break;
		}
	}
	if (why && ret_why)
		*ret_why = why;
	return !why;
}

bool id_is_safe(const char *s, size_t len, const char **ret_why)
{
	const char *why = NULL;

	if (!s || len == 0)
		why = "is empty";
	else if (len > ID_MAX_LEN)
		why = "is longer than 255 bytes";
	else if (memchr(s, '\0', len))
		why = "contains a NUL byte";
	else if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		why = "is '.' or '..'";
	else {
		for (size_t i = 0; i < len; i++) {
			char c = s[i];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '.' || c == '_' || c == '-' || c == ':')
				continue;
			why = c == '/' ? "contains '/'" : "contains a character outside [A-Za-z0-9._:-]";
			break;
		}
	}
	if (why && ret_why)
		*ret_why = why;
	return !why;
}
