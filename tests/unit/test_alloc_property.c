// SPDX-License-Identifier: Apache-2.0
/*
 * alloc: property test over random scenarios (seeded, deterministic). A naive reference
 * re-sorts everything from scratch before every pick; the allocator's offers must be the
 * same, in the same order:
 *   - each agent's resources go to the eligible framework (offerable, not filtered, not
 *     yet offered this agent, offer within its roles' limits and allocatable) that is
 *     first in (tier desc, hierarchical weighted DRF, count, name) order at that moment;
 *   - when the cycle ends no agent has allocatable resources that an eligible framework
 *     could take (Pareto efficiency of the offer stage).
 * Both the in-order walk and the bitmap scan are exercised (walk_budget 1 and 64), and
 * both forms of a filter group, list and bitmap (filter_dense_min 1, 2 and automatic);
 * in every fourth scenario all agents are alike, so that declines share groups.
 */
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

#define NR 3 /* cpus, mem, gpus */
#define MAXA 12
#define MAXF 14
#define MAXROLE 7

static const char *const rnames[] = {"cpus", "mem", "gpus"};
static const char *const roles[MAXROLE] = {"a", "b", "a/x", "a/y", "c/z", "c", "a/x/deep"};

struct model {
	int na, nf;
	int64_t total[MAXA][NR], used[MAXA][NR];
	int64_t falloc[MAXF][NR];
	uint64_t fcount[MAXF];
	int frole[MAXF], ftier[MAXF];
	bool offerable[MAXF];
	bool has_filter[MAXF][MAXA];
	int64_t filter[MAXF][MAXA][NR];
	double weight[MAXROLE];
	int64_t limit[MAXROLE]; /* cpus, 0 = none */
	int64_t ralloc[MAXROLE][NR], rself[MAXROLE][NR];
	uint64_t rcount[MAXROLE], rselfcount[MAXROLE];
	int64_t ctotal[NR];
	char fid[MAXF][16], aid[MAXA][16];
};

static int parent_of(int r)
{
	const char *n = roles[r], *slash = strrchr(n, '/');

	if (!slash)
		return -1;
	for (int i = 0; i < MAXROLE; i++)
		if (strlen(roles[i]) == (size_t)(slash - n) && !strncmp(roles[i], n, (size_t)(slash - n)))
			return i;
	return -2;
}

static int depth_of(int r)
{
	int d = 0;

	for (; r >= 0; r = parent_of(r))
		d++;
	return d;
}

static double share(const struct model *m, const int64_t *v)
{
	double s = 0;

	for (int k = 0; k < 2; k++) /* gpus excluded from fairness */
		if (m->ctotal[k] > 0 && (double)v[k] / (double)m->ctotal[k] > s)
			s = (double)v[k] / (double)m->ctotal[k];
	return s;
}

static int cmp3(double ka, uint64_t ca, const char *na, double kb, uint64_t cb, const char *nb)
{
	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (ca != cb)
		return ca < cb ? -1 : 1;
	return strcmp(na, nb);
}

/* Entry of a chain element: role r's subtree, or (self) role r's own frameworks. */
static int cmp_entry(const struct model *m, int ra, bool selfa, int rb, bool selfb)
{
	char na[64], nb[64];

	snprintf(na, sizeof(na), "%s%s", roles[ra], selfa ? "/." : "");
	snprintf(nb, sizeof(nb), "%s%s", roles[rb], selfb ? "/." : "");
	return cmp3(share(m, selfa ? m->rself[ra] : m->ralloc[ra]) / m->weight[ra],
		    selfa ? m->rselfcount[ra] : m->rcount[ra], na,
		    share(m, selfb ? m->rself[rb] : m->ralloc[rb]) / m->weight[rb],
		    selfb ? m->rselfcount[rb] : m->rcount[rb], nb);
}

static int ref_cmp(const struct model *m, int x, int y)
{
	int px[8], py[8], dx = depth_of(m->frole[x]), dy = depth_of(m->frole[y]), i;

	if (m->ftier[x] != m->ftier[y])
		return m->ftier[x] > m->ftier[y] ? -1 : 1;
	if (m->frole[x] == m->frole[y])
		return cmp3(share(m, m->falloc[x]), m->fcount[x], m->fid[x], share(m, m->falloc[y]),
			    m->fcount[y], m->fid[y]);
	for (int r = m->frole[x], d = dx; r >= 0; r = parent_of(r))
		px[--d] = r;
	for (int r = m->frole[y], d = dy; r >= 0; r = parent_of(r))
		py[--d] = r;
	for (i = 0; i < dx && i < dy && px[i] == py[i]; i++)
		;
	return cmp_entry(m, i < dx ? px[i] : px[i - 1], i >= dx, i < dy ? py[i] : py[i - 1],
			 i >= dy);
}

