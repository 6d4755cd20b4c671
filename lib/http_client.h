/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP client on a daemon's loop: libcurl's multi interface driven by the loop's epoll
 * (socket and timer callbacks), for one-shot POSTs and for long-lived RecordIO streams
 * (SUBSCRIBE). All callbacks run on the loop thread, never from inside libcurl.
 */
#ifndef DROVER_HTTP_CLIENT_H
#define DROVER_HTTP_CLIENT_H

#include <stddef.h>

struct loop;
struct http_client;
struct http_call;

/* status 0 with err set: transport failure (connection refused, timeout...). */
typedef void (*http_done_fn)(long status, const char *body, size_t len, const char *err,
			     void *data);
/* Stream: response headers are in (status and Mesos-Stream-Id, which may be NULL). */
typedef void (*http_open_fn)(long status, const char *stream_id, void *data);
/* Stream: one RecordIO record (NUL-terminated). */
typedef void (*http_record_fn)(const char *rec, size_t len, void *data);

int http_client_new(struct loop *l, struct http_client **ret);
/* Cancels every call without running its callbacks. */
void http_client_free(struct http_client *c);

/*
 * Calls started after this connect from the local address addr (an IPv4/IPv6 literal,
 * e.g. "127.1.0.7"); NULL restores the default (the kernel picks). Returns 0 or -ENOMEM.
 */
int http_client_set_local_address(struct http_client *c, const char *addr);
/*
 * At most per_host connections to one host (further calls wait for a free one) and at most
 * cache idle connections kept for reuse; 0 leaves libcurl's default (no per-host cap).
 */
void http_client_set_limits(struct http_client *c, long per_host, long cache);

/*
 * TLS and authentication of calls started after this (both copied; NULL clears):
 * https:// URLs are verified against the PEM CA bundle ca_file (NULL: the system's store;
 * peer and host name are always verified), and every call carries HTTP Basic credentials.
 * Returns 0 or -ENOMEM.
 */
int http_client_set_tls_ca(struct http_client *c, const char *ca_file);
int http_client_set_basic_auth(struct http_client *c, const char *user, const char *password);

/*
 * How every Drover client follows redirects (a follower master's 307 to the leader), on a
 * libcurl easy handle (CURL *) about to fetch url: POST kept as POST, at most 5 hops, and only
 * to url's own protocol, so that an https:// call never goes on in clear text (nor an http://
 * one to another protocol). Returns 0, or -EINVAL when url has no scheme libcurl knows.
 */
int http_client_redirect_policy(void *easy, const char *url);

/*
 * POST body to url. headers: NULL-terminated "Name: value" strings or NULL.
 * timeout_ms 0: none. Returns the call (owned by the client until done runs) or NULL.
 */
struct http_call *http_post(struct http_client *c, const char *url, const char *content_type,
			    const char *body, size_t len, const char *const *headers,
			    long timeout_ms, http_done_fn done, void *data);

/*
 * POST that answers with a RecordIO stream. open runs once the headers are in; record per
 * record; done once at the end (status, and the body when the answer was not 200).
 */
struct http_call *http_post_stream(struct http_client *c, const char *url,
				   const char *content_type, const char *body, size_t len,
				   const char *const *headers, http_open_fn open,
				   http_record_fn record, http_done_fn done, void *data);

/* Abort a call; its callbacks will not run. */
void http_call_cancel(struct http_client *c, struct http_call *call);

/*
 * From inside a stream's callbacks: the RecordIO decoder's error that cut the stream
 * (-EBADMSG: a malformed length, -EMSGSIZE: a record too long), or 0.
 */
int http_call_stream_error(const struct http_call *call);

#endif
