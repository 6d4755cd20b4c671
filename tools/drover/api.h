/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DROVER_CLI_API_H
#define DROVER_CLI_API_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/*
 * zk://HOSTS/PATH: the leading master's "host:port", found through ZooKeeper (remembered;
 * fresh asks again); anything else as it is.
 */
const char *api_leader(const char *hostport, bool fresh);
/* (NULL when no leader is found: the error is printed.) */
/* "host:port", a URL or zk://..., plus path, as a URL. */
void api_url(const char *hostport, const char *path, char *buf, size_t len);
/* Operator call "GET_X" on the master; returns its "get_x" payload (new reference). */
json_t *api_master(const char *type);
/* The same on the agent (--agent: GET_STATE, GET_CONTAINERS), printing nothing when the
 * agent cannot answer. */
json_t *api_agent_quiet(const char *type);
/* A master call that changes state: {"type": T, "<t>": body}; 0 or -1 (error printed). */
int api_master_change(const char *type, json_t *body);
/* GET path as text (malloc'd), or NULL after printing the error. */
char *api_get_text(const char *hostport, const char *path);

struct http_client;
/* --tls-ca and --credential onto a loop client (task run, task kill); 0 or -1 (printed). */
int api_client_setup(struct http_client *c);

#endif
