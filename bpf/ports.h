/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Port control: layouts shared by ports.bpf.c and its loader (agentd/bpf_ports.c).
 *
 * cgroup/bind4 and cgroup/bind6, attached once at <cgroup-root>/tasks. port_owner is an
 * mmap-able array with one entry per port number: PORT_UNMANAGED (0) for a port outside the
 * agent's managed ranges (its `ports` resource) and for port 0, PORT_FREE for a managed port
 * no task holds, else the cgroup id of the task that holds it. A bind to a managed port
 * succeeds only from the cgroup that holds it; other ports (ephemeral ones, port 0) are not
 * touched. A denied bind fails with EACCES and counts in port_denied[cgroup id].
 *
 * One entry per port (ports are exclusive resources: the master gives a port of an agent to
 * one task at a time) makes the program's check one inlined array load and one comparison
 * with the current cgroup id, with no hashing and no map helper call.
 */
#ifndef DROVER_BPF_PORTS_H
#define DROVER_BPF_PORTS_H

#define PORTS_NR 65536 /* entries of port_owner: every port number */
#define PORTS_MAX_CGROUPS 16384 /* entries of port_denied */

#define PORT_UNMANAGED 0ULL
#define PORT_FREE (~0ULL) /* no cgroup has this id */

#endif
