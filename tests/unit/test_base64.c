// SPDX-License-Identifier: Apache-2.0
/* lib/base64: RFC 4648's vectors both ways, Mesos's lenient decoding, random round trips. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base64.h"

static const char *const vectors[][2] = {
	{"", ""},
	{"f", "Zg=="},
	{"fo", "Zm8="},
	{"foo", "Zm9v"},
	{"foob", "Zm9vYg=="},
	{"fooba", "Zm9vYmE="},
	{"foobar", "Zm9vYmFy"},
};

static void test_rfc4648(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const char *plain = vectors[i][0], *enc = vectors[i][1];
		char *s = base64_encode((const uint8_t *)plain, strlen(plain));
		uint8_t *d;
		size_t n;

		assert_non_null(s);
		assert_string_equal(s, enc);
		free(s);
		assert_int_equal(base64_decode(enc, strlen(enc), &d, &n), 0);
		assert_int_equal(n, strlen(plain));
		assert_memory_equal(d, plain, n);
		free(d);
	}
}

/* Whitespace is skipped, decoding stops at the first '=', other characters are refused. */
static void test_lenient_decoding(void **state)
{
	uint8_t *d = (uint8_t *)"untouched";
	size_t n = 99;

	assert_int_equal(base64_decode("Zm9v\nYm Fy", 10, &d, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(d, "foobar", 6);
	free(d);
	assert_int_equal(base64_decode("Zg==Zm9v", 8, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(d, "f", 1);
	free(d);
	/* no padding at all is read as well */
	assert_int_equal(base64_decode("Zm8", 3, &d, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(d, "fo", 2);
	free(d);
	d = (uint8_t *)"untouched";
	n = 99;
	assert_int_equal(base64_decode("Zm9v-_", 6, &d, &n), -EINVAL);
	assert_int_equal(base64_decode("Zm\x80v", 4, &d, &n), -EINVAL);
	assert_string_equal((char *)d, "untouched");
	assert_int_equal(n, 99);
}

static void test_random_round_trips(void **state)
{
	uint8_t buf[300];

	srand(18);
	for (size_t len = 0; len < sizeof(buf); len++) {
		uint8_t *d;
		size_t n;
		char *s;

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		s = base64_encode(buf, len);
		assert_non_null(s);
		assert_int_equal(strlen(s), (len + 2) / 3 * 4);
		assert_int_equal(base64_decode(s, strlen(s), &d, &n), 0);
		assert_int_equal(n, len);
		if (len)
			assert_memory_equal(d, buf, len);
		free(d);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648),
		cmocka_unit_test(test_lenient_decoding),
		cmocka_unit_test(test_random_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
