// SPDX-License-Identifier: Apache-2.0
/*
 * masterd/offers: an OFFERS event written as text (offers_event_*) is, byte for byte, the
 * record wire_record() makes of the same event built from master_offer_to_json(), the offer's
 * encoding GET_OFFERS answers with. Frameworks, agents and offers are built by hand: the
 * writer reads only their ids, hostname, role, agent info and resources.
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

#include "masterd/master.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "util.h"

/* Control characters, quotes, backslashes, DEL, a slash, 2-, 3- and 4-byte UTF-8. */
#define NASTY "q\"b\\s/\x01\x1f\t\n\r\x7f \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
/* The same without what a set item may not hold (control characters and ,;:{}[]). */
#define NASTY_ITEM "q\"b\\s/ \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	if (!j)
		fail_msg("bad JSON in the test: %s: %s", e.text, s);
	return j;
}

static void res_from_json(struct alloc_res *r, json_t *j)
{
	char err[256] = "";

	if (alloc_res_from_json(j, r, err, sizeof(err)) < 0)
		fail_msg("resources: %s", err);
	json_decref(j);
}

static void res_parse(struct alloc_res *r, const char *text)
{
	char err[256] = "";

	if (alloc_res_parse(text, r, err, sizeof(err)) < 0)
		fail_msg("resources '%s': %s", text, err);
}

static void agent_init(struct agent *a, const char *id, const char *hostname, json_t *info)
{
	memset(a, 0, sizeof(*a));
	a->id = strdup(id);
	a->hostname = strdup(hostname);
	a->info = info;
	assert_non_null(a->id);
	assert_non_null(a->hostname);
}

static void agent_fini(struct agent *a)
{
	master_agent_offer_frag_drop(a);
	free(a->id);
	free(a->hostname);
	json_decref(a->info);
}

static struct offer *offer_new(struct framework *fw, struct agent *a, unsigned long n)
{
	struct offer *o = calloc(1, sizeof(*o));
	char id[64];

	assert_non_null(o);
	/* the master's form: the first 8 characters of its id, "-O", a number */
	snprintf(id, sizeof(id), "5d1c0a9e-O%lu", n);
	o->id = strdup(id);
	assert_non_null(o->id);
	o->fw = fw;
	o->agent = a;
	o->role = fw->role;
	return o;
}

static void t_offer_free(struct offer *o)
{
	alloc_res_clear(&o->res);
	free(o->id);
	free(o);
}

static void offers_free(struct offer **o, size_t n)
{
	for (size_t i = 0; i < n; i++)
		t_offer_free(o[i]);
}

/* Where two byte strings first differ, shown with some context on failure. */
static void assert_same_bytes(const char *want, size_t want_len, const char *got, size_t got_len)
{
	size_t i, from;

	for (i = 0; i < want_len && i < got_len && want[i] == got[i]; i++)
		;
	if (i == want_len && i == got_len)
		return;
	from = i > 60 ? i - 60 : 0;
	print_error("the text writer and json_dumps differ at byte %zu (lengths %zu, %zu)\n"
		    "  json_dumps: …%.*s\n  text:       …%.*s\n",
		    i, want_len, got_len, (int)(want_len - from < 120 ? want_len - from : 120),
		    want + from, (int)(got_len - from < 120 ? got_len - from : 120), got + from);
	fail();
}

/*
 * The same event in protobuf (a framework whose stream is application/x-protobuf): the
 * record is, byte for byte, codec_record() of the event built with master_offer_to_json(),
 * packed by the schema.
 */
