// SPDX-License-Identifier: Apache-2.0
/* alloc: DRF, weights, nested roles, tiers, quota, filters, suppress/revive, policies. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alloc.h"
#include "util.h"

struct offer {
	char fw[32], role[32], agent[32], res[160];
};

struct offers {
	size_t n;
	struct offer o[64];
};

static void collect(void *opaque, const char *fw, const char *role, const char *agent,
		    const struct alloc_res *res)
{
	struct offers *os = opaque;
	struct offer *o;

	assert_true(os->n < 64);
	o = &os->o[os->n++];
	snprintf(o->fw, sizeof(o->fw), "%s", fw);
	snprintf(o->role, sizeof(o->role), "%s", role);
	snprintf(o->agent, sizeof(o->agent), "%s", agent);
	alloc_res_format(res, o->res, sizeof(o->res));
}

static struct alloc_res R(const char *s)
{
	struct alloc_res r = ALLOC_RES_INIT;
	char err[200];

	if (alloc_res_parse(s, &r, err, sizeof(err)) < 0)
		fail_msg("'%s': %s", s, err);
	return r;
}

static struct alloc *mk(void)
{
	struct alloc *a = NULL;

	assert_int_equal(alloc_new(NULL, &a, NULL, 0), 0);
	return a;
}

static void agent(struct alloc *a, const char *id, const char *res)
{
	struct alloc_res r = R(res);

	assert_int_equal(alloc_agent_add(a, id, id, &r), 0);
	alloc_res_clear(&r);
}

static void held(struct alloc *a, const char *fw, const char *ag, const char *res)
{
	struct alloc_res r = R(res);

	assert_int_equal(alloc_allocation_add(a, fw, NULL, ag, &r), 0);
	alloc_res_clear(&r);
}

static void decline(struct alloc *a, const struct offer *o, double refuse, double now)
{
	struct alloc_res r = R(o->res);

	assert_int_equal(alloc_decline(a, o->fw, o->role, o->agent, &r, refuse, now), 0);
	alloc_res_clear(&r);
}

static struct offers cycle(struct alloc *a, double now)
{
	struct offers os = {0};
	int n = alloc_cycle(a, now, collect, &os);

	if (getenv("TEST_VERBOSE"))
		for (size_t i = 0; i < os.n; i++)
			fprintf(stderr, "  t=%g offer %s %s %s\n", now, os.o[i].fw, os.o[i].agent, os.o[i].res);

	assert_int_equal(n, (int)os.n);
	return os;
}

/* DRF picks by dominant share; a cpus-only fair share would pick the other one. */
static void test_drf_vs_naive(void **state)
{
	struct alloc *a = mk();
	struct offers os;

	agent(a, "a1", "cpus:10;mem:10");
	agent(a, "a2", "cpus:10;mem:10");
	assert_int_equal(alloc_framework_add(a, "A", "r", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "B", "r", 0, true), 0);
	held(a, "A", "a1", "cpus:1;mem:8");  /* cpu 5%, mem 40%: dominant 0.4 */
	held(a, "B", "a1", "cpus:3;mem:1");  /* cpu 15%, mem 5%: dominant 0.15 */
	os = cycle(a, 0);
	/* a1 leftover (cpus:6;mem:1) and a2 both go to B first: B stays below A after a1 */
	assert_int_equal(os.n, 2);
	assert_string_equal(os.o[0].fw, "B");
	assert_string_equal(os.o[0].agent, "a1");
	assert_string_equal(os.o[0].res, "cpus:6;mem:1");
	/* B now has cpus 9/20 = 0.45 > A's 0.4: A gets a2 */
	assert_string_equal(os.o[1].fw, "A");
	assert_string_equal(os.o[1].agent, "a2");
	assert_string_equal(os.o[1].res, "cpus:10;mem:10");
	alloc_free(a);
}

static void test_fairness_exclude_gpus(void **state)
{
	struct alloc *a = mk();
	struct alloc_framework_info fi;
	struct offers os;

	agent(a, "a1", "cpus:10;mem:100;gpus:4");
	agent(a, "a2", "cpus:10;mem:100");
	assert_int_equal(alloc_framework_add(a, "G", "r", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "H", "r", 0, true), 0);
	held(a, "G", "a1", "gpus:4;cpus:1");
	held(a, "H", "a1", "cpus:2");
	assert_int_equal(alloc_framework_get(a, "G", NULL, &fi), 0);
	assert_true(fabs(fi.share - 0.05) < 1e-9); /* gpus ignored */
	os = cycle(a, 0);
	assert_string_equal(os.o[0].fw, "G");
	alloc_free(a);
}

