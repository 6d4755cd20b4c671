// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>

#include "buf.h"
#include "http_server.h"
#include "strmap.h"
#include "util.h"

/*
 * GnuTLS priorities of a TLS server: TLS 1.2 and 1.3 only, with AEAD ciphers (AES-GCM,
 * ChaCha20-Poly1305) and forward-secret key exchange; no SSL 3, TLS 1.0/1.1, CBC or RC4.
 */
#define HTTPS_PRIORITIES                                                                  \
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:" \
	"+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+DHE-RSA"

enum req_state { REQ_READING, REQ_HANDLING, REQ_DEFERRED, REQ_READY, REQ_QUEUED };

struct http_request {
	struct http_server *srv;
	struct MHD_Connection *conn;
	const char *method, *path;
	struct buf body; /* up to cfg.max_body bytes */
	bool too_large;
	char peer[INET6_ADDRSTRLEN];

	pthread_mutex_t lock;
	enum req_state state;
	bool suspended;
	struct MHD_Response *resp;
	unsigned status;
	struct http_request *next_deferred, *prev_deferred;
};

struct chunk {
	struct chunk *next;
	size_t len, off;
	char data[];
};

struct http_stream {
	struct http_server *srv;
	struct MHD_Connection *conn;
	pthread_mutex_t lock;
	int refs;
	bool suspended, ended, dead;
	bool peer_gone; /* the client closed its end: end the stream at once */
	int fd;         /* the connection's socket, watched for the peer closing */
	bool watched;   /* in srv->watch_epfd; the watcher holds a reference */
	uint32_t watch_gen; /* in the epoll event beside fd: an event for a closed fd whose
			     * number a newer stream took is not that stream's */
	struct chunk *head, *tail;
	size_t queued;
	http_stream_closed_fn closed;
	void *closed_data;
	struct http_stream *next, *prev; /* in srv->streams */
	const void *tag; /* the owner's (http_stream_set_tag) */
};

struct http_server {
	struct MHD_Daemon *d;
	struct http_server_config cfg;
	pthread_mutex_t lock; /* the lists below */
	struct http_request *deferred;
	struct http_stream *streams;
	bool stopping;
	/*
	 * MHD does not poll a suspended connection, so it cannot see a client go away while
	 * its stream is idle. A watcher thread polls every stream's socket for EPOLLRDHUP and
	 * ends the stream when the peer hangs up.
	 */
	int watch_epfd, watch_wakefd;
	pthread_t watch_thread;
	bool watch_running;
	struct http_stream **by_fd; /* under lock */
	uint32_t watch_gen;         /* under lock: the last one given to a stream */
	size_t by_fd_cap;
	struct strmap peers; /* address -> open connections (as uintptr_t), under lock */

	/*
	 * Resume coalescing. Each MHD_resume_connection() makes libmicrohttpd's thread walk
	 * its whole list of suspended connections (0.9.75 and 1.0 alike: a walk per wake-up
	 * that finds a resume pending, over every parked connection, a cache miss each once
	 * the list is reordered). A master parks one connection per agent (its idle event
	 * stream), so at 10,000 agents every event and every deferred answer cost the thread
	 * a walk of milliseconds and the walks took most of it. Resumes are queued here
	 * instead and issued in batches, one walk per batch, on a budget: the walks may take
	 * resume_share of the thread's time (a token bucket of nanoseconds, a walk estimated
	 * at RESUME_WALK_NS per parked connection, bursts up to RESUME_BURST_NS). With few
	 * parked connections a walk costs microseconds and every resume goes out at once; with
	 * many, a resume waits at most one walk's cost divided by the share (4 ms / 0.3 =
	 * 13 ms at 10,000), and everything that queued meanwhile goes with it.
	 */
	pthread_mutex_t resume_lock; /* the fields below */
	struct MHD_Connection **resume_q;
	size_t resume_n, resume_cap;
	int64_t tokens_ns, refill_ns; /* the bucket and when it was last filled (monotonic) */
	bool timer_armed;
	bool resume_force; /* stopping: no more waiting */
	int timer_fd; /* in watch_epfd: fires when the bucket holds the next walk */
	atomic_long parked; /* connections we have suspended and not resumed */
	uint64_t resumes, batches; /* http_server_stats */
	int64_t wait_ns_max; /* the longest a queued resume has waited */
	int64_t oldest_ns; /* when the queue's first resume was queued */
	double resume_share;
};

