// SPDX-License-Identifier: Apache-2.0
/*
 * `drover cgroup`: the agent's slice on this host. tree: the cgroups with the task behind
 * each leaf; show TASK|PATH: one cgroup's accounting; top: cgroup_top.c. Data: cgroup_data.c.
 */
#include <stdio.h>
#include <string.h>

#include "cgroup_data.h"
#include "main.h"

static void print_tree(json_t *n, const char *prefix, bool last, bool top)
{
	json_t *kids = json_object_get(n, "children"), *k, *t = json_object_get(n, "task");
	char pre[512];
	size_t i;

	printf("%s%s%s", prefix, top ? "" : (last ? "└── " : "├── "),
	       json_string_value(json_object_get(n, "name")));
	if (json_is_integer(json_object_get(n, "procs")) &&
	    json_integer_value(json_object_get(n, "procs")))
		printf("  [%lld proc%s]", (long long)json_integer_value(json_object_get(n, "procs")),
		       json_integer_value(json_object_get(n, "procs")) == 1 ? "" : "s");
	if (t) {
		const char *st = json_string_value(json_object_get(t, "state"));
		printf("  task %s", st ? st : "(not known to the agent)");
		if (json_object_get(t, "pid"))
			printf(" pid %lld", (long long)json_integer_value(json_object_get(t, "pid")));
	}
	printf("\n");
	snprintf(pre, sizeof(pre), "%s%s", prefix, top ? "" : (last ? "    " : "│   "));
	json_array_foreach(kids, i, k)
		print_tree(k, pre, i + 1 == json_array_size(kids), false);
}

static int do_tree(int argc, char **argv)
{
	struct cg_ctx ctx;
	json_t *tree;

	if (argc)
		return usage_err("cgroup tree");
	if (cg_ctx_open(&ctx, true) < 0)
		return EXIT_FAILED;
	tree = cg_tree(&ctx);
	if (!tree) {
		p_err("no cgroup '%s/%s' (root from %s; is the agent running here? --cgroup-root)",
		      ctx.mount, ctx.root, ctx.root_from);
		cg_ctx_close(&ctx);
		return EXIT_FAILED;
	}
	if (json_output) {
		json_object_set_new(tree, "mount", json_string(ctx.mount));
		json_print(tree);
	} else {
		printf("%s/\n", ctx.mount);
		print_tree(tree, "", true, true);
		json_decref(tree);
	}
	cg_ctx_close(&ctx);
	return EXIT_OK;
}

static const char *row_task_id(json_t *row)
{
	return id_value(row, "task_id");
}

static void ns_text(int64_t ns, char *buf, size_t len)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 10000)
		snprintf(buf, len, "%lldns", (long long)ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 10000000000LL)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
}

static int64_t get_i(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_is_number(v) ? (int64_t)json_number_value(v) : -1;
}

