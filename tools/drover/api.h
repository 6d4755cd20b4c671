/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DROVER_CLI_API_H
#define DROVER_CLI_API_H

#include <stddef.h>
#include <jansson.h>

/* "host:port" or a URL, plus path, as a URL. */
void api_url(const char *hostport, const char *path, char *buf, size_t len);
/* POST req as JSON; the parsed 2xx answer, or NULL after printing the error. */
json_t *api_call(const char *hostport, const char *path, json_t *req, long *ret_status);
/* Operator call "GET_X" on the master; returns its "get_x" payload (new reference). */
json_t *api_master(const char *type);

#endif
