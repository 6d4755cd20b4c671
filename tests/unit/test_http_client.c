// SPDX-License-Identifier: Apache-2.0
/*
 * lib/http_client against an in-process lib/http_server on 127.0.0.1:0: POSTs and what the
 * server saw of them, error statuses, RecordIO streams (open, records in order, the end, a
 * malformed stream), transport failures, timeouts, cancel, the local address and Basic auth.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "http_client.h"
#include "http_server.h"
#include "loop.h"
#include "recordio.h"

static struct http_server *srv;
static char base[64];

/* requests the server holds unanswered (/never); http_server_stop answers them 503 */
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static int held;

static void reply_json(struct http_request *req, unsigned status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	http_reply(req, status, "application/json", s, strlen(s), NULL);
	free(s);
	json_decref(j);
}

static void send_record(struct http_stream *s, const char *text)
{
	char *rec;
	long n = recordio_encode(text, strlen(text), &rec);

	if (n > 0) {
		http_stream_send(s, rec, (size_t)n);
		free(rec);
	}
}

/* Server thread. */
static void handler(struct http_request *req, void *data)
{
	const char *path = http_request_path(req);

	if (strcmp(path, "/echo") == 0) {
		size_t len;
		const char *body = http_request_body(req, &len);
		char *user = NULL, *password = NULL;
		const char *ct = http_request_header(req, "Content-Type");
		const char *x = http_request_header(req, "X-Test");

		http_request_basic_auth(req, &user, &password);
		reply_json(req, 200,
			   json_pack("{s:s,s:s%,s:s,s:s,s:s,s:s,s:s}", "method",
				     http_request_method(req), "body", body, len, "ct",
				     ct ? ct : "", "x_test", x ? x : "", "peer",
				     http_request_peer(req), "user", user ? user : "", "password",
				     password ? password : ""));
		free(user);
		free(password);
	} else if (strcmp(path, "/missing") == 0) {
		http_reply_error(req, 404, "no such thing: %s", path);
	} else if (strcmp(path, "/stream") == 0 || strcmp(path, "/stream-bad") == 0) {
		static const char *const hdrs[] = {"Mesos-Stream-Id", "stream-1", NULL};
		struct http_stream *s =
			http_reply_stream(req, "application/json", hdrs, 0, NULL, NULL);

		if (!s)
			return;
		if (strcmp(path, "/stream") == 0) {
			send_record(s, "{\"n\":1}");
			send_record(s, "{\"n\":2}");
			send_record(s, ""); /* an empty record is a record */
			send_record(s, "{\"n\":3}");
		} else {
			send_record(s, "{\"n\":1}");
			http_stream_send(s, "zz\n{}", 5); /* not a length */
		}
		http_stream_end(s);
		http_stream_unref(s);
	} else if (strcmp(path, "/never") == 0) {
		pthread_mutex_lock(&held_lock);
		held++;
		pthread_mutex_unlock(&held_lock);
	} else {
		http_reply_error(req, 500, "unexpected path %s", path);
	}
}

static int group_setup(void **state)
{
	struct http_server_config cfg = {
		.listen = "127.0.0.1:0", .max_body = 1 << 20, .handler = handler};

	if (http_server_start(&cfg, &srv) < 0)
		return -1;
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", http_server_port(srv));
	return 0;
}

static int group_teardown(void **state)
{
	http_server_stop(srv);
	return 0;
}

/* ------------------------------------------------------------------ client side */

struct result {
	int done_calls, open_calls;
	long status;
	char *body, *err, *stream_id;
	json_t *records; /* texts of the records, in order */
};

struct fixture {
	struct loop *l;
	struct http_client *c;
	struct loop_timer *deadline;
	int pending; /* done callbacks still awaited; the loop stops at 0 */
	bool timed_out;
};

static struct fixture fx;

static void on_deadline(struct loop *l, struct loop_timer *t, void *data)
{
	fx.timed_out = true;
	loop_stop(l);
}

static int setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(loop_new(&fx.l), 0);
	assert_int_equal(http_client_new(fx.l, &fx.c), 0);
	return 0;
}

static int teardown(void **state)
{
	http_client_free(fx.c);
	loop_free(fx.l);
	return 0;
}

