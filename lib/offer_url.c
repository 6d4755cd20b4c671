// SPDX-License-Identifier: Apache-2.0
/* An agent's API address from an offer's URL: see offer_url.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "offer_url.h"

/* A DNS name as a host of a URL: labels of letters, digits and '-', dot-separated. */
static bool hostname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || (c == '.' && s[i + 1] != '.')))
			return false;
	}
	return true;
}

int offer_url_address(const json_t *url, bool by_name, char *buf, size_t len)
{
	const json_t *addr = json_object_get(url, "address");
	const json_t *port = json_object_get(addr, "port");
	const char *host = json_string_value(json_object_get(addr, by_name ? "hostname" : "ip"));
	unsigned char bin[sizeof(struct in6_addr)];
	bool v6 = false;
	json_int_t p;
	int n;

	if (!host || !json_is_integer(port))
		return -EINVAL;
	p = json_integer_value(port);
	if (p < 1 || p > 65535)
		return -EINVAL;
	if (by_name) {
		if (!hostname_ok(host))
			return -EINVAL;
	} else if (inet_pton(AF_INET, host, bin) != 1) {
		if (inet_pton(AF_INET6, host, bin) != 1)
			return -EINVAL;
		v6 = true;
	}
	n = snprintf(buf, len, v6 ? "[%s]:%d" : "%s:%d", host, (int)p);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