static void test_weights(void **state)
{
	struct alloc *a = mk();
	struct alloc_role_info ri;
	struct offers os;

	agent(a, "a1", "cpus:10;mem:10");
	agent(a, "a2", "cpus:1;mem:1");
	assert_int_equal(alloc_framework_add(a, "X", "heavy", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "Y", "light", 0, true), 0);
	held(a, "X", "a1", "cpus:4"); /* share 0.36, weighted 0.18 with weight 2 */
	held(a, "Y", "a1", "cpus:3"); /* 0.27 */
	os = cycle(a, 0);
	assert_string_equal(os.o[0].fw, "Y"); /* without weights Y is lower */
	alloc_free(a);

	a = mk();
	agent(a, "a1", "cpus:10;mem:10");
	agent(a, "a2", "cpus:1;mem:1");
	assert_int_equal(alloc_framework_add(a, "X", "heavy", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "Y", "light", 0, true), 0);
	assert_int_equal(alloc_role_set_weight(a, "heavy", 2.0), 0);
	assert_int_equal(alloc_role_set_weight(a, "heavy", -1), -EINVAL);
	assert_int_equal(alloc_role_set_weight(a, "heavy", NAN), -EINVAL);
	held(a, "X", "a1", "cpus:4");
	held(a, "Y", "a1", "cpus:3");
	assert_int_equal(alloc_role_get(a, "heavy", &ri), 0);
	assert_true(fabs(ri.weighted_share - ri.share / 2) < 1e-12);
	os = cycle(a, 0);
	assert_string_equal(os.o[0].fw, "X");
	alloc_free(a);
}

/* eng (eng/ml + eng/web) against ops: the subtree's total decides at the top level. */
static void test_nested_roles(void **state)
{
	struct alloc *a = mk();
	struct alloc_role_info ri;
	struct offers os;

	agent(a, "a1", "cpus:100;mem:100");
	agent(a, "a2", "cpus:1;mem:1");
	assert_int_equal(alloc_framework_add(a, "ml", "eng/ml", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "web", "eng/web", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "ops", "ops", 0, true), 0);
	held(a, "ml", "a1", "cpus:20");
	held(a, "web", "a1", "cpus:20");
	held(a, "ops", "a1", "cpus:30");
	/* flat: ml (0.2) would win; hierarchical: eng holds 0.4 > ops 0.3 */
	assert_int_equal(alloc_role_get(a, "eng", &ri), 0);
	assert_int_equal(alloc_res_scalar(ri.allocated, "cpus"), 40000);
	os = cycle(a, 0);
	assert_string_equal(os.o[0].fw, "ops");
	assert_int_equal(alloc_role_get(a, "nope", &ri), -ENOENT);
	assert_int_equal(alloc_framework_add(a, "bad", "eng//x", 0, true), -EINVAL);
	assert_int_equal(alloc_framework_add(a, "bad", "eng/..", 0, true), -EINVAL);
	assert_int_equal(alloc_framework_add(a, "bad", "", 0, true), -EINVAL);
	alloc_free(a);

	/* with eng weighted 2 it is eng's turn; inside eng, the lower of ml and web */
	a = mk();
	agent(a, "a1", "cpus:100;mem:100");
	agent(a, "a2", "cpus:1;mem:1");
	assert_int_equal(alloc_framework_add(a, "ml", "eng/ml", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "web", "eng/web", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "ops", "ops", 0, true), 0);
	assert_int_equal(alloc_role_set_weight(a, "eng", 2), 0);
	held(a, "ml", "a1", "cpus:25");
	held(a, "web", "a1", "cpus:15");
	held(a, "ops", "a1", "cpus:30");
	os = cycle(a, 0);
	assert_string_equal(os.o[0].fw, "web");
	alloc_free(a);
}

static void test_tiers(void **state)
{
	struct alloc *a = mk();
	struct offers os;

	agent(a, "a1", "cpus:10;mem:10");
	agent(a, "a2", "cpus:10;mem:10");
	assert_int_equal(alloc_framework_add(a, "low", "r", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "high", "r", 5, true), 0);
	held(a, "high", "a1", "cpus:9");
	os = cycle(a, 0);
	/* high holds far more, yet its tier is offered first, for every agent */
	assert_int_equal(os.n, 2);
	assert_string_equal(os.o[0].fw, "high");
	assert_string_equal(os.o[1].fw, "high");
	/* once high is suppressed, low gets what is left */
	assert_int_equal(alloc_framework_suppress(a, "high", NULL), 0);
	decline(a, &os.o[1], 0, 0);
	os = cycle(a, 1);
	assert_int_equal(os.n, 1);
	assert_string_equal(os.o[0].fw, "low");
	alloc_free(a);
}

static void test_quota_limit(void **state)
{
	struct alloc *a = mk();
	struct alloc_res lim = R("cpus:3"), g = R("cpus:5");
	struct offers os;

	agent(a, "a0", "cpus:2;mem:100");
	agent(a, "a1", "cpus:2;mem:100");
	agent(a, "a2", "cpus:2;mem:100");
	agent(a, "a3", "cpus:2;mem:100");
	assert_int_equal(alloc_framework_add(a, "L", "capped", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "O", "other", 0, true), 0);
	held(a, "O", "a0", "cpus:2;mem:100"); /* O: 0.25; L (weight 100) stays below */
	assert_int_equal(alloc_role_set_quota(a, "capped", &g, &lim), -EINVAL); /* g > limit */
	assert_int_equal(alloc_role_set_quota(a, "capped", NULL, &lim), 0);
	assert_int_equal(alloc_role_set_weight(a, "capped", 100), 0);
	os = cycle(a, 0);
	assert_int_equal(os.n, 5);
	assert_string_equal(os.o[0].fw, "L");
	assert_string_equal(os.o[0].res, "cpus:2;mem:100");
	/* the second agent: L may take only 1 more cpu; the rest goes to O */
	assert_string_equal(os.o[1].fw, "L");
	assert_string_equal(os.o[1].res, "cpus:1;mem:100");
	assert_string_equal(os.o[2].fw, "O");
	assert_string_equal(os.o[2].agent, "a2");
	assert_string_equal(os.o[2].res, "cpus:1");
	/* third agent: L is at its limit, but mem-only is still allocatable (mem:32) */
	assert_string_equal(os.o[3].fw, "L");
	assert_string_equal(os.o[3].res, "mem:100");
	assert_string_equal(os.o[4].fw, "O");
	assert_string_equal(os.o[4].res, "cpus:2");
	alloc_res_clear(&lim);
	alloc_res_clear(&g);
	alloc_free(a);
}

