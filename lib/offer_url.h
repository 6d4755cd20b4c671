/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where an offer's agent serves its API, from the offer's `url` (Mesos's Offer.url, a URL
 * message: {scheme, address: {hostname, ip, port}, path}), so a framework can reach the
 * agent without asking the master (GET_AGENTS) or resolving a host name. The URL comes
 * from the master (it puts there the address the agent's SUBSCRIBE came from and the port
 * the agent listens on): a wire input, checked before use.
 */
#ifndef DROVER_OFFER_URL_H
#define DROVER_OFFER_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/*
 * "IP:PORT" (IPv4) or "[IP]:PORT" (IPv6) of url into buf, from address.ip (an IPv4 or IPv6
 * literal) and address.port (an integer 1..65535); by_name: "HOSTNAME:PORT" from
 * address.hostname instead (a DNS name: 1..253 bytes of letters, digits, '-' and '.', for
 * TLS, whose certificates name hosts). 0, or -EINVAL when url has no such address (NULL
 * url, a field missing or malformed), -ENOSPC when buf is too small. Pure.
 */
int offer_url_address(const json_t *url, bool by_name, char *buf, size_t len);

#endif
