// SPDX-License-Identifier: Apache-2.0
/* Reading the agent's cgroup slice, the agent's containers and the run-queue map: see the .h. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>

#include "api.h"
#include "cgroup_data.h"
#include "cgroupfs.h"
#include "diskname.h"
#include "fileio.h"
#include "main.h"
#include "runq.h"
#include "strv.h"

#define DEFAULT_ROOT "drover.slice"
/* cgroup.procs of a big task is the largest file read here (as the agent reads it). */
#define READ_MAX (64u << 20)

/* A whole cgroupfs or /proc file, NUL-terminated (fileio.h: no symlink, never blocks). */
static int read_text(int dirfd, const char *name, char **ret_text)
{
	size_t len;

	return file_read_allat(dirfd, name, READ_MAX, 0, ret_text, &len);
}

int cg_ctx_open(struct cg_ctx *ctx, bool want_agent)
{
	_cleanup_free_ char *mi = NULL;
	char path[PATH_MAX];
	json_t *st = NULL;
	int r;

	memset(ctx, 0, sizeof(*ctx));
	ctx->root_fd = -1;
	ctx->runq_fd = -1;
	r = read_text(AT_FDCWD, "/proc/self/mountinfo", &mi);
	if (r < 0) {
		p_err("cannot read /proc/self/mountinfo: %s", strerror(-r));
		return r;
	}
	r = cgroupfs_mountinfo_find_cgroup2(mi, &ctx->mount);
	if (r < 0) {
		p_err("no cgroup2 file system is mounted on this host");
		return r;
	}
	if (want_agent)
		st = api_agent_quiet("GET_STATE");
	if (st)
		ctx->containers = json_incref(json_object_get(st, "tasks"));
	if (cgroup_root_opt) {
		snprintf(ctx->root, sizeof(ctx->root), "%s", cgroup_root_opt);
		ctx->root_from = "option";
	} else if (json_string_value(json_object_get(st, "cgroup_root"))) {
		snprintf(ctx->root, sizeof(ctx->root), "%s",
			 json_string_value(json_object_get(st, "cgroup_root")));
		ctx->root_from = "agent";
	} else {
		snprintf(ctx->root, sizeof(ctx->root), "%s", DEFAULT_ROOT);
		ctx->root_from = "default";
	}
	json_decref(st);
	/* the agent may report the root with a leading slash */
	while (ctx->root[0] == '/')
		memmove(ctx->root, ctx->root + 1, strlen(ctx->root));
	snprintf(path, sizeof(path), "%s/%s", ctx->mount, ctx->root);
	ctx->root_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/runq_hists", bpf_pin_dir);
	ctx->runq_fd = bpf_obj_get(path);
	if (ctx->runq_fd < 0)
		ctx->runq_fd = -1;
	return 0;
}

void cg_ctx_refresh(struct cg_ctx *ctx)
{
	json_t *p = api_agent_quiet("GET_CONTAINERS");

	json_decref(ctx->containers);
	ctx->containers = p ? json_incref(json_object_get(p, "containers")) : NULL;
	json_decref(p);
}

void cg_ctx_close(struct cg_ctx *ctx)
{
	free(ctx->mount);
	if (ctx->root_fd >= 0)
		close(ctx->root_fd);
	if (ctx->runq_fd >= 0)
		close(ctx->runq_fd);
	json_decref(ctx->containers);
	memset(ctx, 0, sizeof(*ctx));
	ctx->root_fd = ctx->runq_fd = -1;
}

/* ---------------------------------------------------------------- cgroupfs files */

static json_t *number_or_string(const char *tok)
{
	char *end;
	long long v = strtoll(tok, &end, 10);

	if (end != tok && *end == '\0')
		return json_integer(v);
	return json_string(tok);
}

/*
 * "123\n" -> 123; "max 100000\n" -> "max 100000"; "k v\n..." -> {k: v}; PSI lines
 * "some avg10=0.00 ... total=5" -> {"some": {"avg10": 0.0, ..., "total": 5}}.
 */
