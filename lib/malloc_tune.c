// SPDX-License-Identifier: Apache-2.0
/*
 * glibc gives memory back to the kernel as soon as more than M_TRIM_THRESHOLD (128 KiB,
 * raised only as large mmap'ed blocks are freed) lies free at the top of the heap, and
 * serves blocks over M_MMAP_THRESHOLD with a fresh mmap each time. A process that decodes a
 * 600 KB OFFERS event or a DECLINE of 10,000 offers builds megabytes of small objects and
 * frees them a moment later: every such message then shrinks the heap and the next one
 * faults every page back in (25 us a fault on a paravirtualized guest; docs/benchmarks.md
 * "Malloc"). Fixed thresholds keep up to 64 MiB free at the top for the next message and
 * take blocks of up to 32 MiB from the heap. The memory stays the process's, and counts in
 * its RSS, until it is reused.
 */
#include <malloc.h>

#include "malloc_tune.h"

void malloc_tune_for_messages(void)
{
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}
