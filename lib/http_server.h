/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server both daemons use: libmicrohttpd in its own polling thread, with request
 * bodies collected up to a limit, replies that may be produced later by another thread
 * (the connection is suspended meanwhile), and long-lived chunked streams that carry one
 * record per chunk and are written from any thread.
 *
 * Ownership: a request belongs to the server; the handler (called on the server thread with
 * the whole body) must call http_reply()/http_reply_stream() exactly once, either before it
 * returns or later from any thread. After that call the request must not be touched.
 */
#ifndef DROVER_HTTP_SERVER_H
#define DROVER_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct http_server;
struct http_request;
struct http_stream;

typedef void (*http_handler_fn)(struct http_request *req, void *data);
/* Called once when a stream's connection has ended (any thread); drop your reference. */
typedef void (*http_stream_closed_fn)(struct http_stream *s, void *data);

struct http_server_config {
	const char *listen;        /* "HOST:PORT" */
	size_t max_body;           /* larger bodies get 413 */
	unsigned connection_limit; /* 0: 10000 */
	unsigned idle_timeout_s;   /* idle keep-alive connections are closed; 0: 60 */
	unsigned max_per_peer;     /* requests from a peer with more connections get 429; 0: no cap */
	size_t max_header;         /* per-connection memory (request line + headers); 0: 32 KiB */
	size_t max_stream_queue;   /* bytes a stream may hold unsent; past it the stream is cut
				    * (http_stream_send: -ENOBUFS); 0: no cap */
	const char *tls_cert_pem;  /* with tls_key_pem: serve HTTPS only (PEM text, not paths) */
	const char *tls_key_pem;
	/*
	 * libmicrohttpd threads, each serving its own share of the connections; 0 or 1: one.
	 * Every resume of a parked connection (a stream's event, a deferred reply) makes the
	 * thread serving it walk all the connections it has parked: N threads walk 1/N each.
	 */
	unsigned threads;
	/*
	 * The share of the server thread's time its walks over parked connections may take
	 * (0: 0.3). Resumes are batched to keep to it: at once while the walks are cheap, in
	 * batches at most (walk cost / share) apart when thousands of streams are parked.
	 */
	double resume_share;
	http_handler_fn handler;
	void *handler_data;
};

/* -ENOTSUP: TLS asked for but libmicrohttpd was built without it. */
int http_server_start(const struct http_server_config *cfg, struct http_server **ret);
/* Ends every open stream, answers 503 to deferred requests, stops the thread, frees. */
void http_server_stop(struct http_server *srv);
uint16_t http_server_port(const struct http_server *srv);

/* The resume coalescing's counters (http_server_config.resume_share). */
struct http_server_stats {
	uint64_t resumes; /* parked connections resumed */
	uint64_t batches; /* batches they went in: libmicrohttpd's walks over the parked ones */
	long parked; /* connections parked now: idle streams, answers being made */
	double wait_max_s; /* the longest a resume has waited for its batch */
};
void http_server_stats(struct http_server *srv, struct http_server_stats *st);

const char *http_request_method(const struct http_request *req);
const char *http_request_path(const struct http_request *req);
const char *http_request_header(const struct http_request *req, const char *name);
const char *http_request_body(const struct http_request *req, size_t *ret_len);
/* The value of query parameter key (decoded), or NULL. */
const char *http_request_query(const struct http_request *req, const char *key);
/*
 * The query string, re-encoded ("?a=1&b=x%20y", "" without one) into buf (NUL-terminated,
 * truncated to len); for redirects that keep a request's query.
 */
void http_request_query_string(const struct http_request *req, char *buf, size_t len);
/*
 * Is name fit to be a JSONP callback (?jsonp= of the legacy endpoints): a JavaScript dotted
 * name of letters, digits, '_', '$' and '.', 1 to 128 bytes, nothing that could end the
 * call and start script of its own.
 */
static inline bool http_is_jsonp_name(const char *s)
{
	if (!s || !*s || strlen(s) > 128)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '$' || *s == '.'))
			return false;
	return true;
}
/* The peer's address as text, e.g. "127.0.0.1". */
const char *http_request_peer(const struct http_request *req);
/* The connection's socket (for getsockname/getpeername; not to be read or closed); -1. */
int http_request_socket(const struct http_request *req);
/*
 * The user and password of an "Authorization: Basic" header, decoded by libmicrohttpd
 * (malloc'ed: free both). -ENOENT when the request has none.
 */
int http_request_basic_auth(const struct http_request *req, char **ret_user, char **ret_password);
/* The token of an "Authorization: Bearer TOKEN" header, or NULL. */
const char *http_request_bearer(const struct http_request *req);

/*
 * Answer with a status, a content type and a body (copied). extra_headers is a
 * NULL-terminated list of name, value pairs, or NULL.
 */
void http_reply(struct http_request *req, unsigned status, const char *content_type,
		const char *body, size_t len, const char *const *extra_headers);
/* An error answer: the message as a plain-text body, as Mesos answers (see docs/api.md). */
void http_reply_error(struct http_request *req, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 401 with "WWW-Authenticate: Basic realm=..." and "Bearer realm=...", as Mesos answers. */
void http_reply_unauthorized(struct http_request *req, const char *realm, const char *message);

/*
 * Answer 200 with a chunked stream. block_size is what libmicrohttpd reserves for the
 * response up front (unused by chunked streams, which are written from the connection's own
 * buffer): keep it small, at most 64 KiB is taken. The returned stream holds one reference for the caller
 * (drop it with http_stream_unref) and one for the connection (dropped when it ends, after
 * closed() is called).
 */
struct http_stream *http_reply_stream(struct http_request *req, const char *content_type,
				      const char *const *extra_headers, size_t block_size,
				      http_stream_closed_fn closed, void *closed_data);
/*
 * Queue one chunk (copied). Any thread. Returns -EPIPE once the stream has ended, and
 * -ENOBUFS when the chunk would take what the peer has not read past the server's
 * max_stream_queue: the queue is then dropped and the connection closed (a peer that does
 * not read must not grow the daemon), and closed() follows as for any ended connection.
 */
int http_stream_send(struct http_stream *s, const char *data, size_t len);
/* Finish the stream after what is queued. Any thread. */
void http_stream_end(struct http_stream *s);
/*
 * A constant of the owner's beside the stream (what its records are: lib/codec.h
 * struct codec_format), NULL until set. Set it before the stream is shared with other
 * threads; read it from any thread after that.
 */
void http_stream_set_tag(struct http_stream *s, const void *tag);
const void *http_stream_tag(const struct http_stream *s);
/* Take another reference (any thread). */
void http_stream_ref(struct http_stream *s);
void http_stream_unref(struct http_stream *s);

#endif