/* The offer f would get on agent g now; false when not eligible. */
static bool ref_offer(const struct model *m, int f, int g, const bool *done, int64_t *o)
{
	bool any = false;

	if (!m->offerable[f] || done[f])
		return false;
	for (int k = 0; k < NR; k++)
		o[k] = m->total[g][k] - m->used[g][k] > 0 ? m->total[g][k] - m->used[g][k] : 0;
	for (int r = m->frole[f]; r >= 0; r = parent_of(r))
		if (m->limit[r]) {
			int64_t cap = m->limit[r] - m->ralloc[r][0];

			if (o[0] > cap)
				o[0] = cap > 0 ? cap : 0;
		}
	if (o[0] < 10 && o[1] < 32000)
		return false;
	for (int k = 0; k < NR; k++)
		any |= o[k] > 0;
	if (!any)
		return false;
	if (m->has_filter[f][g]) {
		bool covered = true;

		for (int k = 0; k < NR; k++)
			covered &= o[k] <= m->filter[f][g][k];
		if (covered)
			return false;
	}
	return true;
}

static void apply(struct model *m, int f, int g, const int64_t *o)
{
	for (int k = 0; k < NR; k++) {
		m->falloc[f][k] += o[k];
		m->used[g][k] += o[k];
		m->rself[m->frole[f]][k] += o[k];
		for (int r = m->frole[f]; r >= 0; r = parent_of(r))
			m->ralloc[r][k] += o[k];
	}
	m->fcount[f]++;
	m->rselfcount[m->frole[f]]++;
	for (int r = m->frole[f]; r >= 0; r = parent_of(r))
		m->rcount[r]++;
}

static void to_res(const int64_t *v, struct alloc_res *r)
{
	alloc_res_clear(r);
	for (int k = 0; k < NR; k++)
		assert_int_equal(alloc_res_set_scalar(r, rnames[k], v[k]), 0);
}

struct got {
	int n;
	int f[MAXA * MAXF], g[MAXA * MAXF];
	int64_t o[MAXA * MAXF][NR];
	struct model *m;
};

static int idx_of(char (*ids)[16], int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (streq(ids[i], id))
			return i;
	fail_msg("unknown id %s", id);
	return -1;
}

static void on_offer(void *opaque, const char *fw, const char *role, const char *agent,
		     const struct alloc_res *res)
{
	struct got *gt = opaque;

	gt->f[gt->n] = idx_of(gt->m->fid, gt->m->nf, fw);
	gt->g[gt->n] = idx_of(gt->m->aid, gt->m->na, agent);
	for (int k = 0; k < NR; k++)
		gt->o[gt->n][k] = alloc_res_scalar(res, rnames[k]);
	gt->n++;
}

static uint64_t rnd(uint64_t *s, uint64_t n)
{
	return alloc_rng_next(s) % n;
}