static void check_event_protobuf(const struct framework *fw, struct offer **o, size_t n)
{
	struct offers_event *ev = master_offers_event_new_codec(fw, CODEC_PROTOBUF);
	json_t *arr = json_array(), *event;
	char err[CODEC_ERR_LEN];
	const char *got;
	char *want = NULL;
	size_t got_len, want_len;

	assert_non_null(ev);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(json_array_append_new(arr, master_offer_to_json(o[i])), 0);
		assert_int_equal(master_offers_event_add(ev, o[i]), 0);
	}
	event = wire_event("OFFERS", "offers", json_pack("{s:o}", "offers", arr));
	if (codec_record(CODEC_PROTOBUF, &mesos__v1__scheduler__event__descriptor, event, &want,
			 &want_len, err, sizeof(err)) != 0)
		fail_msg("codec_record: %s", err);
	json_decref(event);
	assert_int_equal(master_offers_event_record(ev, &got, &got_len), 0);
	assert_same_bytes(want, want_len, got, got_len);
	assert_int_equal(master_offers_event_record(ev, &got, &got_len), 0);
	assert_same_bytes(want, want_len, got, got_len);
	free(want);
	master_offers_event_free(ev);
}

/*
 * Write one OFFERS event of fw's offers o[0..n) with offers_event_*, and check it against
 * wire_record() of the event built with master_offer_to_json().
 */
static void check_event(const struct framework *fw, struct offer **o, size_t n)
{
	struct offers_event *ev = master_offers_event_new(fw);
	json_t *arr = json_array(), *event;
	const char *got, *body_want, *body_got;
	char *want = NULL;
	size_t got_len;
	long want_len;

	assert_non_null(ev);
	assert_non_null(arr);
	for (size_t i = 0; i < n; i++) {
		json_t *j = master_offer_to_json(o[i]);

		assert_non_null(j);
		assert_int_equal(json_array_append_new(arr, j), 0);
		assert_int_equal(master_offers_event_add(ev, o[i]), 0);
	}
	event = wire_event("OFFERS", "offers", json_pack("{s:o}", "offers", arr));
	assert_non_null(event);
	want_len = wire_record(event, &want);
	json_decref(event);
	assert_true(want_len > 0);

	assert_int_equal(master_offers_event_record(ev, &got, &got_len), 0);
	/* the JSON after each "<length>\n" first (a clearer message), then the whole record */
	body_want = memchr(want, '\n', (size_t)want_len);
	body_got = memchr(got, '\n', got_len);
	assert_non_null(body_want);
	assert_non_null(body_got);
	assert_same_bytes(body_want + 1, (size_t)want_len - (size_t)(body_want + 1 - want),
			  body_got + 1, got_len - (size_t)(body_got + 1 - got));
	assert_same_bytes(want, (size_t)want_len, got, got_len);
	/* closed: the same record again, and nothing more can be added */
	assert_int_equal(master_offers_event_record(ev, &got, &got_len), 0);
	assert_same_bytes(want, (size_t)want_len, got, got_len);
	assert_int_equal(master_offers_event_add(ev, o[0]), -EINVAL);
	free(want);
	master_offers_event_free(ev);
	check_event_protobuf(fw, o, n);
}

