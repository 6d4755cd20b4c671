// SPDX-License-Identifier: Apache-2.0
/*
 * `drover map`: the BPF maps pinned under --bpf-dir (list), and their entries as raw bytes
 * (dump NAME), like `bpftool map dump` without BTF: keys and values in hex, per CPU for the
 * per-CPU kinds; JSON: {"key": ["0x01", ...], "value": [...]} ("values": [{"cpu", "value"}]).
 * Array elements that are all zero (indexes never used: runq_hists has 16,384) are left out
 * unless --all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_pins.h"
#include "main.h"

static bool is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static bool has_keys(__u32 type)
{
	return type != BPF_MAP_TYPE_RINGBUF && type != BPF_MAP_TYPE_USER_RINGBUF &&
	       type != BPF_MAP_TYPE_PERF_EVENT_ARRAY && type != BPF_MAP_TYPE_QUEUE &&
	       type != BPF_MAP_TYPE_STACK && type != BPF_MAP_TYPE_BLOOM_FILTER &&
	       type != BPF_MAP_TYPE_TASK_STORAGE && type != BPF_MAP_TYPE_INODE_STORAGE &&
	       type != BPF_MAP_TYPE_SK_STORAGE && type != 32 /* BPF_MAP_TYPE_CGRP_STORAGE (6.2) */ &&
	       type != BPF_MAP_TYPE_STRUCT_OPS;
}

static json_t *hex_json(const unsigned char *b, size_t n)
{
	json_t *a = json_array();
	char x[8];

	for (size_t i = 0; i < n; i++) {
		snprintf(x, sizeof(x), "0x%02x", b[i]);
		json_array_append_new(a, json_string(x));
	}
	return a;
}

static void hex_print(const unsigned char *b, size_t n, int indent)
{
	for (size_t i = 0; i < n; i++) {
		if (i && i % 16 == 0)
			printf("\n%*s", indent, "");
		printf("%02x%s", b[i], i + 1 < n && (i + 1) % 16 ? " " : "");
	}
}

/* Entries in the map, counted by walking its keys (at most max); -1 when it has no keys. */
static long count_entries(int fd, struct bpf_map_info *info, long max)
{
	unsigned char *k = malloc(info->key_size ? info->key_size : 1), *nk;
	long n = 0;
	void *prev = NULL;

	nk = malloc(info->key_size ? info->key_size : 1);
	if (!k || !nk || !has_keys(info->type)) {
		free(k);
		free(nk);
		return -1;
	}
	while (n < max && bpf_map_get_next_key(fd, prev, nk) == 0) {
		memcpy(k, nk, info->key_size);
		prev = k;
		n++;
	}
	free(k);
	free(nk);
	return n;
}

static json_t *map_json(int fd, const char *pinned)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	const char *type;
	json_t *o;
	long entries;

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return NULL;
	type = libbpf_bpf_map_type_str(info.type);
	o = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I}", "id", (json_int_t)info.id, "type",
		      type ? type : "unknown", "name", info.name, "key_size",
		      (json_int_t)info.key_size, "value_size", (json_int_t)info.value_size,
		      "max_entries", (json_int_t)info.max_entries, "flags", (json_int_t)info.map_flags);
	entries = count_entries(fd, &info, 1000000);
	if (entries >= 0)
		json_object_set_new(o, "entries", json_integer(entries));
	if (info.btf_id)
		json_object_set_new(o, "btf_id", json_integer(info.btf_id));
	if (pinned)
		json_object_set_new(o, "pinned", json_string(pinned));
	return o;
}

