/* SPDX-License-Identifier: Apache-2.0 */
/* What the isolator_*.c files share: checked writes and the missing-controller rule. */
#ifndef DROVER_AGENT_ISOLATOR_UTIL_H
#define DROVER_AGENT_ISOLATOR_UTIL_H

#include "isolator.h"

/*
 * The controller rule of isolator.h: 0 when ctrl is available; AGENT_ISOLATOR_SKIPPED in
 * best-effort mode (or when !required); -EOPNOTSUPP with a message in strict mode.
 */
int agent_isolator_need(const struct agent_isolator_ctx *ctx, enum agent_ctrl ctrl, bool required,
			const char *what, char *err, size_t errlen);
/* Write value to file in the leaf; on failure a message naming both. */
int agent_isolator_write(int leaf_fd, const char *file, const char *value, char *err,
			 size_t errlen);
/* Read a single-value file; -ENOENT when it is not there. */
int agent_isolator_read_u64(int leaf_fd, const char *file, uint64_t *ret);

#endif
