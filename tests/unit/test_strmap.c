// SPDX-License-Identifier: Apache-2.0
/* lib/strmap: put, get, replace, delete, iteration, growth, tombstone reuse, clear. */
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

#include "strmap.h"

#define N 10000

static void *val(size_t i)
{
	return (void *)(uintptr_t)(i + 1); /* never NULL */
}

static void test_empty(void **state)
{
	struct strmap m;
	const char *k = "unset";
	void *v = val(7);
	size_t it = 0;

	strmap_init(&m);
	assert_int_equal(strmap_size(&m), 0);
	assert_null(strmap_get(&m, "a"));
	assert_null(strmap_get(&m, ""));
	assert_null(strmap_del(&m, "a"));
	assert_false(strmap_next(&m, &it, &k, &v));
	assert_string_equal(k, "unset"); /* outputs untouched at the end */
	assert_ptr_equal(v, val(7));
	strmap_clear(&m, free);
	assert_int_equal(strmap_size(&m), 0);
	strmap_clear(&m, NULL);
}

/* Keys are copied; a replace hands back the old value and keeps the size. */
static void test_put_get_replace(void **state)
{
	struct strmap m;
	char key[16] = "alpha";
	void *old = val(99);

	strmap_init(&m);
	assert_int_equal(strmap_put(&m, key, val(1), &old), 0);
	assert_null(old);
	strcpy(key, "beta");
	assert_ptr_equal(strmap_get(&m, "alpha"), val(1));
	assert_null(strmap_get(&m, "beta"));
	assert_int_equal(strmap_put(&m, "alpha", val(2), &old), 0);
	assert_ptr_equal(old, val(1));
	assert_ptr_equal(strmap_get(&m, "alpha"), val(2));
	assert_int_equal(strmap_size(&m), 1);
	assert_int_equal(strmap_put(&m, "alpha", val(3), NULL), 0);
	assert_ptr_equal(strmap_get(&m, "alpha"), val(3));
	/* the empty key is a key like any other; a key that is a prefix of another is another */
	assert_int_equal(strmap_put(&m, "", val(4), NULL), 0);
	assert_int_equal(strmap_put(&m, "alph", val(5), NULL), 0);
	assert_ptr_equal(strmap_get(&m, ""), val(4));
	assert_ptr_equal(strmap_get(&m, "alph"), val(5));
	assert_ptr_equal(strmap_get(&m, "alpha"), val(3));
	assert_int_equal(strmap_size(&m), 3);
	/* a NULL value is stored (and reads back as NULL) */
	assert_int_equal(strmap_put(&m, "nothing", NULL, NULL), 0);
	assert_int_equal(strmap_size(&m), 4);
	assert_null(strmap_del(&m, "nothing"));
	assert_int_equal(strmap_size(&m), 3);
	strmap_clear(&m, NULL);
}

/* Many keys: each found with its value through the growths, iteration sees each once. */
static void test_many_keys_and_iteration(void **state)
{
	struct strmap m;
	static bool seen[N];
	const char *k;
	char key[32];
	size_t it = 0, visits = 0;
	void *v;

	strmap_init(&m);
	for (size_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "task-%zu", i);
		assert_int_equal(strmap_put(&m, key, val(i), NULL), 0);
		assert_int_equal(strmap_size(&m), i + 1);
		/* a quarter of the slots stay empty (probes always end) */
		assert_true(m.used * 4 < m.cap * 3);
	}
	for (size_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "task-%zu", i);
		assert_ptr_equal(strmap_get(&m, key), val(i));
	}
	assert_null(strmap_get(&m, "task-10000"));
	memset(seen, 0, sizeof(seen));
	while (strmap_next(&m, &it, &k, &v)) {
		size_t i = (size_t)(uintptr_t)v - 1;

		assert_true(i < N);
		assert_false(seen[i]);
		seen[i] = true;
		snprintf(key, sizeof(key), "task-%zu", i);
		assert_string_equal(k, key);
		visits++;
	}
	assert_int_equal(visits, N);
	strmap_clear(&m, NULL);
}

/* Deleting half: the rest stay reachable past the tombstones, and deleted keys are gone. */
static void test_delete(void **state)
{
	struct strmap m;
	char key[32];
	size_t it = 0, visits = 0;

	strmap_init(&m);
	for (size_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		assert_int_equal(strmap_put(&m, key, val(i), NULL), 0);
	}
	for (size_t i = 0; i < N; i += 2) {
		snprintf(key, sizeof(key), "k%zu", i);
		assert_ptr_equal(strmap_del(&m, key), val(i));
		assert_null(strmap_del(&m, key));
	}
	assert_int_equal(strmap_size(&m), N / 2);
	for (size_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		if (i % 2)
			assert_ptr_equal(strmap_get(&m, key), val(i));
		else
			assert_null(strmap_get(&m, key));
	}
	while (strmap_next(&m, &it, NULL, NULL))
		visits++;
	assert_int_equal(visits, N / 2);
	/* a deleted key put again is found once, with its new value */
	assert_int_equal(strmap_put(&m, "k0", val(42), NULL), 0);
	assert_ptr_equal(strmap_get(&m, "k0"), val(42));
	assert_int_equal(strmap_size(&m), N / 2 + 1);
	strmap_clear(&m, NULL);
}

/*
 * Churn, as the master's maps see it (tasks come and go): a few live keys, a million puts
 * and deletes of new keys. Tombstones are reclaimed, so the table stays small.
 */
static void test_churn_stays_small(void **state)
{
	struct strmap m;
	char key[32];

	strmap_init(&m);
	for (size_t i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "live-%zu", i);
		assert_int_equal(strmap_put(&m, key, val(i), NULL), 0);
	}
	for (size_t i = 0; i < 1000000; i++) {
		snprintf(key, sizeof(key), "gone-%zu", i);
		assert_int_equal(strmap_put(&m, key, val(i), NULL), 0);
		assert_ptr_equal(strmap_del(&m, key), val(i));
	}
	assert_int_equal(strmap_size(&m), 8);
	assert_true(m.cap <= 64);
	for (size_t i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "live-%zu", i);
		assert_ptr_equal(strmap_get(&m, key), val(i));
	}
	strmap_clear(&m, NULL);
}

static int freed;

static void count_free(void *p)
{
	freed++;
	free(p);
}

/* clear frees every key and hands every non-NULL value to free_value, once. */
static void test_clear_frees_values(void **state)
{
	struct strmap m;
	char key[32];

	strmap_init(&m);
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "v%d", i);
		assert_int_equal(strmap_put(&m, key, i % 10 ? strdup(key) : NULL, NULL), 0);
	}
	free(strmap_del(&m, "v1")); /* deleted: not the map's any more */
	freed = 0;
	strmap_clear(&m, count_free);
	assert_int_equal(freed, 89);
	assert_int_equal(strmap_size(&m), 0);
	assert_null(strmap_get(&m, "v2"));
	/* the map is usable again after a clear */
	assert_int_equal(strmap_put(&m, "again", val(1), NULL), 0);
	assert_ptr_equal(strmap_get(&m, "again"), val(1));
	strmap_clear(&m, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_put_get_replace),
		cmocka_unit_test(test_many_keys_and_iteration),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_churn_stays_small),
		cmocka_unit_test(test_clear_frees_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