static void test_quota_guarantee(void **state)
{
	struct alloc *a = mk();
	struct alloc_res g = R("cpus:4");
	struct offers os;

	agent(a, "a1", "cpus:4;mem:100");
	agent(a, "a2", "cpus:4;mem:100");
	agent(a, "a3", "cpus:4;mem:100");
	assert_int_equal(alloc_framework_add(a, "Q", "q", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "N", "n", 0, true), 0);
	assert_int_equal(alloc_role_set_quota(a, "q", &g, NULL), 0);
	held(a, "Q", "a3", "cpus:1"); /* Q has a higher share than N */
	os = cycle(a, 0);
	/* stage 1: Q's missing 3 cpus come first, from a1 (plus that agent's mem) */
	assert_string_equal(os.o[0].fw, "Q");
	assert_string_equal(os.o[0].agent, "a1");
	/* a1's leftover cpu, then a2 and a3, follow DRF in stage 2 */
	assert_string_equal(os.o[1].fw, "N");
	assert_string_equal(os.o[1].agent, "a1");
	alloc_free(a);

	/* headroom: Q declines for a while; N may not eat into Q's unmet guarantee */
	a = mk();
	agent(a, "a1", "cpus:4;mem:100");
	agent(a, "a2", "cpus:4;mem:100");
	assert_int_equal(alloc_framework_add(a, "Q", "q", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "N", "n", 0, true), 0);
	assert_int_equal(alloc_role_set_quota(a, "q", &g, NULL), 0);
	assert_int_equal(alloc_framework_suppress(a, "Q", NULL), 0);
	os = cycle(a, 0);
	/* 8 cpus unallocated, 4 guaranteed to q: N gets at most 4 */
	{
		int64_t cpus = 0;

		for (size_t i = 0; i < os.n; i++) {
			struct alloc_res r = R(os.o[i].res);

			assert_string_equal(os.o[i].fw, "N");
			cpus += alloc_res_scalar(&r, "cpus");
			alloc_res_clear(&r);
		}
		assert_int_equal(cpus, 4000);
	}
	alloc_res_clear(&g);
	alloc_free(a);
}

static void test_filters(void **state)
{
	struct alloc_config c;
	struct alloc *a;
	struct offers os;

	alloc_config_defaults(&c);
	c.allocation_interval = 2;
	assert_int_equal(alloc_new(&c, &a, NULL, 0), 0);
	agent(a, "a1", "cpus:4;mem:100");
	assert_int_equal(alloc_framework_add(a, "F", "r", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "G", "r", 0, true), 0);
	os = cycle(a, 0);
	assert_string_equal(os.o[0].fw, "F");
	decline(a, &os.o[0], 10, 0);
	assert_int_equal(alloc_filter_count(a), 1);
	os = cycle(a, 1);
	assert_string_equal(os.o[0].fw, "G"); /* F filtered */
	decline(a, &os.o[0], 0.5, 1);        /* below the interval: 2 s */
	os = cycle(a, 2.9);
	assert_int_equal(os.n, 0);
	os = cycle(a, 3.0); /* G's filter (1 + 2) expired, F's (10) not */
	assert_int_equal(os.n, 1);
	assert_string_equal(os.o[0].fw, "G");
	decline(a, &os.o[0], 0, 3); /* 0: no filter */
	assert_int_equal(alloc_filter_count(a), 1);
	os = cycle(a, 3.1);
	assert_string_equal(os.o[0].fw, "G");
	decline(a, &os.o[0], -1, 3.1); /* default 5 s */
	os = cycle(a, 8.0);
	assert_int_equal(os.n, 0);
	os = cycle(a, 10.0); /* F's expired at 10; G's at 8.1 */
	assert_int_equal(os.n, 1);
	assert_string_equal(os.o[0].fw, "F");
	/* a filter only covers what was declined: more resources break through it */
	decline(a, &os.o[0], 1e12, 10); /* capped at one year */
	{
		struct alloc_res part = R("cpus:1");

		os = cycle(a, 11);
		assert_string_equal(os.o[0].fw, "G");
		/* G gives it all back in two parts */
		assert_int_equal(alloc_recover(a, "G", NULL, "a1", &part) , 0);
		alloc_res_clear(&part);
		part = R("cpus:3;mem:100");
		assert_int_equal(alloc_recover(a, "G", NULL, "a1", &part), 0);
		alloc_res_clear(&part);
	}
	os = cycle(a, 12);
	assert_string_equal(os.o[0].fw, "G"); /* cpus:4 again after G gave it all back */
	decline(a, &os.o[0], 1e12, 12);
	os = cycle(a, 365.0 * 86400 + 9);
	assert_int_equal(os.n, 0);
	os = cycle(a, 365.0 * 86400 + 10);
	assert_int_equal(os.n, 1);
	alloc_free(a);
}

