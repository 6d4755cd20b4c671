// SPDX-License-Identifier: Apache-2.0
/*
 * drover-allocbench: allocation cycle time over the Mesos benchmark grid
 * (HierarchicalAllocator_BENCHMARK_Test): agents × frameworks, one role, agents of
 * cpus:24;mem:4096;disk:4096;ports:[31000-32000].
 *
 *   scenario a  as Mesos measured: no filters, every offer declined with refuse_seconds 0,
 *               so every cycle re-offers every agent.
 *   scenario b  worst case: every framework holds a live filter on FILTER_PCT % of the
 *               agents (random, seeded); each pick must skip filtered frameworks.
 *
 * Prints one line per cell and scenario: agents, frameworks, median and max cycle ms,
 * peak RSS. Each cell runs in a child process, so its peak RSS is its own.
 * Usage: drover-allocbench [--agents N] [--frameworks M] [--cycles K]
 *                          [--scenario ab|a|b] [--filter-pct P] [--max-filters N]
 * (options from the table below, as the daemons': also DROVER_ALLOCBENCH_* variables)
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "daemon.h"
#include "util.h"

#define ID_LEN 24

struct rec {
	size_t n, cap;
	char (*fw)[ID_LEN];
	char (*ag)[ID_LEN];
	struct alloc_res *res;
};

/* The callback copies what it is given, as a master would; memcpy, not snprintf, so
 * that the harness costs little next to the allocator. */
