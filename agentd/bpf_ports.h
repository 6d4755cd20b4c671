/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loader of bpf/ports.bpf.c: cgroup/bind4 + cgroup/bind6 attached (bpf_link) at one cgroup,
 * normally <cgroup-root>/tasks. Inside the managed ranges a task binds only the ports that
 * bpf_ports_allow() gave its cgroup; a denied bind fails with EACCES and is counted. The
 * owners of the ports are written through a mapping of port_owner (no system call).
 */
#ifndef DROVER_AGENT_BPF_PORTS_H
#define DROVER_AGENT_BPF_PORTS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/ports.h"

struct bpf_ports;

struct bpf_port_range {
	uint32_t begin, end; /* inclusive */
};

/* managed: the agent's port ranges (any number, each within 0-65535; port 0 is never managed). */
int bpf_ports_open(int cgroup_fd, const struct bpf_port_range *managed, size_t n,
		   struct bpf_ports **ret, char *err, size_t errlen);
/*
 * The same, taking over the maps pinned in pin_dir (port_owner, port_denied) when a previous
 * agent left them: the owners of its running tasks stay; ports the ranges gained are free,
 * ports they lost unmanaged.
 */
int bpf_ports_open_pinned(int cgroup_fd, const struct bpf_port_range *managed, size_t n,
			  const char *pin_dir, struct bpf_ports **ret, char *err, size_t errlen);
/*
 * Keep bind4/bind6 attached after the agent exits (link_bind4, link_bind6 in dir), adopting
 * the links a previous agent pinned there (bpf_link_keep). -errno.
 */
int bpf_ports_keep_links(struct bpf_ports *p, const char *dir, int cgroup_fd);
/*
 * Give the cgroup the managed ports among r[0..n) (others are open to every task anyway).
 * Returns how many of them another cgroup held (they are now this one's: the master gave
 * them out again, so that holder is gone or going), or -EINVAL for an impossible cgroup id.
 */
int bpf_ports_allow(struct bpf_ports *p, uint64_t cgid, const struct bpf_port_range *r, size_t n);
/* Free those of r[0..n) the cgroup still holds, and drop its denial counter. */
void bpf_ports_forget(struct bpf_ports *p, uint64_t cgid, const struct bpf_port_range *r,
		      size_t n);
/* Binds denied to the cgroup so far (0 when none). */
uint64_t bpf_ports_denied(struct bpf_ports *p, uint64_t cgid);
int bpf_ports_prog_fds(struct bpf_ports *p, int *fds, const char **names, int max);
/* bind4, bind6, port_owner, port_denied. */
int bpf_ports_pin(struct bpf_ports *p, const char *dir);
void bpf_ports_unpin(const char *dir);
void bpf_ports_close(struct bpf_ports *p);

/* Bind a TCP socket to 127.0.0.1:port and close it: 0 or -errno (benchmarks, tests). */
int bpf_ports_try_bind(int port);

#endif
