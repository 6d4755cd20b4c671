// SPDX-License-Identifier: Apache-2.0
/* alloc/sim: progressive filling reproduces DRF's published example; bad scenarios. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sim.h"

static json_t *run(const char *text, int want_rc, char *err, size_t errlen)
{
	json_t *sc = json_loads(text, 0, NULL), *out = NULL;

	assert_non_null(sc);
	assert_int_equal(alloc_sim_run(sc, &out, err, errlen), want_rc);
	json_decref(sc);
	return out;
}

static json_t *fw(json_t *out, size_t i)
{
	return json_array_get(json_object_get(out, "frameworks"), i);
}

/* Ghodsi et al., NSDI 2011, §4: <9 CPU, 18 GB>; A <1 CPU, 4 GB>, B <3 CPU, 1 GB>.
 * DRF gives A three tasks and B two: both end with a dominant share of 2/3. */
static void test_drf_paper_example(void **state)
{
	char err[256];
	json_t *out = run("{\"agents\":[{\"id\":\"m\",\"resources\":\"cpus:9;mem:18432\"}],"
			  "\"frameworks\":[{\"id\":\"A\",\"task\":\"cpus:1;mem:4096\",\"tasks\":100},"
			  "{\"id\":\"B\",\"task\":\"cpus:3;mem:1024\",\"tasks\":100}]}",
			  0, err, sizeof(err));

	assert_int_equal(json_integer_value(json_object_get(fw(out, 0), "tasks")), 3);
	assert_int_equal(json_integer_value(json_object_get(fw(out, 1), "tasks")), 2);
	assert_string_equal(json_string_value(json_object_get(fw(out, 0), "allocated")),
			    "cpus:3;mem:12288");
	assert_true(fabs(json_real_value(json_object_get(fw(out, 0), "share")) - 2.0 / 3) < 1e-9);
	assert_true(fabs(json_real_value(json_object_get(fw(out, 1), "share")) - 2.0 / 3) < 1e-9);
	json_decref(out);
}

/* Weights: role w (weight 2) ends with twice the share of role u. */
static void test_weighted_and_tiers(void **state)
{
	char err[256];
	json_t *out = run("{\"agents\":[{\"id\":\"n\",\"count\":30,\"resources\":\"cpus:1;mem:1024\"}],"
			  "\"roles\":[{\"name\":\"w\",\"weight\":2}],"
			  "\"frameworks\":[{\"id\":\"W\",\"role\":\"w\",\"task\":\"cpus:1;mem:1024\",\"tasks\":100},"
			  "{\"id\":\"U\",\"role\":\"u\",\"task\":\"cpus:1;mem:1024\",\"tasks\":100}]}",
			  0, err, sizeof(err));

	assert_int_equal(json_integer_value(json_object_get(fw(out, 0), "tasks")), 20);
	assert_int_equal(json_integer_value(json_object_get(fw(out, 1), "tasks")), 10);
	json_decref(out);

	out = run("{\"agents\":[{\"count\":10,\"resources\":\"cpus:1;mem:1024\"}],"
		  "\"frameworks\":[{\"id\":\"lo\",\"task\":\"cpus:1\",\"tasks\":100},"
		  "{\"id\":\"hi\",\"tier\":1,\"task\":\"cpus:1\",\"tasks\":7,\"tasks_per_offer\":3}]}",
		  0, err, sizeof(err));
	assert_int_equal(json_integer_value(json_object_get(fw(out, 1), "tasks")), 7);
	assert_int_equal(json_integer_value(json_object_get(fw(out, 0), "tasks")), 3);
	json_decref(out);
}

/*
 * A framework in two roles: the roles share the cluster by DRF (2 cpus each), and inside x
 * M and P share x's half by their shares in x (1 each): M ends with 3 tasks, P with 1.
 */
static void test_multi_role(void **state)
{
	char err[256];
	json_t *out = run("{\"agents\":[{\"id\":\"n\",\"count\":4,\"resources\":\"cpus:1;mem:1024\"}],"
			  "\"frameworks\":[{\"id\":\"M\",\"roles\":[\"x\",\"y\"],"
			  "\"task\":\"cpus:1;mem:256\",\"tasks\":100},"
			  "{\"id\":\"P\",\"role\":\"x\",\"task\":\"cpus:1;mem:256\",\"tasks\":100}]}",
			  0, err, sizeof(err));
	json_t *r, *rl;
	size_t i;

	assert_int_equal(json_integer_value(json_object_get(fw(out, 0), "tasks")), 3);
	assert_int_equal(json_integer_value(json_object_get(fw(out, 1), "tasks")), 1);
	rl = json_object_get(out, "roles");
	assert_int_equal(json_array_size(rl), 2);
	json_array_foreach(rl, i, r)
		assert_string_equal(json_string_value(json_object_get(r, "allocated")),
				    "cpus:2;mem:512");
	json_decref(out);
	run("{\"agents\":[{\"resources\":\"cpus:1\"}],"
	    "\"frameworks\":[{\"id\":\"A\",\"roles\":[\"x\",\"x\"],\"task\":\"cpus:1\",\"tasks\":1}]}",
	    -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "appears twice"));
	run("{\"agents\":[{\"resources\":\"cpus:1\"}],"
	    "\"frameworks\":[{\"id\":\"A\",\"role\":\"x\",\"roles\":[\"y\"],\"task\":\"cpus:1\",\"tasks\":1}]}",
	    -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "without 'role'"));
	run("{\"agents\":[{\"resources\":\"cpus:1\"}],"
	    "\"frameworks\":[{\"id\":\"A\",\"roles\":[\"x\",\"a//b\"],\"task\":\"cpus:1\",\"tasks\":1}]}",
	    -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "bad role"));
	(void)state;
}

static void test_bad_scenarios(void **state)
{
	char err[256];

	run("[]", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "object"));
	run("{\"agents\":[],\"frameworks\":[]}", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "agents"));
	run("{\"agents\":[{\"resources\":\"cpus:-1\"}],\"frameworks\":[]}", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "negative"));
	run("{\"agents\":[{\"resources\":\"cpus:1\"}],\"frameworks\":[{\"id\":\"A\",\"tasks\":1}]}",
	    -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "'task'"));
	run("{\"agents\":[{\"resources\":\"cpus:1\"}],\"roles\":[{\"name\":\"a//b\"}],"
	    "\"frameworks\":[{\"id\":\"A\",\"task\":\"cpus:1\",\"tasks\":1}]}",
	    -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "roles[0]"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drf_paper_example),
		cmocka_unit_test(test_weighted_and_tiers),
		cmocka_unit_test(test_bad_scenarios),
		cmocka_unit_test(test_multi_role),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
