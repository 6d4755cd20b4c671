// SPDX-License-Identifier: Apache-2.0
/*
 * masterd/agents: master_agent_subscribe_parse() reads an agent's SUBSCRIBE call (hostname,
 * resources, tasks, agent ID) or says what is wrong with it, in the words the master answers
 * 400 with; the hostname is read before anything else can fail (the register_agents ACL's
 * object: the caller is authorized before it hears of other faults).
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
#include "masterd/validate.h"
#include "util.h"

#define RES "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":4}}]"

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	if (!j)
		fail_msg("bad JSON in the test: %s: %s", e.text, s);
	return j;
}

/* Parse body; returns the parser's result, with err and the struct for the caller to check. */
static int sub_parse(const char *body, json_t **ret_body, struct master_agent_subscribe *req,
		     char *err, size_t errlen)
{
	*ret_body = parse(body);
	err[0] = '\0';
	return master_agent_subscribe_parse(*ret_body, req, err, errlen);
}

static void test_valid(void **state)
{
	struct master_agent_subscribe req;
	char err[256];
	json_t *body;
	int r = sub_parse(
		"{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_info\":{\"hostname\":\"h1\","
		"\"resources\":" RES "},\"agent_id\":{\"value\":\"a1\"},"
		"\"tasks\":[],\"enforcement\":{\"x\":1}}}",
		&body, &req, err, sizeof(err));

	(void)state;
	assert_int_equal(r, 0);
	assert_string_equal(req.hostname, "h1");
	assert_string_equal(req.agent_id, "a1");
	assert_true(json_is_array(req.tasks));
	assert_true(json_is_object(req.enforcement));
	assert_true(json_is_object(req.info));
	assert_false(alloc_res_is_empty(&req.total));
	master_agent_subscribe_clear(&req);
	json_decref(body);
}

