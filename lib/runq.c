// SPDX-License-Identifier: Apache-2.0
/* Reading the run-queue latency map from user space (runq.h). No dependency on lib/: the
 * static VM helpers compile this file alone. */
#include <errno.h>
#include <bpf/bpf.h>

#include "runq.h"

__u64 runq_count(const struct runq_hist *h)
{
	__u64 n = 0;

	for (int i = 0; i < RUNQ_SLOTS; i++)
		n += h->slots[i];
	return n;
}

int runq_lookup(int map_fd, __u64 cgid, struct runq_hist *ret)
{
	for (__u32 i = 0; i < RUNQ_PROBES; i++) {
		__u32 k = runq_entry(cgid, i);

		if (bpf_map_lookup_elem(map_fd, &k, ret) < 0)
			return -errno;
		if (ret->cgid == cgid)
			return 0;
		if (!ret->cgid)
			break;
	}
	return -ENOENT;
}
