// SPDX-License-Identifier: Apache-2.0
/*
 * agentd/health: the health state machine (results in, updates out, Mesos's rules) and the
 * supervisor's <meta>/health record.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agentd/health.h"

#define S(x) ((int64_t)(x)*1000000000LL)

static const struct agent_health_params P = {.grace_ns = S(10), .consecutive_failures = 3};

/* Failures inside the grace period say nothing until the first success. */
static void test_grace(void **state)
{
	struct agent_health_state s = {0};

	assert_int_equal(agent_health_step(&s, &P, false, S(1)), AGENT_HEALTH_NONE);
	assert_int_equal(agent_health_step(&s, &P, false, S(10)), AGENT_HEALTH_NONE);
	assert_int_equal(s.consecutive_failures, 0);
	assert_int_equal(s.updates, 0);
	/* past the grace period a failure counts even before any success */
	assert_int_equal(agent_health_step(&s, &P, false, S(11)), AGENT_HEALTH_UNHEALTHY);
	assert_int_equal(s.updates, 1);
	assert_false(s.healthy);
	/* then the first success is healthy=true */
	assert_int_equal(agent_health_step(&s, &P, true, S(12)), AGENT_HEALTH_HEALTHY);
	assert_true(s.healthy);
	assert_int_equal(s.consecutive_failures, 0);
}

/* First success: healthy; more successes: nothing; every failure: unhealthy; recovery: healthy. */
static void test_changes(void **state)
{
	struct agent_health_state s = {0};

	assert_int_equal(agent_health_step(&s, &P, true, S(1)), AGENT_HEALTH_HEALTHY);
	assert_int_equal(agent_health_step(&s, &P, true, S(2)), AGENT_HEALTH_NONE);
	assert_int_equal(s.updates, 1);
	/* after a success the grace period no longer hides failures */
	assert_int_equal(agent_health_step(&s, &P, false, S(3)), AGENT_HEALTH_UNHEALTHY);
	assert_int_equal(agent_health_step(&s, &P, false, S(4)), AGENT_HEALTH_UNHEALTHY);
	assert_int_equal(s.consecutive_failures, 2);
	assert_int_equal(s.updates, 3);
	assert_int_equal(agent_health_step(&s, &P, true, S(5)), AGENT_HEALTH_HEALTHY);
	assert_int_equal(s.consecutive_failures, 0);
	assert_int_equal(agent_health_step(&s, &P, true, S(6)), AGENT_HEALTH_NONE);
	assert_int_equal(s.updates, 4);
}

/* consecutive_failures in a row kill; nothing after that. */
static void test_kill(void **state)
{
	struct agent_health_state s = {0};
	struct agent_health_params zero = {.grace_ns = 0, .consecutive_failures = 0};

	assert_int_equal(agent_health_step(&s, &P, true, S(1)), AGENT_HEALTH_HEALTHY);
	assert_int_equal(agent_health_step(&s, &P, false, S(2)), AGENT_HEALTH_UNHEALTHY);
	assert_int_equal(agent_health_step(&s, &P, false, S(3)), AGENT_HEALTH_UNHEALTHY);
	assert_int_equal(agent_health_step(&s, &P, false, S(4)), AGENT_HEALTH_KILL);
	assert_true(s.kill);
	assert_false(s.healthy);
	assert_int_equal(s.updates, 4);
	assert_int_equal(agent_health_step(&s, &P, true, S(5)), AGENT_HEALTH_NONE);
	assert_int_equal(agent_health_step(&s, &P, false, S(6)), AGENT_HEALTH_NONE);
	assert_int_equal(s.updates, 4);

	/* 0: the first counted failure kills */
	s = (struct agent_health_state){0};
	assert_int_equal(agent_health_step(&s, &zero, false, S(1)), AGENT_HEALTH_KILL);
	/* a success in between starts the count again */
	s = (struct agent_health_state){0};
	assert_int_equal(agent_health_step(&s, &P, true, 0), AGENT_HEALTH_HEALTHY);
	assert_int_equal(agent_health_step(&s, &P, false, 0), AGENT_HEALTH_UNHEALTHY);
	assert_int_equal(agent_health_step(&s, &P, false, 0), AGENT_HEALTH_UNHEALTHY);
	assert_int_equal(agent_health_step(&s, &P, true, 0), AGENT_HEALTH_HEALTHY);
	assert_int_equal(agent_health_step(&s, &P, false, 0), AGENT_HEALTH_UNHEALTHY);
	assert_int_equal(agent_health_step(&s, &P, false, 0), AGENT_HEALTH_UNHEALTHY);
	assert_false(s.kill);
}

