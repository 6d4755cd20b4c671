/* SPDX-License-Identifier: Apache-2.0 */
/* Who is calling an HTTP server (HTTP Basic or a bearer token, against lib/auth.h's
 * credentials): the master's API and the agent's use the same check. */
#ifndef DROVER_HTTP_AUTH_H
#define DROVER_HTTP_AUTH_H

#include "auth.h"
#include "http_server.h"

/*
 * 0 with *ret_principal (malloc'ed) when req carries a principal's secret or token of c;
 * otherwise req is answered (401 with WWW-Authenticate for realm, logged; 503 without
 * memory) and the status it got is returned as a negative number (-401, -503).
 */
int http_authenticate(const struct auth_credentials *c, struct http_request *req,
		      const char *realm, char **ret_principal);

#endif