static int do_list(int argc, char **argv)
{
	bool all = false;
	struct pin *pins = NULL;
	size_t npins = 0;
	json_t *out = json_array(), *o;
	size_t i;

	for (; argc; NEXT_ARG()) {
		if (streq(argv[0], "--all") || streq(argv[0], "-a"))
			all = true;
		else {
			json_decref(out);
			return usage_err("map list [--all]");
		}
	}
	if (pins_collect(&pins, &npins) < 0) {
		json_decref(out);
		p_err("out of memory");
		return EXIT_FAILED;
	}
	if (all) {
		__u32 id = 0;
		while (bpf_map_get_next_id(id, &id) == 0) {
			int fd = bpf_map_get_fd_by_id(id);
			const char *pin = NULL;
			if (fd < 0)
				continue;
			for (size_t k = 0; k < npins; k++)
				if (pins[k].kind == PIN_MAP && pins[k].id == id)
					pin = pins[k].path;
			o = map_json(fd, pin);
			if (o)
				json_array_append_new(out, o);
			close(fd);
		}
		if (errno == EPERM && !json_array_size(out)) {
			p_err("cannot list BPF maps: %s%s", strerror(errno), bpf_hint(errno));
			json_decref(out);
			pins_free(pins, npins);
			return EXIT_FAILED;
		}
	} else {
		for (size_t k = 0; k < npins; k++) {
			int fd;
			if (pins[k].kind != PIN_MAP)
				continue;
			fd = bpf_obj_get(pins[k].path);
			if (fd < 0)
				continue;
			o = map_json(fd, pins[k].path);
			if (o)
				json_array_append_new(out, o);
			close(fd);
		}
	}
	if (json_output) {
		json_print(out);
		out = NULL;
	} else {
		printf("%-6s %-16s %-18s %5s %6s %8s %8s  %s\n", "ID", "TYPE", "NAME", "KEY", "VALUE",
		       "MAX", "ENTRIES", "PINNED");
		json_array_foreach(out, i, o) {
			char ent[24] = "-";
			if (json_object_get(o, "entries"))
				snprintf(ent, sizeof(ent), "%lld",
					 (long long)json_integer_value(json_object_get(o, "entries")));
			printf("%-6lld %-16s %-18s %5lld %6lld %8lld %8s  %s\n",
			       (long long)json_integer_value(json_object_get(o, "id")),
			       json_string_value(json_object_get(o, "type")),
			       json_string_value(json_object_get(o, "name")),
			       (long long)json_integer_value(json_object_get(o, "key_size")),
			       (long long)json_integer_value(json_object_get(o, "value_size")),
			       (long long)json_integer_value(json_object_get(o, "max_entries")), ent,
			       json_object_get(o, "pinned")
				       ? json_string_value(json_object_get(o, "pinned"))
				       : "-");
		}
		if (!json_array_size(out) && !all)
			printf("(no maps pinned in %s; --all lists every map)\n", bpf_pin_dir);
	}
	json_decref(out);
	pins_free(pins, npins);
	return EXIT_OK;
}

/* NAME: a pin relative to --bpf-dir (or its last component), "id N", or a bpffs path. */
static int open_map(int argc, char **argv, char *ret_what, size_t len)
{
	struct pin *pins = NULL;
	size_t npins = 0, hits = 0;
	int fd = -1;

	if (argc == 2 && streq(argv[0], "id")) {
		char *end;
		unsigned long id = strtoul(argv[1], &end, 10);
		if (end == argv[1] || *end)
			return -EINVAL;
		snprintf(ret_what, len, "id %lu", id);
		fd = bpf_map_get_fd_by_id((__u32)id);
		return fd < 0 ? -errno : fd;
	}
	if (argc != 1)
		return -EINVAL;
	snprintf(ret_what, len, "%s", argv[0]);
	if (argv[0][0] == '/') {
		fd = bpf_obj_get(argv[0]);
		return fd < 0 ? -errno : fd;
	}
	if (pins_collect(&pins, &npins) < 0)
		return -ENOMEM;
	for (size_t k = 0; k < npins; k++) {
		const char *base = strrchr(pins[k].name, '/');
		if (pins[k].kind != PIN_MAP)
			continue;
		if (streq(pins[k].name, argv[0]) || (base && streq(base + 1, argv[0]))) {
			if (fd >= 0)
				close(fd);
			fd = bpf_obj_get(pins[k].path);
			snprintf(ret_what, len, "%s", pins[k].path);
			hits++;
			if (streq(pins[k].name, argv[0])) {
				hits = 1;
				break;
			}
		}
	}
	pins_free(pins, npins);
	if (hits > 1) {
		close(fd);
		return -ENOTUNIQ;
	}
	return fd < 0 ? -ENOENT : fd;
}