static void print_summary(struct cg_ctx *ctx, json_t *row)
{
	json_t *cg = json_object_get(row, "cgroup"), *usage = json_object_get(row, "usage");
	int64_t cpu = cg_row_cpu_ns(row), user = get_i(cg, "cpu.stat", "user_usec"),
		sys = get_i(cg, "cpu.stat", "system_usec");
	const char *src;
	int64_t mem = cg_row_mem_bytes(row, &src);
	int64_t peak = get_i(cg, "memory.peak", NULL);
	int64_t ooms = get_i(cg, "memory.events", "oom_kill");
	char a[32], b[32], c[32];

	if (user < 0)
		user = get_i(usage, "cpu_user_ns", NULL) / 1000;
	if (sys < 0)
		sys = get_i(usage, "cpu_system_ns", NULL) / 1000;
	if (peak < 0)
		peak = get_i(usage, "mem_peak_bytes", NULL);
	if (ooms < 0)
		ooms = get_i(usage, "oom_kills", NULL);
	if (*row_task_id(row))
		printf("%-12s %s (framework %s)\n", "task", row_task_id(row),
		       id_value(row, "framework_id"));
	if (json_object_get(row, "state"))
		printf("%-12s %s\n", "state", json_string_value(json_object_get(row, "state")));
	if (json_object_get(row, "path"))
		printf("%-12s %s/%s\n", "cgroup", ctx->mount,
		       json_string_value(json_object_get(row, "path")));
	if (json_object_get(row, "procs"))
		printf("%-12s %lld\n", "processes", (long long)get_i(row, "procs", NULL));
	ns_text(cpu, a, sizeof(a));
	ns_text(user < 0 ? -1 : user * 1000, b, sizeof(b));
	ns_text(sys < 0 ? -1 : sys * 1000, c, sizeof(c));
	printf("%-12s %s (user %s, system %s)\n", "cpu", a, b, c);
	if (get_i(cg, "cpu.stat", "nr_throttled") >= 0) {
		ns_text(get_i(cg, "cpu.stat", "throttled_usec") * 1000, a, sizeof(a));
		printf("%-12s %lld periods, %s\n", "throttled",
		       (long long)get_i(cg, "cpu.stat", "nr_throttled"), a);
	}
	fmt_bytes((double)mem, a, sizeof(a));
	fmt_bytes((double)peak, b, sizeof(b));
	printf("%-12s %s (%s), peak %s, OOM kills %s\n", "memory", mem < 0 ? "-" : a,
	       src, peak < 0 ? "-" : b, ooms < 0 ? "-" : (snprintf(c, sizeof(c), "%lld",
								       (long long)ooms), c));
	if (json_object_get(row, "runq")) {
		json_t *rq = json_object_get(row, "runq");
		char d[32];
		ns_text(get_i(rq, "p50_ns", NULL), a, sizeof(a));
		ns_text(get_i(rq, "p99_ns", NULL), b, sizeof(b));
		ns_text(get_i(rq, "max_ns", NULL), c, sizeof(c));
		ns_text(get_i(rq, "avg_ns", NULL), d, sizeof(d));
		printf("%-12s p50 %s, p99 %s, max %s, avg %s over %lld waits\n", "run queue", a, b,
		       c, d, (long long)get_i(rq, "count", NULL));
	} else if (cg_row_runq_p99_ns(row) >= 0) {
		ns_text(cg_row_runq_p99_ns(row), a, sizeof(a));
		printf("%-12s p99 %s\n", "run queue", a);
	} else {
		printf("%-12s - (no pinned runq_hists map in %s and none from the agent)\n",
		       "run queue", bpf_pin_dir);
	}
	if (json_object_get(row, "isolation"))
		printf("%-12s %s\n", "isolation",
		       json_string_value(json_object_get(row, "isolation")));
	printf("\nall fields:\n");
	print_kv(row, 4);
}

static int do_show(int argc, char **argv)
{
	struct cg_ctx ctx;
	json_t *rows, *row = NULL, *e;
	size_t i, n = 0;

	if (argc != 1)
		return usage_err("cgroup show TASK|PATH");
	if (cg_ctx_open(&ctx, true) < 0)
		return EXIT_FAILED;
	rows = cg_rows(&ctx);
	json_array_foreach(rows, i, e)
		if (streq(row_task_id(e), argv[0]))
			row = e;
	if (!row) {
		json_array_foreach(rows, i, e)
			if (strncmp(row_task_id(e), argv[0], strlen(argv[0])) == 0) {
				row = e;
				n++;
			}
		if (n > 1) {
			p_err("task '%s' is ambiguous (%zu match)", argv[0], n);
			json_decref(rows);
			cg_ctx_close(&ctx);
			return EXIT_FAILED;
		}
	}
	row = row ? json_incref(row) : cg_path_row(&ctx, argv[0]);
	json_decref(rows);
	if (!row) {
		p_err("no task or cgroup '%s' (slice %s/%s)", argv[0], ctx.mount, ctx.root);
		cg_ctx_close(&ctx);
		return EXIT_FAILED;
	}
	if (json_output)
		json_print(row);
	else {
		print_summary(&ctx, row);
		json_decref(row);
	}
	cg_ctx_close(&ctx);
	return EXIT_OK;
}

static const struct cmd cmds[];

static int do_help(int argc, char **argv)
{
	return print_cmds_help(
		"cgroup", cmds,
		"Reads this host: the agent's slice (--cgroup-root, else the agent's own, else\n"
		"drover.slice) under the cgroup2 mount, the agent's GET_CONTAINERS (--agent) and the\n"
		"run-queue map pinned in --bpf-dir. TASK is a task ID or a unique prefix; PATH a\n"
		"cgroup, absolute or relative to the mount or the slice.\n"
		"top: -b batch (plain text, no escapes), -n N iterations, -d SECONDS between them,\n"
		"-s cpu|mem|runq sort key; keys in the live view: c m r sort, q quits.\n");
}

static const struct cmd cmds[] = {
	{"tree", do_tree, ""},
	{"show", do_show, " TASK|PATH"},
	{"top", do_cgroup_top, " [-b] [-n N] [-d SECONDS] [-s cpu|mem|runq]"},
	{"help", do_help, NULL},
	{0},
};

int do_cgroup(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_help);
}