/*
 * Run the loop until every awaited callback has run (or 10 s have passed: a failure). Once
 * per test: a loop stopped stays stopped.
 */
static void run(int pending)
{
	fx.pending = pending;
	fx.timed_out = false;
	fx.deadline = loop_timer_add(fx.l, 10LL * 1000000000, 0, on_deadline, NULL);
	assert_non_null(fx.deadline);
	assert_int_equal(loop_run(fx.l), 0);
	loop_timer_del(fx.l, fx.deadline);
	assert_false(fx.timed_out);
}

static void result_free(struct result *r)
{
	free(r->body);
	free(r->err);
	free(r->stream_id);
	json_decref(r->records);
	memset(r, 0, sizeof(*r));
}

static void on_done(long status, const char *body, size_t len, const char *err, void *data)
{
	struct result *r = data;

	r->done_calls++;
	r->status = status;
	free(r->body);
	r->body = strndup(body, len);
	free(r->err);
	r->err = err ? strdup(err) : NULL;
	if (--fx.pending == 0)
		loop_stop(fx.l);
}

static void on_open(long status, const char *stream_id, void *data)
{
	struct result *r = data;

	r->open_calls++;
	r->status = status;
	r->stream_id = stream_id ? strdup(stream_id) : NULL;
}

static void on_record(const char *rec, size_t len, void *data)
{
	struct result *r = data;

	assert_int_equal(strlen(rec), len); /* NUL-terminated */
	if (!r->records)
		r->records = json_array();
	json_array_append_new(r->records, json_stringn(rec, len));
}

static void post(const char *path, const char *body, const char *const *headers, long timeout_ms,
		 struct result *r)
{
	char url[128];

	snprintf(url, sizeof(url), "%s%s", base, path);
	assert_non_null(
		http_post(fx.c, url, NULL, body, strlen(body), headers, timeout_ms, on_done, r));
}

static json_t *body_json(const struct result *r)
{
	json_t *j = json_loads(r->body, JSON_ALLOW_NUL, NULL);

	if (!j)
		fprintf(stderr, "not JSON (status %ld): %.200s\n", r->status, r->body);
	assert_non_null(j);
	return j;
}

static const char *field(json_t *j, const char *name)
{
	const char *v = json_string_value(json_object_get(j, name));

	assert_non_null(v);
	return v;
}

/* A POST arrives whole, with its headers; the answer's body and status come back, once. */
static void test_post_echo(void **state)
{
	static const char *const hdrs[] = {"X-Test: yes", NULL};
	struct result r = {0};
	json_t *j;

	post("/echo", "{\"hello\":\"world\"}", hdrs, 0, &r);
	run(1);
	assert_int_equal(r.done_calls, 1);
	assert_int_equal(r.status, 200);
	assert_null(r.err);
	j = body_json(&r);
	assert_string_equal(field(j, "method"), "POST");
	assert_string_equal(field(j, "body"), "{\"hello\":\"world\"}");
	assert_string_equal(field(j, "ct"), "application/json"); /* the default type */
	assert_string_equal(field(j, "x_test"), "yes");
	assert_string_equal(field(j, "peer"), "127.0.0.1");
	assert_string_equal(field(j, "user"), "");
	json_decref(j);
	result_free(&r);
}

/* Bodies with NUL bytes and of 512 KiB go through byte for byte. */
static void test_post_binary_and_large(void **state)
{
	struct result r = {0};
	size_t big = 512 * 1024;
	char *body = malloc(big), url[128];
	json_t *j;

	assert_non_null(body);
	for (size_t i = 0; i < big; i++)
		body[i] = (char)('a' + i % 23);
	body[1000] = '\0';
	snprintf(url, sizeof(url), "%s/echo", base);
	assert_non_null(
		http_post(fx.c, url, "application/octet-stream", body, big, NULL, 0, on_done, &r));
	run(1);
	assert_int_equal(r.status, 200);
	j = body_json(&r);
	assert_int_equal(json_string_length(json_object_get(j, "body")), big);
	assert_memory_equal(json_string_value(json_object_get(j, "body")), body, big);
	assert_string_equal(field(j, "ct"), "application/octet-stream");
	json_decref(j);
	result_free(&r);
	free(body);
}

