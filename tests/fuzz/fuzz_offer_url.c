// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: lib/offer_url. The input (after a first byte choosing IP or host name) is
 * an Offer.url as JSON; an address that comes out must be what a URL may carry: no '/',
 * '@', '?', '#', whitespace or control byte, one ':' before the port (or a bracketed IPv6),
 * a port of 1..65535, and fit its buffer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "offer_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[64];
	const char *colon;
	json_t *url;
	long port;
	char *end;

	if (size < 1)
		return 0;
	url = json_loadb((const char *)data + 1, size - 1, 0, NULL);
	if (offer_url_address(url, data[0] & 1, buf, sizeof(buf)) == 0) {
		if (strlen(buf) >= sizeof(buf))
			abort();
		for (const char *p = buf; *p; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
			    strchr("/@?#%\\", *p))
				abort();
		colon = strrchr(buf, ':');
		if (!colon || colon == buf)
			abort();
		if (buf[0] == '[' ? colon[-1] != ']' :
				    memchr(buf, ':', (size_t)(colon - buf)) != NULL)
			abort();
		port = strtol(colon + 1, &end, 10);
		if (*end || port < 1 || port > 65535)
			abort();
	}
	json_decref(url);
	return 0;
}
