// SPDX-License-Identifier: Apache-2.0
/*
 * lib/codec: media-type negotiation as Mesos does it (Content-Type exact, Accept with
 * JSON first, wildcards and q=0), the JSON request normalization (null, numeric strings,
 * unknown enum names), protobuf request decoding and its refusals, and records in both
 * codecs carrying the same message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codec.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "pbjson.h"

static const ProtobufCMessageDescriptor *const call = &mesos__v1__scheduler__call__descriptor;
static const ProtobufCMessageDescriptor *const event = &mesos__v1__scheduler__event__descriptor;

static void test_request_type(void **state)
{
	char err[CODEC_ERR_LEN];
	enum codec c = CODEC_PROTOBUF;

	assert_int_equal(codec_request_type("application/json", &c, err, sizeof(err)), 0);
	assert_int_equal(c, CODEC_JSON);
	assert_int_equal(codec_request_type("application/x-protobuf", &c, err, sizeof(err)), 0);
	assert_int_equal(c, CODEC_PROTOBUF);
	assert_int_equal(codec_request_type(NULL, &c, err, sizeof(err)), 400);
	assert_non_null(strstr(err, "Content-Type"));
	/* exactly: no parameters, no other types, no prefix */
	assert_int_equal(
		codec_request_type("application/json; charset=utf-8", &c, err, sizeof(err)), 415);
	assert_int_equal(codec_request_type("application/jsonx", &c, err, sizeof(err)), 415);
	assert_int_equal(codec_request_type("text/plain", &c, err, sizeof(err)), 415);
	assert_int_equal(codec_request_type("", &c, err, sizeof(err)), 415);
}

static void expect_accept(const char *accept, int want_r, enum codec want)
{
	char err[CODEC_ERR_LEN];
	enum codec c = want == CODEC_JSON ? CODEC_PROTOBUF : CODEC_JSON;
	int r = codec_negotiate(accept, &c, err, sizeof(err));

	if (r != want_r)
		fail_msg("Accept '%s': %d, want %d", accept ? accept : "(none)", r, want_r);
	if (r == 0 && c != want)
		fail_msg("Accept '%s': codec %d, want %d", accept ? accept : "(none)", c, want);
}

static void test_negotiate(void **state)
{
	expect_accept(NULL, 0, CODEC_JSON);
	expect_accept("application/json", 0, CODEC_JSON);
	expect_accept("application/x-protobuf", 0, CODEC_PROTOBUF);
	/* JSON first whatever the order or the q-values */
	expect_accept("application/x-protobuf, application/json", 0, CODEC_JSON);
	expect_accept("application/x-protobuf;q=1, application/json;q=0.1", 0, CODEC_JSON);
	expect_accept("*/*", 0, CODEC_JSON);
	expect_accept("application/*", 0, CODEC_JSON);
	/* q=0 refuses; the most specific range decides */
	expect_accept("application/json;q=0, */*", 0, CODEC_PROTOBUF);
	expect_accept("application/json;q=0.0, application/*", 0, CODEC_PROTOBUF);
	expect_accept("*/*;q=0, application/x-protobuf", 0, CODEC_PROTOBUF);
	expect_accept("application/*;q=0", 406, CODEC_JSON);
	expect_accept("application/json;q=0,application/x-protobuf;q=0", 406, CODEC_JSON);
	expect_accept("text/html", 406, CODEC_JSON);
	expect_accept("", 406, CODEC_JSON);
	expect_accept(" application/x-protobuf ; q=0.5 ", 0, CODEC_PROTOBUF);
	expect_accept("APPLICATION/X-PROTOBUF", 0, CODEC_PROTOBUF);
}

static json_t *decode_json(const char *text)
{
	char err[CODEC_ERR_LEN];
	json_t *j = NULL;
	int r = codec_decode(CODEC_JSON, call, text, strlen(text), &j, err, sizeof(err));

	if (r != 0)
		fail_msg("%s: %d %s", text, r, err);
	return j;
}

