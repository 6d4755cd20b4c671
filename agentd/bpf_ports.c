// SPDX-License-Identifier: Apache-2.0
/* Loader of bpf/ports.bpf.c: see bpf_ports.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_common.h"
#include "bpf_ports.h"
#include "ports.skel.h"

struct bpf_ports {
	struct ports_bpf *skel;
	struct bpf_link *bind4, *bind6;
	volatile uint64_t *owner; /* port_owner, mapped: PORTS_NR entries */
};

#define OWNER_SIZE ((size_t)PORTS_NR * sizeof(uint64_t))

static bool is_managed(const struct bpf_port_range *managed, size_t n, uint32_t port)
{
	for (size_t i = 0; i < n; i++)
		if (port >= managed[i].begin && port <= managed[i].end)
			return true;
	return false;
}

int bpf_ports_open(int cgroup_fd, const struct bpf_port_range *managed, size_t n,
		   struct bpf_ports **ret, char *err, size_t errlen)
{
	return bpf_ports_open_pinned(cgroup_fd, managed, n, NULL, ret, err, errlen);
}

int bpf_ports_open_pinned(int cgroup_fd, const struct bpf_port_range *managed, size_t n,
			  const char *pin_dir, struct bpf_ports **ret, char *err, size_t errlen)
{
	struct bpf_ports *p;
	bool reused;
	void *m;
	int r;

	for (size_t i = 0; i < n; i++) {
		if (managed[i].begin > managed[i].end || managed[i].end >= PORTS_NR) {
			snprintf(err, errlen, "ports: range [%u-%u] is not within 0-%d",
				 managed[i].begin, managed[i].end, PORTS_NR - 1);
			return -EINVAL;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->skel = ports_bpf__open();
	if (!p->skel) {
		r = bpf_common_fail(-errno, "ports: open", err, errlen);
		goto out_free;
	}
	/* the owners a previous agent left: its tasks still run and still hold their ports */
	r = bpf_map_reuse_pinned(pin_dir, "port_owner", p->skel->maps.port_owner);
	reused = r > 0;
	if (r >= 0)
		r = bpf_map_reuse_pinned(pin_dir, "port_denied", p->skel->maps.port_denied);
	if (r < 0) {
		r = bpf_common_fail(r, "ports: reuse of the pinned maps", err, errlen);
		goto out_destroy_skel;
	}
	r = ports_bpf__load(p->skel);
	if (r) {
		r = bpf_common_fail(r, "ports: load", err, errlen);
		goto out_destroy_skel;
	}
	m = mmap(NULL, OWNER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(p->skel->maps.port_owner), 0);
	if (m == MAP_FAILED) {
		r = bpf_common_fail(-errno, "ports: mmap of port_owner", err, errlen);
		goto out_destroy_skel;
	}
	p->owner = m;
	/* the managed ports are free before the programs run; port 0 (any port) never is */
	if (!reused) {
		for (size_t i = 0; i < n; i++)
			for (uint32_t port = managed[i].begin; port <= managed[i].end; port++)
				if (port)
					p->owner[port] = PORT_FREE;
	} else {
		/* owners stay; ports the ranges gained are free, ports they lost unmanaged */
		for (uint32_t port = 1; port < PORTS_NR; port++) {
			bool in = is_managed(managed, n, port);

			if (in && p->owner[port] == PORT_UNMANAGED)
				p->owner[port] = PORT_FREE;
			else if (!in)
				p->owner[port] = PORT_UNMANAGED;
		}
	}
	p->bind4 = bpf_program__attach_cgroup(p->skel->progs.drover_bind4, cgroup_fd);
	if (!p->bind4) {
		r = bpf_common_fail(-errno, "ports: attach cgroup/bind4", err, errlen);
		goto out_unmap;
	}
	p->bind6 = bpf_program__attach_cgroup(p->skel->progs.drover_bind6, cgroup_fd);
	if (!p->bind6) {
		r = bpf_common_fail(-errno, "ports: attach cgroup/bind6", err, errlen);
		goto out_destroy_link4;
	}
	*ret = p;
	return 0;

out_destroy_link4:
	bpf_link__destroy(p->bind4);
out_unmap:
	munmap((void *)p->owner, OWNER_SIZE);
out_destroy_skel:
	ports_bpf__destroy(p->skel);
out_free:
	free(p);
	return r;
}

/* Each store is one aligned 8-byte write: the programs see the old owner or the new one. */
static bool owner_swap(struct bpf_ports *p, uint32_t port, uint64_t from, uint64_t to)
{
	uint64_t expect = from;

	return __atomic_compare_exchange_n(&p->owner[port], &expect, to, false, __ATOMIC_RELEASE,
					   __ATOMIC_RELAXED);
}

int bpf_ports_allow(struct bpf_ports *p, uint64_t cgid, const struct bpf_port_range *r, size_t n)
{
	int taken = 0;

	if (cgid == PORT_UNMANAGED || cgid == PORT_FREE)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		for (uint64_t port = r[i].begin; port <= r[i].end && port < PORTS_NR; port++) {
			uint64_t was = __atomic_load_n(&p->owner[port], __ATOMIC_RELAXED);

			/* unmanaged ports are open to every task anyway */
			if (!port || was == PORT_UNMANAGED || was == cgid)
				continue;
			if (was != PORT_FREE)
				taken++;
			__atomic_store_n(&p->owner[port], cgid, __ATOMIC_RELEASE);
		}
	}
	return taken;
}

void bpf_ports_forget(struct bpf_ports *p, uint64_t cgid, const struct bpf_port_range *r,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (uint64_t port = r[i].begin; port <= r[i].end && port < PORTS_NR; port++)
			owner_swap(p, (uint32_t)port, cgid, PORT_FREE);
	bpf_map__delete_elem(p->skel->maps.port_denied, &cgid, sizeof(cgid), 0);
}

uint64_t bpf_ports_denied(struct bpf_ports *p, uint64_t cgid)
{
	uint64_t v = 0;

	if (bpf_map__lookup_elem(p->skel->maps.port_denied, &cgid, sizeof(cgid), &v, sizeof(v),
				 0) < 0)
		return 0;
	return v;
}

int bpf_ports_prog_fds(struct bpf_ports *p, int *fds, const char **names, int max)
{
	int n = 0;

	if (n < max) {
		fds[n] = bpf_program__fd(p->skel->progs.drover_bind4);
		names[n++] = "drover_bind4";
	}
	if (n < max) {
		fds[n] = bpf_program__fd(p->skel->progs.drover_bind6);
		names[n++] = "drover_bind6";
	}
	return n;
}

int bpf_ports_pin(struct bpf_ports *p, const char *dir)
{
	int r = bpf_pin_prog(dir, "bind4", p->skel->progs.drover_bind4);

	if (r == 0)
		r = bpf_pin_prog(dir, "bind6", p->skel->progs.drover_bind6);
	if (r == 0)
		r = bpf_pin_map(dir, "port_owner", p->skel->maps.port_owner);
	if (r == 0)
		r = bpf_pin_map(dir, "port_denied", p->skel->maps.port_denied);
	return r;
}

int bpf_ports_keep_links(struct bpf_ports *p, const char *dir, int cgroup_fd)
{
	int r = bpf_link_keep(dir, "link_bind4", cgroup_fd, p->skel->progs.drover_bind4, &p->bind4);

	if (r >= 0)
		r = bpf_link_keep(dir, "link_bind6", cgroup_fd, p->skel->progs.drover_bind6,
				  &p->bind6);
	return r;
}

void bpf_ports_unpin(const char *dir)
{
	bpf_unpin(dir, "bind4");
	bpf_unpin(dir, "bind6");
	bpf_unpin(dir, "port_owner");
	bpf_unpin(dir, "port_allow"); /* the hash map it replaced, left by an older agent */
	bpf_unpin(dir, "port_denied");
}

void bpf_ports_close(struct bpf_ports *p)
{
	if (!p)
		return;
	bpf_link__destroy(p->bind6);
	bpf_link__destroy(p->bind4);
	munmap((void *)p->owner, OWNER_SIZE);
	ports_bpf__destroy(p->skel);
	free(p);
}

int bpf_ports_try_bind(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	close(fd);
	return r;
}
