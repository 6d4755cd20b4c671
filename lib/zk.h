/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ZooKeeper glue shared by the master, the agent and the CLI (the ZooKeeper C client, mt).
 *
 * A zk:// URL names the ensemble and the election path: zk://host1:2181,host2:2181/drover.
 * Masters are the ephemeral sequential znodes <path>/member_NNNNNNNNNN; the lowest one leads,
 * and its data is {"address": "HOST:PORT", "id": "<master id>"}.
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

#define ZK_MEMBER_PREFIX "member_"

struct zk_watch;

/* Does s look like a zk:// URL (and not HOST:PORT)? */
bool zk_url_is(const char *s);
/*
 * Split zk://HOSTS/PATH into the host list ("h1:2181,h2:2181") and the path ("/drover", no
 * trailing slash). -EINVAL with err set on a bad URL.
 */
int zk_url_parse(const char *url, char **ret_hosts, char **ret_path, char *err, size_t errlen);
/* Is name an election member ("member_" and ten digits)? */
bool zk_member_is(const char *name);
/* The lowest member among names (NULL: none); for the leader and for predecessors. */
const char *zk_member_lowest(char *const *names, int n);
/* The member just below mine (NULL: mine is the lowest). */
const char *zk_member_predecessor(char *const *names, int n, const char *mine);
/* The address in a member's data ({"address": ...}); malloc'd, NULL when absent or bad. */
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
