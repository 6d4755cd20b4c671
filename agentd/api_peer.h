/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who is calling the agent's API from this host: the uid that owns the peer's TCP socket,
 * found by the kernel's sock_diag (or, where it has none, in its socket tables /proc/net/tcp
 * and /proc/net/tcp6) as the connection whose local end is our peer and whose remote end
 * is us — the loopback analogue of SO_PEERCRED. Without --api-credentials the agent serves task data only to root (or its
 * own uid) on this host (api.c; docs/security.md).
 */
#ifndef DROVER_AGENT_API_PEER_H
#define DROVER_AGENT_API_PEER_H

#include <stdint.h>

/* An endpoint: a v6 address (IPv4 as ::ffff:a.b.c.d) and a port. */
struct agent_peer_end {
	unsigned char addr[16];
	uint16_t port;
};

/*
 * In text (a /proc/net/tcp or tcp6 table), the established connection from `local` to
 * `remote` (local = its own end): its owner's uid. 0 found, -ENOENT not there. Pure.
 */
int agent_peer_table_find(const char *text, const struct agent_peer_end *local,
			  const struct agent_peer_end *remote, uint32_t *ret_uid);

/*
 * The same lookup in the kernel, by the connection's four-tuple (sock_diag, NETLINK_SOCK_DIAG
 * through libnl): one socket looked up, where reading the tables costs a line per TCP
 * socket of the host (milliseconds per call on a busy host). 0 found, -ENOENT not there,
 * -EPROTONOSUPPORT where the kernel has no TCP sock_diag (then read the tables), -ENOMEM.
 */
int agent_peer_diag_find(const struct agent_peer_end *local, const struct agent_peer_end *remote,
			 uint32_t *ret_uid);

/*
 * The uid owning the other end of the connected socket fd, when that end is on this host
 * (a loopback address). -EADDRNOTAVAIL for a peer that is not local, -ENOENT not found
 * (gone), -errno.
 */
int agent_api_peer_uid(int fd, uint32_t *ret_uid);

#endif