static void one_scenario(uint64_t seed, uint32_t budget)
{
	struct model *m = calloc(1, sizeof(*m));
	struct alloc_res r = ALLOC_RES_INIT;
	struct alloc_config c;
	struct alloc *a;
	struct got *gt = calloc(1, sizeof(*gt));
	uint64_t s = seed;
	int pos = 0;

	assert_non_null(m);
	assert_non_null(gt);
	alloc_config_defaults(&c);
	c.walk_budget = budget;
	c.filter_dense_min = (uint32_t)(seed % 3); /* 0: automatic */
	assert_int_equal(alloc_new(&c, &a, NULL, 0), 0);
	m->na = 1 + (int)rnd(&s, MAXA);
	m->nf = 1 + (int)rnd(&s, MAXF);
	for (int i = 0; i < MAXROLE; i++) {
		static const double w[] = {0.5, 1, 1, 2, 3};

		m->weight[i] = w[rnd(&s, 5)];
		if (m->weight[i] != 1)
			assert_int_equal(alloc_role_set_weight(a, roles[i], m->weight[i]), 0);
		if (rnd(&s, 4) == 0) {
			int64_t lim[NR] = {(int64_t)(1 + rnd(&s, 20)) * 1000, 0, 0};

			m->limit[i] = lim[0];
			to_res(lim, &r);
			assert_int_equal(alloc_role_set_quota(a, roles[i], NULL, &r), 0);
		}
	}
	for (int g = 0; g < m->na; g++) {
		m->total[g][0] = (int64_t)rnd(&s, 16000) + 5;
		m->total[g][1] = (int64_t)rnd(&s, 8192) * 1000;
		m->total[g][2] = rnd(&s, 3) == 0 ? (int64_t)rnd(&s, 4) * 1000 : 0;
		if (seed % 4 == 0 && g > 0)
			memcpy(m->total[g], m->total[0], sizeof(m->total[g]));
		for (int k = 0; k < NR; k++)
			m->ctotal[k] += m->total[g][k];
		snprintf(m->aid[g], 16, "ag%d", g);
		to_res(m->total[g], &r);
		assert_int_equal(alloc_agent_add(a, m->aid[g], NULL, &r), 0);
	}
	for (int f = 0; f < m->nf; f++) {
		snprintf(m->fid[f], 16, "f%02d", f);
		m->frole[f] = (int)rnd(&s, MAXROLE);
		m->ftier[f] = (int)rnd(&s, 3) == 0 ? 1 : 0;
		assert_int_equal(alloc_framework_add(a, m->fid[f], roles[m->frole[f]], m->ftier[f], true),
				 0);
		m->offerable[f] = true;
		if (rnd(&s, 6) == 0) {
			m->offerable[f] = false;
			assert_int_equal(rnd(&s, 2) ? alloc_framework_suppress(a, m->fid[f], NULL)
						    : alloc_framework_set_active(a, m->fid[f], false),
					 0);
		}
	}
	/* filters first (a decline recovers what it names): whole agents, or pieces */
	for (int i = 0; i < m->na * m->nf / 2; i++) {
		int f = (int)rnd(&s, (uint64_t)m->nf), g = (int)rnd(&s, (uint64_t)m->na);
		int64_t o[NR];

		for (int k = 0; k < NR; k++)
			o[k] = rnd(&s, 3) ? m->total[g][k] : m->total[g][k] / 3;
		to_res(o, &r);
		if (alloc_res_is_empty(&r))
			continue;
		assert_int_equal(alloc_decline(a, m->fid[f], NULL, m->aid[g], &r, 100, 0), 0);
		m->has_filter[f][g] = true;
		memcpy(m->filter[f][g], o, sizeof(o));
	}

	/* prior allocations: random pieces of agents */
	for (int i = 0; i < m->na * 2; i++) {
		int f = (int)rnd(&s, (uint64_t)m->nf), g = (int)rnd(&s, (uint64_t)m->na);
		int64_t o[NR];

		for (int k = 0; k < NR; k++) {
			int64_t left = m->total[g][k] - m->used[g][k];

			o[k] = left > 0 ? (int64_t)rnd(&s, (uint64_t)left / 2 + 1) : 0;
		}
		to_res(o, &r);
		if (alloc_res_is_empty(&r))
			continue;
		assert_int_equal(alloc_allocation_add(a, m->fid[f], NULL, m->aid[g], &r), 0);
		apply(m, f, g, o);
	}
	gt->m = m;
	assert_true(alloc_cycle(a, 1, on_offer, gt) >= 0);

	/* replay against the reference */
	for (int g = 0; g < m->na; g++) {
		bool done[MAXF] = {0};

		for (;;) {
			int64_t o[NR], best_o[NR];
			int best = -1;

			for (int f = 0; f < m->nf; f++) {
				if (!ref_offer(m, f, g, done, o))
					continue;
				if (best < 0 || ref_cmp(m, f, best) < 0) {
					best = f;
					memcpy(best_o, o, sizeof(o));
				}
			}
			if (best < 0)
				break;
			if (pos >= gt->n)
				fail_msg("seed %llu: reference offers %s on %s, allocator stopped",
					 (unsigned long long)seed, m->fid[best], m->aid[g]);
			if (gt->f[pos] != best || gt->g[pos] != g ||
			    memcmp(gt->o[pos], best_o, sizeof(best_o)))
				print_error("seed %llu budget %u offer %d: reference %s/%s cpus %lld mem %lld, "
					 "allocator %s/%s cpus %lld mem %lld",
					 (unsigned long long)seed, budget, pos, m->fid[best], m->aid[g],
					 (long long)best_o[0], (long long)best_o[1], m->fid[gt->f[pos]],
					 m->aid[gt->g[pos]], (long long)gt->o[pos][0],
					 (long long)gt->o[pos][1]);
			if (gt->f[pos] != best || gt->g[pos] != g ||
			    memcmp(gt->o[pos], best_o, sizeof(best_o)))
				fail();
			apply(m, best, g, best_o);
			done[best] = true;
			pos++;
		}
		/* Pareto: nothing allocatable left that an eligible framework could take */
		for (int f = 0; f < m->nf; f++) {
			int64_t o[NR];

			assert_false(ref_offer(m, f, g, done, o));
		}
	}
	assert_int_equal(pos, gt->n);
	alloc_res_clear(&r);
	alloc_free(a);
	free(gt);
	free(m);
}

static void test_property_random_scenarios(void **state)
{
	for (uint64_t seed = 1; seed <= 1000; seed++) {
		one_scenario(seed, 64);
		one_scenario(seed, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_property_random_scenarios),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