static void test_resource_kinds(void **state)
{
	struct framework fw = {.id = "7f8e2b1c-6a0d-4c55-9b1e-0d6f3c2a9e41-0001", .role = "web"};
	struct agent a, b;
	struct offer *o[5];

	agent_init(
		&a, "0c4d2e7f-S1", "node-a.example.com",
		parse("{\"hostname\":\"node-a.example.com\",\"attributes\":["
		      "{\"name\":\"rack\",\"type\":\"TEXT\",\"text\":{\"value\":\"r12\"}},"
		      "{\"name\":\"gen\",\"type\":\"SCALAR\",\"scalar\":{\"value\":3.5}},"
		      "{\"name\":\"slots\",\"type\":\"RANGES\",\"ranges\":{\"range\":"
		      "[{\"begin\":1,\"end\":4}]}},"
		      "{\"name\":\"zones\",\"type\":\"SET\",\"set\":{\"item\":[\"a\",\"b\"]}}]}"));
	/* no "attributes": the offer has an empty array */
	agent_init(&b, "0c4d2e7f-S2", "node-b", parse("{\"hostname\":\"node-b\"}"));

	o[0] = offer_new(&fw, &a, 1);
	res_parse(&o[0]->res, "cpus:4;mem:4096;disk:10240;ports:[31000-32000,33000-33100];"
			      "zones:{us-east-1a,us-east-1b}");
	/* the same resources on the same agent: the cached fragment */
	o[1] = offer_new(&fw, &a, 2);
	assert_int_equal(alloc_res_copy(&o[1]->res, &o[0]->res), 0);
	/* other resources on it: the fragment is made again, then once more for o[3] */
	o[2] = offer_new(&fw, &a, 3);
	res_parse(&o[2]->res, "cpus:0.5;ports:[80-80,443-443,8000-8999]");
	o[3] = offer_new(&fw, &a, 4);
	assert_int_equal(alloc_res_copy(&o[3]->res, &o[0]->res), 0);
	o[4] = offer_new(&fw, &b, 12345678901ul);
	res_parse(&o[4]->res, "gpus:1;mem:512;ports:[1-65535]");
	check_event(&fw, o, 5);

	/* a single offer, and one with no resources at all */
	check_event(&fw, &o[4], 1);
	alloc_res_clear(&o[4]->res);
	check_event(&fw, &o[4], 1);
	/* an event with no offers (the master sends none, but it is still the same JSON) */
	check_event(&fw, o, 0);

	/* the agent's info changes: the master drops the fragment, the next offer has it */
	free(a.hostname);
	a.hostname = strdup("renamed.example.com");
	json_object_set_new(a.info, "attributes",
			    parse("[{\"name\":\"rack\",\"type\":\"TEXT\","
				  "\"text\":{\"value\":\"r13\"}}]"));
	master_agent_offer_frag_drop(&a);
	check_event(&fw, o, 4);

	offers_free(o, 5);
	agent_fini(&a);
	agent_fini(&b);
}

/*
 * Mesos's allocation_info: on the offer and on each of its resources for MULTI_ROLE
 * frameworks, on neither for the others; both encodings agree.
 */
static void test_allocation_info(void **state)
{
	struct framework fw = {.id = "fw-1", .role = "eng/ml", .multi_role = true};
	struct framework plain = {.id = "fw-2", .role = "eng"};
	struct agent a;
	struct offer *o[2];
	json_t *j, *r;
	size_t i;

	agent_init(&a, "S1", "node-a", parse("{\"hostname\":\"node-a\"}"));
	o[0] = offer_new(&fw, &a, 1);
	res_parse(&o[0]->res, "cpus:4;mem:4096;ports:[31000-32000]");
	o[1] = offer_new(&fw, &a, 2);
	res_parse(&o[1]->res, "cpus:1");
	check_event(&fw, o, 2);
	j = master_offer_to_json(o[0]);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "allocation_info"), "role")),
		"eng/ml");
	json_array_foreach(json_object_get(j, "resources"), i, r)
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(r, "allocation_info"), "role")),
				    "eng/ml");
	assert_int_equal(i, 3);
	json_decref(j);

	o[0]->fw = o[1]->fw = &plain;
	check_event(&plain, o, 2);
	j = master_offer_to_json(o[0]);
	assert_null(json_object_get(j, "allocation_info"));
	json_array_foreach(json_object_get(j, "resources"), i, r)
		assert_null(json_object_get(r, "allocation_info"));
	json_decref(j);
	offers_free(o, 2);
	agent_fini(&a);
	(void)state;
}

static void test_escaping(void **state)
{
	struct framework fw = {.id = "fw-" NASTY, .role = "role-" NASTY};
	struct agent a;
	struct offer *o[2];
	json_t *attrs;

	attrs = json_pack("[{s:s,s:s,s:{s:s}},{s:s,s:s,s:{s:[s,s]}}]", "name", "label " NASTY,
			  "type", "TEXT", "text", "value", NASTY, "name", "set", "type", "SET",
			  "set", "item", NASTY, "\xe6\x97\xa5\xe6\x9c\xac");
	assert_non_null(attrs);
	agent_init(&a, "agent-" NASTY, "host-" NASTY, json_pack("{s:o}", "attributes", attrs));

	o[0] = offer_new(&fw, &a, 1);
	res_from_json(&o[0]->res,
		      json_pack("[{s:s,s:s,s:{s:[s,s,s,s]}},{s:s,s:s,s:{s:f}}]", "name", "labels",
				"type", "SET", "set", "item", NASTY_ITEM, "plain", "\"", "\\",
				"name", "cpus", "type", "SCALAR", "scalar", "value", 2.0));
	o[1] = offer_new(&fw, &a, 2);
	res_parse(&o[1]->res, "mem:128");
	check_event(&fw, o, 2);

	offers_free(o, 2);
	agent_fini(&a);
}