static json_t *parse_cgroup_file(char *text)
{
	json_t *obj = NULL;
	char *save = NULL, *line;
	size_t n = strlen(text);
	int lines = 0;

	while (n && text[n - 1] == '\n')
		text[--n] = '\0';
	if (!strchr(text, '\n') && !strchr(text, '='))
		return strchr(text, ' ') ? json_string(text) : number_or_string(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		if (!obj)
			obj = json_object();
		if (strchr(sp + 1, '=')) {
			json_t *kv = json_object();
			char *s2 = NULL;
			for (char *t = strtok_r(sp + 1, " ", &s2); t; t = strtok_r(NULL, " ", &s2)) {
				char *eq = strchr(t, '=');
				if (!eq)
					continue;
				*eq = '\0';
				json_object_set_new(kv, t, strchr(eq + 1, '.') ? json_real(atof(eq + 1))
									: number_or_string(eq + 1));
			}
			json_object_set_new(obj, line, kv);
		} else {
			json_object_set_new(obj, line, number_or_string(sp + 1));
		}
		lines++;
	}
	return obj ? obj : json_string(text);
}

/* The cgroupfs files of one cgroup directory as JSON (see cg_rows). */
static json_t *cg_dir_stats(int dirfd)
{
	static const char *const files[] = {
		"cpu.stat",	  "cpu.max",	      "cpu.weight",	"cpu.pressure",
		"memory.current", "memory.peak",      "memory.max",	"memory.high",
		"memory.events",  "memory.swap.current", "memory.pressure", "pids.current",
		"pids.max",	  "cgroup.events",    NULL,
	};
	json_t *out = json_object();

	for (int i = 0; files[i]; i++) {
		_cleanup_free_ char *text = NULL;
		if (read_text(dirfd, files[i], &text) < 0)
			continue;
		json_object_set_new(out, files[i], parse_cgroup_file(text));
	}
	return out;
}

/* Number of processes in cgroup.procs, and their summed RSS. */
static int count_procs(int dirfd, int64_t *ret_rss)
{
	_cleanup_free_ char *text = NULL;
	long page = sysconf(_SC_PAGESIZE);
	char *save = NULL;
	int n = 0;

	*ret_rss = 0;
	if (read_text(dirfd, "cgroup.procs", &text) < 0)
		return -1;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char path[64], buf[128];
		long long size, rss;
		FILE *f;
		n++;
		snprintf(path, sizeof(path), "/proc/%s/statm", l);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && sscanf(buf, "%lld %lld", &size, &rss) == 2)
			*ret_rss += rss * page;
		fclose(f);
	}
	return n;
}

/* A log2-microsecond histogram's quantile q (0..1) in ns (upper bound of the bucket). */
static uint64_t cg_hist_quantile_ns(const unsigned long long *slots, int nslots, uint64_t count,
				    double q)
{
	uint64_t want = (uint64_t)((double)count * q + 0.999999), seen = 0;

	if (!count)
		return 0;
	for (int k = 0; k < nslots; k++) {
		seen += slots[k];
		if (seen >= want)
			return (1ULL << (k + 1)) * 1000; /* bucket k is [2^k, 2^(k+1)) us */
	}
	return (1ULL << nslots) * 1000;
}

static json_t *runq_json(struct cg_ctx *ctx, uint64_t cgid)
{
	struct runq_hist h;
	uint64_t n;

	if (ctx->runq_fd < 0 || runq_lookup(ctx->runq_fd, cgid, &h) < 0 || !(n = runq_count(&h)))
		return NULL;
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "count", (json_int_t)n, "avg_ns",
			 (json_int_t)(h.total_ns / n), "max_ns", (json_int_t)h.max_ns, "p50_ns",
			 (json_int_t)cg_hist_quantile_ns(h.slots, RUNQ_SLOTS, n, 0.50), "p99_ns",
			 (json_int_t)cg_hist_quantile_ns(h.slots, RUNQ_SLOTS, n, 0.99));
}

/*
 * Is the leaf <fw>/<task> (directory names) container c's? A leaf is named by its IDs'
 * disk_name(..., DISK_NAME_CGROUP) (diskname.h), or by the IDs themselves when an agent
 * before disk_name() made it.
 */
static bool leaf_is(json_t *c, const char *fw, const char *task)
{
	const char *fid = id_value(c, "framework_id"), *tid = id_value(c, "task_id");
	char f[DISK_NAME_MAX + 1], t[DISK_NAME_MAX + 1];

	if (streq(fid, fw) && streq(tid, task))
		return true;
	return disk_name(fid, strlen(fid), DISK_NAME_CGROUP, f) == 0 &&
	       disk_name(tid, strlen(tid), DISK_NAME_CGROUP, t) == 0 && streq(f, fw) &&
	       streq(t, task);
}