static bool is_array(__u32 type)
{
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int do_dump(int argc, char **argv)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	char what[4096];
	unsigned char *key = NULL, *next = NULL, *val = NULL;
	size_t vsz;
	int ncpu = 1, fd, rc = EXIT_OK;
	json_t *out = NULL;
	long n = 0, zero = 0;
	bool all = false;

	if (argc && (streq(argv[0], "--all") || streq(argv[0], "-a"))) {
		all = true;
		NEXT_ARG();
	}
	fd = open_map(argc, argv, what, sizeof(what));
	if (fd == -EINVAL)
		return usage_err("map dump [--all] { NAME | id ID | PATH }");
	if (fd < 0) {
		if (fd == -ENOENT)
			p_err("no map '%s' pinned in %s ('%s map list')", what, bpf_pin_dir, bin_name);
		else if (fd == -ENOTUNIQ)
			p_err("'%s' names several pinned maps: give the path under %s", what,
			      bpf_pin_dir);
		else
			p_err("cannot open map '%s': %s%s", what, strerror(-fd), bpf_hint(-fd));
		return EXIT_FAILED;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		p_err("'%s' is not a BPF map: %s", what, strerror(errno));
		close(fd);
		return EXIT_FAILED;
	}
	if (!has_keys(info.type)) {
		const char *t = libbpf_bpf_map_type_str(info.type);
		p_err("cannot dump a %s map (it has no keys to walk)", t ? t : "keyless");
		close(fd);
		return EXIT_FAILED;
	}
	if (is_percpu(info.type))
		ncpu = libbpf_num_possible_cpus();
	if (ncpu < 1)
		ncpu = 1;
	vsz = is_percpu(info.type) ? ((info.value_size + 7) & ~7u) * (size_t)ncpu : info.value_size;
	key = calloc(1, info.key_size ? info.key_size : 1);
	next = calloc(1, info.key_size ? info.key_size : 1);
	val = calloc(1, vsz ? vsz : 1);
	if (!key || !next || !val) {
		p_err("out of memory");
		rc = EXIT_FAILED;
		goto out;
	}
	out = json_array();
	for (void *prev = NULL; bpf_map_get_next_key(fd, prev, next) == 0; prev = key) {
		memcpy(key, next, info.key_size);
		if (bpf_map_lookup_elem(fd, key, val) < 0)
			continue; /* deleted meanwhile, or a prog array slot */
		/* an array has every index: the unused ones (all zero) only with --all */
		if (!all && is_array(info.type) && all_zero(val, vsz)) {
			zero++;
			continue;
		}
		n++;
		if (json_output) {
			json_t *e = json_pack("{s:o}", "key", hex_json(key, info.key_size));
			if (is_percpu(info.type)) {
				json_t *vs = json_array();
				size_t stride = (info.value_size + 7) & ~7u;
				for (int c = 0; c < ncpu; c++)
					json_array_append_new(
						vs, json_pack("{s:i,s:o}", "cpu", c, "value",
							      hex_json(val + stride * (size_t)c,
								       info.value_size)));
				json_object_set_new(e, "values", vs);
			} else {
				json_object_set_new(e, "value", hex_json(val, info.value_size));
			}
			json_array_append_new(out, e);
			continue;
		}
		if (info.key_size + info.value_size <= 24 && !is_percpu(info.type)) {
			printf("key: ");
			hex_print(key, info.key_size, 5);
			printf("  value: ");
			hex_print(val, info.value_size, 0);
			printf("\n");
			continue;
		}
		printf("key:\n");
		hex_print(key, info.key_size, 0);
		printf("\n");
		if (is_percpu(info.type)) {
			size_t stride = (info.value_size + 7) & ~7u;
			for (int c = 0; c < ncpu; c++) {
				printf("value (CPU %02d):%s", c, info.value_size > 16 ? "\n" : " ");
				hex_print(val + stride * (size_t)c, info.value_size, 0);
				printf("\n");
			}
		} else {
			printf("value:\n");
			hex_print(val, info.value_size, 0);
			printf("\n");
		}
	}
	if (json_output) {
		json_print(out);
		out = NULL;
	} else {
		printf("Found %ld element%s", n, n == 1 ? "" : "s");
		if (zero)
			printf(" (and %ld all-zero array element%s: --all prints them)", zero,
			       zero == 1 ? "" : "s");
		printf("\n");
	}
out:
	json_decref(out);
	free(key);
	free(next);
	free(val);
	close(fd);
	return rc;
}

static const struct cmd cmds[];

static int do_help(int argc, char **argv)
{
	return print_cmds_help(
		"map", cmds,
		"Ours are the maps pinned under --bpf-dir (default /sys/fs/bpf/drover). NAME is a\n"
		"pin's path relative to that directory or its last component; 'id N' or a bpffs\n"
		"PATH name any map. Entries print as raw hex bytes (no BTF), per CPU for per-CPU maps;\n"
		"dump leaves out array elements that are all zero unless --all.\n");
}

static const struct cmd cmds[] = {
	{"list", do_list, " [--all]"},
	{"dump", do_dump, " [--all] { NAME | id ID | PATH }"},
	{"help", do_help, NULL},
	{0},
};

int do_map(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_help);
}