static void test_scalars(void **state)
{
	static const char *const values[] = {
		"0.1",
		"0.001",
		"1e-3",
		"0.2",
		"0.3",
		"1.1",
		"2.675",
		"3.14159",
		"123456789.5",
		"99999999999.999",
		"1000000000000000",
		"4",
		"4096",
		"0.5",
		"1.999",
	};
	struct framework fw = {.id = "fw-scalars", .role = "*"};
	struct agent a;
	struct offer *o[ARRAY_SIZE(values)];

	agent_init(&a, "agent-scalars", "h",
		   parse("{\"attributes\":[{\"name\":\"w\",\"type\":"
			 "\"SCALAR\",\"scalar\":{\"value\":0.1}}]}"));
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		char text[64];

		o[i] = offer_new(&fw, &a, i + 1);
		snprintf(text, sizeof(text), "cpus:%s;mem:%s", values[i], values[i]);
		res_parse(&o[i]->res, text);
		/* each alone, then all in one event */
		check_event(&fw, &o[i], 1);
	}
	check_event(&fw, o, ARRAY_SIZE(o));

	offers_free(o, ARRAY_SIZE(o));
	agent_fini(&a);
}

/* Many offers from many agents: the event grows well past its first buffer. */
static void test_many(void **state)
{
	enum { AGENTS = 64, OFFERS = 1500 };
	struct framework fw = {.id = "fw-many", .role = "batch"};
	struct agent *a = calloc(AGENTS, sizeof(*a));
	struct offer **o = calloc(OFFERS, sizeof(*o));

	assert_non_null(a);
	assert_non_null(o);
	for (size_t i = 0; i < AGENTS; i++) {
		char id[32], host[64], info[160];

		snprintf(id, sizeof(id), "agent-S%zu", i);
		snprintf(host, sizeof(host), "host-%zu.example.com", i);
		snprintf(info, sizeof(info),
			 "{\"attributes\":[{\"name\":\"i\",\"type\":\"TEXT\",\"text\":"
			 "{\"value\":\"%zu\"}}]}",
			 i);
		agent_init(&a[i], id, host, parse(info));
	}
	for (size_t i = 0; i < OFFERS; i++) {
		char text[96];

		o[i] = offer_new(&fw, &a[i % AGENTS], i + 1);
		snprintf(text, sizeof(text), "cpus:%zu.%zu;mem:%zu;ports:[%zu-%zu]", i % 7, i % 10,
			 256 * (i % 5 + 1), 31000 + i % 3, 32000 + i % 11);
		res_parse(&o[i]->res, text);
	}
	check_event(&fw, o, OFFERS);

	offers_free(o, OFFERS);
	for (size_t i = 0; i < AGENTS; i++)
		agent_fini(&a[i]);
	free(o);
	free(a);
}

/* A string jansson refuses (not UTF-8) is refused by both encodings. */
static void test_invalid_utf8(void **state)
{
	struct framework bad_fw = {.id = "fw", .role = "r\xff", .multi_role = true};
	struct framework fw = {.id = "fw", .role = "r"};
	struct agent a;
	struct offer *o;
	struct offers_event *ev;

	assert_null(master_offers_event_new(&bad_fw));
	agent_init(&a, "agent", "host\xc3", json_object());
	o = offer_new(&bad_fw, &a, 1);
	assert_null(master_offer_to_json(o));
	o->fw = &fw;
	assert_null(master_offer_to_json(o));
	ev = master_offers_event_new(&fw);
	assert_non_null(ev);
	assert_int_equal(master_offers_event_add(ev, o), -ENOMEM);
	master_offers_event_free(ev);
	t_offer_free(o);
	agent_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resource_kinds),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_allocation_info),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