/* per parked connection and batch: 370 ns measured at 10,000 agent streams (benchmarks.md) */
#define RESUME_WALK_NS 400
#define RESUME_BURST_NS 50000000LL /* the bucket's size: 50 ms of walks */

/* What MHD keeps per connection for us: the peer's address, counted in srv->peers. */
struct conn_ctx {
	char peer[INET6_ADDRSTRLEN];
};

/*
 * Without a configured limit: as many connections as the descriptor limit leaves room for
 * (one descriptor each, minus a margin for the daemon's own files), at least 10000 as before.
 * A master holds one connection per agent stream, so this is its agent ceiling.
 */
static unsigned default_connection_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur < 10000 + 256)
		return 10000u;
	return rl.rlim_cur - 256 > 1000000 ? 1000000u : (unsigned)(rl.rlim_cur - 256);
}

/* ------------------------------------------------------------------ streams */

static void stream_free(struct http_stream *s)
{
	while (s->head) {
		struct chunk *c = s->head;
		s->head = c->next;
		free(c);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void http_stream_set_tag(struct http_stream *s, const void *tag)
{
	s->tag = tag;
}

const void *http_stream_tag(const struct http_stream *s)
{
	return s->tag;
}

void http_stream_ref(struct http_stream *s)
{
	pthread_mutex_lock(&s->lock);
	s->refs++;
	pthread_mutex_unlock(&s->lock);
}

void http_stream_unref(struct http_stream *s)
{
	int left;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	left = --s->refs;
	pthread_mutex_unlock(&s->lock);
	if (left == 0)
		stream_free(s);
}

/* ------------------------------------------------------------------ resumes */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Must hold srv->resume_lock: take the queue to resume (one walk), *n of them. */
static struct MHD_Connection **resume_take_locked(struct http_server *srv, size_t *n)
{
	struct MHD_Connection **q = srv->resume_q;

	*n = srv->resume_n;
	if (*n) {
		int64_t waited = now_ns() - srv->oldest_ns;
		srv->resumes += *n;
		srv->batches++;
		if (waited > srv->wait_ns_max)
			srv->wait_ns_max = waited;
	}
	srv->resume_q = NULL;
	srv->resume_n = srv->resume_cap = 0;
	return q;
}

static void resume_all(struct http_server *srv, struct MHD_Connection **q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		MHD_resume_connection(q[i]);
	atomic_fetch_sub(&srv->parked, (long)n);
	free(q);
}

/* Must hold srv->resume_lock: fill the bucket up to now, at resume_share of the time. */
static void refill_locked(struct http_server *srv, int64_t now)
{
	srv->tokens_ns += (int64_t)((double)(now - srv->refill_ns) * srv->resume_share);
	if (srv->tokens_ns > RESUME_BURST_NS)
		srv->tokens_ns = RESUME_BURST_NS;
	srv->refill_ns = now;
}

/*
 * Must hold srv->resume_lock, the queue not empty: take it when the bucket holds a walk
 * (and pay for it), or arm the timer for when it will. force: take it anyway.
 */
static struct MHD_Connection **resume_due_locked(struct http_server *srv, bool force, size_t *n)
{
	int64_t now = now_ns(), walk = atomic_load(&srv->parked) * (int64_t)RESUME_WALK_NS;

	refill_locked(srv, now);
	if (force || srv->tokens_ns >= walk || srv->timer_fd < 0) {
		srv->tokens_ns -= walk;
		return resume_take_locked(srv, n);
	}
	if (!srv->timer_armed) {
		int64_t wait = (int64_t)((double)(walk - srv->tokens_ns) / srv->resume_share) + 1;
		struct itimerspec its = {.it_value = {wait / 1000000000, wait % 1000000000}};
		if (timerfd_settime(srv->timer_fd, 0, &its, NULL) == 0)
			srv->timer_armed = true;
		else /* no timer: no waiting either */
			return resume_take_locked(srv, n);
	}
	*n = 0;
	return NULL;
}

/*
 * conn, which we suspended, is to be resumed: now if the budget allows, else with the
 * next batch. Any thread; may hold a stream's or a request's lock (resume_lock is taken
 * after those, never before).
 */
static void resume_later(struct http_server *srv, struct MHD_Connection *conn)
{
	struct MHD_Connection **q = NULL;
	size_t n = 0;

	pthread_mutex_lock(&srv->resume_lock);
	if (srv->resume_n == srv->resume_cap) {
		size_t cap = srv->resume_cap ? 2 * srv->resume_cap : 16;
		struct MHD_Connection **nq = realloc(srv->resume_q, cap * sizeof(*nq));
		if (!nq) { /* no room to queue it: resume it at once */
			pthread_mutex_unlock(&srv->resume_lock);
			MHD_resume_connection(conn);
			atomic_fetch_sub(&srv->parked, 1);
			return;
		}
		srv->resume_q = nq;
		srv->resume_cap = cap;
	}
	if (!srv->resume_n)
		srv->oldest_ns = now_ns();
	srv->resume_q[srv->resume_n++] = conn;
	q = resume_due_locked(srv, srv->resume_force, &n);
	pthread_mutex_unlock(&srv->resume_lock);
	if (q)
		resume_all(srv, q, n);
}

/* The timer fired (the watcher thread), or the server stops (force): resume what is due. */
static void resume_flush(struct http_server *srv, bool force)
{
	struct MHD_Connection **q = NULL;
	size_t n = 0;

	pthread_mutex_lock(&srv->resume_lock);
	srv->timer_armed = false;
	if (force)
		srv->resume_force = true;
	if (srv->resume_n)
		q = resume_due_locked(srv, srv->resume_force, &n);
	pthread_mutex_unlock(&srv->resume_lock);
	if (q)
		resume_all(srv, q, n);
}

void http_server_stats(struct http_server *srv, struct http_server_stats *st)
{
	pthread_mutex_lock(&srv->resume_lock);
	st->resumes = srv->resumes;
	st->batches = srv->batches;
	st->wait_max_s = (double)srv->wait_ns_max / 1e9;
	pthread_mutex_unlock(&srv->resume_lock);
	st->parked = atomic_load(&srv->parked);
}

/* conn is to be suspended (by the thread serving it) */
static void park(struct http_server *srv, struct MHD_Connection *conn)
{
	atomic_fetch_add(&srv->parked, 1);
	MHD_suspend_connection(conn);
}

/* Must hold s->lock. Resumes the connection if the reader parked it. */
static void stream_kick(struct http_stream *s)
{
	if (s->suspended) {
		s->suspended = false;
		resume_later(s->srv, s->conn);
	}
}

/*
 * Must hold s->lock, the stream not dead (so its connection, and fd, are still open): drop
 * what is queued and close the connection. The peer may not be reading at all, so MHD may be
 * waiting for the socket to take more and never call stream_read: shutting the socket down
 * makes that write fail, and MHD closes the connection (stream_done follows).
 */
static void stream_cut(struct http_stream *s)
{
	while (s->head) {
		struct chunk *c = s->head;
		s->head = c->next;
		free(c);
	}
	s->tail = NULL;
	s->queued = 0;
	s->ended = true;
	s->peer_gone = true;
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	stream_kick(s);
}

int http_stream_send(struct http_stream *s, const char *data, size_t len)
{
	struct chunk *c;

	pthread_mutex_lock(&s->lock);
	if (s->ended || s->dead) {
		pthread_mutex_unlock(&s->lock);
		return -EPIPE;
	}
	if (s->srv->cfg.max_stream_queue && s->queued + len > s->srv->cfg.max_stream_queue) {
		stream_cut(s);
		pthread_mutex_unlock(&s->lock);
		return -ENOBUFS;
	}
	c = malloc(sizeof(*c) + len);
	if (!c) {
		pthread_mutex_unlock(&s->lock);
		return -ENOMEM;
	}
	c->next = NULL;
	c->len = len;
	c->off = 0;
	memcpy(c->data, data, len);
	if (s->tail)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	s->queued += len;
	stream_kick(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void http_stream_end(struct http_stream *s)
{
	pthread_mutex_lock(&s->lock);
	s->ended = true;
	if (!s->dead)
		stream_kick(s);
	pthread_mutex_unlock(&s->lock);
}

/* MHD asks for the next bytes: one queued chunk per call, so one record per HTTP chunk. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *s = cls;
	ssize_t n;

	pthread_mutex_lock(&s->lock);
	if (s->peer_gone) {
		pthread_mutex_unlock(&s->lock);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (s->head) {
		struct chunk *c = s->head;
		size_t take = c->len - c->off < max ? c->len - c->off : max;
		memcpy(buf, c->data + c->off, take);
		c->off += take;
		s->queued -= take;
		if (c->off == c->len) {
			s->head = c->next;
			if (!s->head)
				s->tail = NULL;
			free(c);
		}
		n = (ssize_t)take;
	} else if (s->ended) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		/* nothing to send: park the connection until http_stream_send() resumes it */
		s->suspended = true;
		park(s->srv, s->conn);
		n = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* The connection is gone (or the stream finished): tell the owner, drop MHD's reference. */
/* Must hold srv->lock. Returns true when the caller must drop the watcher's reference. */
static bool unwatch_locked(struct http_server *srv, struct http_stream *s)
{
	if (!s->watched)
		return false;
	epoll_ctl(srv->watch_epfd, EPOLL_CTL_DEL, s->fd, NULL);
	if ((size_t)s->fd < srv->by_fd_cap && srv->by_fd[s->fd] == s)
		srv->by_fd[s->fd] = NULL;
	s->watched = false;
	return true;
}

static void watch_locked(struct http_server *srv, struct http_stream *s)
{
	struct epoll_event ev = {.events = EPOLLRDHUP};

	if (s->fd < 0 || srv->watch_epfd < 0)
		return;
	if (++srv->watch_gen == 0) /* 0 is the wake fd's */
		srv->watch_gen = 1;
	s->watch_gen = srv->watch_gen;
	ev.data.u64 = (uint64_t)s->watch_gen << 32 | (uint32_t)s->fd;
	if ((size_t)s->fd >= srv->by_fd_cap) {
		size_t cap = srv->by_fd_cap ? srv->by_fd_cap : 1024;
		struct http_stream **n;
		while (cap <= (size_t)s->fd)
			cap *= 2;
		n = realloc(srv->by_fd, cap * sizeof(*n));
		if (!n)
			return;
		memset(n + srv->by_fd_cap, 0, (cap - srv->by_fd_cap) * sizeof(*n));
		srv->by_fd = n;
		srv->by_fd_cap = cap;
	}
	if (srv->by_fd[s->fd]) /* a stale entry for a reused fd */
		srv->by_fd[s->fd]->watched = false; /* its reference is dropped in stream_done */
	if (epoll_ctl(srv->watch_epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0 &&
	    epoll_ctl(srv->watch_epfd, EPOLL_CTL_MOD, s->fd, &ev) < 0)
		return;
	srv->by_fd[s->fd] = s;
	s->watched = true;
	s->refs++; /* the watcher's */
}

static void *watch_main(void *data)
{
	struct http_server *srv = data;
	struct epoll_event evs[64];

	for (;;) {
		int n = epoll_wait(srv->watch_epfd, evs, 64, -1);
		if (n < 0 && errno != EINTR)
			return NULL;
		for (int i = 0; i < n; i++) {
			int fd = (int)(uint32_t)evs[i].data.u64;
			uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
			struct http_stream *s = NULL;
			if (!gen && fd == srv->watch_wakefd)
				return NULL;
			if (!gen && fd == srv->timer_fd) {
				uint64_t ticks;
				if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					continue;
				resume_flush(srv, false);
				continue;
			}
			pthread_mutex_lock(&srv->lock);
			/* the stream now on fd is the one the event was for (not a newer one on a
			 * reused fd number, while this event waited for the lock) */
			if ((size_t)fd < srv->by_fd_cap && srv->by_fd[fd] &&
			    srv->by_fd[fd]->watch_gen == gen) {
				s = srv->by_fd[fd];
				if (!unwatch_locked(srv, s))
					s = NULL;
			}
			pthread_mutex_unlock(&srv->lock);
			if (!s)
				continue;
			pthread_mutex_lock(&s->lock);
			s->peer_gone = true;
			if (!s->dead)
				stream_kick(s);
			pthread_mutex_unlock(&s->lock);
			http_stream_unref(s);
		}
	}
}

static void stream_done(void *cls)
{
	struct http_stream *s = cls;
	struct http_server *srv = s->srv;
	bool drop;

	pthread_mutex_lock(&srv->lock);
	drop = unwatch_locked(srv, s);
	if (s->prev)
		s->prev->next = s->next;
	else if (srv->streams == s)
		srv->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
	pthread_mutex_unlock(&srv->lock);

	pthread_mutex_lock(&s->lock);
	s->dead = true;
	pthread_mutex_unlock(&s->lock);
	if (s->closed)
		s->closed(s, s->closed_data);
	if (drop)
		http_stream_unref(s);
	http_stream_unref(s);
}

/* ------------------------------------------------------------------ requests */

const char *http_request_method(const struct http_request *req)
{
	return req->method;
}

const char *http_request_path(const struct http_request *req)
{
	return req->path;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_request_query(const struct http_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct query_buf {
	char *buf;
	size_t len, pos;
};

static void query_put(struct query_buf *q, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char enc[4] = {(char)c, '\0'};
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("-._~", c))) {
			enc[0] = '%';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			enc[3] = '\0';
		}
		for (const char *e = enc; *e && q->pos + 1 < q->len; e++)
			q->buf[q->pos++] = *e;
	}
	q->buf[q->pos] = '\0';
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct query_buf *q = cls;

	char sep = q->pos == 0 ? '?' : '&';

	(void)kind;
	if (q->pos + 1 < q->len)
		q->buf[q->pos++] = sep;
	query_put(q, key);
	if (value && q->pos + 1 < q->len) {
		q->buf[q->pos++] = '=';
		query_put(q, value);
	}
	q->buf[q->pos] = '\0';
	return MHD_YES;
}

void http_request_query_string(const struct http_request *req, char *buf, size_t len)
{
	struct query_buf q = {buf, len, 0};

	if (!len)
		return;
	buf[0] = '\0';
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_arg, &q);
}

const char *http_request_body(const struct http_request *req, size_t *ret_len)
{
	if (ret_len)
		*ret_len = req->body.len;
	return req->body.p ? req->body.p : "";
}

const char *http_request_peer(const struct http_request *req)
{
	return req->peer;
}

int http_request_socket(const struct http_request *req)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	return ci ? ci->connect_fd : -1;
}

int http_request_basic_auth(const struct http_request *req, char **ret_user, char **ret_password)
{
	char *pass = NULL, *user = MHD_basic_auth_get_username_password(req->conn, &pass);
	char *u, *p;

	if (!user) {
		if (pass)
			MHD_free(pass);
		return -ENOENT;
	}
	u = strdup(user);
	p = strdup(pass ? pass : "");
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	MHD_free(user);
	if (!u || !p) {
		free(u);
		free(p);
		return -ENOMEM;
	}
	*ret_user = u;
	*ret_password = p;
	return 0;
}

const char *http_request_bearer(const struct http_request *req)
{
	const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);

	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

static void add_headers(struct MHD_Response *r, const char *content_type,
			const char *const *extra)
{
	if (content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	for (; extra && extra[0] && extra[1]; extra += 2)
		MHD_add_response_header(r, extra[0], extra[1]);
}

static void unlink_deferred(struct http_request *req)
{
	struct http_server *srv = req->srv;

	pthread_mutex_lock(&srv->lock);
	if (req->prev_deferred)
		req->prev_deferred->next_deferred = req->next_deferred;
	else if (srv->deferred == req)
		srv->deferred = req->next_deferred;
	if (req->next_deferred)
		req->next_deferred->prev_deferred = req->prev_deferred;
	req->next_deferred = req->prev_deferred = NULL;
	pthread_mutex_unlock(&srv->lock);
}

/* Store the response; if the handler already returned, wake the connection. */
static void set_response(struct http_request *req, unsigned status, struct MHD_Response *r)
{
	pthread_mutex_lock(&req->lock);
	if (req->state == REQ_READY || req->state == REQ_QUEUED) {
		pthread_mutex_unlock(&req->lock);
		MHD_destroy_response(r); /* a second reply is a programming error; keep the first */
		return;
	}
	req->resp = r;
	req->status = status;
	req->state = REQ_READY;
	if (req->suspended) {
		req->suspended = false;
		resume_later(req->srv, req->conn);
	}
	pthread_mutex_unlock(&req->lock);
}

void http_reply(struct http_request *req, unsigned status, const char *content_type,
		const char *body, size_t len, const char *const *extra_headers)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)(body ? body : ""), MHD_RESPMEM_MUST_COPY);

	if (!r)
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	add_headers(r, content_type, extra_headers);
	set_response(req, status, r);
}

