// SPDX-License-Identifier: Apache-2.0
/*
 * lib/subscription: records decoded and dispatched by event type through the caller's table,
 * a record that is no event reported once and skipped, the Mesos-Stream-Id kept, and why a
 * stream ended (closed, refused, failed, malformed framing) against a libmicrohttpd server
 * on loopback.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <microhttpd.h>

#include "http_client.h"
#include "loop.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "subscription.h"

#define MAX_SEEN 16

struct seen {
	char what[MAX_SEEN][128]; /* "SUBSCRIBED {payload}", "malformed: why" in order */
	int n, malformed, ended;
	enum subscription_end_reason reason;
	long status;
	char message[256];
	struct loop *loop;
	struct subscription *sub;
	bool close_in_handler;
	size_t launch_len; /* subscription_record_len() in the last LAUNCH handler */
};

static void remember(struct seen *s, const char *type, json_t *payload)
{
	char *p = payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	assert_true(s->n < MAX_SEEN);
	snprintf(s->what[s->n++], sizeof(s->what[0]), "%s %s", type, p ? p : "-");
	free(p);
}

static void on_subscribed(json_t *payload, void *data)
{
	remember(data, "SUBSCRIBED", payload);
}

static void on_launch(json_t *payload, void *data)
{
	struct seen *s = data;

	remember(s, "LAUNCH", payload);
	if (s->sub)
		s->launch_len = subscription_record_len(s->sub);
	if (s->close_in_handler)
		subscription_close(s->sub);
}

static void on_malformed(const char *why, void *data)
{
	struct seen *s = data;

	assert_non_null(why);
	assert_true(why[0] != '\0');
	s->malformed++;
	assert_true(s->n < MAX_SEEN);
	snprintf(s->what[s->n++], sizeof(s->what[0]), "malformed: %s", why);
}

static void on_ended(const struct subscription_end *end, void *data)
{
	struct seen *s = data;

	s->ended++;
	s->reason = end->reason;
	s->status = end->status;
	assert_non_null(end->message);
	snprintf(s->message, sizeof(s->message), "%.*s", (int)end->message_len, end->message);
	if (s->loop)
		loop_stop(s->loop);
}

static const struct subscription_ops ops = {
	.malformed = on_malformed,
	.ended = on_ended,
	.handlers = {
		{"SUBSCRIBED", on_subscribed},
		{"LAUNCH", on_launch},
	},
};

static int deliver(struct subscription *sub, const char *rec)
{
	return subscription_deliver(sub, rec, strlen(rec));
}

/* ------------------------------------------------------------------ without a network */

static void test_dispatch_by_type(void **state)
{
	struct seen s = {0};
	struct subscription *sub;

	assert_int_equal(subscription_new(NULL, &ops, &s, &sub), 0);
	s.sub = sub;
	assert_int_equal(deliver(sub, "{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"x\":1}}"), 0);
	assert_int_equal(deliver(sub, "{\"type\":\"LAUNCH\",\"launch\":{\"t\":\"a\"},"
				      "\"subscribed\":{\"x\":2}}"),
			 0);
	/* a handler learns the size of the record its event came in */
	assert_int_equal(s.launch_len, strlen("{\"type\":\"LAUNCH\",\"launch\":{\"t\":\"a\"},"
					      "\"subscribed\":{\"x\":2}}"));
	assert_int_equal(deliver(sub, "{\"type\":\"LAUNCH\"}"), 0);
	assert_int_equal(s.launch_len, strlen("{\"type\":\"LAUNCH\"}"));
	/* a type the table lacks (a newer master's) is no error and reaches no handler */
	assert_int_equal(deliver(sub, "{\"type\":\"HEARTBEAT\"}"), 0);
	assert_int_equal(deliver(sub, "{\"type\":\"launch\",\"launch\":{}}"), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.what[0], "SUBSCRIBED {\"x\":1}");
	assert_string_equal(s.what[1], "LAUNCH {\"t\":\"a\"}");
	assert_string_equal(s.what[2], "LAUNCH -");
	assert_int_equal(s.malformed, 0);
	assert_int_equal(subscription_malformed_count(sub), 0);
	assert_false(subscription_is_open(sub));
	assert_string_equal(subscription_stream_id(sub), "");
	subscription_free(sub);
}

/*
 * subscription_set_codec(CODEC_PROTOBUF): records are scheduler Event bytes, handlers get
 * the same JSON payloads; bytes that are no Event are reported as malformed.
 */
