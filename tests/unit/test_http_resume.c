// SPDX-License-Identifier: Apache-2.0
/*
 * lib/http_server's resume coalescing (http_server_config.resume_share): with few parked
 * connections every event goes out in its own batch, at once; with many, a burst of events
 * past the budget waits for it and goes in few batches, and nothing is lost; stopping the
 * server with resumes still queued sends them and ends every stream.
 *
 * The clients are raw sockets in this process: each reads what its stream sends and looks
 * for its event's marker in the bytes (no HTTP parsing is needed to find a unique string).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "http_server.h"

#define MAXN 1000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_stream *streams[MAXN];
static int nstreams;

/* GET /<i>: stream i (the server's thread) */
static void on_request(struct http_request *req, void *data)
{
	long i = strtol(http_request_path(req) + 1, NULL, 10);
	struct http_stream *s;

	(void)data;
	if (i < 0 || i >= MAXN) {
		http_reply_error(req, 404, "no such stream");
		return;
	}
	s = http_reply_stream(req, "text/plain", NULL, 256, NULL, NULL);
	pthread_mutex_lock(&lock);
	streams[i] = s;
	nstreams++;
	pthread_mutex_unlock(&lock);
}

struct client {
	int fd;
	char buf[512];
	size_t len;
};

static struct client clients[MAXN];

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct http_server *start(double share, uint16_t *port)
{
	struct http_server_config cfg = {
		.listen = "127.0.0.1:0",
		.max_body = 4096,
		.handler = on_request,
		.resume_share = share,
	};
	struct http_server *srv = NULL;

	assert_int_equal(http_server_start(&cfg, &srv), 0);
	*port = http_server_port(srv);
	memset(streams, 0, sizeof(streams));
	nstreams = 0;
	return srv;
}

