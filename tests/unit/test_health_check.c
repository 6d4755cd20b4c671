// SPDX-License-Identifier: Apache-2.0
/* lib/health_check: TaskInfo.health_check with Mesos's defaults, inference and rules. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "health_check.h"

/* hc's strings point into the JSON: the last one parsed lives until the next parse */
static json_t *last;

static int parse(const char *text, struct health_check *hc, char *err, size_t len)
{
	json_decref(last);
	last = json_loads(text, JSON_ALLOW_NUL, NULL);
	assert_non_null(last);
	return health_check_parse(last, "hc", hc, err, len);
}

static void bad(const char *text, const char *want)
{
	struct health_check hc;
	char err[512] = "";

	if (parse(text, &hc, err, sizeof(err)) != -EINVAL || !strstr(err, want))
		fail_msg("%s: got '%s', want '%s'", text, err, want);
	json_decref(last);
	last = NULL;
}

static void test_defaults(void **state)
{
	struct health_check hc;
	char err[256];

	assert_int_equal(parse("{\"type\":\"TCP\",\"tcp\":{\"port\":80}}", &hc, err, sizeof(err)),
			 0);
	assert_int_equal(hc.type, HEALTH_CHECK_TCP);
	assert_false(hc.type_inferred);
	assert_int_equal(hc.port, 80);
	assert_true(hc.delay_s == 15.0 && hc.interval_s == 10.0 && hc.timeout_s == 20.0 &&
		    hc.grace_s == 10.0);
	assert_int_equal(hc.consecutive_failures, 3);
	assert_false(hc.ipv6);

	assert_int_equal(parse("{\"http\":{\"port\":8080,\"scheme\":\"https\",\"path\":\"/ok\","
			       "\"protocol\":\"IPv6\",\"statuses\":[200]},\"delay_seconds\":0,"
			       "\"interval_seconds\":1.5,\"timeout_seconds\":0,"
			       "\"consecutive_failures\":0,\"grace_period_seconds\":2}",
			       &hc, err, sizeof(err)),
			 0);
	assert_int_equal(hc.type, HEALTH_CHECK_HTTP);
	assert_true(hc.type_inferred);
	assert_true(hc.https && hc.ipv6);
	assert_string_equal(hc.path, "/ok");
	assert_true(hc.delay_s == 0 && hc.interval_s == 1.5 && hc.timeout_s == 0 &&
		    hc.grace_s == 2);
	assert_int_equal(hc.consecutive_failures, 0);

	/* command wins the inference; no path means "/" */
	assert_int_equal(parse("{\"command\":{\"value\":\"true\"},\"http\":{\"port\":1}}", &hc, err,
			       sizeof(err)),
			 0);
	assert_int_equal(hc.type, HEALTH_CHECK_COMMAND);
	assert_non_null(hc.command);
	assert_int_equal(parse("{\"type\":\"HTTP\",\"http\":{\"port\":1}}", &hc, err, sizeof(err)),
			 0);
	assert_string_equal(hc.path, "/");
	assert_string_equal(health_check_type_name(HEALTH_CHECK_COMMAND), "COMMAND");
	json_decref(last);
	last = NULL;
}

static void test_refused(void **state)
{
	bad("[]", "field 'hc' must be an object");
	bad("{}", "field 'hc.type' is required");
	bad("{\"tcp\":{\"port\":1}}", "field 'hc.type' is required"); /* no inference from tcp */
	bad("{\"type\":\"UNKNOWN\",\"tcp\":{\"port\":1}}",
	    "must be \"COMMAND\", \"HTTP\" or \"TCP\"");
	bad("{\"type\":1,\"tcp\":{\"port\":1}}", "must be \"COMMAND\"");
	bad("{\"type\":\"TCP\",\"http\":{\"port\":1}}", "field 'hc.tcp' is required");
	bad("{\"type\":\"TCP\",\"tcp\":{\"port\":0}}", "field 'hc.tcp.port' must be a port");
	bad("{\"type\":\"TCP\",\"tcp\":{\"port\":65536}}", "field 'hc.tcp.port' must be a port");
	bad("{\"type\":\"TCP\",\"tcp\":{\"port\":1,\"protocol\":\"IPX\"}}", "protocol");
	bad("{\"http\":{\"port\":1,\"scheme\":\"ftp\"}}", "field 'hc.http.scheme'");
	bad("{\"http\":{\"port\":1,\"path\":\"a\"}}", "field 'hc.http.path'");
	bad("{\"http\":{\"port\":1,\"path\":\"/a\\u0000b\"}}", "field 'hc.http.path'");
	bad("{\"http\":{\"port\":1,\"statuses\":5}}", "field 'hc.http.statuses'");
	bad("{\"command\":{}}", "field 'hc.command.value' is required");
	bad("{\"command\":{\"value\":\"\"}}", "field 'hc.command.value' is required");
	bad("{\"command\":{\"value\":5}}", "field 'hc.command.value' must be a string");
	bad("{\"command\":{\"value\":\"x\",\"environment\":{\"variables\":"
	    "[{\"name\":\"A\",\"value\":\"1\",\"type\":\"SECRET\"}]}}}",
	    "field 'hc.command.environment.variables[0]': only variables of type VALUE");
	bad("{\"command\":{\"value\":\"x\",\"shell\":\"no\"}}", "field 'hc.command.shell'");
	bad("{\"command\":{\"value\":\"x\",\"arguments\":[1]}}", "field 'hc.command.arguments[0]'");
	bad("{\"command\":{\"value\":\"x\",\"user\":\"root\"}}", "field 'hc.command.user' is not");
	bad("{\"command\":{\"value\":\"x\",\"uris\":[{\"value\":\"u\"}]}}",
	    "field 'hc.command.uris'");
	bad("{\"command\":{\"value\":\"x\",\"environment\":{\"variables\":[{\"name\":\"A=B\","
	    "\"value\":\"1\"}]}}}",
	    "variables[0]");
	bad("{\"command\":{\"value\":\"x\"},\"interval_seconds\":-0.5}", "hc.interval_seconds");
	bad("{\"command\":{\"value\":\"x\"},\"timeout_seconds\":\"1\"}", "hc.timeout_seconds");
	bad("{\"command\":{\"value\":\"x\"},\"consecutive_failures\":-1}",
	    "hc.consecutive_failures");
	bad("{\"command\":{\"value\":\"x\"},\"consecutive_failures\":1.5}",
	    "hc.consecutive_failures");
	bad("{\"command\":{\"value\":\"x\"},\"consecutive_failures\":4294967296}",
	    "hc.consecutive_failures");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
