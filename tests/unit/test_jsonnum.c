// SPDX-License-Identifier: Apache-2.0
/* lib/jsonnum: doubles in the shortest form that round-trips, in whole JSON documents too. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jsonnum.h"

static void check_format(double d, const char *want)
{
	char buf[JSONNUM_DOUBLE_LEN];
	int n = jsonnum_format_double(d, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_format(void **state)
{
	check_format(0.3, "0.3");
	check_format(0.1 + 0.2, "0.30000000000000004");
	check_format(15.0, "15.0");
	check_format(0.0, "0.0");
	check_format(-0.0, "-0.0");
	check_format(-2.5, "-2.5");
	check_format(1e21, "1e21");
	check_format(1.5e-7, "1.5e-7");
	check_format(5e-324, "5e-324");
	check_format(DBL_MAX, "1.7976931348623157e308");
	check_format(604800.0, "604800.0");
	check_format(1e20, "100000000000000000000.0");
	check_format(0.000001, "0.000001");
	check_format(1e-7, "1e-7");
	check_format(123456789012.5, "123456789012.5");
	check_format(1700000000.123456, "1700000000.123456");
}

static void test_refused(void **state)
{
	char buf[JSONNUM_DOUBLE_LEN], small[3];

	assert_int_equal(jsonnum_format_double(NAN, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonnum_format_double(INFINITY, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonnum_format_double(-INFINITY, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonnum_format_double(0.25, small, sizeof(small)), -ENOSPC);
}

/* Random doubles (random bit patterns): each reads back exactly and no shorter precision
 * would (the form is the shortest). */
static void test_random_round_trip(void **state)
{
	srand(18);
	for (int i = 0; i < 200000; i++) {
		char buf[JSONNUM_DOUBLE_LEN], shorter[400], mant[JSONNUM_DOUBLE_LEN];
		uint64_t bits = (uint64_t)rand() << 62 ^ (uint64_t)rand() << 31 ^ (uint64_t)rand();
		double d;
		int n, sig = 0;
		char *p, *e;

		memcpy(&d, &bits, sizeof(d));
		if (!isfinite(d))
			continue;
		n = jsonnum_format_double(d, buf, sizeof(buf));
		assert_true(n > 0);
		assert_true(strtod(buf, NULL) == d);
		/* significant digits: the mantissa's, without leading and trailing zeros */
		snprintf(mant, sizeof(mant), "%s", buf);
		e = strchr(mant, 'e');
		if (e)
			*e = '\0';
		for (p = mant + strlen(mant) - 1; p >= mant && (*p == '0' || *p == '.'); p--)
			*p = '\0';
		for (p = mant; *p == '-' || *p == '0' || *p == '.'; p++)
			;
		for (; *p; p++)
			sig += *p >= '0' && *p <= '9';
		/* with one digit fewer, %g no longer reads back: the form is the shortest */
		if (sig > 1) {
			snprintf(shorter, sizeof(shorter), "%.*g", sig - 1, d);
			assert_false(strtod(shorter, NULL) == d);
		}
	}
}

/* jansson alone writes 0.29999999999999999: the defect jsonnum_dumps() removes. Strings
 * that look like numbers and integers are left alone. */
static void test_dumps(void **state)
{
	json_t *j = json_pack("{s:f,s:[f,f,i,f],s:s,s:{s:f},s:I}", "cpus", 0.3, "list", 0.1, 15.0,
			      7, 1e20, "text", "0.29999999999999999 \"1.10\\\"", "nested", "mem",
			      32.5, "big", (json_int_t)9007199254740993LL);
	char *plain = json_dumps(j, JSON_COMPACT);
	char *s = jsonnum_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(3));
	json_t *back;

	assert_non_null(strstr(plain, "0.29999999999999999"));
	assert_string_equal(s, "{\"cpus\":0.3,\"list\":[0.1,15.0,7,100000000000000000000.0],"
			       "\"text\":\"0.29999999999999999 \\\"1.10\\\\\\\"\","
			       "\"nested\":{\"mem\":32.5},\"big\":9007199254740993}");
	back = json_loads(s, 0, NULL);
	assert_non_null(back);
	assert_true(json_equal(back, j));
	json_decref(back);
	free(plain);
	free(s);
	s = jsonnum_dumps(j, JSON_INDENT(2));
	assert_non_null(strstr(s, "\"cpus\": 0.3,\n"));
	free(s);
	json_decref(j);
	j = json_real(0.3);
	s = jsonnum_dumps(j, JSON_ENCODE_ANY);
	assert_string_equal(s, "0.3");
	free(s);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_random_round_trip),
		cmocka_unit_test(test_dumps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
