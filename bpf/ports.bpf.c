// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A task binds only the ports it was allocated, inside the agent's ranges. See ports.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "ports.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EACCES 13

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PORTS_NR);
	__type(key, __u32);
	__type(value, __u64);
	__uint(map_flags, BPF_F_MMAPABLE);
} port_owner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PORTS_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, __u64);
} port_denied SEC(".maps");

static __always_inline int check_bind(struct bpf_sock_addr *ctx)
{
	__u32 port = bpf_ntohs((__u16)ctx->user_port);
	__u64 owner, cgid, one = 1, *p, *n;

	if (!port) /* any port: the kernel picks an ephemeral one */
		return 1;
	p = bpf_map_lookup_elem(&port_owner, &port); /* an array: inlined, no call */
	if (!p)
		return 1;
	owner = *(volatile __u64 *)p; /* one load: the agent may change it meanwhile */
	if (owner == PORT_UNMANAGED)
		return 1;
	cgid = bpf_get_current_cgroup_id();
	if (owner == cgid)
		return 1;
	n = bpf_map_lookup_elem(&port_denied, &cgid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&port_denied, &cgid, &one, BPF_NOEXIST);
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