static void test_protobuf_records(void **state)
{
	const ProtobufCMessageDescriptor *ev = &mesos__v1__scheduler__event__descriptor;
	json_t *j = json_loads("{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":"
			       "{\"value\":\"f1\"},\"heartbeat_interval_seconds\":15.0}}",
			       0, NULL);
	char err[CODEC_ERR_LEN];
	struct seen s = {0};
	struct subscription *sub;
	char *b = NULL;
	size_t n = 0;

	assert_int_equal(subscription_new(NULL, &ops, &s, &sub), 0);
	assert_int_equal(subscription_set_codec(sub, CODEC_PROTOBUF, NULL, ev), -EINVAL);
	assert_int_equal(subscription_set_codec(sub, CODEC_PROTOBUF,
						&mesos__v1__scheduler__call__descriptor, ev),
			 0);
	assert_int_equal(codec_encode(CODEC_PROTOBUF, ev, j, &b, &n, err, sizeof(err)), 0);
	assert_int_equal(subscription_deliver(sub, b, n), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.what[0], "SUBSCRIBED {\"framework_id\":{\"value\":\"f1\"},"
				       "\"heartbeat_interval_seconds\":15.0}");
	/* truncated: malformed, counted, no handler */
	assert_int_equal(subscription_deliver(sub, b, n - 1), -EBADMSG);
	/* JSON on a protobuf subscription is no Event either */
	assert_int_equal(deliver(sub, "{\"type\":\"SUBSCRIBED\"}"), -EBADMSG);
	assert_int_equal(subscription_malformed_count(sub), 2);
	assert_int_equal(s.n, 3);
	free(b);
	json_decref(j);
	subscription_free(sub);
}

/* Each record that is no event is reported once, reaches no handler, and the next one counts. */
static void test_malformed_reported_once(void **state)
{
	static const char *const bad[] = {
		"not json", "", "[1,2]", "\"SUBSCRIBED\"", "{}", "{\"type\":3}",
		"{\"type\":\"SUBSCRIBED\"", "{\"type\":null,\"subscribed\":{}}",
	};
	struct seen s = {0};
	struct subscription *sub;

	assert_int_equal(subscription_new(NULL, &ops, &s, &sub), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(deliver(sub, bad[i]), -EBADMSG);
		assert_int_equal(s.malformed, (int)i + 1);
		assert_int_equal(subscription_malformed_count(sub), i + 1);
		assert_non_null(strstr(s.what[i], "malformed: "));
	}
	assert_int_equal(deliver(sub, "{\"type\":\"SUBSCRIBED\",\"subscribed\":{}}"), 0);
	assert_int_equal(s.malformed, (int)(sizeof(bad) / sizeof(bad[0])));
	assert_string_equal(s.what[s.n - 1], "SUBSCRIBED {}");
	subscription_free(sub);
}

/* Without a malformed callback the record is still counted and skipped. */
static void test_malformed_without_callback(void **state)
{
	static const struct subscription_ops quiet = {.handlers = {{"SUBSCRIBED", on_subscribed}}};
	struct seen s = {0};
	struct subscription *sub;

	assert_int_equal(subscription_new(NULL, &quiet, &s, &sub), 0);
	assert_int_equal(deliver(sub, "{"), -EBADMSG);
	assert_int_equal(subscription_malformed_count(sub), 1);
	assert_int_equal(s.n, 0);
	subscription_free(sub);
}

static void test_decode(void **state)
{
	static const char kill[] = "{\"type\":\"KILL\",\"kill\":{}}";
	char why[128] = "";
	json_t *ev = NULL;
	char longtype[300];

	assert_int_equal(subscription_decode(kill, strlen(kill), &ev, why, sizeof(why)), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "type")), "KILL");
	json_decref(ev);
	ev = NULL;
	assert_int_equal(subscription_decode("{\"type\":[]}", 11, &ev, why, sizeof(why)), -EBADMSG);
	assert_null(ev);
	assert_non_null(strstr(why, "type"));
	assert_int_equal(subscription_decode("nul", 3, &ev, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "not JSON"));
	assert_null(ev);

	/* a type too long to name a payload member: dispatched (to nothing) without overflow */
	memset(longtype, 'A', sizeof(longtype));
	memcpy(longtype, "{\"type\":\"", 9);
	memcpy(longtype + sizeof(longtype) - 4, "\"}", 3);
	{
		struct seen s = {0};
		struct subscription *sub;
		assert_int_equal(subscription_new(NULL, &ops, &s, &sub), 0);
		assert_int_equal(deliver(sub, longtype), 0);
		assert_int_equal(s.n, 0);
		subscription_free(sub);
	}
}

