// SPDX-License-Identifier: Apache-2.0
/*
 * bpf_try: the syscalls the eBPF enforcement programs judge, one per call, with the errno
 * printed, for guest and host tests (no BPF inside: it runs as a task or in a test cgroup).
 *
 *   bpf_try bind PORT [4|6]         bind 127.0.0.1:PORT (or [::1]:PORT); exit 0 or the errno
 *   bpf_try bind-range FROM TO      bind every port in [FROM, TO] (IPv4), print
 *                                   "bound P1 P2 ...", "eacces N", "other N"; exit 0
 *   bpf_try open PATH               open PATH read-only; exit 0 or the errno
 *   bpf_try mknod PATH MAJOR MINOR  mknod a char device; exit 0 or the errno
 *   bpf_try burn SECONDS            spin on the CPU (exit 0)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static int try_bind(int port, int family)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return errno;
	if (family == AF_INET6 ? bind(fd, (struct sockaddr *)&s6, sizeof(s6))
			       : bind(fd, (struct sockaddr *)&s4, sizeof(s4)))
		r = errno;
	close(fd);
	return r;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int r;

	if (argc >= 3 && strcmp(argv[1], "bind") == 0) {
		int fam = argc > 3 && strcmp(argv[3], "6") == 0 ? AF_INET6 : AF_INET;
		r = try_bind(atoi(argv[2]), fam);
		printf("bind %s port %s: %s\n", fam == AF_INET6 ? "[::1]" : "127.0.0.1", argv[2],
		       r ? strerror(r) : "ok");
		return r;
	}
	if (argc == 4 && strcmp(argv[1], "bind-range") == 0) {
		int from = atoi(argv[2]), to = atoi(argv[3]), eacces = 0, other = 0;
		printf("bound");
		for (int p = from; p <= to; p++) {
			r = try_bind(p, AF_INET);
			if (!r)
				printf(" %d", p);
			else if (r == EACCES)
				eacces++;
			else
				other++;
		}
		printf("\neacces %d\nother %d\n", eacces, other);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "open") == 0) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		r = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		printf("open %s: %s\n", argv[2], r ? strerror(r) : "ok");
		return r;
	}
	if (argc == 5 && strcmp(argv[1], "mknod") == 0) {
		r = mknod(argv[2], S_IFCHR | 0600,
			  makedev((unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]))) ? errno : 0;
		printf("mknod %s c %s:%s: %s\n", argv[2], argv[3], argv[4], r ? strerror(r) : "ok");
		if (!r)
			unlink(argv[2]);
		return r;
	}
	if (argc == 3 && strcmp(argv[1], "burn") == 0) {
		double end = now_s() + atof(argv[2]);
		volatile unsigned long x = 0;
		while (now_s() < end)
			for (int i = 0; i < 100000; i++)
				x++;
		return 0;
	}
	fprintf(stderr, "usage: bpf_try bind PORT [4|6] | bind-range FROM TO | open PATH | "
			"mknod PATH MAJOR MINOR | burn SECONDS\n");
	return 2;
}
