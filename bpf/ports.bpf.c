// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A task binds only the ports it was allocated, inside the agent's ranges. See ports.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "ports.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EACCES 13

const volatile struct port_range managed[PORTS_MAX_RANGES] = {};
const volatile __u32 nr_managed = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PORTS_MAX_ALLOWED);
	__type(key, struct port_key);
	__type(value, __u8);
} port_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PORTS_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, __u64);
} port_denied SEC(".maps");

static __always_inline bool is_managed(__u32 port)
{
	for (int i = 0; i < PORTS_MAX_RANGES; i++) {
		if (i >= nr_managed)
			break;
		if (port >= managed[i].begin && port <= managed[i].end)
			return true;
	}
	return false;
}

static __always_inline int check_bind(struct bpf_sock_addr *ctx)
{
	struct port_key key = {};
	__u32 port = bpf_ntohs((__u16)ctx->user_port);
	__u64 one = 1, *n;

	if (!port || !is_managed(port))
		return 1;
	key.cgid = bpf_get_current_cgroup_id();
	key.port = port;
	if (bpf_map_lookup_elem(&port_allow, &key))
		return 1;
	n = bpf_map_lookup_elem(&port_denied, &key.cgid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&port_denied, &key.cgid, &one, BPF_NOEXIST);
	bpf_set_retval(-EACCES);
	return 0;
}

SEC("cgroup/bind4")
int drover_bind4(struct bpf_sock_addr *ctx)
{
	return check_bind(ctx);
}

SEC("cgroup/bind6")
int drover_bind6(struct bpf_sock_addr *ctx)
{
	return check_bind(ctx);
}
