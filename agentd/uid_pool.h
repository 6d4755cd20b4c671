/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dynamic task uids (--dynamic-uids FIRST-LAST, as systemd's DynamicUser=): a framework
 * whose tasks name no user gets a uid of its own from the range, so tasks of different
 * frameworks cannot signal, ptrace or read each other, nor enter each other's sandboxes
 * (0700, owned by that uid). The allocation is kept in <work-dir>/dynamic-uids.json
 * ({"first": F, "last": L, "frameworks": {"<framework id>": uid, ...}}), so a restarted
 * agent maps a framework to the same uid; it is released when the framework's last task
 * on this agent has ended. The gid is the uid; the task has no supplementary groups.
 *
 * The pool itself does no I/O (tests feed the JSON as strings; fuzz_uid_pool decodes it);
 * agent_uid_pool_save() and the loading in agent_uid_pool_open() are the file side.
 */
#ifndef DROVER_AGENT_UID_POOL_H
#define DROVER_AGENT_UID_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strmap.h"

struct agent_uid_pool {
	uint32_t first, last; /* 0, 0: off */
	struct strmap fw;     /* framework id -> (void *)(uintptr_t)uid */
	int dir_fd;           /* where the file is kept; -1: not kept */
};

/* "FIRST-LAST", 1 <= FIRST <= LAST < 2^31 - 1. -EINVAL otherwise. */
int agent_uid_range_parse(const char *text, uint32_t *ret_first, uint32_t *ret_last);

void agent_uid_pool_init(struct agent_uid_pool *p, uint32_t first, uint32_t last);
void agent_uid_pool_clear(struct agent_uid_pool *p);
static inline bool agent_uid_pool_enabled(const struct agent_uid_pool *p)
{
	return p->first != 0;
}

/*
 * Take the allocation from its JSON text (replacing what the pool held). Entries whose uid
 * is outside the range, or already given to another framework, are dropped. -EINVAL with
 * a message for text that is not such an object.
 */
int agent_uid_pool_load_json(struct agent_uid_pool *p, const char *text, size_t len, char *err,
			     size_t errlen);
/* The JSON text of the allocation (malloc'ed), NULL on ENOMEM. */
char *agent_uid_pool_dump_json(const struct agent_uid_pool *p);

/*
 * The uid of framework fw: the one it holds, else the lowest free uid of the range for
 * which taken() (may be NULL) is false (e.g. a uid of the passwd database). -ENOSPC when
 * the range is exhausted, -ENOMEM.
 */
int agent_uid_pool_get(struct agent_uid_pool *p, const char *fw,
		       bool (*taken)(uint32_t uid, void *data), void *data, uint32_t *ret_uid);
/* The uid fw holds, or 0. */
uint32_t agent_uid_pool_lookup(const struct agent_uid_pool *p, const char *fw);
/* fw gives its uid back; true when it held one. */
bool agent_uid_pool_put(struct agent_uid_pool *p, const char *fw);

/* ---- the file (dir_fd/dynamic-uids.json) ---- */

/* Open dir (the work dir) and load the file when it exists. -errno with a message. */
int agent_uid_pool_open(struct agent_uid_pool *p, const char *dir, char *err, size_t errlen);
/* Write the file (replace, durable). */
int agent_uid_pool_save(struct agent_uid_pool *p);

#endif
