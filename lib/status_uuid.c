// SPDX-License-Identifier: Apache-2.0
/* TaskStatus.uuid: 16 random bytes, base64 (status_uuid.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base64.h"
#include "status_uuid.h"

static void put(const uint8_t b[16], char out[STATUS_UUID_LEN])
{
	char *s = base64_encode(b, 16);

	/* (24 characters: only a failed allocation leaves it empty, never matching) */
	snprintf(out, STATUS_UUID_LEN, "%s", s ? s : "");
	free(s);
}

void status_uuid_random(char out[STATUS_UUID_LEN])
{
	uint8_t b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n > 0)
			got += (size_t)n;
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	put(b, out);
}

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex digits, either case) into b; 0 or -EINVAL. */
static int parse_text(const char *s, uint8_t b[16])
{
	size_t n = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36; i++) {
		unsigned v;
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -EINVAL;
			continue;
		}
		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		if (n % 2 == 0)
			b[n / 2] = (uint8_t)(v << 4);
		else
			b[n / 2] |= (uint8_t)v;
		n++;
	}
	return 0;
}

int status_uuid_canon(const char *s, char out[STATUS_UUID_LEN])
{
	uint8_t text[16], *b = NULL;
	size_t len = 0;
	int r;

	if (!s)
		return -EINVAL;
	if (parse_text(s, text) == 0) {
		put(text, out);
		return 0;
	}
	r = base64_decode(s, strlen(s), &b, &len);
	if (r < 0 || len != 16) {
		free(b);
		return -EINVAL;
	}
	put(b, out);
	free(b);
	return 0;
}