static void test_end_describe(void **state)
{
	struct subscription_end e = {.reason = SUBSCRIPTION_REFUSED, .status = 403,
				     .message = "no such framework", .message_len = 17};
	char buf[300], big[400];

	assert_string_equal(subscription_end_describe(&e, buf, sizeof(buf)),
			    "status 403: no such framework");
	e = (struct subscription_end){.reason = SUBSCRIPTION_FAILED, .message = "Connection refused",
				      .message_len = 18};
	assert_string_equal(subscription_end_describe(&e, buf, sizeof(buf)), "Connection refused");
	e = (struct subscription_end){.reason = SUBSCRIPTION_CLOSED, .status = 200, .message = ""};
	assert_string_equal(subscription_end_describe(&e, buf, sizeof(buf)),
			    "the stream was closed");
	/* a long body is cut at 200 bytes */
	memset(big, 'x', sizeof(big));
	e = (struct subscription_end){.reason = SUBSCRIPTION_REFUSED, .status = 500, .message = big,
				      .message_len = sizeof(big)};
	subscription_end_describe(&e, buf, sizeof(buf));
	assert_int_equal(strlen(buf), strlen("status 500: ") + 200);
	assert_string_equal(subscription_end_reason_name(SUBSCRIPTION_CLOSED), "closed");
	assert_string_equal(subscription_end_reason_name(SUBSCRIPTION_REFUSED), "refused");
	assert_string_equal(subscription_end_reason_name(SUBSCRIPTION_FAILED), "failed");
	assert_string_equal(subscription_end_reason_name(SUBSCRIPTION_MALFORMED), "malformed");
	assert_string_equal(subscription_end_reason_name(_SUBSCRIPTION_END_MAX), "unknown");
}

/* ------------------------------------------------------------------ against a server */

static const char stream_body[] =
	"66\n{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":{\"value\":\"f1\"}}}"
	"8\nnot json"
	"46\n{\"type\":\"LAUNCH\",\"launch\":{\"task\":\"t1\"},\"x\":1}";

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url,
			     const char *method, const char *version, const char *upload,
			     size_t *upload_size, void **con_cls)
{
	struct MHD_Response *resp;
	const char *body = "";
	unsigned status = 200;
	enum MHD_Result r;

	if (!*con_cls) {
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* the SUBSCRIBE body: read and dropped */
		return MHD_YES;
	}
	if (strcmp(url, "/stream") == 0)
		body = stream_body;
	else if (strcmp(url, "/refused") == 0)
		status = 403, body = "framework is not subscribed";
	else if (strcmp(url, "/garbled") == 0)
		body = "46\n{\"type\":\"LAUNCH\",\"launch\":{\"task\":\"t1\"},\"x\":1}x9\n";
	resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (status == 200)
		MHD_add_response_header(resp, "Mesos-Stream-Id", "stream-7");
	r = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return r;
}

struct server {
	struct MHD_Daemon *mhd;
	unsigned port;
	struct loop *loop;
	struct http_client *http;
	struct loop_timer *deadline;
	bool timed_out;
};

static void on_deadline(struct loop *l, struct loop_timer *t, void *data)
{
	struct server *srv = data;

	srv->timed_out = true;
	loop_stop(l);
}

static int server_setup(void **state)
{
	struct server *srv = calloc(1, sizeof(*srv));
	const union MHD_DaemonInfo *info;

	assert_non_null(srv);
	srv->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, serve, NULL,
				    MHD_OPTION_END);
	assert_non_null(srv->mhd);
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	srv->port = info->port;
	assert_int_equal(loop_new(&srv->loop), 0);
	assert_int_equal(http_client_new(srv->loop, &srv->http), 0);
	*state = srv;
	return 0;
}

static int server_teardown(void **state)
{
	struct server *srv = *state;

	http_client_free(srv->http);
	loop_free(srv->loop);
	MHD_stop_daemon(srv->mhd);
	free(srv);
	return 0;
}

static struct subscription *open_stream(struct server *srv, struct seen *s, const char *path)
{
	char url[128];
	struct subscription *sub;

	s->loop = srv->loop;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", srv->port, path);
	assert_int_equal(subscription_new(srv->http, &ops, s, &sub), 0);
	s->sub = sub;
	assert_int_equal(subscription_open(sub, url, "{\"type\":\"SUBSCRIBE\"}", 20), 0);
	assert_true(subscription_is_open(sub));
	assert_int_equal(subscription_open(sub, url, "{}", 2), -EBUSY);
	return sub;
}

