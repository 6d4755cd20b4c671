// SPDX-License-Identifier: Apache-2.0
/* lib/buf: growth, the NUL after the bytes, refused sizes, reset, consume, steal. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"

static bool is_power_of_two(size_t n)
{
	return n && !(n & (n - 1));
}

static void test_empty(void **state)
{
	struct buf b = BUF_INIT;
	size_t len = 99;
	char *s;

	assert_null(b.p);
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_int_equal(b.len, 0);
	s = buf_steal(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	assert_null(b.p);
	assert_int_equal(b.cap, 0);
	free(s);
	buf_free(&b);
	buf_free(NULL);
}

/* Appends of every size from 0 to 300 bytes, many times over: the bytes come back in order. */
static void test_many_appends(void **state)
{
	struct buf b;
	char chunk[300];
	size_t want = 0, grown = 0, cap = 0;

	buf_init(&b);
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)('a' + i % 26);
	for (size_t round = 0; round < 40; round++)
		for (size_t n = 0; n <= sizeof(chunk); n++) {
			assert_int_equal(buf_append(&b, chunk, n), 0);
			want += n;
			assert_int_equal(b.len, want);
			assert_true(b.cap > b.len);
			assert_int_equal(b.p[b.len], '\0');
			if (b.cap != cap) {
				/* doubling from 4 KiB */
				assert_true(is_power_of_two(b.cap / BUF_MIN_CAP));
				assert_int_equal(b.cap % BUF_MIN_CAP, 0);
				assert_true(cap == 0 || b.cap == 2 * cap);
				cap = b.cap;
				grown++;
			}
		}
	assert_true(want > 1700000);
	assert_true(grown >= 10);
	/* each append of n bytes was chunk[0..n) */
	for (size_t off = 0, n = 0; off < b.len; n = n == sizeof(chunk) ? 0 : n + 1) {
		assert_memory_equal(b.p + off, chunk, n);
		off += n;
	}
	buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
}

static void test_strings_and_grow(void **state)
{
	struct buf b = BUF_INIT;
	char *at;

	assert_int_equal(buf_append_str(&b, "hello"), 0);
	assert_int_equal(buf_grow(&b, 3, &at), 0);
	assert_ptr_equal(at, b.p + 5);
	memcpy(at, ", w", 3);
	assert_int_equal(buf_append_str(&b, "orld"), 0);
	assert_string_equal(b.p, "hello, world");
	assert_int_equal(b.len, 12);
	/* a reservation larger than doubling once gives at least what was asked */
	assert_int_equal(buf_reserve(&b, 3 * BUF_MIN_CAP), 0);
	assert_true(b.cap >= b.len + 3 * BUF_MIN_CAP + 1);
	assert_string_equal(b.p, "hello, world");
	buf_free(&b);
}

/* A size whose arithmetic would wrap is refused and changes nothing. */
static void test_overflow_refused(void **state)
{
	struct buf b = BUF_INIT;
	char *p, *at = NULL;
	size_t cap;

	assert_int_equal(buf_append_str(&b, "0123456789"), 0);
	p = b.p;
	cap = b.cap;
	assert_int_equal(buf_reserve(&b, SIZE_MAX), -EOVERFLOW);
	/* len + n + 1 is exactly SIZE_MAX + 1 */
	assert_int_equal(buf_reserve(&b, SIZE_MAX - 10), -EOVERFLOW);
	assert_int_equal(buf_grow(&b, SIZE_MAX - 10, &at), -EOVERFLOW);
	assert_null(at);
	/* data is not read: the size is refused first */
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), -EOVERFLOW);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX - b.len), -EOVERFLOW);
	assert_ptr_equal(b.p, p);
	assert_int_equal(b.cap, cap);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.p, "0123456789");
	/* and the buffer still works */
	assert_int_equal(buf_append_str(&b, "ab"), 0);
	assert_string_equal(b.p, "0123456789ab");
	buf_free(&b);
}

static void test_reset_keeps_capacity(void **state)
{
	struct buf b = BUF_INIT;
	char big[10000];
	char *p;
	size_t cap;

	memset(big, 'z', sizeof(big));
	assert_int_equal(buf_append(&b, big, sizeof(big)), 0);
	p = b.p;
	cap = b.cap;
	assert_true(cap > sizeof(big));
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.p, p);
	assert_int_equal(b.cap, cap);
	assert_string_equal(b.p, "");
	/* filling it again needs no new memory */
	assert_int_equal(buf_append(&b, big, sizeof(big)), 0);
	assert_ptr_equal(b.p, p);
	assert_int_equal(b.cap, cap);
	assert_memory_equal(b.p, big, sizeof(big));
	buf_free(&b);
	/* a reset of a buffer that never held anything */
	buf_reset(&b);
	assert_null(b.p);
}

static void test_consume(void **state)
{
	struct buf b = BUF_INIT;

	assert_int_equal(buf_append_str(&b, "3\nabc4\ndefg"), 0);
	buf_consume(&b, 0);
	assert_string_equal(b.p, "3\nabc4\ndefg");
	buf_consume(&b, 5);
	assert_int_equal(b.len, 6);
	assert_string_equal(b.p, "4\ndefg");
	buf_consume(&b, 100); /* more than it holds: all of it */
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	buf_free(&b);
	buf_consume(&b, 1); /* nothing ever held */
	assert_int_equal(b.len, 0);
}

static void test_steal(void **state)
{
	struct buf b = BUF_INIT;
	size_t len = 0;
	char *s;

	assert_int_equal(buf_append_str(&b, "taken"), 0);
	s = buf_steal(&b, &len);
	assert_string_equal(s, "taken");
	assert_int_equal(len, 5);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* b is usable again, independent of what was taken */
	assert_int_equal(buf_append_str(&b, "again"), 0);
	assert_string_equal(b.p, "again");
	assert_string_equal(s, "taken");
	free(s);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_many_appends),
		cmocka_unit_test(test_strings_and_grow),
		cmocka_unit_test(test_overflow_refused),
		cmocka_unit_test(test_reset_keeps_capacity),
		cmocka_unit_test(test_consume),
		cmocka_unit_test(test_steal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
