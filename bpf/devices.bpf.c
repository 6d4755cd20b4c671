// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The device allowlist of every task cgroup. See devices.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "devices.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DEV_MAX_RULES);
	__type(key, struct dev_key);
	__type(value, __u32);
} dev_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DEV_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, __u64);
} dev_denied SEC(".maps");

static __always_inline bool default_allowed(__u32 type, __u32 major, __u32 minor)
{
	if (type != DEV_TYPE_CHAR)
		return false;
	switch (major) {
	case 1: /* null, zero, full, random, urandom */
		return minor == 3 || minor == 5 || minor == 7 || minor == 8 || minor == 9;
	case 5: /* tty, ptmx */
		return minor == 0 || minor == 2;
	case 136: /* pts */
		return true;
	}
	return false;
}

SEC("cgroup/dev")
int drover_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	__u32 type = ctx->access_type & 0xffff, access = ctx->access_type >> 16;
	struct dev_key key = {};
	__u64 one = 1, *n;
	__u32 *mask;

	if (default_allowed(type, ctx->major, ctx->minor))
		return 1;
	key.cgid = bpf_get_current_cgroup_id();
	key.type = type;
	key.major = ctx->major;
	key.minor = ctx->minor;
	mask = bpf_map_lookup_elem(&dev_allow, &key);
	if (!mask) {
		key.minor = DEV_ANY_MINOR;
		mask = bpf_map_lookup_elem(&dev_allow, &key);
	}
	if (mask && (access & ~*mask) == 0)
		return 1;
	n = bpf_map_lookup_elem(&dev_denied, &key.cgid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&dev_denied, &key.cgid, &one, BPF_NOEXIST);
	return 0;
}
