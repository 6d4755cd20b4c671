// SPDX-License-Identifier: Apache-2.0
/*
 * `drover prog list`: Drover's BPF programs (pinned under --bpf-dir, directly or through a
 * pinned link; --all: every program of the host) with type, name, where they are attached
 * (from the links of the host), run count, run time and average ns per run. The kernel
 * counts runs only while BPF stats are on: --stats [SECONDS] turns them on
 * (bpf_enable_stats) for that long and shows what ran in the meantime.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf_pins.h"
#include "main.h"

struct prog {
	struct bpf_prog_info info;
	const char *pinned;
	json_t *attach; /* [{link_id, link_type, attach_type, target}] */
	__u64 cnt0, time0;
};

static struct btf *vmlinux_btf;

static const char *btf_name(__u32 obj_id, __u32 btf_id)
{
	const struct btf_type *t;

	if (obj_id || !btf_id)
		return NULL;
	if (!vmlinux_btf) {
		vmlinux_btf = btf__load_vmlinux_btf();
		if (libbpf_get_error(vmlinux_btf)) {
			vmlinux_btf = NULL;
			return NULL;
		}
	}
	t = btf__type_by_id(vmlinux_btf, btf_id);
	return t ? btf__name_by_offset(vmlinux_btf, t->name_off) : NULL;
}

/* Every link of the host that points at prog_id, described. */
static json_t *links_of(__u32 prog_id)
{
	json_t *arr = json_array();
	__u32 id = 0;

	while (bpf_link_get_next_id(id, &id) == 0) {
		struct bpf_link_info li = {0};
		__u32 len = sizeof(li);
		char tp[128] = "", target[256] = "";
		const char *at = NULL, *lt;
		int fd = bpf_link_get_fd_by_id(id);
		json_t *o;

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &li, &len) < 0 || li.prog_id != prog_id) {
			close(fd);
			continue;
		}
		if (li.type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
			memset(&li, 0, sizeof(li));
			li.raw_tracepoint.tp_name = (__u64)(unsigned long)tp;
			li.raw_tracepoint.tp_name_len = sizeof(tp);
			len = sizeof(li);
			if (bpf_obj_get_info_by_fd(fd, &li, &len) == 0)
				snprintf(target, sizeof(target), "%s", tp);
		} else if (li.type == BPF_LINK_TYPE_TRACING) {
			const char *n = btf_name(li.tracing.target_obj_id, li.tracing.target_btf_id);
			at = libbpf_bpf_attach_type_str(li.tracing.attach_type);
			if (n)
				snprintf(target, sizeof(target), "%s", n);
			else
				snprintf(target, sizeof(target), "btf_id %u", li.tracing.target_btf_id);
		} else if (li.type == BPF_LINK_TYPE_CGROUP) {
			at = libbpf_bpf_attach_type_str(li.cgroup.attach_type);
			snprintf(target, sizeof(target), "cgroup_id %llu",
				 (unsigned long long)li.cgroup.cgroup_id);
		} else if (li.type == BPF_LINK_TYPE_NETNS) {
			at = libbpf_bpf_attach_type_str(li.netns.attach_type);
			snprintf(target, sizeof(target), "netns_ino %u", li.netns.netns_ino);
		} else if (li.type == BPF_LINK_TYPE_XDP) {
			snprintf(target, sizeof(target), "ifindex %u", li.xdp.ifindex);
		}
		close(fd);
		lt = libbpf_bpf_link_type_str(li.type);
		o = json_pack("{s:I,s:s}", "link_id", (json_int_t)id, "link_type", lt ? lt : "unknown");
		if (at)
			json_object_set_new(o, "attach_type", json_string(at));
		if (*target)
			json_object_set_new(o, "target", json_string(target));
		json_array_append_new(arr, o);
	}
	return arr;
}

static bool is_ours(__u32 id, struct pin *pins, size_t n, const char **ret_pin)
{
	for (size_t i = 0; i < n; i++)
		if ((pins[i].kind == PIN_PROG && pins[i].id == id) ||
		    (pins[i].kind == PIN_LINK && pins[i].prog_id == id)) {
			*ret_pin = pins[i].path;
			return true;
		}
	return false;
}

/* The programs to show, with their info now. -errno when the kernel refuses. */
static int collect(bool all, struct pin *pins, size_t npins, struct prog **ret, size_t *ret_n)
{
	struct prog *v = NULL;
	size_t n = 0;
	__u32 id = 0;
	int err = 0;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);
		const char *pin = NULL;
		struct prog *nv;
		int fd;

		if (!all && !is_ours(id, pins, npins, &pin))
			continue;
		if (all)
			is_ours(id, pins, npins, &pin);
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
			close(fd);
			continue;
		}
		close(fd);
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].info = info;
		v[n].pinned = pin;
		n++;
	}
	if (errno == EPERM && !n && !err)
		err = -EPERM;
	*ret = v;
	*ret_n = n;
	return n ? 0 : err;
}

static void refresh(struct prog *p)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(p->info.id);

	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		p->info = info;
	close(fd);
}

