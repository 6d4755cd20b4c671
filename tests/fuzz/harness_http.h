/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory transport of harness_http.c: what a fuzz target sees of it. */
#ifndef DROVER_FUZZ_HARNESS_HTTP_H
#define DROVER_FUZZ_HARNESS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "http_server.h"

#define HARNESS_ID_LEN 300

struct http_request {
	const char *method, *path, *body, *stream_id, *content_type;
	const char *accept; /* the Accept header, or NULL */
	size_t len;
	/* the Authorization header, as http_server.c decodes it: Basic user and password
	 * (NULL: none), or a bearer token (NULL: none) */
	const char *basic_user, *basic_password, *bearer;
	bool answered;
	unsigned status;
};

struct harness_state {
	struct http_server *srv;
	char fw_id[HARNESS_ID_LEN], agent_id[HARNESS_ID_LEN], offer_id[HARNESS_ID_LEN];
	char update_uuid[HARNESS_ID_LEN];
	char fw_stream_id[64], agent_stream_id[64];
	unsigned long events;
};

struct harness_state *harness_state(void);
/* The connection of the newest framework (agent) stream goes away. */
void harness_drop_stream(bool agent);
/* Streams the master ended: their connections close (closed() is called). */
void harness_close_ended(void);

#endif