/* The agent's container whose leaf is <fw>/<task> (directory names), or NULL. */
static json_t *container(struct cg_ctx *ctx, const char *fw, const char *task)
{
	json_t *c;
	size_t i;

	json_array_foreach(ctx->containers, i, c)
		if (leaf_is(c, fw, task))
			return c;
	return NULL;
}

static void fill_from_dir(struct cg_ctx *ctx, json_t *row, int dirfd, const char *rel)
{
	struct stat st;
	int64_t rss;
	int procs = count_procs(dirfd, &rss);
	json_t *rq;

	json_object_set_new(row, "path", json_string(rel));
	if (fstat(dirfd, &st) == 0) {
		json_object_set_new(row, "cgroup_id", json_integer((json_int_t)st.st_ino));
		rq = runq_json(ctx, (uint64_t)st.st_ino);
		if (rq)
			json_object_set_new(row, "runq", rq);
	}
	if (procs >= 0) {
		json_object_set_new(row, "procs", json_integer(procs));
		json_object_set_new(row, "rss_bytes", json_integer(rss));
	}
	json_object_set_new(row, "cgroup", cg_dir_stats(dirfd));
}

/* Sub-directory names of dirfd/name (sorted), NULL-terminated; NULL when it cannot be read. */
static char **subdirs(int dirfd, const char *name, int *ret_fd)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	*ret_fd = -1;
	if (fd < 0)
		return NULL;
	d = fdopendir(dup(fd));
	if (!d) {
		close(fd);
		return NULL;
	}
	while ((de = readdir(d))) {
		char **nv;
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n++] = strdup(de->d_name);
		v[n] = NULL;
	}
	closedir(d);
	if (!v)
		v = calloc(1, sizeof(*v));
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*ret_fd = fd;
	return v;
}

