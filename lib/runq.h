/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading the run-queue latency map of bpf/runqlat.bpf.c from user space (the agent's
 * loader, the CLI, the VM helpers). The layout and the probing rule (runq_entry) are
 * bpf/runqlat.h's, shared with the BPF side; the functions of user space live here.
 */
#ifndef DROVER_RUNQ_H
#define DROVER_RUNQ_H

#include <linux/types.h>

#include "runqlat.h"

/* The number of waits in h (the program keeps no count of its own: one atomic add less). */
__u64 runq_count(const struct runq_hist *h);
/* Through the map's fd: the histogram of cgroup id cgid into ret; -ENOENT: none; -errno. */
int runq_lookup(int map_fd, __u64 cgid, struct runq_hist *ret);

#endif