static void test_filter_partial_cover(void **state)
{
	struct alloc *a = mk();
	struct alloc_res small = R("cpus:1;mem:50");
	struct offers os;

	agent(a, "a1", "cpus:4;mem:100");
	assert_int_equal(alloc_framework_add(a, "F", "r", 0, true), 0);
	os = cycle(a, 0);
	/* F keeps cpus:1;mem:50 and declines the rest for an hour */
	{
		struct alloc_res rest = R("cpus:3;mem:50");

		assert_int_equal(alloc_decline(a, "F", NULL, "a1", &rest, 3600, 0), 0);
		alloc_res_clear(&rest);
	}
	os = cycle(a, 1);
	assert_int_equal(os.n, 0);
	/* its task ends: available grows beyond the filter, F is offered again */
	assert_int_equal(alloc_recover(a, "F", NULL, "a1", &small), 0);
	os = cycle(a, 2);
	assert_int_equal(os.n, 1);
	assert_string_equal(os.o[0].res, "cpus:4;mem:100");
	alloc_res_clear(&small);
	alloc_free(a);
}

/* Ranges and sets travel with offers, allocations, recoveries and the queries. */
static void test_ranges_and_sets(void **state)
{
	struct alloc *a = mk();
	const struct alloc_res *avail;
	struct alloc_framework_info fi;
	struct alloc_role_info ri;
	struct alloc_res part = R("cpus:1;ports:[31000-31009]");
	char buf[160];
	struct offers os;

	agent(a, "a1", "cpus:4;mem:100;ports:[31000-32000];zones:{a,b}");
	agent(a, "a2", "cpus:4;mem:100;ports:[40000-40009]");
	assert_int_equal(alloc_framework_add(a, "F", "eng/ml", 0, true), 0);
	os = cycle(a, 0);
	assert_int_equal(os.n, 2);
	assert_string_equal(os.o[0].res, "cpus:4;mem:100;ports:[31000-32000];zones:{a,b}");
	assert_string_equal(os.o[1].res, "cpus:4;mem:100;ports:[40000-40009]");
	assert_int_equal(alloc_framework_get(a, "F", NULL, &fi), 0);
	alloc_res_format(fi.allocated, buf, sizeof(buf));
	assert_string_equal(buf, "cpus:8;mem:200;ports:[31000-32000,40000-40009];zones:{a,b}");
	assert_int_equal(alloc_role_get(a, "eng", &ri), 0);
	alloc_res_format(ri.allocated, buf, sizeof(buf));
	assert_string_equal(buf, "cpus:8;mem:200;ports:[31000-32000,40000-40009];zones:{a,b}");
	assert_int_equal(alloc_agent_get(a, "a1", NULL, &avail), 0);
	assert_true(alloc_res_is_empty(avail));
	/* a piece comes back: it is available again, and offered again */
	assert_int_equal(alloc_recover(a, "F", NULL, "a1", &part), 0);
	assert_int_equal(alloc_agent_get(a, "a1", NULL, &avail), 0);
	alloc_res_format(avail, buf, sizeof(buf));
	assert_string_equal(buf, "cpus:1;ports:[31000-31009]");
	os = cycle(a, 1);
	assert_int_equal(os.n, 1);
	assert_string_equal(os.o[0].res, "cpus:1;ports:[31000-31009]");
	/* the new offer merges into F's allocation on a1 */
	assert_int_equal(alloc_framework_get(a, "F", NULL, &fi), 0);
	alloc_res_format(fi.allocated, buf, sizeof(buf));
	assert_string_equal(buf, "cpus:8;mem:200;ports:[31000-32000,40000-40009];zones:{a,b}");
	decline(a, &os.o[0], 0, 1);
	alloc_res_clear(&part);
	part = R("mem:40");
	assert_int_equal(alloc_recover(a, "F", NULL, "a1", &part), 0);
	os = cycle(a, 2);
	assert_int_equal(os.n, 1);
	assert_string_equal(os.o[0].res, "cpus:1;mem:40;ports:[31000-31009]");
	/* declined with a filter: not offered again, until the agent has more */
	decline(a, &os.o[0], 100, 2);
	os = cycle(a, 3);
	assert_int_equal(os.n, 0);
	alloc_res_clear(&part);
	part = R("zones:{b}");
	assert_int_equal(alloc_recover(a, "F", NULL, "a1", &part), 0);
	os = cycle(a, 4);
	assert_int_equal(os.n, 1);
	assert_string_equal(os.o[0].res, "cpus:1;mem:40;ports:[31000-31009];zones:{b}");
	alloc_res_clear(&part);
	/* all back, offered and declined a few times: records are recycled (LSan watches) */
	part = R("cpus:4;mem:100;ports:[31000-32000,40000-40009];zones:{a,b}");
	assert_int_equal(alloc_recover(a, "F", NULL, "a1", &part), 0);
	assert_int_equal(alloc_recover(a, "F", NULL, "a2", &part), 0);
	for (int i = 0; i < 3; i++) {
		os = cycle(a, 5 + i);
		assert_int_equal(os.n, 2);
		assert_string_equal(os.o[0].res, "cpus:4;mem:100;ports:[31000-32000];zones:{a,b}");
		decline(a, &os.o[0], 0, 5 + i);
		decline(a, &os.o[1], 0, 5 + i);
	}
	alloc_res_clear(&part);
	alloc_free(a);
}

