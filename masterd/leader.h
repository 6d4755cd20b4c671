/* SPDX-License-Identifier: Apache-2.0 */
/*
 * High availability (--zk): leader election on ZooKeeper (leader.c).
 *
 * Every master creates an ephemeral sequential znode <path>/json.info_NNNNNNNNNN holding its
 * MasterInfo as JSON, as Mesos's masters do; the child with the lowest sequence number leads
 * (Mesos's detectors' rule, so they find the same leader), every other one watches only its
 * predecessor (no herd effect).
 * The leader opens the registry in ZooKeeper and recovers from it as a restarted master does.
 * Followers answer API calls with 307 and the leader's Location (a second session follows
 * the leader for that, lib/zk's zk_watch). A leader whose session expires, or that stays
 * disconnected for two thirds of the session timeout, or whose registry write fails, steps
 * down at once: master_run() returns MASTER_RESTART and main() starts the master afresh as a
 * candidate.
 *
 * The ZooKeeper client's threads only queue MSG_ZK messages; all of this runs on the owner.
 */
#ifndef DROVER_MASTER_LEADER_H
#define DROVER_MASTER_LEADER_H

#include <stdbool.h>
#include <jansson.h>

struct master;
struct http_request;

#define MASTER_RESTART 2

int master_leader_start(struct master *m);
void master_leader_stop(struct master *m);
/* Owner thread: a session or watch event of the election session. */
void master_leader_event(struct master *m, int type, int state);
/* Owner thread, once a second: retry what failed, restart an expired watch session. */
void master_leader_tick(struct master *m);
/* Owner thread: stop leading (the master restarts as a candidate). */
void master_leader_step_down(struct master *m, const char *why);
/*
 * Any thread: when this master runs with --zk and does not lead, answer req (307 to the
 * leader, or 503 while there is none) and return true.
 */
bool master_leader_redirect(struct master *m, struct http_request *req);
/* Owner thread: does this master lead (always, without --zk)? */
bool master_leader_elected(const struct master *m);
/* Owner thread: when this master was elected (wall clock, seconds); false: it does not lead. */
bool master_leader_elected_time(const struct master *m, double *ret);
/*
 * Any thread: the leader's "HOST:PORT" (malloc'd; NULL while none is known), and whether it
 * is this master.
 */
char *master_leader_current(struct master *m, bool *ret_self);
/* Owner thread: this master's MasterInfo (a new reference), what its json.info_ holds. */
json_t *master_leader_info(struct master *m);
/* Owner thread: the operator API's get_master ({master_info, start_time, elected_time}). */
json_t *master_leader_get_master(struct master *m);

#endif