/* Mesos's JSON rules for requests: null unset, numbers in strings, unknown enums dropped. */
static void test_json_normalize(void **state)
{
	json_t *j = decode_json(
		"{\"type\":\"SUBSCRIBE\",\"framework_id\":null,\"subscribe\":{\"framework_info\":"
		"{\"user\":\"u\",\"name\":\"n\",\"failover_timeout\":\"3600\",\"checkpoint\":\"true\","
		"\"hostname\":null,\"capabilities\":[{\"type\":\"MULTI_ROLE\"},{\"type\":\"NOPE\"},"
		"null],\"tier\":\"gold\",\"roles\":[\"a\"]}}}");
	json_t *fi = json_object_get(json_object_get(j, "subscribe"), "framework_info");
	json_t *caps = json_object_get(fi, "capabilities");

	assert_null(json_object_get(j, "framework_id"));
	assert_null(json_object_get(fi, "hostname"));
	assert_true(json_is_real(json_object_get(fi, "failover_timeout")));
	assert_true(json_real_value(json_object_get(fi, "failover_timeout")) == 3600.0);
	assert_true(json_is_true(json_object_get(fi, "checkpoint")));
	/* the unknown enum name leaves its element's field unset; the null element goes */
	assert_int_equal(json_array_size(caps), 2);
	assert_null(json_object_get(json_array_get(caps, 1), "type"));
	/* keys outside the schema stay (Drover's extensions) */
	assert_string_equal(json_string_value(json_object_get(fi, "tier")), "gold");
	json_decref(j);

	/* int64 and double fields from strings */
	j = decode_json("{\"type\":\"KILL\",\"kill\":{\"task_id\":{\"value\":\"t\"},"
			"\"kill_policy\":{\"grace_period\":{\"nanoseconds\":\"-5000000000\"}}},"
			"\"decline\":{\"filters\":{\"refuse_seconds\":\"2.5\"}}}");
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(json_object_get(json_object_get(j, "kill"), "kill_policy"),
					"grace_period"),
			"nanoseconds")),
		-5000000000LL);
	assert_true(json_real_value(json_object_get(json_object_get(json_object_get(j, "decline"),
								    "filters"),
						    "refuse_seconds")) == 2.5);
	json_decref(j);
	/* not numbers: left for the validators to refuse by name */
	j = decode_json("{\"type\":\"DECLINE\",\"decline\":{\"filters\":{\"refuse_seconds\":"
			"\"soon\"}}}");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(j, "decline"), "filters"),
				    "refuse_seconds")),
			    "soon");
	json_decref(j);
}

static void expect_decode_fail(enum codec c, const void *body, size_t len, int want,
			       const char *pattern)
{
	char err[CODEC_ERR_LEN] = "";
	json_t *j = NULL;
	int r = codec_decode(c, call, body, len, &j, err, sizeof(err));

	if (r != want)
		fail_msg("decode of %zu bytes: %d, want %d (%s)", len, r, want, err);
	assert_null(j);
	if (!strstr(err, pattern))
		fail_msg("'%s' does not say '%s'", err, pattern);
}

/* Hostile protobuf: every one a clear 400 naming the message type. */
static void test_protobuf_refused(void **state)
{
	/* type (field 2, a varint) truncated */
	static const uint8_t trunc[] = {0x10, 0x80};
	/* type as a length-delimited field */
	static const uint8_t wiretype[] = {0x12, 0x01, 0x01};
	/* subscribe (field 3): a length far past the end */
	static const uint8_t oversized[] = {0x10, 0x01, 0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f};
	/* subscribe without its required framework_info */
	static const uint8_t required[] = {0x10, 0x01, 0x1a, 0x00};
	/* type = 999, a value the schema does not know: unset (then 400 for no type) */
	static const uint8_t badenum[] = {0x10, 0xe7, 0x07};
	char err[CODEC_ERR_LEN];
	json_t *j = NULL;

	expect_decode_fail(CODEC_PROTOBUF, trunc, sizeof(trunc), 400, "mesos.v1.scheduler.Call");
	expect_decode_fail(CODEC_PROTOBUF, wiretype, sizeof(wiretype), 400, "Failed to parse");
	expect_decode_fail(CODEC_PROTOBUF, oversized, sizeof(oversized), 400, "Failed to parse");
	expect_decode_fail(CODEC_PROTOBUF, required, sizeof(required), 400, "Failed to parse");
	assert_int_equal(codec_decode(CODEC_PROTOBUF, call, (const char *)badenum, sizeof(badenum),
				      &j, err, sizeof(err)),
			 0);
	assert_null(json_object_get(j, "type"));
	json_decref(j);
	expect_decode_fail(CODEC_JSON, "[1]", 3, 400, "JSON object");
	expect_decode_fail(CODEC_JSON, "{\"type\":", 8, 400, "Failed to parse body into JSON");
}