/* Many agents declined alike form one group: a list first, then a bitmap. */
static void test_filter_groups(void **state)
{
	struct alloc_res res = R("cpus:4;mem:100");
	struct alloc_config c;
	struct alloc *a;
	struct offers os;
	char id[16];

	alloc_config_defaults(&c);
	c.filter_dense_min = 3;
	assert_int_equal(alloc_new(&c, &a, NULL, 0), 0);
	for (int i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "a%d", i);
		agent(a, id, "cpus:4;mem:100");
	}
	assert_int_equal(alloc_framework_add(a, "F", "r", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "G", "r", 0, true), 0);
	for (int i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "a%d", i);
		assert_int_equal(alloc_decline(a, "F", NULL, id, &res, 100, 0), 0);
		assert_int_equal(alloc_filter_count(a), (size_t)i + 1);
	}
	/* a later decline on a pair replaces its filter (here: shorter, a group of its own) */
	assert_int_equal(alloc_decline(a, "F", NULL, "a2", &res, 10, 0), 0);
	assert_int_equal(alloc_filter_count(a), 6);
	os = cycle(a, 1);
	assert_int_equal(os.n, 6);
	for (size_t i = 0; i < os.n; i++) {
		assert_string_equal(os.o[i].fw, "G");
		decline(a, &os.o[i], 0, 1);
	}
	os = cycle(a, 10); /* a2's filter expired */
	assert_int_equal(os.n, 6);
	assert_string_equal(os.o[2].fw, "F");
	assert_string_equal(os.o[2].agent, "a2");
	for (size_t i = 0; i < os.n; i++)
		decline(a, &os.o[i], 0, 10);
	/* an agent leaves: its filter goes from the bitmap group, the others stay */
	assert_int_equal(alloc_agent_remove(a, "a4"), 0);
	assert_int_equal(alloc_filter_count(a), 4);
	agent(a, "a6", "cpus:4;mem:100"); /* reuses a4's slot: no filter on it */
	os = cycle(a, 11);
	assert_int_equal(os.n, 6);
	for (size_t i = 0; i < os.n; i++) {
		/* a2's filter expired; F, behind on shares, gets it and then a6 */
		assert_string_equal(os.o[i].fw,
				    streq(os.o[i].agent, "a6") || streq(os.o[i].agent, "a2") ? "F" : "G");
		decline(a, &os.o[i], 0, 11);
	}
	/* the group's resources no longer cover a grown agent */
	{
		struct alloc_res big = R("cpus:8;mem:100");

		assert_int_equal(alloc_agent_update_total(a, "a0", &big), 0);
		alloc_res_clear(&big);
	}
	os = cycle(a, 12);
	assert_string_equal(os.o[0].agent, "a0");
	assert_string_equal(os.o[0].fw, "F");
	for (size_t i = 0; i < os.n; i++)
		decline(a, &os.o[i], 0, 12);
	assert_int_equal(alloc_framework_revive(a, "F", NULL), 0);
	assert_int_equal(alloc_filter_count(a), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "a%d", i);
		assert_int_equal(alloc_decline(a, "F", NULL, id, &res, 100, 12), 0);
	}
	assert_int_equal(alloc_framework_remove(a, "F"), 0);
	assert_int_equal(alloc_filter_count(a), 0);
	alloc_res_clear(&res);
	alloc_free(a);
}

static void test_suppress_revive(void **state)
{
	struct alloc *a = mk();
	struct offers os;

	agent(a, "a1", "cpus:4;mem:100");
	assert_int_equal(alloc_framework_add(a, "F", "r", 0, true), 0);
	os = cycle(a, 0);
	decline(a, &os.o[0], 100, 0);
	assert_int_equal(alloc_framework_suppress(a, "F", NULL), 0);
	os = cycle(a, 200);
	assert_int_equal(os.n, 0); /* filter gone, but suppressed */
	assert_int_equal(alloc_framework_revive(a, "F", NULL), 0);
	os = cycle(a, 201);
	assert_int_equal(os.n, 1);
	decline(a, &os.o[0], 100, 201);
	assert_int_equal(alloc_framework_revive(a, "F", NULL), 0); /* clears the filter */
	assert_int_equal(alloc_filter_count(a), 0);
	os = cycle(a, 202);
	assert_int_equal(os.n, 1);
	decline(a, &os.o[0], 0, 202);
	assert_int_equal(alloc_framework_set_active(a, "F", false), 0);
	os = cycle(a, 203);
	assert_int_equal(os.n, 0);
	assert_int_equal(alloc_framework_suppress(a, "nope", NULL), -ENOENT);
	alloc_free(a);
}

static void held_in(struct alloc *a, const char *fw, const char *role, const char *ag,
		    const char *res)
{
	struct alloc_res r = R(res);

	assert_int_equal(alloc_allocation_add(a, fw, role, ag, &r), 0);
	alloc_res_clear(&r);
}