json_t *cg_rows(struct cg_ctx *ctx)
{
	json_t *rows = json_array(), *seen = json_object(), *c;
	char **fws = NULL;
	int tfd = -1;
	size_t i;

	if (ctx->root_fd >= 0)
		fws = subdirs(ctx->root_fd, "tasks", &tfd);
	for (i = 0; fws && fws[i]; i++) {
		int ffd;
		char **tasks = subdirs(tfd, fws[i], &ffd);
		for (size_t j = 0; tasks && tasks[j]; j++) {
			char rel[PATH_MAX], key[600];
			int lfd = openat(ffd, tasks[j], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			json_t *ct = container(ctx, fws[i], tasks[j]), *row;
			if (lfd < 0)
				continue;
			row = ct ? json_deep_copy(ct)
				 : json_pack("{s:{s:s},s:{s:s},s:s}", "framework_id", "value", fws[i],
					     "task_id", "value", tasks[j], "state", "-");
			snprintf(rel, sizeof(rel), "%s/tasks/%s/%s", ctx->root, fws[i], tasks[j]);
			fill_from_dir(ctx, row, lfd, rel);
			close(lfd);
			/* a leaf no container has is shown by its names (printable ASCII) */
			snprintf(key, sizeof(key), "%s/%s", id_value(row, "framework_id"),
				 id_value(row, "task_id"));
			json_object_set_new(seen, key, json_true());
			json_array_append_new(rows, row);
		}
		strv_free(tasks);
		if (ffd >= 0)
			close(ffd);
	}
	strv_free(fws);
	if (tfd >= 0)
		close(tfd);
	/* what the agent knows of without a leaf (not started yet, or already gone) */
	json_array_foreach(ctx->containers, i, c) {
		char key[600];
		snprintf(key, sizeof(key), "%s/%s", id_value(c, "framework_id"), id_value(c, "task_id"));
		if (!json_object_get(seen, key))
			json_array_append_new(rows, json_deep_copy(c));
	}
	json_decref(seen);
	return rows;
}

static json_t *tree_node(struct cg_ctx *ctx, int dirfd, const char *name, const char *rel,
			 int depth, const char *fw)
{
	json_t *node = json_pack("{s:s,s:s}", "name", name, "path", rel), *kids = json_array();
	int64_t rss;
	int procs = count_procs(dirfd, &rss), fd;
	char **sub = subdirs(dirfd, ".", &fd);

	if (procs >= 0)
		json_object_set_new(node, "procs", json_integer(procs));
	/* <root>/tasks/<fw>/<task> is a task's leaf */
	if (depth == 3 && fw) {
		json_t *c = container(ctx, fw, name);
		json_t *t = c ? json_pack("{s:s,s:s}", "framework_id", id_value(c, "framework_id"),
					  "task_id", id_value(c, "task_id"))
			      : json_pack("{s:s,s:s}", "framework_id", fw, "task_id", name);
		if (c) {
			json_object_set(t, "state", json_object_get(c, "state"));
			if (json_object_get(c, "pid"))
				json_object_set(t, "pid", json_object_get(c, "pid"));
		}
		json_object_set_new(node, "task", t);
	}
	for (size_t i = 0; sub && sub[i] && depth < 8; i++) {
		char r2[PATH_MAX];
		int cfd = openat(fd, sub[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cfd < 0)
			continue;
		snprintf(r2, sizeof(r2), "%s/%s", rel, sub[i]);
		json_array_append_new(kids, tree_node(ctx, cfd, sub[i], r2, depth + 1,
						      depth == 2 ? name : NULL));
		close(cfd);
	}
	strv_free(sub);
	if (fd >= 0)
		close(fd);
	json_object_set_new(node, "children", kids);
	return node;
}

json_t *cg_tree(struct cg_ctx *ctx)
{
	if (ctx->root_fd < 0)
		return NULL;
	/* depth: root 0, tasks 1, <fw> 2, <task> 3; the fw name is passed down from depth 2 */
	return tree_node(ctx, ctx->root_fd, ctx->root, ctx->root, 0, NULL);
}

json_t *cg_path_row(struct cg_ctx *ctx, const char *arg)
{
	char rel[PATH_MAX];
	const char *r = arg;
	size_t ml = strlen(ctx->mount);
	json_t *row;
	int fd;

	/* absolute under the mount, relative to the mount, or relative to the slice */
	if (strncmp(arg, ctx->mount, ml) == 0 && (arg[ml] == '/' || !arg[ml]))
		r = arg + ml;
	while (*r == '/')
		r++;
	snprintf(rel, sizeof(rel), "%s", r);
	fd = openat(AT_FDCWD, ctx->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		int d = *rel ? openat(fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : dup(fd);
		if (d < 0 && ctx->root_fd >= 0 && *rel) {
			d = openat(ctx->root_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			snprintf(rel, sizeof(rel), "%s/%s", ctx->root, r);
		}
		close(fd);
		fd = d;
	}
	if (fd < 0)
		return NULL;
	row = json_object();
	fill_from_dir(ctx, row, fd, rel);
	close(fd);
	return row;
}

/* ---------------------------------------------------------------- row accessors */

static int64_t num(json_t *v)
{
	return json_is_number(v) ? (int64_t)json_number_value(v) : -1;
}

int64_t cg_row_cpu_ns(json_t *row)
{
	int64_t us = num(json_object_get(json_object_get(json_object_get(row, "cgroup"), "cpu.stat"),
					 "usage_usec"));

	if (us >= 0)
		return us * 1000;
	return num(json_object_get(json_object_get(row, "usage"), "cpu_usage_ns"));
}

int64_t cg_row_mem_bytes(json_t *row, const char **ret_src)
{
	int64_t v = num(json_object_get(json_object_get(row, "cgroup"), "memory.current"));

	*ret_src = "memory.current";
	if (v >= 0)
		return v;
	*ret_src = "agent";
	v = num(json_object_get(json_object_get(row, "usage"), "mem_current_bytes"));
	if (v >= 0)
		return v;
	*ret_src = "rss";
	return num(json_object_get(row, "rss_bytes"));
}

int64_t cg_row_runq_p99_ns(json_t *row)
{
	int64_t v = num(json_object_get(json_object_get(row, "runq"), "p99_ns"));
	const char *k;
	json_t *x;

	if (v >= 0)
		return v;
	/* whatever p99 the agent reports, in the unit its name says */
	json_object_foreach(json_object_get(row, "usage"), k, x) {
		if (!strstr(k, "p99") || !json_is_number(x))
			continue;
		v = (int64_t)json_number_value(x);
		if (strstr(k, "_us"))
			return v * 1000;
		if (strstr(k, "_ms"))
			return v * 1000000;
		return v;
	}
	json_object_foreach(json_object_get(row, "usage"), k, x) {
		if (strstr(k, "p99") && json_is_object(x))
			return num(json_object_get(x, "ns"));
	}
	return -1;
}