void http_reply_error(struct http_request *req, unsigned status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Mesos answers errors with a plain-text body; clients print it as is. */
	http_reply(req, status, "text/plain; charset=utf-8", msg, strlen(msg), NULL);
}

void http_reply_unauthorized(struct http_request *req, const char *realm, const char *message)
{
	char basic[128], bearer[128];
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(message), (void *)message, MHD_RESPMEM_MUST_COPY);

	if (!r)
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	snprintf(basic, sizeof(basic), "Basic realm=\"%s\"", realm);
	snprintf(bearer, sizeof(bearer), "Bearer realm=\"%s\"", realm);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, basic);
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, bearer);
	set_response(req, 401, r);
}

struct http_stream *http_reply_stream(struct http_request *req, const char *content_type,
				      const char *const *extra_headers, size_t block_size,
				      http_stream_closed_fn closed, void *closed_data)
{
	struct http_server *srv = req->srv;
	struct http_stream *s = calloc(1, sizeof(*s));
	struct MHD_Response *r;

	if (!s) {
		http_reply_error(req, 503, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->srv = srv;
	s->conn = req->conn;
	s->refs = 2;
	s->closed = closed;
	s->closed_data = closed_data;
	if (!block_size || block_size > 65536)
		block_size = 65536;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, block_size, stream_read, s,
					      stream_done);
	if (!r) {
		stream_free(s);
		http_reply_error(req, 503, "out of memory");
		return NULL;
	}
	add_headers(r, content_type, extra_headers);
	{
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		s->fd = ci ? ci->connect_fd : -1;
	}
	pthread_mutex_lock(&srv->lock);
	watch_locked(srv, s);
	s->next = srv->streams;
	if (s->next)
		s->next->prev = s;
	srv->streams = s;
	if (srv->stopping)
		s->ended = true;
	pthread_mutex_unlock(&srv->lock);
	set_response(req, 200, r);
	return s;
}

static enum MHD_Result queue_ready(struct http_request *req)
{
	enum MHD_Result ret = MHD_queue_response(req->conn, req->status, req->resp);

	MHD_destroy_response(req->resp);
	req->resp = NULL;
	req->state = REQ_QUEUED;
	return ret;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct http_request *req = *con_cls;
	enum MHD_Result ret;

	if (!req) {
		const union MHD_ConnectionInfo *ci;
		const char *cl;

		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		pthread_mutex_init(&req->lock, NULL);
		req->srv = srv;
		req->conn = conn;
		req->method = method;
		req->path = url;
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr)
			getnameinfo(ci->client_addr,
				    ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
									   : sizeof(struct sockaddr_in),
				    req->peer, sizeof(req->peer), NULL, 0, NI_NUMERICHOST);
		*con_cls = req;
		if (srv->cfg.max_per_peer) {
			uintptr_t open;
			pthread_mutex_lock(&srv->lock);
			open = (uintptr_t)strmap_get(&srv->peers, req->peer);
			pthread_mutex_unlock(&srv->lock);
			if (open > srv->cfg.max_per_peer) {
				static const char *const close_hdr[] = {"Connection", "close", NULL};
				char msg[160];
				int n = snprintf(msg, sizeof(msg),
						 "too many connections from %s: %lu open, the limit "
						 "is %u (--max-connections-per-peer)",
						 req->peer, (unsigned long)open, srv->cfg.max_per_peer);
				req->too_large = true; /* discard any upload */
				http_reply(req, 429, "text/plain; charset=utf-8", msg, (size_t)n,
					   close_hdr);
				return queue_ready(req);
			}
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > srv->cfg.max_body) {
			/* refuse before reading: MHD discards the upload and closes */
			req->too_large = true;
			http_reply_error(req, 413, "request body of %s bytes is over the limit of %zu",
					 cl, srv->cfg.max_body);
			return queue_ready(req);
		}
		return MHD_YES;
	}

	if (req->state == REQ_READING && *upload_size) {
		size_t n = *upload_size;
		if (!req->too_large && req->body.len + n > srv->cfg.max_body)
			req->too_large = true;
		if (!req->too_large && buf_append(&req->body, upload, n) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}

	if (req->state == REQ_READING) {
		req->state = REQ_HANDLING;
		if (req->too_large)
			http_reply_error(req, 413, "request body is over the limit of %zu bytes",
					 srv->cfg.max_body);
		else if (srv->stopping)
			http_reply_error(req, 503, "shutting down");
		else
			srv->cfg.handler(req, srv->cfg.handler_data);
	}

	pthread_mutex_lock(&req->lock);
	if (req->state == REQ_READY) {
		pthread_mutex_unlock(&req->lock);
		unlink_deferred(req);
		return queue_ready(req);
	}
	if (req->state == REQ_QUEUED) {
		pthread_mutex_unlock(&req->lock);
		return MHD_YES;
	}
	/* The reply comes later from another thread: park the connection. */
	req->state = REQ_DEFERRED;
	req->suspended = true;
	pthread_mutex_lock(&srv->lock);
	req->next_deferred = srv->deferred;
	if (req->next_deferred)
		req->next_deferred->prev_deferred = req;
	srv->deferred = req;
	pthread_mutex_unlock(&srv->lock);
	park(srv, conn);
	ret = MHD_YES;
	pthread_mutex_unlock(&req->lock);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_request *req = *con_cls;

	if (!req)
		return;
	unlink_deferred(req);
	if (req->resp)
		MHD_destroy_response(req->resp);
	pthread_mutex_destroy(&req->lock);
	buf_free(&req->body);
	free(req);
	*con_cls = NULL;
}

/* Count each peer's open connections (MHD's own per-IP limit closes without an answer). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	struct conn_ctx *cc = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		cc = calloc(1, sizeof(*cc));
		if (!cc)
			return;
		if (ci && ci->client_addr)
			getnameinfo(ci->client_addr,
				    ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
									   : sizeof(struct sockaddr_in),
				    cc->peer, sizeof(cc->peer), NULL, 0, NI_NUMERICHOST);
		pthread_mutex_lock(&srv->lock);
		if (strmap_put(&srv->peers, cc->peer,
			       (void *)((uintptr_t)strmap_get(&srv->peers, cc->peer) + 1), NULL) < 0) {
			free(cc);
			cc = NULL;
		}
		pthread_mutex_unlock(&srv->lock);
		*socket_context = cc;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && cc) {
		uintptr_t n;
		pthread_mutex_lock(&srv->lock);
		n = (uintptr_t)strmap_get(&srv->peers, cc->peer);
		if (n <= 1)
			strmap_del(&srv->peers, cc->peer);
		else
			strmap_put(&srv->peers, cc->peer, (void *)(n - 1), NULL);
		pthread_mutex_unlock(&srv->lock);
		free(cc);
		*socket_context = NULL;
	}
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	_cleanup_free_ char *host = NULL;
	const char *colon = strrchr(listen, ':');
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai;

	if (!colon || colon == listen)
		return -EINVAL;
	host = strndup(listen, (size_t)(colon - listen));
	if (!host)
		return -ENOMEM;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static void stop_watcher(struct http_server *srv)
{
	uint64_t one = 1;

	if (srv->watch_running) {
		ssize_t n = write(srv->watch_wakefd, &one, sizeof(one));
		(void)n;
		pthread_join(srv->watch_thread, NULL);
	}
	if (srv->watch_epfd >= 0)
		close(srv->watch_epfd);
	if (srv->watch_wakefd >= 0)
		close(srv->watch_wakefd);
	if (srv->timer_fd >= 0)
		close(srv->timer_fd);
	free(srv->by_fd);
}

int http_server_start(const struct http_server_config *cfg, struct http_server **ret)
{
	struct http_server *srv;
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_TURBO | MHD_USE_ERROR_LOG;
	bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
	struct MHD_OptionItem tls_opts[] = {
		{tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)cfg->tls_cert_pem},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem},
		{MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)HTTPS_PRIORITIES},
		{MHD_OPTION_END, 0, NULL},
	};
	struct MHD_OptionItem pool_opts[] = {
		{cfg->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, cfg->threads, NULL},
		{MHD_OPTION_END, 0, NULL},
	};
	int r;

	if ((cfg->tls_cert_pem != NULL) != (cfg->tls_key_pem != NULL))
		return -EINVAL;
	if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return -ENOTSUP;
	if (tls)
		flags |= MHD_USE_TLS;
	r = parse_listen(cfg->listen, &ss, &sl);
	if (r < 0)
		return r;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->cfg = *cfg;
	pthread_mutex_init(&srv->lock, NULL);
	strmap_init(&srv->peers);
	srv->watch_epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->watch_wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&srv->resume_lock, NULL);
	srv->resume_share = cfg->resume_share > 0 && cfg->resume_share <= 1 ? cfg->resume_share : 0.3;
	srv->tokens_ns = RESUME_BURST_NS;
	srv->refill_ns = now_ns();
	srv->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (srv->watch_epfd >= 0 && srv->watch_wakefd >= 0) {
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 = (uint32_t)srv->watch_wakefd}; /* generation 0 */
		struct epoll_event tev = {.events = EPOLLIN, .data.u64 = (uint32_t)srv->timer_fd};
		if (srv->timer_fd >= 0 &&
		    epoll_ctl(srv->watch_epfd, EPOLL_CTL_ADD, srv->timer_fd, &tev) < 0) {
			close(srv->timer_fd); /* without the timer, resumes go out at once */
			srv->timer_fd = -1;
		}
		if (epoll_ctl(srv->watch_epfd, EPOLL_CTL_ADD, srv->watch_wakefd, &ev) == 0 &&
		    pthread_create(&srv->watch_thread, NULL, watch_main, srv) == 0)
			srv->watch_running = true;
	}
	if (!srv->watch_running && srv->timer_fd >= 0) { /* nobody to read the timer */
		close(srv->timer_fd);
		srv->timer_fd = -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_access, srv, MHD_OPTION_SOCK_ADDR, &ss,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
				  MHD_OPTION_CONNECTION_LIMIT,
				  cfg->connection_limit ? cfg->connection_limit : default_connection_limit(),
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  cfg->idle_timeout_s ? cfg->idle_timeout_s : 60u,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				  cfg->max_header ? cfg->max_header : (size_t)32768,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
				  MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_ARRAY, pool_opts,
				  /* no SO_REUSEPORT: a second master on the same port must fail */
				  MHD_OPTION_END);
	if (!srv->d) {
		/* MHD says nothing of why; bind()'s errno (EADDRINUSE...) is usually still there */
		int e = errno == EADDRINUSE || errno == EACCES ? errno : EADDRNOTAVAIL;
		stop_watcher(srv);
		strmap_clear(&srv->peers, NULL);
		free(srv->resume_q);
		pthread_mutex_destroy(&srv->resume_lock);
		pthread_mutex_destroy(&srv->lock);
		free(srv);
		return tls && e == EADDRNOTAVAIL ? -EBADMSG : -e;
	}
	*ret = srv;
	return 0;
}