static void test_record(void **state)
{
	struct agent_health_record r = {.updates = 7,
					.healthy = false,
					.consecutive_failures = 3,
					.kill = true,
					.result = AGENT_HEALTH_EXITED,
					.code = 2,
					.time_ns = 1234567890123ULL},
				   back;
	char buf[512], small[16], what[128];
	int n = agent_health_record_format(&r, buf, sizeof(buf));

	assert_true(n > 0 && (size_t)n == strlen(buf));
	assert_int_equal(agent_health_record_parse(buf, &back), 0);
	assert_true(back.updates == 7 && !back.healthy && back.consecutive_failures == 3 &&
		    back.kill && back.result == AGENT_HEALTH_EXITED && back.code == 2 &&
		    back.time_ns == r.time_ns);
	assert_int_equal(agent_health_record_format(&r, small, sizeof(small)), -ENOBUFS);

	assert_int_equal(agent_health_record_parse("", &back), -EINVAL);
	assert_int_equal(agent_health_record_parse("drover-exit-status 1\n", &back), -EINVAL);
	assert_int_equal(
		agent_health_record_parse("drover-health 2\nupdates 1\nhealthy 1\n"
					  "consecutive_failures 0\nkill 0\nresult 0\ncode 0\n",
					  &back),
		-EINVAL);
	assert_int_equal(
		agent_health_record_parse("drover-health 1\nupdates 1\nhealthy 2\n"
					  "consecutive_failures 0\nkill 0\nresult 0\ncode 0\n",
					  &back),
		-EINVAL);
	assert_int_equal(
		agent_health_record_parse("drover-health 1\nupdates 1\nhealthy 1\n"
					  "consecutive_failures 0\nkill 0\nresult 9\ncode 0\n",
					  &back),
		-EINVAL);

	agent_health_result_describe(&r, HEALTH_CHECK_HTTP, what, sizeof(what));
	assert_string_equal(what, "cannot connect to the port");
	agent_health_result_describe(&r, HEALTH_CHECK_COMMAND, what, sizeof(what));
	assert_string_equal(what, "exited with status 2");
	r.result = AGENT_HEALTH_TIMEOUT;
	agent_health_result_describe(&r, HEALTH_CHECK_COMMAND, what, sizeof(what));
	assert_string_equal(what, "timed out");
}

/* What a check execs: the shell, or argv; the check's variables before the task's. */
static void test_run_vectors(void **state)
{
	struct health_check hc;
	struct agent_health_run *hr = NULL;
	char *task_env[] = {"A=task", "B=task", NULL};
	char err[256];
	json_t *j = json_loads("{\"command\":{\"value\":\"exit 3\",\"environment\":{\"variables\":"
			       "[{\"name\":\"A\",\"value\":\"check\"}]}},\"interval_seconds\":0,"
			       "\"timeout_seconds\":1e300}",
			       0, NULL);

	assert_int_equal(health_check_parse(j, "hc", &hc, err, sizeof(err)), 0);
	assert_int_equal(agent_health_run_new(&hc, task_env, "/x/probe", S(3), &hr), 0);
	assert_string_equal(hr->path, "/bin/sh");
	assert_string_equal(hr->argv[2], "exit 3");
	assert_string_equal(hr->envp[0], "A=check");
	assert_string_equal(hr->envp[1], "A=task");
	assert_null(hr->envp[3]);
	assert_int_equal(hr->interval_ns, AGENT_HEALTH_MIN_INTERVAL_NS);
	assert_true(hr->timeout_ns > S(1000000)); /* saturated, not overflowed */
	assert_int_equal(hr->delay_ns, S(15));
	agent_health_run_free(hr);
	json_decref(j);

	j = json_loads("{\"http\":{\"port\":8080,\"path\":\"/p\"},\"timeout_seconds\":2}", 0, NULL);
	assert_int_equal(health_check_parse(j, "hc", &hc, err, sizeof(err)), 0);
	assert_int_equal(agent_health_run_new(&hc, task_env, "/x/probe", S(3), &hr), 0);
	assert_string_equal(hr->path, "/x/probe");
	assert_string_equal(hr->argv[1], "http");
	assert_string_equal(hr->argv[2], "http://127.0.0.1:8080/p");
	assert_string_equal(hr->argv[3], "2.000");
	assert_null(hr->envp[0]); /* no proxy variables reach libcurl */
	agent_health_run_free(hr);
	json_decref(j);

	j = json_loads("{\"type\":\"TCP\",\"tcp\":{\"port\":9,\"protocol\":\"IPv6\"}}", 0, NULL);
	assert_int_equal(health_check_parse(j, "hc", &hc, err, sizeof(err)), 0);
	assert_int_equal(agent_health_run_new(&hc, NULL, "/x/probe", S(3), &hr), 0);
	assert_string_equal(hr->argv[2], "::1:9");
	agent_health_run_free(hr);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grace),	    cmocka_unit_test(test_changes),
		cmocka_unit_test(test_kill),	    cmocka_unit_test(test_record),
		cmocka_unit_test(test_run_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
