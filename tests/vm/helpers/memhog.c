// SPDX-License-Identifier: Apache-2.0
/*
 * memhog MiB: allocate MiB mebibytes of anonymous memory and write to every page, so each
 * page is really charged to the caller's memory cgroup. Exits 0 when it got all of it, 1 on
 * a usage or mmap error; under a small memory.max it is expected to die of SIGKILL instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long mib, len, page, off;
	char *end, *p;

	if (argc != 2) {
		fprintf(stderr, "usage: memhog MiB\n");
		return 1;
	}
	errno = 0;
	mib = strtoul(argv[1], &end, 10);
	if (errno || *end || !mib || mib > (1UL << 20)) {
		fprintf(stderr, "memhog: bad size '%s'\n", argv[1]);
		return 1;
	}
	len = mib << 20;
	page = (unsigned long)sysconf(_SC_PAGESIZE);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "memhog: mmap %lu MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	for (off = 0; off < len; off += page)
		p[off] = (char)off | 1;
	printf("memhog: touched %lu MiB\n", mib);
	return 0;
}