/* Open n streams and wait until every one is parked (idle, suspended). */
static void open_streams(struct http_server *srv, uint16_t port, int n)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct http_server_stats st;
	double deadline;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < n; i++) {
		char req[64];
		int len = snprintf(req, sizeof(req), "GET /%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
		clients[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(clients[i].fd >= 0);
		assert_int_equal(connect(clients[i].fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(write(clients[i].fd, req, (size_t)len), len);
		clients[i].len = 0;
	}
	deadline = mono() + 60;
	do {
		http_server_stats(srv, &st);
		if (st.parked == n)
			break;
		usleep(10000);
	} while (mono() < deadline);
	assert_int_equal(st.parked, n);
	pthread_mutex_lock(&lock);
	assert_int_equal(nstreams, n);
	pthread_mutex_unlock(&lock);
}

static bool got(int i, const char *marker)
{
	struct client *c = &clients[i];

	for (;;) {
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, MSG_DONTWAIT);
		if (r <= 0)
			break;
		c->len += (size_t)r;
		c->buf[c->len] = '\0';
		if (c->len > sizeof(c->buf) / 2) { /* keep the tail, where a marker may start */
			memmove(c->buf, c->buf + c->len - 64, 64);
			c->len = 64;
			c->buf[c->len] = '\0';
		}
	}
	return memmem(c->buf, c->len, marker, strlen(marker)) != NULL;
}

/* Wait until every client in [0, n) has its marker; the number that have. */
static int wait_markers(int n, const char *prefix, double timeout)
{
	double deadline = mono() + timeout;
	int have;

	do {
		have = 0;
		for (int i = 0; i < n; i++) {
			char m[32];
			snprintf(m, sizeof(m), "<%s-%d>", prefix, i);
			have += got(i, m);
		}
		if (have == n)
			break;
		usleep(5000);
	} while (mono() < deadline);
	return have;
}

static void close_clients(int n)
{
	for (int i = 0; i < n; i++)
		close(clients[i].fd);
}

static void send_marker(int i, const char *prefix)
{
	char m[32];
	int len = snprintf(m, sizeof(m), "<%s-%d>", prefix, i);

	assert_int_equal(http_stream_send(streams[i], m, (size_t)len), 0);
}

/* Few parked connections: a walk is cheap, so each event is resumed at once, alone. */
static void test_few_parked_resume_at_once(void **state)
{
	uint16_t port;
	struct http_server *srv = start(0, &port);
	struct http_server_stats before, after;

	(void)state;
	open_streams(srv, port, 4);
	http_server_stats(srv, &before);
	for (int k = 0; k < 40; k++) {
		char m[32];
		snprintf(m, sizeof(m), "<ev%d-%d>", k, k % 4);
		assert_int_equal(http_stream_send(streams[k % 4], m, strlen(m)), 0);
		/* read back before the next: each send finds its stream parked again */
		for (double d = mono() + 10; !got(k % 4, m) && mono() < d;)
			usleep(1000);
		assert_true(got(k % 4, m));
		for (double d = mono() + 10; mono() < d;) {
			struct http_server_stats now;
			http_server_stats(srv, &now);
			if (now.parked == 4)
				break;
			usleep(500);
		}
	}
	http_server_stats(srv, &after);
	assert_int_equal(after.resumes - before.resumes, 40);
	assert_int_equal(after.batches - before.batches, 40);
	for (int i = 0; i < 4; i++)
		http_stream_unref(streams[i]);
	http_server_stop(srv);
	close_clients(4);
}

/*
 * Many parked connections and a budget so small that one walk over them takes seconds of
 * refill: the bucket's burst goes at once, the rest of the burst of events waits for the
 * budget and goes in one batch (or a few); every event arrives.
 */
static void test_many_parked_coalesce(void **state)
{
	const int n = MAXN;
	uint16_t port;
	/* a walk over 1000 is estimated at 400 us; at 0.0001 of the time, 4 s of refill */
	struct http_server *srv = start(0.0001, &port);
	struct http_server_stats before, after;

	(void)state;
	open_streams(srv, port, n);
	http_server_stats(srv, &before);
	for (int i = 0; i < n; i++)
		send_marker(i, "burst");
	assert_int_equal(wait_markers(n, "burst", 60), n);
	http_server_stats(srv, &after);
	print_message("%d events: %llu batches, longest wait %.2f s\n", n,
		      (unsigned long long)(after.batches - before.batches), after.wait_max_s);
	assert_int_equal(after.resumes - before.resumes, (uint64_t)n);
	/*
	 * The 50 ms bucket holds about 125 walks of 400 us (more while resumed streams are
	 * not parked again yet, which makes a walk cheaper): those went alone, the rest of
	 * the burst waited for the budget (seconds) and went together.
	 */
	assert_true(after.batches - before.batches <= (uint64_t)n / 2);
	assert_true(after.batches - before.batches >= 2);
	assert_true(after.wait_max_s > 0.1);
	for (int i = 0; i < n; i++)
		http_stream_unref(streams[i]);
	http_server_stop(srv);
	close_clients(n);
}

/* Stopping with resumes queued for the budget: they go at once and every stream ends. */
static void test_stop_flushes_queue(void **state)
{
	const int n = MAXN;
	uint16_t port;
	struct http_server *srv = start(0.0001, &port);
	struct http_server_stats st;
	double t0;

	(void)state;
	open_streams(srv, port, n);
	for (int i = 0; i < n; i++)
		send_marker(i, "last");
	http_server_stats(srv, &st);
	assert_true(st.resumes < (uint64_t)n); /* some are waiting for the budget */
	for (int i = 0; i < n; i++)
		http_stream_unref(streams[i]);
	t0 = mono();
	http_server_stop(srv);
	/* not held for the 4 s the budget would have taken */
	assert_true(mono() - t0 < 2.0);
	assert_int_equal(wait_markers(n, "last", 10), n);
	for (int i = 0; i < n; i++) { /* and each stream ended: the peer sees EOF */
		char b[256];
		ssize_t r;
		struct pollfd p = {.fd = clients[i].fd, .events = POLLIN};
		int fl = fcntl(clients[i].fd, F_GETFL);
		fcntl(clients[i].fd, F_SETFL, fl & ~O_NONBLOCK);
		while (poll(&p, 1, 5000) == 1 && (r = recv(clients[i].fd, b, sizeof(b), 0)) > 0)
			;
		assert_int_equal(recv(clients[i].fd, b, sizeof(b), MSG_DONTWAIT), 0);
	}
	close_clients(n);
}

int main(void)
{
	struct rlimit rl;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_few_parked_resume_at_once),
		cmocka_unit_test(test_many_parked_coalesce),
		cmocka_unit_test(test_stop_flushes_queue),
	};

	/* a client and a server descriptor per stream */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4 * MAXN) {
		rl.rlim_cur = rl.rlim_max < 4 * MAXN ? rl.rlim_max : 4 * MAXN;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
