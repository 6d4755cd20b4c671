/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Port control: layouts shared by ports.bpf.c and its loader (agentd/bpf_ports.c).
 *
 * cgroup/bind4 and cgroup/bind6, attached once at <cgroup-root>/tasks. A bind to a port inside
 * one of the agent's managed ranges (its `ports` resource) succeeds only when port_allow holds
 * {cgroup id of the binding task, port}; other ports (ephemeral ones, port 0) are not touched.
 * A denied bind fails with EACCES and counts in port_denied[cgroup id].
 */
#ifndef DROVER_BPF_PORTS_H
#define DROVER_BPF_PORTS_H

#define PORTS_MAX_RANGES 16
#define PORTS_MAX_ALLOWED 65536
#define PORTS_MAX_CGROUPS 16384

struct port_range {
	__u32 begin, end; /* inclusive */
};

struct port_key {
	__u64 cgid;
	__u32 port;
	__u32 pad;
};

#endif
