// SPDX-License-Identifier: Apache-2.0
/* The local caller's uid from the kernel's socket tables: see api_peer.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api_peer.h"
#include "fileio.h"
#include "util.h"

#define TCP_ESTABLISHED 1

/* "0100007F" (IPv4) or 32 hex digits (IPv6), each 32-bit word in host order as printed. */
static int parse_addr(const char *hex, unsigned char out[16])
{
	size_t len = strlen(hex);
	uint32_t w[4];

	if (len != 8 && len != 32)
		return -EINVAL;
	for (size_t i = 0; i < len / 8; i++) {
		char part[9];
		char *end;

		memcpy(part, hex + 8 * i, 8);
		part[8] = '\0';
		w[i] = (uint32_t)strtoul(part, &end, 16);
		if (*end)
			return -EINVAL;
	}
	if (len == 8) {
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		memcpy(out, mapped, 12);
		memcpy(out + 12, &w[0], 4);
	} else {
		memcpy(out, w, 16);
	}
	return 0;
}

int agent_peer_table_find(const char *text, const struct agent_peer_end *local,
			  const struct agent_peer_end *remote, uint32_t *ret_uid)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		char buf[512], la[40], ra[40];
		unsigned lp, rp, st, uid;
		unsigned char lb[16], rb[16];
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (n < sizeof(buf)) {
			memcpy(buf, line, n);
			buf[n] = '\0';
			if (sscanf(buf, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x %*x %u",
				   la, &lp, ra, &rp, &st, &uid) == 6 &&
			    st == TCP_ESTABLISHED && lp == local->port && rp == remote->port &&
			    parse_addr(la, lb) == 0 && parse_addr(ra, rb) == 0 &&
			    memcmp(lb, local->addr, 16) == 0 && memcmp(rb, remote->addr, 16) == 0) {
				*ret_uid = uid;
				return 0;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

/* sockaddr -> endpoint (IPv4 mapped); -EAFNOSUPPORT otherwise. */
static int end_of(const struct sockaddr_storage *ss, struct agent_peer_end *e)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		memset(e->addr, 0, 10);
		e->addr[10] = e->addr[11] = 0xff;
		memcpy(e->addr + 12, &s4->sin_addr, 4);
		e->port = ntohs(s4->sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		memcpy(e->addr, &s6->sin6_addr, 16);
		e->port = ntohs(s6->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static bool is_loopback(const struct agent_peer_end *e)
{
	static const unsigned char v6lo[16] = {[15] = 1};
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};

	return memcmp(e->addr, v6lo, 16) == 0 ||
	       (memcmp(e->addr, mapped, 12) == 0 && e->addr[12] == 127);
}

struct diag_answer {
	bool found;
	uint32_t uid;
};

static int on_diag_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct diag_answer *a = arg;

	if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
	    nlmsg_valid_hdr(h, (int)sizeof(struct inet_diag_msg))) {
		const struct inet_diag_msg *m = nlmsg_data(h);

		/* as in the tables: an established connection only (a time-wait one has no owner) */
		a->found = m->idiag_state == TCP_ESTABLISHED;
		a->uid = m->idiag_uid;
	}
	return NL_OK;
}

/* An endpoint's address as sock_diag wants it: 4 bytes for AF_INET, 16 for AF_INET6. */
static void diag_addr(int family, const struct agent_peer_end *e, __be32 out[4])
{
	memset(out, 0, 4 * sizeof(__be32));
	memcpy(out, family == AF_INET ? e->addr + 12 : e->addr, family == AF_INET ? 4 : 16);
}

static bool is_v4_mapped(const struct agent_peer_end *e)
{
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};

	return memcmp(e->addr, mapped, 12) == 0;
}

int agent_peer_diag_find(const struct agent_peer_end *local, const struct agent_peer_end *remote,
			 uint32_t *ret_uid)
{
	int family = is_v4_mapped(local) && is_v4_mapped(remote) ? AF_INET : AF_INET6;
	struct inet_diag_req_v2 req = {
		.sdiag_family = (__u8)family,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_states = 1u << TCP_ESTABLISHED,
		.id = {
			.idiag_sport = htons(local->port),
			.idiag_dport = htons(remote->port),
			.idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE},
		},
	};
	struct diag_answer a = {0};
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return -ENOMEM;
	diag_addr(family, local, req.id.idiag_src);
	diag_addr(family, remote, req.id.idiag_dst);
	/* one request, one answer: the socket, or an error (ENOENT: no such connection) */
	nl_socket_disable_auto_ack(sk);
	r = nl_connect(sk, NETLINK_SOCK_DIAG);
	if (r == 0)
		r = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_diag_msg, &a);
	if (r == 0)
		r = nl_send_simple(sk, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, &req, sizeof(req));
	if (r >= 0)
		r = nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	if (r == -NLE_OBJ_NOTFOUND)
		return -ENOENT;
	if (r < 0)
		return -EPROTONOSUPPORT; /* no sock_diag for TCP here: read the tables */
	if (!a.found)
		return -ENOENT;
	*ret_uid = a.uid;
	return 0;
}

int agent_api_peer_uid(int fd, uint32_t *ret_uid)
{
	static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	struct agent_peer_end us, them;
	int r;

	if (fd < 0)
		return -EBADF;
	if (getsockname(fd, (struct sockaddr *)&me, &ml) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl) < 0)
		return -errno;
	r = end_of(&me, &us);
	if (r == 0)
		r = end_of(&peer, &them);
	if (r < 0)
		return r;
	if (!is_loopback(&them))
		return -EADDRNOTAVAIL;
	/* the peer's socket: its local end is `them`, its remote end is `us` */
	r = agent_peer_diag_find(&them, &us, ret_uid);
	if (r != -EPROTONOSUPPORT)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		_cleanup_free_ char *text = NULL;
		size_t len;

		if (file_read_all(tables[i], 64 << 20, &text, &len) < 0)
			continue;
		if (agent_peer_table_find(text, &them, &us, ret_uid) == 0)
			return 0;
	}
	return -ENOENT;
}
