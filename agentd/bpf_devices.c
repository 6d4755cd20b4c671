// SPDX-License-Identifier: Apache-2.0
/* Loader of bpf/devices.bpf.c: see bpf_devices.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_common.h"
#include "bpf_devices.h"
#include "devices.skel.h"

struct bpf_devices {
	struct devices_bpf *skel;
	struct bpf_link *link;
};

int bpf_devices_open(int cgroup_fd, struct bpf_devices **ret, char *err, size_t errlen)
{
	return bpf_devices_open_pinned(cgroup_fd, NULL, ret, err, errlen);
}

int bpf_devices_open_pinned(int cgroup_fd, const char *pin_dir, struct bpf_devices **ret,
			    char *err, size_t errlen)
{
	struct bpf_devices *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->skel = devices_bpf__open();
	if (!d->skel) {
		r = bpf_common_fail(-errno, "devices: open", err, errlen);
		goto out_free;
	}
	/* the allowlists of a previous agent's tasks, which still run */
	r = bpf_map_reuse_pinned(pin_dir, "dev_allow", d->skel->maps.dev_allow);
	if (r >= 0)
		r = bpf_map_reuse_pinned(pin_dir, "dev_denied", d->skel->maps.dev_denied);
	if (r >= 0)
		r = devices_bpf__load(d->skel);
	if (r < 0) {
		r = bpf_common_fail(r, "devices: load", err, errlen);
		goto out_destroy_skel;
	}
	d->link = bpf_program__attach_cgroup(d->skel->progs.drover_dev, cgroup_fd);
	if (!d->link) {
		r = bpf_common_fail(-errno, "devices: attach cgroup/dev", err, errlen);
		goto out_destroy_skel;
	}
	*ret = d;
	return 0;

out_destroy_skel:
	devices_bpf__destroy(d->skel);
out_free:
	free(d);
	return r;
}

static uint32_t access_mask(const char *access)
{
	uint32_t m = 0;

	for (const char *c = access; c && *c; c++)
		m |= *c == 'r' ? DEV_ACC_READ : *c == 'w' ? DEV_ACC_WRITE : *c == 'm' ? DEV_ACC_MKNOD : 0;
	return m;
}

int bpf_devices_allow(struct bpf_devices *d, uint64_t cgid, char type, uint32_t major,
		      uint32_t minor, const char *access)
{
	struct dev_key key = {.cgid = cgid, .type = type == 'b' ? DEV_TYPE_BLOCK : DEV_TYPE_CHAR,
			      .major = major, .minor = minor};
	uint32_t mask = access_mask(access);

	if (type != 'b' && type != 'c')
		return -EINVAL;
	if (bpf_map__update_elem(d->skel->maps.dev_allow, &key, sizeof(key), &mask, sizeof(mask),
				 BPF_ANY) < 0)
		return -errno;
	return 0;
}

void bpf_devices_forget(struct bpf_devices *d, uint64_t cgid)
{
	struct bpf_map *m = d->skel->maps.dev_allow;
	struct dev_key key, next, doomed[64];
	size_t n;
	void *prev;

	/* collect, then delete: deleting while walking a hash restarts the walk */
	do {
		n = 0;
		prev = NULL;
		while (n < 64 && !bpf_map__get_next_key(m, prev, &next, sizeof(next))) {
			if (next.cgid == cgid)
				doomed[n++] = next;
			key = next;
			prev = &key;
		}
		for (size_t i = 0; i < n; i++)
			bpf_map__delete_elem(m, &doomed[i], sizeof(doomed[i]), 0);
	} while (n == 64);
	bpf_map__delete_elem(d->skel->maps.dev_denied, &cgid, sizeof(cgid), 0);
}

uint64_t bpf_devices_denied(struct bpf_devices *d, uint64_t cgid)
{
	uint64_t v = 0;

	if (bpf_map__lookup_elem(d->skel->maps.dev_denied, &cgid, sizeof(cgid), &v, sizeof(v), 0) < 0)
		return 0;
	return v;
}

int bpf_devices_prog_fds(struct bpf_devices *d, int *fds, const char **names, int max)
{
	if (max < 1)
		return 0;
	fds[0] = bpf_program__fd(d->skel->progs.drover_dev);
	names[0] = "drover_dev";
	return 1;
}

int bpf_devices_pin(struct bpf_devices *d, const char *dir)
{
	int r = bpf_pin_prog(dir, "dev", d->skel->progs.drover_dev);

	if (r == 0)
		r = bpf_pin_map(dir, "dev_allow", d->skel->maps.dev_allow);
	if (r == 0)
		r = bpf_pin_map(dir, "dev_denied", d->skel->maps.dev_denied);
	return r;
}

int bpf_devices_keep_link(struct bpf_devices *d, const char *dir, int cgroup_fd)
{
	return bpf_link_keep(dir, "link_dev", cgroup_fd, d->skel->progs.drover_dev, &d->link);
}

void bpf_devices_unpin(const char *dir)
{
	bpf_unpin(dir, "dev");
	bpf_unpin(dir, "dev_allow");
	bpf_unpin(dir, "dev_denied");
}

void bpf_devices_close(struct bpf_devices *d)
{
	if (!d)
		return;
	bpf_link__destroy(d->link);
	devices_bpf__destroy(d->skel);
	free(d);
}

int bpf_devices_rule_parse(const char *text, char *ret_type, uint32_t *ret_major,
			   uint32_t *ret_minor, uint32_t *ret_access)
{
	char type, minor_s[16], access[8];
	unsigned major;
	uint32_t minor, mask;
	char *end;
	int n;

	if (sscanf(text, " %c %u:%15[0-9*] %7s%n", &type, &major, minor_s, access, &n) != 4 ||
	    text[n + strspn(text + n, " ")] != '\0')
		return -EINVAL;
	if (type != 'c' && type != 'b')
		return -EINVAL;
	if (strcmp(minor_s, "*") == 0) {
		minor = DEV_ANY_MINOR;
	} else {
		unsigned long v = strtoul(minor_s, &end, 10);
		if (*end || v >= DEV_ANY_MINOR)
			return -EINVAL;
		minor = (uint32_t)v;
	}
	if (strspn(access, "rwm") != strlen(access))
		return -EINVAL;
	mask = access_mask(access);
	*ret_type = type;
	*ret_major = major;
	*ret_minor = minor;
	*ret_access = mask;
	return 0;
}

int bpf_devices_rule_covered(const char *allowlist, char type, uint32_t major, uint32_t minor,
			     uint32_t access)
{
	const char *p = allowlist;

	while (p && *p) {
		size_t len = strcspn(p, ";");
		char rule[64], at;
		uint32_t amaj, amin, amask;

		if (len >= sizeof(rule))
			return -EINVAL;
		memcpy(rule, p, len);
		rule[len] = '\0';
		p += len + (p[len] == ';');
		if (!rule[strspn(rule, " ")])
			continue;
		if (bpf_devices_rule_parse(rule, &at, &amaj, &amin, &amask) < 0)
			return -EINVAL;
		if (at == type && amaj == major && (amin == DEV_ANY_MINOR || amin == minor) &&
		    (access & ~amask) == 0)
			return 1;
	}
	return 0;
}