static int do_list(int argc, char **argv)
{
	bool all = false, stats = false;
	double secs = 1.0;
	struct pin *pins = NULL;
	struct prog *progs = NULL;
	size_t npins = 0, n = 0;
	json_t *out;
	char *end;
	int stats_fd = -1, r;

	for (; argc; NEXT_ARG()) {
		if (streq(argv[0], "--all") || streq(argv[0], "-a")) {
			all = true;
		} else if (streq(argv[0], "--stats")) {
			stats = true;
			if (argc >= 2 && argv[1][0] != '-') {
				secs = strtod(argv[1], &end);
				if (end == argv[1] || *end || !isfinite(secs) || secs <= 0 || secs > 3600)
					return usage_err("prog list [--all] [--stats [SECONDS]]");
				NEXT_ARG();
			}
		} else {
			return usage_err("prog list [--all] [--stats [SECONDS]]");
		}
	}
	if (pins_collect(&pins, &npins) < 0) {
		p_err("out of memory");
		return EXIT_FAILED;
	}
	if (stats) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0) {
			p_err("cannot turn BPF stats on: %s%s", strerror(errno), bpf_hint(errno));
			pins_free(pins, npins);
			return EXIT_FAILED;
		}
	}
	r = collect(all, pins, npins, &progs, &n);
	if (r < 0) {
		p_err("cannot list BPF programs: %s%s", strerror(-r), bpf_hint(-r));
		if (stats_fd >= 0)
			close(stats_fd);
		pins_free(pins, npins);
		return EXIT_FAILED;
	}
	if (stats) {
		struct timespec ts = {(time_t)secs, (long)((secs - floor(secs)) * 1e9)};
		for (size_t i = 0; i < n; i++) {
			progs[i].cnt0 = progs[i].info.run_cnt;
			progs[i].time0 = progs[i].info.run_time_ns;
		}
		if (!json_output)
			fprintf(stderr, "BPF stats on for %gs...\n", secs);
		nanosleep(&ts, NULL);
		for (size_t i = 0; i < n; i++)
			refresh(&progs[i]);
		close(stats_fd);
	}
	out = json_array();
	for (size_t i = 0; i < n; i++) {
		struct prog *p = &progs[i];
		const char *type = libbpf_bpf_prog_type_str(p->info.type);
		__u64 cnt = p->info.run_cnt - p->cnt0, ns = p->info.run_time_ns - p->time0;
		char tag[17];
		json_t *o;

		for (int k = 0; k < 8; k++)
			snprintf(tag + 2 * k, 3, "%02x", p->info.tag[k]);
		o = json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:o}", "id", (json_int_t)p->info.id, "type",
			      type ? type : "unknown", "name", p->info.name, "tag", tag, "run_cnt",
			      (json_int_t)cnt, "run_time_ns", (json_int_t)ns, "attach",
			      links_of(p->info.id));
		if (cnt)
			json_object_set_new(o, "avg_ns", json_integer((json_int_t)(ns / cnt)));
		if (p->pinned)
			json_object_set_new(o, "pinned", json_string(p->pinned));
		if (stats)
			json_object_set_new(o, "stats_seconds", json_real(secs));
		json_array_append_new(out, o);
	}
	if (json_output) {
		json_print(out);
	} else {
		json_t *o, *a;
		size_t i, j;
		printf("%-6s %-16s %-16s %10s %14s %9s  %s\n", "ID", "TYPE", "NAME", "RUN_CNT",
		       "RUN_TIME_NS", "AVG_NS", "ATTACHED / PINNED");
		json_array_foreach(out, i, o) {
			char avg[32] = "-", at[512] = "";
			size_t off = 0;
			if (json_object_get(o, "avg_ns"))
				snprintf(avg, sizeof(avg), "%lld",
					 (long long)json_integer_value(json_object_get(o, "avg_ns")));
			json_array_foreach(json_object_get(o, "attach"), j, a) {
				const char *t = json_string_value(json_object_get(a, "target"));
				const char *ty = json_string_value(json_object_get(a, "attach_type"));
				if (off < sizeof(at))
					off += (size_t)snprintf(at + off, sizeof(at) - off, "%s%s%s%s",
								off ? ", " : "", ty ? ty : json_string_value(json_object_get(a, "link_type")),
								t ? " " : "", t ? t : "");
			}
			printf("%-6lld %-16s %-16s %10lld %14lld %9s  %s%s%s\n",
			       (long long)json_integer_value(json_object_get(o, "id")),
			       json_string_value(json_object_get(o, "type")),
			       json_string_value(json_object_get(o, "name")),
			       (long long)json_integer_value(json_object_get(o, "run_cnt")),
			       (long long)json_integer_value(json_object_get(o, "run_time_ns")), avg,
			       off ? at : "not attached", json_object_get(o, "pinned") ? " | " : "",
			       json_object_get(o, "pinned")
				       ? json_string_value(json_object_get(o, "pinned"))
				       : "");
		}
		if (!n && !all)
			printf("(no programs pinned in %s; --all lists every program)\n", bpf_pin_dir);
		else if (!stats)
			printf("(run counts are kept only while BPF stats are on: --stats SECONDS)\n");
		json_decref(out);
	}
	free(progs);
	pins_free(pins, npins);
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
	return EXIT_OK;
}

static const struct cmd cmds[];

static int do_help(int argc, char **argv)
{
	return print_cmds_help(
		"prog", cmds,
		"Ours are the programs pinned under --bpf-dir (default /sys/fs/bpf/drover), directly\n"
		"or through a pinned link; --all lists every program. --stats turns BPF run-time\n"
		"stats on for SECONDS (default 1) and shows the runs of that period.\n");
}

static const struct cmd cmds[] = {
	{"list", do_list, " [--all] [--stats [SECONDS]]"},
	{"help", do_help, NULL},
	{0},
};

int do_prog(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_help);
}
