// SPDX-License-Identifier: Apache-2.0
/* Loader of bpf/ports.bpf.c: see bpf_ports.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
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
};

int bpf_ports_open(int cgroup_fd, const struct bpf_port_range *managed, size_t n,
		   struct bpf_ports **ret, char *err, size_t errlen)
{
	struct bpf_ports *p;
	int r;

	if (n > PORTS_MAX_RANGES) {
		snprintf(err, errlen, "ports: %zu ranges, at most %d can be enforced", n,
			 PORTS_MAX_RANGES);
		return -E2BIG;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->skel = ports_bpf__open();
	if (!p->skel) {
		r = bpf_common_fail(-errno, "ports: open", err, errlen);
		goto out_free;
	}
	for (size_t i = 0; i < n; i++) {
		p->skel->rodata->managed[i].begin = managed[i].begin;
		p->skel->rodata->managed[i].end = managed[i].end;
	}
	p->skel->rodata->nr_managed = (__u32)n;
	r = ports_bpf__load(p->skel);
	if (r) {
		r = bpf_common_fail(r, "ports: load", err, errlen);
		goto out_destroy_skel;
	}
	p->bind4 = bpf_program__attach_cgroup(p->skel->progs.drover_bind4, cgroup_fd);
	if (!p->bind4) {
		r = bpf_common_fail(-errno, "ports: attach cgroup/bind4", err, errlen);
		goto out_destroy_skel;
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
out_destroy_skel:
	ports_bpf__destroy(p->skel);
out_free:
	free(p);
	return r;
}

static int update_ports(struct bpf_ports *p, uint64_t cgid, const struct bpf_port_range *r,
			size_t n, bool add)
{
	struct port_key key = {.cgid = cgid};
	__u8 one = 1;
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		for (uint64_t port = r[i].begin; port <= r[i].end && port <= 65535; port++) {
			key.port = (__u32)port;
			if (!add) {
				bpf_map__delete_elem(p->skel->maps.port_allow, &key, sizeof(key), 0);
				continue;
			}
			if (bpf_map__update_elem(p->skel->maps.port_allow, &key, sizeof(key), &one,
						 sizeof(one), BPF_ANY) < 0 && !ret)
				ret = -errno;
		}
	}
	return ret;
}

int bpf_ports_allow(struct bpf_ports *p, uint64_t cgid, const struct bpf_port_range *r, size_t n)
{
	int ret = update_ports(p, cgid, r, n, true);

	if (ret < 0)
		update_ports(p, cgid, r, n, false);
	return ret;
}

void bpf_ports_forget(struct bpf_ports *p, uint64_t cgid, const struct bpf_port_range *r,
		      size_t n)
{
	update_ports(p, cgid, r, n, false);
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
		r = bpf_pin_map(dir, "port_allow", p->skel->maps.port_allow);
	if (r == 0)
		r = bpf_pin_map(dir, "port_denied", p->skel->maps.port_denied);
	return r;
}

void bpf_ports_unpin(const char *dir)
{
	bpf_unpin(dir, "bind4");
	bpf_unpin(dir, "bind6");
	bpf_unpin(dir, "port_allow");
	bpf_unpin(dir, "port_denied");
}

void bpf_ports_close(struct bpf_ports *p)
{
	if (!p)
		return;
	bpf_link__destroy(p->bind6);
	bpf_link__destroy(p->bind4);
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