static void assert_allocated(const struct alloc_res *got, const char *want)
{
	char buf[160];

	alloc_res_format(got, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/*
 * A framework in two roles is a client of each role's sorter with its share in that role:
 * M holds 0.3 in y and nothing in x, so inside x it comes before P (0.2). Counted as one
 * framework (0.3 in all) it would come after P.
 */
static void test_multi_role_drf(void **state)
{
	struct alloc *a = mk();
	struct alloc_framework_info fi;
	struct alloc_role_info ri;
	struct offers os;

	agent(a, "a1", "cpus:5;mem:2");
	agent(a, "a2", "cpus:5;mem:48");
	assert_int_equal(alloc_framework_add(a, "M", "x", 0, true), 0);
	assert_int_equal(alloc_framework_role_add(a, "M", "y", false), 0);
	assert_int_equal(alloc_framework_add(a, "P", "x", 0, true), 0);
	held_in(a, "P", "x", "a1", "cpus:2;mem:1");
	held_in(a, "M", "y", "a1", "cpus:3;mem:1");
	os = cycle(a, 0);
	assert_int_equal(os.n, 1);
	assert_string_equal(os.o[0].fw, "M");
	assert_string_equal(os.o[0].role, "x"); /* role x (0.2) before y (0.3), M first in x */
	assert_string_equal(os.o[0].res, "cpus:5;mem:48");
	/* per role, and the whole framework */
	assert_int_equal(alloc_framework_get(a, "M", "x", &fi), 0);
	assert_allocated(fi.allocated, "cpus:5;mem:48");
	assert_string_equal(fi.role, "x");
	assert_int_equal(alloc_framework_get(a, "M", "y", &fi), 0);
	assert_allocated(fi.allocated, "cpus:3;mem:1");
	assert_true(fabs(fi.share - 0.3) < 1e-9);
	assert_int_equal(alloc_framework_get(a, "M", NULL, &fi), 0);
	assert_allocated(fi.allocated, "cpus:8;mem:49");
	assert_true(fabs(fi.share - 0.98) < 1e-9);
	assert_int_equal(alloc_framework_get(a, "M", "z", &fi), -ENOENT);
	/* each role is charged what was allocated in it */
	assert_int_equal(alloc_role_get(a, "x", &ri), 0);
	assert_allocated(ri.allocated, "cpus:7;mem:49");
	assert_int_equal(ri.frameworks, 2);
	assert_int_equal(alloc_role_get(a, "y", &ri), 0);
	assert_allocated(ri.allocated, "cpus:3;mem:1");
	/* recovering names the role: M's y allocation does not hold what it got in x */
	{
		struct alloc_res r = R("cpus:5;mem:48");

		assert_int_equal(alloc_recover(a, "M", "y", "a2", &r), -ENOENT);
		assert_int_equal(alloc_recover(a, "M", "x", "a2", &r), 0);
		alloc_res_clear(&r);
	}
	assert_int_equal(alloc_role_get(a, "x", &ri), 0);
	assert_allocated(ri.allocated, "cpus:2;mem:1");
	/* removing the framework frees every role's allocation */
	assert_int_equal(alloc_framework_remove(a, "M"), 0);
	assert_int_equal(alloc_role_get(a, "y", &ri), 0);
	assert_allocated(ri.allocated, "");
	assert_int_equal(ri.frameworks, 0);
	alloc_free(a);
	(void)state;
}

/* SUPPRESS, REVIVE and filters act per role; a role left gets nothing more. */
static void test_multi_role_suppress(void **state)
{
	struct alloc *a = mk();
	struct offers os;
	bool saw_x = false, saw_y = false;

	agent(a, "a1", "cpus:4;mem:100");
	agent(a, "a2", "cpus:4;mem:100");
	assert_int_equal(alloc_framework_add(a, "M", "x", 0, true), 0);
	assert_int_equal(alloc_framework_role_add(a, "M", "y", false), 0);
	assert_int_equal(alloc_framework_suppress(a, "M", "x"), 0);
	assert_int_equal(alloc_framework_suppress(a, "M", "z"), -ENOENT);
	os = cycle(a, 0);
	assert_int_equal(os.n, 2);
	for (size_t i = 0; i < os.n; i++) {
		assert_string_equal(os.o[i].role, "y");
		decline(a, &os.o[i], 0, 0);
	}
	/* revived: both roles get offers (one agent each: DRF between the roles) */
	assert_int_equal(alloc_framework_revive(a, "M", "x"), 0);
	os = cycle(a, 1);
	assert_int_equal(os.n, 2);
	for (size_t i = 0; i < os.n; i++) {
		saw_x |= strcmp(os.o[i].role, "x") == 0;
		saw_y |= strcmp(os.o[i].role, "y") == 0;
	}
	assert_true(saw_x && saw_y);
	/* a decline filters the agent in the offer's role only */
	for (size_t i = 0; i < os.n; i++)
		decline(a, &os.o[i], strcmp(os.o[i].role, "y") == 0 ? 100 : 0, 1);
	assert_int_equal(alloc_framework_suppress(a, "M", "x"), 0);
	os = cycle(a, 2);
	assert_int_equal(os.n, 1); /* y: only the agent it did not decline */
	decline(a, &os.o[0], 0, 2);
	assert_int_equal(alloc_framework_revive(a, "M", "x"), 0);
	os = cycle(a, 3);
	assert_int_equal(os.n, 2); /* x takes the agent y filtered */
	for (size_t i = 0; i < os.n; i++)
		decline(a, &os.o[i], 0, 3);
	/* suppress with no role: all of them; revive with none: all of them */
	assert_int_equal(alloc_framework_suppress(a, "M", NULL), 0);
	assert_int_equal(cycle(a, 4).n, 0);
	assert_int_equal(alloc_framework_revive(a, "M", NULL), 0);
	assert_int_equal(alloc_filter_count(a), 0);
	/* a role left: no more offers in it; added back suppressed, still none */
	assert_int_equal(alloc_framework_role_remove(a, "M", "y"), 0);
	os = cycle(a, 5);
	assert_int_equal(os.n, 2);
	for (size_t i = 0; i < os.n; i++) {
		assert_string_equal(os.o[i].role, "x");
		decline(a, &os.o[i], 0, 5);
	}
	assert_int_equal(alloc_framework_role_add(a, "M", "y", true), 0);
	assert_int_equal(alloc_framework_suppress(a, "M", "x"), 0);
	assert_int_equal(cycle(a, 6).n, 0);
	assert_int_equal(alloc_framework_revive(a, "M", "y"), 0);
	os = cycle(a, 7);
	assert_int_equal(os.n, 2);
	assert_string_equal(os.o[0].role, "y");
	/* the first role left stays (it names the framework) but is offered nothing */
	assert_int_equal(alloc_framework_role_remove(a, "M", "x"), 0);
	assert_int_equal(alloc_framework_revive(a, "M", NULL), 0);
	for (size_t i = 0; i < os.n; i++)
		decline(a, &os.o[i], 0, 7);
	os = cycle(a, 8);
	assert_int_equal(os.n, 2);
	for (size_t i = 0; i < os.n; i++)
		assert_string_equal(os.o[i].role, "y");
	assert_int_equal(alloc_framework_role_add(a, "nope", "y", false), -ENOENT);
	alloc_free(a);
	(void)state;
}

static void test_min_allocatable(void **state)
{
	struct alloc *a = mk();
	struct offers os;

	agent(a, "a1", "cpus:0.005;mem:16;disk:100");
	agent(a, "a2", "cpus:0.01");
	agent(a, "a3", "mem:32");
	assert_int_equal(alloc_framework_add(a, "F", "r", 0, true), 0);
	os = cycle(a, 0);
	assert_int_equal(os.n, 2);
	assert_string_equal(os.o[0].agent, "a2");
	assert_string_equal(os.o[1].agent, "a3");
	alloc_free(a);
}

static void test_bookkeeping(void **state)
{
	struct alloc *a = mk();
	const struct alloc_res *total, *avail;
	struct alloc_framework_info fi;
	struct alloc_res big = R("cpus:8;mem:200");
	char err[128];
	struct alloc_config c;
	struct alloc *b = NULL;

	agent(a, "a1", "cpus:4;mem:100");
	assert_int_equal(alloc_agent_add(a, "a1", "h", &big), -EEXIST);
	assert_int_equal(alloc_framework_add(a, "F", "r", 0, true), 0);
	assert_int_equal(alloc_framework_add(a, "F", "r", 0, true), -EEXIST);
	held(a, "F", "a1", "cpus:3");
	assert_int_equal(alloc_agent_get(a, "a1", &total, &avail), 0);
	assert_int_equal(alloc_res_scalar(avail, "cpus"), 1000);
	assert_int_equal(alloc_agent_update_total(a, "a1", &big), 0);
	assert_int_equal(alloc_agent_get(a, "a1", &total, &avail), 0);
	assert_int_equal(alloc_res_scalar(avail, "cpus"), 5000);
	assert_int_equal(alloc_res_scalar(alloc_cluster_total(a), "cpus"), 8000);
	assert_int_equal(alloc_agent_remove(a, "a1"), 0);
	assert_int_equal(alloc_framework_get(a, "F", NULL, &fi), 0);
	assert_true(alloc_res_is_empty(fi.allocated));
	assert_int_equal(alloc_res_scalar(alloc_cluster_total(a), "cpus"), 0);
	agent(a, "a2", "cpus:4;mem:100");
	held(a, "F", "a2", "cpus:3");
	assert_int_equal(alloc_framework_remove(a, "F"), 0);
	assert_int_equal(alloc_agent_get(a, "a2", NULL, &avail), 0);
	assert_int_equal(alloc_res_scalar(avail, "cpus"), 4000);
	assert_int_equal(alloc_framework_get(a, "F", NULL, &fi), -ENOENT);
	alloc_res_clear(&big);
	alloc_free(a);

	alloc_config_defaults(&c);
	c.role_sorter = "fifo";
	assert_int_equal(alloc_new(&c, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "fifo"));
	alloc_config_defaults(&c);
	c.min_allocatable = "cpus:-1";
	assert_int_equal(alloc_new(&c, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "min_allocatable"));
}

/* Mesos's random sorter: the first pick follows the weights, deterministically per seed. */
/* Ten agents of 1e15 cpus (the largest scalar accepted) add up past int64:
 * the cluster total saturates (it wrapped negative, UBSan: signed integer overflow) and every
 * agent is still offered in full. */
static void test_totals_saturate(void **state)
{
	struct alloc *a = mk();
	struct offers os;
	char id[8];

	for (int i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "a%d", i);
		agent(a, id, "cpus:1000000000000000;mem:1000000000000000");
	}
	assert_true(alloc_res_scalar(alloc_cluster_total(a), "cpus") == INT64_MAX);
	assert_true(alloc_res_scalar(alloc_cluster_total(a), "mem") == INT64_MAX);
	assert_int_equal(alloc_framework_add(a, "f", "r", 0, true), 0);
	held(a, "f", "a0", "cpus:1000000000000000");
	held(a, "f", "a1", "cpus:1000000000000000");
	os = cycle(a, 0);
	assert_int_equal(os.n, 10);
	assert_string_equal(os.o[9].res, "cpus:1000000000000000;mem:1000000000000000");
	assert_true(alloc_dominant_share(a, alloc_cluster_total(a)) <= 1.0);
	assert_int_equal(alloc_agent_remove(a, "a9"), 0);
	assert_true(alloc_res_scalar(alloc_cluster_total(a), "cpus") > 0);
	alloc_free(a);
}

/* Mesos's GPU filter: an agent with GPUs goes only to frameworks that take GPU agents, all of
 * it (not only its other resources); agents without GPUs go to anyone. */
static void test_gpu_agents(void **state)
{
	struct alloc *a = mk();
	struct alloc_res r;
	struct offers os;

	agent(a, "gpu", "cpus:4;mem:4;gpus:2");
	assert_int_equal(alloc_framework_add(a, "A", "r", 0, true), 0);
	assert_int_equal(alloc_framework_set_gpu_agents(a, "A", false), 0);
	os = cycle(a, 1);
	assert_int_equal(os.n, 0);
	assert_int_equal(alloc_framework_set_gpu_agents(a, "nobody", false), -ENOENT);
	/* a framework that takes them gets the whole agent */
	assert_int_equal(alloc_framework_add(a, "B", "r", 0, true), 0);
	os = cycle(a, 2);
	assert_int_equal(os.n, 1);
	assert_string_equal(os.o[0].fw, "B");
	assert_string_equal(os.o[0].agent, "gpu");
	/* a plain agent goes to A; an agent that gains GPUs is no longer A's */
	agent(a, "plain", "cpus:4;mem:4");
	os = cycle(a, 3);
	assert_int_equal(os.n, 1);
	assert_string_equal(os.o[0].fw, "A");
	r = R(os.o[0].res);
	assert_int_equal(alloc_recover(a, "A", NULL, "plain", &r), 0);
	alloc_res_clear(&r);
	r = R("cpus:4;mem:4;gpus:1");
	assert_int_equal(alloc_agent_update_total(a, "plain", &r), 0);
	alloc_res_clear(&r);
	os = cycle(a, 4);
	assert_int_equal(os.n, 1);
	assert_string_equal(os.o[0].fw, "B");
	alloc_free(a);
	(void)state;
}

static void test_random_policy(void **state)
{
	int wins = 0, again = 0;

	for (uint64_t seed = 1; seed <= 400; seed++) {
		struct alloc_config c;
		struct alloc *a;
		struct offers os;

		alloc_config_defaults(&c);
		c.role_sorter = "random";
		c.seed = seed;
		assert_int_equal(alloc_new(&c, &a, NULL, 0), 0);
		agent(a, "a1", "cpus:1;mem:100");
		assert_int_equal(alloc_framework_add(a, "X", "x", 0, true), 0);
		assert_int_equal(alloc_framework_add(a, "Y", "y", 0, true), 0);
		assert_int_equal(alloc_role_set_weight(a, "x", 3), 0);
		os = cycle(a, 0);
		wins += streq(os.o[0].fw, "X");
		alloc_free(a);
		/* the same seed gives the same answer */
		assert_int_equal(alloc_new(&c, &a, NULL, 0), 0);
		agent(a, "a1", "cpus:1;mem:100");
		assert_int_equal(alloc_framework_add(a, "X", "x", 0, true), 0);
		assert_int_equal(alloc_framework_add(a, "Y", "y", 0, true), 0);
		assert_int_equal(alloc_role_set_weight(a, "x", 3), 0);
		{
			struct offers o2 = cycle(a, 0);

			again += streq(o2.o[0].fw, os.o[0].fw);
		}
		alloc_free(a);
	}
	/* expected 300 of 400 (weight 3 against 1) */
	assert_true(wins > 260 && wins < 340);
	assert_int_equal(again, 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drf_vs_naive),
		cmocka_unit_test(test_totals_saturate),
		cmocka_unit_test(test_fairness_exclude_gpus),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_nested_roles),
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_quota_limit),
		cmocka_unit_test(test_quota_guarantee),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_filter_partial_cover),
		cmocka_unit_test(test_ranges_and_sets),
		cmocka_unit_test(test_filter_groups),
		cmocka_unit_test(test_suppress_revive),
		cmocka_unit_test(test_min_allocatable),
		cmocka_unit_test(test_bookkeeping),
		cmocka_unit_test(test_random_policy),
		cmocka_unit_test(test_gpu_agents),
		cmocka_unit_test(test_multi_role_drf),
		cmocka_unit_test(test_multi_role_suppress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