static void copy_id(char *dst, const char *src)
{
	size_t len = strnlen(src, ID_LEN - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void on_offer(void *opaque, const char *fw, const char *role, const char *agent,
		     const struct alloc_res *res)
{
	struct rec *r = opaque;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;

		r->fw = realloc(r->fw, cap * sizeof(*r->fw));
		r->ag = realloc(r->ag, cap * sizeof(*r->ag));
		r->res = realloc(r->res, cap * sizeof(*r->res));
		if (!r->fw || !r->ag || !r->res) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		memset(r->res + r->cap, 0, (cap - r->cap) * sizeof(*r->res));
		r->cap = cap;
	}
	copy_id(r->fw[r->n], fw);
	copy_id(r->ag[r->n], agent);
	alloc_res_copy(&r->res[r->n], res);
	r->n++;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long peak_rss_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

static int run(int agents, int frameworks, int cycles, char scenario, int filter_pct)
{
	struct alloc_res total = ALLOC_RES_INIT;
	struct rec rec = {0};
	struct alloc *a;
	double *t = calloc((size_t)cycles, sizeof(double)), setup, now = 0, decl = 0;
	uint64_t rng = 42;
	size_t offers = 0;
	char id[ID_LEN], err[128];

	if (!t || alloc_new(NULL, &a, err, sizeof(err)) < 0)
		return 1;
	alloc_res_parse("cpus:24;mem:4096;disk:4096;ports:[31000-32000]", &total, err, sizeof(err));
	setup = now_ms();
	for (int i = 0; i < agents; i++) {
		snprintf(id, sizeof(id), "agent-%06d", i);
		alloc_agent_add(a, id, id, &total);
	}
	for (int i = 0; i < frameworks; i++) {
		snprintf(id, sizeof(id), "fw-%05d", i);
		alloc_framework_add(a, id, "bench", 0, true);
	}
	if (scenario == 'b') {
		for (int f = 0; f < frameworks; f++) {
			char fid[ID_LEN];

			snprintf(fid, sizeof(fid), "fw-%05d", f);
			for (int g = 0; g < agents; g++) {
				if ((int)(alloc_rng_next(&rng) % 100) >= filter_pct)
					continue;
				snprintf(id, sizeof(id), "agent-%06d", g);
				alloc_decline(a, fid, NULL, id, &total, ALLOC_REFUSE_MAX, 0);
			}
		}
	}
	setup = now_ms() - setup;
	for (int c = 0; c < cycles; c++) {
		double t0;

		rec.n = 0;
		now += 1;
		t0 = now_ms();
		alloc_cycle(a, now, on_offer, &rec);
		t[c] = now_ms() - t0;
		offers += rec.n;
		t0 = now_ms();
		for (size_t i = 0; i < rec.n; i++)
			alloc_decline(a, rec.fw[i], NULL, rec.ag[i], &rec.res[i], 0, now);
		decl += now_ms() - t0;
	}
	qsort(t, (size_t)cycles, sizeof(double), cmp_double);
	printf("scenario=%c agents=%d frameworks=%d cycles=%d median_ms=%.2f max_ms=%.2f "
	       "offers_per_cycle=%zu decline_all_ms=%.2f filters=%zu setup_ms=%.0f peak_rss_mib=%ld\n",
	       scenario, agents, frameworks, cycles, t[cycles / 2], t[cycles - 1],
	       offers / (size_t)cycles, decl / cycles, alloc_filter_count(a), setup,
	       peak_rss_mib());
	fflush(stdout);
	for (size_t i = 0; i < rec.cap; i++)
		alloc_res_clear(&rec.res[i]);
	free(rec.fw);
	free(rec.ag);
	free(rec.res);
	free(t);
	alloc_res_clear(&total);
	alloc_free(a);
	return 0;
}

struct allocbench_flags {
	int64_t agents, frameworks, cycles, filter_pct, max_filters;
	int scenario;
	char *log_level;
};

static const char *const scenarios[] = {"ab", "a", "b", NULL};

#define F(field) offsetof(struct allocbench_flags, field)
static const struct conf_opt allocbench_flag_table[] = {
	{"agents", CONF_INT, F(agents), "0", "N", "agents of the one cell to run (0: the grid's)",
	 0, 10000000},
	{"frameworks", CONF_INT, F(frameworks), "0", "N",
	 "frameworks of the one cell to run (0: the grid's)", 0, 10000000},
	{"cycles", CONF_INT, F(cycles), "5", "K", "allocation cycles timed per cell", 1, 1000000},
	{"scenario", CONF_ENUM, F(scenario), "ab", NULL,
	 "a: no filters; b: filters on --filter-pct % of the agents", .choices = scenarios},
	{"filter-pct", CONF_INT, F(filter_pct), "90", "P",
	 "scenario b: percent of the agents each framework filters", 0, 100},
	{"max-filters", CONF_INT, F(max_filters), "0", "N",
	 "skip scenario b in cells with more live filters than this (0: no cap)", 0, INT64_MAX},
	{"log-level", CONF_STRING, F(log_level), "info", "LEVEL", "error, warn, info or debug"},
	CONF_END,
};
#undef F

static const struct daemon_desc allocbench_desc = {
	.prog = "drover-allocbench",
	.synopsis = "[OPTIONS]",
	.env_prefix = "DROVER_ALLOCBENCH",
	.table = allocbench_flag_table,
	.log_level_offset = offsetof(struct allocbench_flags, log_level),
};

int main(int argc, char **argv)
{
	static const int grid_a[] = {1000, 5000, 10000, 20000, 50000};
	static const int grid_f[] = {100, 1000, 5000};
	struct allocbench_flags fl = {0};
	int agents, frameworks, cycles, pct, rc;
	long max_filters;
	const char *scen;

	rc = daemon_parse_args(&allocbench_desc, &fl, argc, argv);
	if (rc >= 0) {
		conf_free(allocbench_flag_table, &fl);
		return rc;
	}
	agents = (int)fl.agents;
	frameworks = (int)fl.frameworks;
	cycles = (int)fl.cycles;
	pct = (int)fl.filter_pct;
	max_filters = (long)fl.max_filters;
	scen = scenarios[fl.scenario];
	conf_free(allocbench_flag_table, &fl);

	for (size_t i = 0; i < ARRAY_SIZE(grid_a); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(grid_f); j++) {
			int na = agents ? agents : grid_a[i],
			    nf = frameworks ? frameworks : grid_f[j];

			if ((agents && i) || (frameworks && j))
				continue;
			for (const char *s = scen; *s; s++) {
				pid_t pid;
				int status;

				if (*s == 'b' && max_filters &&
				    (long)na * nf / 100 * pct > max_filters) {
					printf("scenario=b agents=%d frameworks=%d skipped: %ld filters > "
					       "--max-filters %ld\n",
					       na, nf, (long)na * nf / 100 * pct, max_filters);
					continue;
				}
				fflush(stdout);
				pid = fork();
				if (pid < 0) {
					perror("fork");
					return 1;
				}
				if (pid == 0)
					exit(run(na, nf, cycles, *s,
						 pct)); /* exit: LSan checks the cell */
				if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
				    WEXITSTATUS(status)) {
					fprintf(stderr, "cell %d x %d scenario %c failed\n", na, nf,
						*s);
					return 1;
				}
			}
		}
	}
	return 0;
}