uint16_t http_server_port(const struct http_server *srv)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

void http_server_stop(struct http_server *srv)
{
	MHD_socket ls;

	if (!srv)
		return;
	/* MHD must not be stopped with suspended connections: finish them all first. */
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	for (struct http_stream *s = srv->streams; s; s = s->next) {
		pthread_mutex_lock(&s->lock);
		s->ended = true;
		stream_kick(s);
		pthread_mutex_unlock(&s->lock);
	}
	while (srv->deferred) {
		struct http_request *req = srv->deferred;
		srv->deferred = req->next_deferred;
		req->next_deferred = req->prev_deferred = NULL;
		pthread_mutex_unlock(&srv->lock);
		http_reply_error(req, 503, "shutting down");
		pthread_mutex_lock(&srv->lock);
	}
	pthread_mutex_unlock(&srv->lock);
	resume_flush(srv, true); /* what waits for the budget goes now, and all after it */
	/* quiescing hands the listening socket to us: close it, or the port stays taken */
	ls = MHD_quiesce_daemon(srv->d);
	/* give resumed connections a moment to flush their last bytes */
	for (int i = 0; i < 50; i++) {
		const union MHD_DaemonInfo *info =
			MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (!info || info->num_connections == 0)
			break;
		usleep(10000);
	}
	MHD_stop_daemon(srv->d);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	stop_watcher(srv);
	strmap_clear(&srv->peers, NULL);
	free(srv->resume_q);
	pthread_mutex_destroy(&srv->resume_lock);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
