// SPDX-License-Identifier: Apache-2.0
/*
 * This master's MasterInfo, as Mesos fills it (SUBSCRIBED.master_info): id, ip (the IPv4
 * address as a uint32 in network byte order, as Mesos stores in_addr.s_addr), port, pid
 * "master@ip:port", hostname, version and address {hostname, ip, port}. The address is
 * --advertise, else --listen; a wildcard host stands for this machine's hostname.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master.h"
#include "util.h"
#include "version.h"

/* "HOST:PORT" or "[V6]:PORT" into host and port; 0 or -EINVAL. */
static int split_hostport(const char *hostport, char *host, size_t hostlen, unsigned *ret_port)
{
	const char *colon = strrchr(hostport, ':');
	const char *h = hostport;
	size_t n;
	char *end;
	unsigned long p;

	if (!colon)
		return -EINVAL;
	n = (size_t)(colon - hostport);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n >= hostlen)
		return -EINVAL;
	p = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p > 65535)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	*ret_port = (unsigned)p;
	return 0;
}

/* host's IPv4 address (an address literal, or resolved), or -ENOENT. */
static int resolve4(const char *host, struct in_addr *ret)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;

	if (inet_pton(AF_INET, host, ret) == 1)
		return 0;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		return -ENOENT;
	*ret = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

json_t *master_info_json(const struct master *m)
{
	const char *adv = m->flags->advertise ? m->flags->advertise : m->flags->listen;
	char host[256] = "", ip[INET_ADDRSTRLEN] = "0.0.0.0", pid[300];
	struct in_addr in = {.s_addr = htonl(INADDR_LOOPBACK)};
	unsigned port = 5050;

	if (!adv || split_hostport(adv, host, sizeof(host), &port) < 0)
		snprintf(host, sizeof(host), "localhost");
	if (!host[0] || streq(host, "0.0.0.0") || streq(host, "::")) {
		if (gethostname(host, sizeof(host) - 1) < 0)
			snprintf(host, sizeof(host), "localhost");
	}
	if (resolve4(host, &in) < 0)
		in.s_addr = htonl(INADDR_LOOPBACK);
	inet_ntop(AF_INET, &in, ip, sizeof(ip));
	snprintf(pid, sizeof(pid), "master@%s:%u", ip, port);
	return json_pack("{s:s,s:I,s:I,s:s,s:s,s:s,s:{s:s,s:s,s:I}}", "id", m->master_id, "ip",
			 (json_int_t)in.s_addr, "port", (json_int_t)port, "pid", pid, "hostname",
			 host, "version", DROVER_VERSION, "address", "hostname", host, "ip", ip,
			 "port", (json_int_t)port);
}

json_t *master_agent_url_json(const char *hostname, const char *ip, json_int_t port)
{
	json_t *addr = json_pack("{s:s}", "hostname", hostname ? hostname : "");

	if (ip && addr)
		json_object_set_new(addr, "ip", json_string(ip));
	if (addr)
		json_object_set_new(addr, "port",
				    json_integer(port > 0 && port <= 65535 ? port : 5051));
	return json_pack("{s:s,s:o,s:s}", "scheme", "http", "address", addr, "path", "/slave(1)");
}
