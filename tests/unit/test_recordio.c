// SPDX-License-Identifier: Apache-2.0
/* lib/recordio: records out of bytes fed in any split, the errors, the encoder. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "recordio.h"

/* Three records, one of them empty and one longer than the decoder's first 4 KiB. */
static char *stream_text(size_t *ret_len, char **ret_big)
{
	size_t big_len = 10000, len;
	char *big = malloc(big_len + 1), *s;
	int n;

	assert_non_null(big);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)('A' + i % 23);
	big[big_len] = '\0';
	s = malloc(big_len + 64);
	assert_non_null(s);
	n = snprintf(s, big_len + 64, "5\nhello0\n%zu\n%s", big_len, big);
	assert_true(n > 0);
	len = (size_t)n;
	*ret_len = len;
	*ret_big = big;
	return s;
}

static void expect_records(struct recordio_decoder *d, const char *big)
{
	const char *r;
	size_t n;

	assert_int_equal(recordio_next(d, &r, &n), 1);
	assert_int_equal(n, 5);
	assert_string_equal(r, "hello");
	assert_int_equal(recordio_next(d, &r, &n), 1);
	assert_int_equal(n, 0);
	assert_string_equal(r, "");
	assert_int_equal(recordio_next(d, &r, &n), 1);
	assert_int_equal(n, strlen(big));
	assert_string_equal(r, big);
	assert_int_equal(recordio_next(d, &r, &n), 0);
}

/* Every split of the stream into a head and a tail, and byte by byte. */
static void test_splits(void **state)
{
	size_t len;
	char *big, *s = stream_text(&len, &big);
	struct recordio_decoder d;
	const char *r;
	size_t n;

	for (size_t cut = 0; cut <= len; cut += cut < 32 ? 1 : 997) {
		size_t got = 0, want_len[] = {5, 0, strlen(big)};
		const char *want[] = {"hello", "", big};
		int k;

		recordio_decoder_init(&d, 1 << 20);
		assert_int_equal(recordio_feed(&d, s, cut), 0);
		for (int half = 0; half < 2; half++) {
			while ((k = recordio_next(&d, &r, &n)) > 0) {
				assert_true(got < 3);
				assert_int_equal(n, want_len[got]);
				assert_memory_equal(r, want[got], n);
				got++;
			}
			assert_int_equal(k, 0);
			if (!half)
				assert_int_equal(recordio_feed(&d, s + cut, len - cut), 0);
		}
		assert_int_equal(got, 3);
		recordio_decoder_free(&d);
	}
	recordio_decoder_init(&d, 1 << 20);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(recordio_feed(&d, s + i, 1), 0);
	expect_records(&d, big);
	recordio_decoder_free(&d);

	/* all at once */
	recordio_decoder_init(&d, 1 << 20);
	assert_int_equal(recordio_feed(&d, s, len), 0);
	assert_int_equal(recordio_feed(&d, s, 0), 0);
	expect_records(&d, big);
	recordio_decoder_free(&d);
	free(s);
	free(big);
}

static void test_incomplete(void **state)
{
	struct recordio_decoder d;
	const char *r;
	size_t n;

	recordio_decoder_init(&d, 100);
	assert_int_equal(recordio_next(&d, &r, &n), 0);
	assert_int_equal(recordio_feed(&d, "12", 2), 0);
	assert_int_equal(recordio_next(&d, &r, &n), 0);
	assert_int_equal(recordio_feed(&d, "\nhello", 6), 0);
	assert_int_equal(recordio_next(&d, &r, &n), 0);
	assert_int_equal(recordio_feed(&d, " world!3\nabc", 12), 0);
	assert_int_equal(recordio_next(&d, &r, &n), 1);
	assert_string_equal(r, "hello world!");
	assert_int_equal(recordio_next(&d, &r, &n), 1);
	assert_string_equal(r, "abc");
	assert_int_equal(recordio_next(&d, &r, &n), 0);
	recordio_decoder_free(&d);
}

static void expect_error(const char *text, size_t max, int want)
{
	struct recordio_decoder d;
	const char *r;
	size_t n;

	recordio_decoder_init(&d, max);
	assert_int_equal(recordio_feed(&d, text, strlen(text)), 0);
	assert_int_equal(recordio_next(&d, &r, &n), want);
	/* sticky */
	assert_int_equal(recordio_feed(&d, "1\nx", 3), 0);
	assert_int_equal(recordio_next(&d, &r, &n), want);
	recordio_decoder_free(&d);
}

static void test_errors(void **state)
{
	expect_error("\nabc", 100, -EBADMSG);
	expect_error("1x\nabc", 100, -EBADMSG);
	expect_error("-1\nabc", 100, -EBADMSG);
	expect_error("101\n", 100, -EMSGSIZE);
	expect_error("99999999999999999999\n", SIZE_MAX, -EMSGSIZE);
	expect_error("123456789012345678901\n", SIZE_MAX, -EBADMSG); /* 21 digits */
	/* the limit itself is allowed */
	{
		struct recordio_decoder d;
		const char *r;
		size_t n;

		recordio_decoder_init(&d, 3);
		assert_int_equal(recordio_feed(&d, "3\nabc4\nabcd", 11), 0);
		assert_int_equal(recordio_next(&d, &r, &n), 1);
		assert_string_equal(r, "abc");
		assert_int_equal(recordio_next(&d, &r, &n), -EMSGSIZE);
		recordio_decoder_free(&d);
	}
}

static void test_encode(void **state)
{
	struct recordio_decoder d;
	const char *r;
	char *out;
	size_t n;
	long len = recordio_encode("{\"type\":\"HEARTBEAT\"}", 20, &out);

	assert_int_equal(len, 23);
	assert_string_equal(out, "20\n{\"type\":\"HEARTBEAT\"}");
	recordio_decoder_init(&d, 100);
	assert_int_equal(recordio_feed(&d, out, (size_t)len), 0);
	assert_int_equal(recordio_next(&d, &r, &n), 1);
	assert_int_equal(n, 20);
	assert_string_equal(r, "{\"type\":\"HEARTBEAT\"}");
	recordio_decoder_free(&d);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splits),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