/* subscribe.version: a string of at most 128 bytes, GET_AGENTS' Agent.version */
static void test_version(void **state)
{
	struct master_agent_subscribe req;
	char err[256], body_text[512], big[200];
	json_t *body;

	(void)state;
	assert_int_equal(sub_parse("{\"subscribe\":{\"agent_info\":{\"hostname\":\"h1\","
				   "\"resources\":[]},\"version\":\"0.1.0\"}}",
				   &body, &req, err, sizeof(err)),
			 0);
	assert_string_equal(req.version, "0.1.0");
	master_agent_subscribe_clear(&req);
	json_decref(body);
	assert_int_equal(sub_parse("{\"subscribe\":{\"agent_info\":{\"hostname\":\"h1\","
				   "\"resources\":[]},\"version\":7}}",
				   &body, &req, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "version"));
	master_agent_subscribe_clear(&req);
	json_decref(body);
	memset(big, 'v', 129);
	big[129] = '\0';
	snprintf(body_text, sizeof(body_text),
		 "{\"subscribe\":{\"agent_info\":{\"hostname\":\"h1\",\"resources\":[]},"
		 "\"version\":\"%s\"}}",
		 big);
	assert_int_equal(sub_parse(body_text, &body, &req, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than 128"));
	assert_null(req.version);
	master_agent_subscribe_clear(&req);
	json_decref(body);
}

/* capabilities parsed with "caps" (JSON text): the parser's result, the kept list in out */
static int caps_parse(const char *caps, char *out, size_t outlen, char *err, size_t errlen)
{
	struct master_agent_subscribe req;
	char text[4096];
	json_t *body;
	int r;

	snprintf(text, sizeof(text),
		 "{\"subscribe\":{\"agent_info\":{\"hostname\":\"h1\",\"resources\":[]},"
		 "\"capabilities\":%s}}",
		 caps);
	r = sub_parse(text, &body, &req, err, errlen);
	if (req.capabilities) {
		char *s = json_dumps(req.capabilities, JSON_COMPACT);
		snprintf(out, outlen, "%s", s);
		free(s);
	} else {
		snprintf(out, outlen, "(null)");
	}
	master_agent_subscribe_clear(&req);
	json_decref(body);
	return r;
}

/*
 * subscribe.capabilities (GET_AGENTS' Agent.capabilities): Mesos's AgentInfo.Capability types
 * kept once each in order, an unknown name or a null type dropped (Mesos's JSON mapping of an
 * enum it does not know), a list that is not one, too long, or of bad entries refused.
 */
static void test_capabilities(void **state)
{
	char out[512], err[256], many[4096];
	size_t o;

	(void)state;
	assert_int_equal(caps_parse("[{\"type\":\"MULTI_ROLE\"},{\"type\":\"NO_SUCH\"},"
				    "{\"type\":\"TASK_RESOURCE_LIMITS\"},{\"type\":\"MULTI_ROLE\"},"
				    "{\"type\":null},{}]",
				    out, sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "[{\"type\":\"MULTI_ROLE\"},{\"type\":\"TASK_RESOURCE_LIMITS\"}]");
	assert_int_equal(caps_parse("null", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "[]");
	assert_int_equal(caps_parse("{\"type\":\"MULTI_ROLE\"}", out, sizeof(out), err,
				    sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "must be an array"));
	assert_int_equal(caps_parse("[{\"type\":1}]", out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "capabilities[0]"));
	assert_int_equal(caps_parse("[\"MULTI_ROLE\"]", out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
	o = (size_t)snprintf(many, sizeof(many), "[");
	for (int i = 0; i <= MASTER_AGENT_CAPABILITIES_MAX; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%s{\"type\":\"MULTI_ROLE\"}",
				      i ? "," : "");
	snprintf(many + o, sizeof(many) - o, "]");
	assert_int_equal(caps_parse(many, out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than the 32 allowed"));
}

static void test_new_agent(void **state)
{
	struct master_agent_subscribe req;
	char err[256];
	json_t *body;
	int r = sub_parse("{\"subscribe\":{\"agent_info\":{\"hostname\":\"h1\",\"resources\":[]}}}",
			  &body, &req, err, sizeof(err));

	(void)state;
	assert_int_equal(r, 0);
	assert_string_equal(req.hostname, "h1");
	assert_null(req.agent_id);
	assert_null(req.tasks);
	assert_null(req.enforcement);
	assert_true(alloc_res_is_empty(&req.total));
	master_agent_subscribe_clear(&req);
	json_decref(body);
}

/* Each fault: -EINVAL, the message, and whether the hostname was read. */
static void test_faults(void **state)
{
	static const struct {
		const char *body, *err;
		bool hostname;
	} cases[] = {
		{"{}", "missing field 'subscribe'", false},
		{"{\"subscribe\":{}}", "missing field 'agent_info'", false},
		{"{\"subscribe\":{\"agent_info\":{}}}", "missing field 'hostname'", false},
		{"{\"subscribe\":{\"agent_info\":{\"hostname\":\"h\"}}}",
		 "agent_info.resources: ", true},
		{"{\"subscribe\":{\"agent_info\":{\"hostname\":\"h\",\"resources\":7}}}",
		 "agent_info.resources: ", true},
		{"{\"subscribe\":{\"agent_info\":{\"hostname\":\"h\",\"resources\":" RES
		 "},\"tasks\":{}}}",
		 "'subscribe.tasks' must be an array", true},
		{"{\"subscribe\":{\"agent_info\":{\"hostname\":\"h\",\"resources\":" RES
		 "},\"agent_id\":\"a\"}}",
		 "field 'subscribe.agent_id' must be an object", true},
		{"{\"subscribe\":{\"agent_info\":{\"hostname\":\"h\",\"resources\":" RES
		 "},\"agent_id\":{\"value\":\"a/b\"}}}",
		 "contains '/'", true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct master_agent_subscribe req;
		char err[256];
		json_t *body;
		int r = sub_parse(cases[i].body, &body, &req, err, sizeof(err));

		if (r != -EINVAL)
			fail_msg("%s: returned %d, not -EINVAL", cases[i].body, r);
		if (!strstr(err, cases[i].err))
			fail_msg("%s: error '%s' lacks '%s'", cases[i].body, err, cases[i].err);
		if ((req.hostname != NULL) != cases[i].hostname)
			fail_msg("%s: hostname %s", cases[i].body,
				 req.hostname ? "read" : "not read");
		master_agent_subscribe_clear(&req);
		json_decref(body);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_new_agent),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
