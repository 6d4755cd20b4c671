/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ZooKeeper glue shared by the master, the agent and the CLI (the ZooKeeper C client, mt).
 *
 * A zk:// URL names the ensemble and the election path: zk://host1:2181,host2:2181/drover.
 * Masters are the ephemeral sequential znodes <path>/json.info_NNNNNNNNNN holding their
 * MasterInfo as JSON, as Mesos's masters write them. The leader is chosen as Mesos's
 * detectors choose it: among all children whose name ends in "_<int32>" (whatever the label
 * before it), the lowest sequence number leads (docs/ha.md).
 *
 * zk_watch follows the leader on its own session: the client's threads call changed() when
 * the leader's address changes or the session expires; the owner then calls zk_watch_poll()
 * and zk_watch_leader() from its own thread. Nothing here logs.
 */
#ifndef DROVER_ZK_H
#define DROVER_ZK_H

#include <stdbool.h>
#include <stddef.h>
/* the synchronous API of the multi-threaded client */
#ifndef THREADED
#define THREADED
#endif
#include <zookeeper/zookeeper.h>

#include <stdint.h>

#define ZK_MEMBER_PREFIX "json.info_"

struct zk_watch;

/* Does s look like a zk:// URL (and not HOST:PORT)? */
bool zk_url_is(const char *s);
/*
 * Split zk://HOSTS/PATH into the host list ("h1:2181,h2:2181") and the path ("/drover", no
 * trailing slash). -EINVAL with err set on a bad URL.
 */
int zk_url_parse(const char *url, char **ret_hosts, char **ret_path, char *err, size_t errlen);
/*
 * A child's sequence number as Mesos's group membership reads it: the name split at '_'
 * (empty pieces dropped), the last piece an int32. -EINVAL: not a member ("registry",
 * "log_replicas").
 */
int zk_node_sequence(const char *name, int32_t *ret_seq);
/* Is name one of Drover's own election members ("json.info_" and a sequence number)? */
bool zk_member_is(const char *name);
/* The child with the lowest sequence number, any label (NULL: none): the leader. */
const char *zk_member_lowest(char *const *names, int n);
/* The child just below mine by sequence number, any label (NULL: mine is the lowest). */
const char *zk_member_predecessor(char *const *names, int n, const char *mine);
/*
 * The "HOST:PORT" a member's data names, malloc'd (NULL when absent or bad): a MasterInfo
 * (address.hostname, else hostname, else address.ip, else ip; address.port, else port; an
 * IPv6 host in brackets), or the {"address": "HOST:PORT"} of Drover's older "member_" nodes.
 * Only a host of letters, digits, '.', '-', '_' (':' for IPv6) and a port 1..65535 pass:
 * anyone who may write the znode must not slip a path or credentials into a URL.
 */
char *zk_member_address(const char *data, size_t len);

/*
 * Follow the leader of url with a session of session_timeout_ms. changed(data) runs on a
 * ZooKeeper thread (it must only wake its owner).
 */
int zk_watch_new(const char *url, int session_timeout_ms, void (*changed)(void *data), void *data,
		 struct zk_watch **ret, char *err, size_t errlen);
void zk_watch_free(struct zk_watch *w);
/* Owner thread: start a new session if the last one expired. */
void zk_watch_poll(struct zk_watch *w);
/* The leader's address (malloc'd), or NULL while there is none or it is not yet known. */
char *zk_watch_leader(struct zk_watch *w);

/*
 * The ZooKeeper client's own log (stderr, errors only, e.g. every failed connection attempt):
 * quiet turns it off (the CLI), else errors only (the daemons).
 */
void zk_client_log_quiet(bool quiet);

/* Blocking: the current leader of url within timeout_ms (for one-shot commands). */
int zk_leader_resolve(const char *url, int timeout_ms, char **ret, char *err, size_t errlen);

#endif