/* Run the loop (once per test: a stopped loop stays stopped) until ended stops it, or ms. */
static void run_loop(struct server *srv, int64_t ms)
{
	srv->timed_out = false;
	srv->deadline = loop_timer_add(srv->loop, ms * 1000000, 0, on_deadline, srv);
	assert_non_null(srv->deadline);
	loop_run(srv->loop);
	loop_timer_del(srv->loop, srv->deadline);
}

static void run_until_end(struct server *srv)
{
	run_loop(srv, 10000);
	assert_false(srv->timed_out);
}

/* A 200 stream: events in order, the bad record reported once, the ID kept, "closed". */
static void test_stream_closed(void **state)
{
	struct server *srv = *state;
	struct seen s = {0};
	struct subscription *sub = open_stream(srv, &s, "/stream");

	run_until_end(srv);
	assert_int_equal(s.ended, 1);
	assert_int_equal(s.reason, SUBSCRIPTION_CLOSED);
	assert_int_equal(s.status, 200);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.what[0], "SUBSCRIBED {\"framework_id\":{\"value\":\"f1\"}}");
	assert_non_null(strstr(s.what[1], "malformed: not JSON"));
	assert_string_equal(s.what[2], "LAUNCH {\"task\":\"t1\"}");
	assert_int_equal(s.malformed, 1);
	assert_string_equal(subscription_stream_id(sub), "stream-7");
	assert_false(subscription_is_open(sub));
	subscription_free(sub);
}

static void test_stream_refused(void **state)
{
	struct server *srv = *state;
	struct seen s = {0};
	struct subscription *sub = open_stream(srv, &s, "/refused");

	run_until_end(srv);
	assert_int_equal(s.ended, 1);
	assert_int_equal(s.reason, SUBSCRIPTION_REFUSED);
	assert_int_equal(s.status, 403);
	assert_string_equal(s.message, "framework is not subscribed");
	assert_int_equal(s.n, 0);
	/* a refused stream names no ID of its own */
	assert_string_equal(subscription_stream_id(sub), "");
	subscription_free(sub);
}

/* A broken RecordIO length cuts the stream after the records before it. */
static void test_stream_malformed_framing(void **state)
{
	struct server *srv = *state;
	struct seen s = {0};
	struct subscription *sub = open_stream(srv, &s, "/garbled");

	run_until_end(srv);
	assert_int_equal(s.ended, 1);
	assert_int_equal(s.reason, SUBSCRIPTION_MALFORMED);
	assert_int_equal(s.status, 200);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.what[0], "LAUNCH {\"task\":\"t1\"}");
	assert_int_equal(s.malformed, 0);
	subscription_free(sub);
}

static void test_stream_failed(void **state)
{
	struct server *srv = *state;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct seen s = {0};
	struct subscription *sub;
	char url[128];

	/* a port nothing listens on: bound, never listened to, closed after the call fails */
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	sub = open_stream(srv, &s, "/stream");
	subscription_close(sub); /* replaced by a stream to the dead port */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/stream", ntohs(a.sin_port));
	assert_int_equal(subscription_open(sub, url, "{}", 2), 0);
	run_until_end(srv);
	close(fd);
	assert_int_equal(s.ended, 1);
	assert_int_equal(s.reason, SUBSCRIPTION_FAILED);
	assert_int_equal(s.status, 0);
	assert_true(s.message[0] != '\0');
	assert_int_equal(s.n, 0);
	subscription_free(sub);
}

/* Closed by its owner (here from inside a handler): no more events, and ended never runs. */
static void test_close_runs_no_callback(void **state)
{
	struct server *srv = *state;
	struct seen s = {.close_in_handler = true};
	struct subscription *sub = open_stream(srv, &s, "/garbled");

	run_loop(srv, 500);
	assert_true(srv->timed_out);
	assert_int_equal(s.ended, 0);
	assert_int_equal(s.n, 1);
	assert_false(subscription_is_open(sub));
	subscription_free(sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_by_type),
		cmocka_unit_test(test_protobuf_records),
		cmocka_unit_test(test_malformed_reported_once),
		cmocka_unit_test(test_malformed_without_callback),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_end_describe),
		cmocka_unit_test_setup_teardown(test_stream_closed, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_stream_refused, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_stream_malformed_framing, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(test_stream_failed, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_close_runs_no_callback, server_setup,
						server_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
