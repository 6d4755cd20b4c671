/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry in ZooKeeper (--zk): one znode per weight, agent, framework and task under
 * <path>/registry/{weights,agents,frameworks,tasks}, each holding its record as JSON, so no
 * znode comes near ZooKeeper's 1 MB cap. master_reg_commit() writes what changed since the last
 * commit with zoo_multi() transactions (at most ZK_MULTI_OPS operations or ~512 KiB each),
 * every one of which starts with a check that the leader's own election znode still exists:
 * a master whose session is gone cannot write (-ESTALE).
 *
 * The leader is the only writer, so the registry keeps a mirror of what it wrote (needed for
 * create-or-set and for tasks written without their TaskInfo). One thread only: the owner's.
 */
#ifndef DROVER_MASTER_REGISTRY_ZK_H
#define DROVER_MASTER_REGISTRY_ZK_H

#include <stddef.h>

#include "zk.h"

#include "registry.h"

#define ZK_MULTI_OPS 500

/*
 * Open the registry under root (created if missing) on the session zh (borrowed: it must
 * outlive the registry); fence is the path of the caller's election znode; what is created
 * gets acl (borrowed, e.g. &ZOO_OPEN_ACL_UNSAFE).
 */
int master_reg_zk_open(zhandle_t *zh, const char *root, const char *fence, struct ACL_vector *acl,
		       unsigned history, struct registry **ret, char *err, size_t errlen);

/* A znode name for an ID or role: [A-Za-z0-9._:-] kept, anything else as %XX. */
void master_reg_zk_escape(const char *s, char *buf, size_t len);

#endif