/* The same call in both codecs decodes to the same JSON. */
static void test_protobuf_request(void **state)
{
	json_t *want = decode_json("{\"type\":\"ACKNOWLEDGE\",\"framework_id\":{\"value\":\"f\"},"
				   "\"acknowledge\":{\"agent_id\":{\"value\":\"a\"},\"task_id\":"
				   "{\"value\":\"t\"},\"uuid\":\"AAECAwQFBgcICQoLDA0ODw==\"}}");
	char err[CODEC_ERR_LEN];
	json_t *got = NULL;
	char *b = NULL;
	size_t n;

	assert_int_equal(codec_encode(CODEC_PROTOBUF, call, want, &b, &n, err, sizeof(err)), 0);
	assert_int_equal(codec_decode(CODEC_PROTOBUF, call, b, n, &got, err, sizeof(err)), 0);
	assert_true(json_equal(want, got));
	free(b);
	json_decref(got);
	json_decref(want);
}

/* A record in each codec: "<length>\n<bytes>", and the bytes decode to the event. */
static void test_records(void **state)
{
	json_t *ev = json_pack("{s:s,s:{s:{s:s},s:f}}", "type", "SUBSCRIBED", "subscribed",
			       "framework_id", "value", "f1", "heartbeat_interval_seconds", 15.0);
	char err[CODEC_ERR_LEN];
	json_t *back = NULL;
	char *rec = NULL, *nl;
	size_t n;

	assert_int_equal(codec_record(CODEC_JSON, event, ev, &rec, &n, err, sizeof(err)), 0);
	assert_string_equal(rec, "100\n{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":"
				 "{\"value\":\"f1\"},\"heartbeat_interval_seconds\":15.0}}");
	free(rec);
	assert_int_equal(codec_record(CODEC_PROTOBUF, event, ev, &rec, &n, err, sizeof(err)), 0);
	nl = memchr(rec, '\n', n);
	assert_non_null(nl);
	assert_int_equal(strtoul(rec, NULL, 10), n - (size_t)(nl + 1 - rec));
	assert_int_equal(pbjson_decode(event, (uint8_t *)nl + 1, n - (size_t)(nl + 1 - rec), 0,
				       &back, err, sizeof(err)),
			 0);
	assert_true(json_equal(ev, back));
	free(rec);
	json_decref(back);
	/* protobuf needs the schema; an event it refuses is an error, not garbage */
	assert_int_equal(codec_record(CODEC_PROTOBUF, NULL, ev, &rec, &n, err, sizeof(err)),
			 -EINVAL);
	json_object_del(json_object_get(ev, "subscribed"), "framework_id");
	assert_int_equal(codec_record(CODEC_PROTOBUF, event, ev, &rec, &n, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "framework_id"));
	json_decref(ev);
	assert_non_null(codec_stream_format(CODEC_PROTOBUF, event));
	assert_null(codec_stream_format(CODEC_PROTOBUF, NULL));
	assert_non_null(codec_stream_format(CODEC_JSON, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_type),	 cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_json_normalize),	 cmocka_unit_test(test_protobuf_refused),
		cmocka_unit_test(test_protobuf_request), cmocka_unit_test(test_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