/* Many calls at once: each done runs once, with its own answer. */
static void test_concurrent_posts(void **state)
{
	enum { CALLS = 40 };
	struct result r[CALLS] = {0};
	char body[32];

	for (int i = 0; i < CALLS; i++) {
		snprintf(body, sizeof(body), "call %d", i);
		post("/echo", body, NULL, 0, &r[i]);
	}
	run(CALLS);
	for (int i = 0; i < CALLS; i++) {
		json_t *j;

		assert_int_equal(r[i].done_calls, 1);
		assert_int_equal(r[i].status, 200);
		j = body_json(&r[i]);
		snprintf(body, sizeof(body), "call %d", i);
		assert_string_equal(field(j, "body"), body);
		json_decref(j);
		result_free(&r[i]);
	}
}

/* An error status is not a transport failure: status and body, no err. */
static void test_error_status(void **state)
{
	struct result r = {0};

	post("/missing", "{}", NULL, 0, &r);
	run(1);
	assert_int_equal(r.status, 404);
	assert_null(r.err);
	assert_non_null(strstr(r.body, "no such thing: /missing"));
	result_free(&r);
}

/* Nothing listening: status 0 and a message. */
static void test_connection_refused(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	struct result r = {0};
	char url[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* a port that was free a moment ago and has no listener */
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/echo", ntohs(a.sin_port));
	assert_non_null(http_post(fx.c, url, NULL, "{}", 2, NULL, 0, on_done, &r));
	run(1);
	assert_int_equal(r.done_calls, 1);
	assert_int_equal(r.status, 0);
	assert_non_null(r.err);
	assert_true(strlen(r.err) > 0);
	result_free(&r);
}

/* A server that never answers: the call's timeout ends it with status 0 and a message. */
static void test_timeout(void **state)
{
	struct result r = {0};
	int64_t t0 = now_mono_ns(), ms;

	post("/never", "{}", NULL, 300, &r);
	run(1);
	ms = (now_mono_ns() - t0) / 1000000;
	assert_int_equal(r.status, 0);
	assert_non_null(r.err);
	assert_true(ms >= 250 && ms < 5000);
	result_free(&r);
}

/* A cancelled call's callbacks never run; the client goes on serving the others. */
static void test_cancel(void **state)
{
	struct result cancelled = {0}, r = {0};
	struct http_call *call;
	char url[128];

	snprintf(url, sizeof(url), "%s/never", base);
	call = http_post(fx.c, url, NULL, "{}", 2, NULL, 0, on_done, &cancelled);
	assert_non_null(call);
	http_call_cancel(fx.c, call);
	call = http_post_stream(fx.c, url, NULL, "{}", 2, NULL, on_open, on_record, on_done,
				&cancelled);
	assert_non_null(call);
	http_call_cancel(fx.c, call);
	http_call_cancel(fx.c, NULL); /* a no-op */
	post("/echo", "after", NULL, 0, &r);
	run(1);
	assert_int_equal(r.status, 200);
	assert_int_equal(cancelled.done_calls, 0);
	assert_int_equal(cancelled.open_calls, 0);
	assert_null(cancelled.records);
	result_free(&r);
}

/* A stream: open with the stream id, each record in order (the empty one too), then done. */
static void test_stream(void **state)
{
	struct result r = {0};
	char url[128];

	snprintf(url, sizeof(url), "%s/stream", base);
	assert_non_null(http_post_stream(fx.c, url, NULL, "{\"type\":\"SUBSCRIBE\"}", 20, NULL,
					 on_open, on_record, on_done, &r));
	run(1);
	assert_int_equal(r.open_calls, 1);
	assert_string_equal(r.stream_id, "stream-1");
	assert_int_equal(r.done_calls, 1);
	assert_int_equal(r.status, 200);
	assert_null(r.err);
	assert_non_null(r.records);
	assert_int_equal(json_array_size(r.records), 4);
	assert_string_equal(json_string_value(json_array_get(r.records, 0)), "{\"n\":1}");
	assert_string_equal(json_string_value(json_array_get(r.records, 1)), "{\"n\":2}");
	assert_string_equal(json_string_value(json_array_get(r.records, 2)), "");
	assert_string_equal(json_string_value(json_array_get(r.records, 3)), "{\"n\":3}");
	result_free(&r);
}

/* A stream refused with an error status: open sees it, done gets the error body. */
static void test_stream_refused(void **state)
{
	struct result r = {0};
	char url[128];

	snprintf(url, sizeof(url), "%s/missing", base);
	assert_non_null(
		http_post_stream(fx.c, url, NULL, "{}", 2, NULL, on_open, on_record, on_done, &r));
	run(1);
	assert_int_equal(r.open_calls, 1);
	assert_int_equal(r.status, 404);
	assert_null(r.records);
	assert_non_null(strstr(r.body, "no such thing"));
	result_free(&r);
}

/* A malformed stream ends the call with an error naming RecordIO, after the good records. */
static void test_stream_malformed(void **state)
{
	struct result r = {0};
	char url[128];

	snprintf(url, sizeof(url), "%s/stream-bad", base);
	assert_non_null(
		http_post_stream(fx.c, url, NULL, "{}", 2, NULL, on_open, on_record, on_done, &r));
	run(1);
	assert_int_equal(r.done_calls, 1);
	assert_non_null(r.err);
	assert_non_null(strstr(r.err, "RecordIO"));
	assert_non_null(r.records);
	assert_int_equal(json_array_size(r.records), 1);
	assert_string_equal(json_string_value(json_array_get(r.records, 0)), "{\"n\":1}");
	result_free(&r);
}

/* Calls started after set_local_address connect from it; NULL restores the default. */
static void test_local_address(void **state)
{
	struct result r[2] = {0};
	json_t *j;

	assert_int_equal(http_client_set_local_address(fx.c, "127.0.0.2"), 0);
	post("/echo", "x", NULL, 0, &r[0]);
	assert_int_equal(http_client_set_local_address(fx.c, NULL), 0);
	post("/echo", "x", NULL, 0, &r[1]);
	run(2);
	assert_int_equal(r[0].status, 200);
	j = body_json(&r[0]);
	assert_string_equal(field(j, "peer"), "127.0.0.2");
	json_decref(j);
	j = body_json(&r[1]);
	assert_string_equal(field(j, "peer"), "127.0.0.1");
	json_decref(j);
	result_free(&r[0]);
	result_free(&r[1]);
}

/* Basic credentials go with every call started once they are set, and none once cleared. */
static void test_basic_auth(void **state)
{
	struct result r[3] = {0};
	json_t *j;

	assert_int_equal(http_client_set_basic_auth(fx.c, "alice", "s3cr:et"), 0);
	post("/echo", "x", NULL, 0, &r[0]);
	post("/echo", "y", NULL, 0, &r[1]);
	assert_int_equal(http_client_set_basic_auth(fx.c, NULL, NULL), 0);
	post("/echo", "z", NULL, 0, &r[2]);
	run(3);
	for (int i = 0; i < 2; i++) {
		j = body_json(&r[i]);
		assert_string_equal(field(j, "user"), "alice");
		assert_string_equal(field(j, "password"), "s3cr:et");
		json_decref(j);
	}
	j = body_json(&r[2]);
	assert_string_equal(field(j, "user"), "");
	json_decref(j);
	for (int i = 0; i < 3; i++)
		result_free(&r[i]);
}

/* Freeing the client with calls in flight runs none of their callbacks (and leaks nothing). */
static void test_free_with_calls_in_flight(void **state)
{
	struct result r = {0};
	char url[128];

	snprintf(url, sizeof(url), "%s/never", base);
	assert_non_null(http_post(fx.c, url, NULL, "{}", 2, NULL, 0, on_done, &r));
	assert_non_null(
		http_post_stream(fx.c, url, NULL, "{}", 2, NULL, on_open, on_record, on_done, &r));
	post("/echo", "x", NULL, 0, &r);
	http_client_free(fx.c);
	fx.c = NULL;
	assert_int_equal(r.done_calls, 0);
	assert_int_equal(r.open_calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_post_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_binary_and_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_posts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_basic_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_calls_in_flight, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
