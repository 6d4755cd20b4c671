// SPDX-License-Identifier: Apache-2.0
/*
 * lib/status_uuid: TaskStatus.uuid is 16 random bytes in base64 (Mesos's JSON for a
 * `bytes` field), and what clients send back is compared as bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base64.h"
#include "status_uuid.h"

static void test_random(void **state)
{
	char a[STATUS_UUID_LEN], b[STATUS_UUID_LEN], c[STATUS_UUID_LEN];
	uint8_t *raw = NULL;
	size_t n = 0;

	status_uuid_random(a);
	status_uuid_random(b);
	assert_int_equal(strlen(a), 24);
	assert_string_not_equal(a, b);
	assert_int_equal(base64_decode(a, strlen(a), &raw, &n), 0);
	assert_int_equal(n, 16);
	assert_int_equal(raw[6] >> 4, 4); /* version 4 */
	assert_int_equal(raw[8] & 0xc0, 0x80); /* RFC 4122 variant */
	free(raw);
	assert_int_equal(status_uuid_canon(a, c), 0);
	assert_string_equal(a, c);
}

static void test_canon(void **state)
{
	char out[STATUS_UUID_LEN];

	/* the text form of older Drover agents and clients: the same 16 bytes */
	assert_int_equal(status_uuid_canon("11111111-2222-4333-8444-555555555501", out), 0);
	assert_string_equal(out, "ERERESIiQzOERFVVVVVVAQ==");
	assert_int_equal(status_uuid_canon("11111111-2222-4333-8444-55555555550A", out), 0);
	assert_int_equal(status_uuid_canon("11111111-2222-4333-8444-55555555550a", out), 0);
	/* base64 as Mesos decodes it: padding optional, whitespace skipped */
	assert_int_equal(status_uuid_canon("ERERESIiQzOERFVVVVVVAQ", out), 0);
	assert_string_equal(out, "ERERESIiQzOERFVVVVVVAQ==");
	assert_int_equal(status_uuid_canon("ERERESIiQzOE RFVVVVVVAQ==", out), 0);
	assert_string_equal(out, "ERERESIiQzOERFVVVVVVAQ==");
	/* not 16 bytes, or not base64 */
	assert_int_equal(status_uuid_canon("ERERESIiQzOERFVVVVVV", out), -EINVAL);
	assert_int_equal(status_uuid_canon("ERERESIiQzOERFVVVVVVAQE=", out), -EINVAL);
	assert_int_equal(status_uuid_canon("u", out), -EINVAL);
	assert_int_equal(status_uuid_canon("", out), -EINVAL);
	assert_int_equal(status_uuid_canon(NULL, out), -EINVAL);
	assert_int_equal(status_uuid_canon("11111111-2222-4333-8444-55555555550g", out), -EINVAL);
	assert_int_equal(status_uuid_canon("11111111x2222-4333-8444-555555555501", out), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_canon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
