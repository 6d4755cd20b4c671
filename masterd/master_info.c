// SPDX-License-Identifier: Apache-2.0
/*
 * An agent's Offer.url as Mesos fills it. (The master's own MasterInfo is leader.c's
 * master_leader_info(): one builder for SUBSCRIBED, GET_MASTER, the legacy endpoints and the
 * json.info_ znodes.)
 */
#include "master.h"

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
