/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The master's state. One owner thread (the loop in master.c) reads and writes everything
 * here; HTTP threads only parse requests and queue them (http.c), and streams are written
 * through lib/http_server's thread-safe stream API.
 */
#ifndef DROVER_MASTER_H
#define DROVER_MASTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "acl.h"
#include "auth.h"
#include "codec.h"
#include "flags.h"
#include "http_server.h"
#include "id.h"
#include "loop.h"
#include "alloc.h"
#include "strmap.h"
#include "wire.h"

#define HEARTBEAT_INTERVAL_S 15

struct master;
struct agent;
struct framework;

struct task {
	char *id;
	struct framework *fw;
	char *fw_id;
	char *agent_id;
	char *name;     /* TaskInfo.name, or NULL */
	json_t *info;   /* the TaskInfo as launched, until the registry has it (then NULL) */
	struct alloc_res res;
	enum task_state state;
	json_t *status; /* the latest TaskStatus; use master_task_status() */
	char *status_text; /* or, recovered and not yet needed, that status as compact JSON */
	char pending_uuid[UUID_STR_LEN]; /* update forwarded, not yet acknowledged */
	char acked_uuid[UUID_STR_LEN];   /* the last one the framework acknowledged */
	uint64_t pending_sent_gen;       /* framework stream generation it went out on */
	int64_t created_ns;
	char *role;                      /* the role its resources are allocated to (MULTI_ROLE
					  * frameworks), or NULL: its framework's role */
	bool persisted;                  /* its TaskInfo is in the registry */
	bool kill_requested;             /* a KILL was asked for: sent again when its agent
					  * resubscribes (it may have died before acting on it) */
	json_t *kill_policy;             /* that KILL's kill_policy, or NULL */
};

struct offer {
	char *id;
	struct framework *fw;
	struct agent *agent;
	const char *role; /* allocated to: one of fw->roles[].name (borrowed; a role's offers
			   * are rescinded before it leaves the framework) */
	struct alloc_res res;
	int64_t created_ns;
	bool named; /* named twice in one call? (collect_offers) */
};

/*
 * offers.c: an agent's part of every offer made on it, as compact JSON without the braces
 * ("agent_id":…,"hostname":…,"resources":…,"attributes":…), valid while the offered
 * resources equal res. Rebuilt when they differ; dropped when the agent's info changes.
 */
struct offer_frag {
	char *text;
	size_t len;
	struct alloc_res res;
	uint8_t *pb; /* the same fields as protobuf bytes of an Offer (made when first asked) */
	size_t pb_len;
};

/* One of a framework's roles (fwroles.c). */
struct framework_role {
	char *name;
	bool suppressed; /* SUPPRESS with this role, or suppressed_roles names it */
};

struct framework {
	char *id;
	json_t *info;
	char *role; /* its first role (the only one without MULTI_ROLE) */
	struct framework_role *roles; /* all its roles, roles[0] named as role */
	size_t nroles;
	int tier;
	bool partition_aware;
	bool multi_role; /* MULTI_ROLE: offers carry allocation_info (the offer's role) */
	double failover_timeout_s;
	struct http_stream *stream;
	char stream_id[UUID_STR_LEN];
	uint64_t stream_gen; /* bumped on every (re)subscription */
	bool connected;
	bool suppressed; /* SUPPRESS: no offers until REVIVE */
	bool recovered; /* read from the registry, not resubscribed since */
	bool offer_capped; /* suppressed in the allocator at --max-offers-per-framework */
	int64_t disconnected_ns;
	struct strmap tasks;  /* task id -> struct task (active, and terminal until acked) */
	struct strmap offers; /* offer id -> struct offer */
	/* wall clock (GET_FRAMEWORKS): first subscribed (kept in the registry), last
	 * resubscribed; 0: not known */
	int64_t registered_real_ns, reregistered_real_ns;
};

struct agent {
	char *id;
	char *hostname;
	json_t *info; /* agent_info as registered */
	json_t *url;  /* Offer.url: the agent's HTTP address (master_agent_url_json), or NULL */
	json_t *enforcement; /* what the agent says it can and cannot enforce */
	struct alloc_res total;
	struct http_stream *stream;
	char stream_id[UUID_STR_LEN];
	bool connected;   /* has a live stream */
	bool reachable;   /* not yet declared unreachable */
	bool recovered;   /* read from the registry, not reregistered since */
	char *principal;  /* who registered it (authenticated), NULL without --credentials */
	bool deactivated; /* not offered (DEACTIVATE_AGENT, DRAIN_AGENT) */
	bool draining;    /* its tasks are killed (DRAIN_AGENT) */
	int64_t last_seen_ns;
	int missed_pings;
	struct strmap tasks; /* "<framework>/<task>" -> struct task */
	struct strmap offers;
	struct offer_frag offer_frag;
	/*
	 * "<framework>/<task>" -> struct alloc_res: tasks the master gave up on (their framework
	 * was removed, or they came back after being lost) that the agent is being told to kill.
	 * Their resources are kept out of its offers until it reports them ended, reregisters
	 * without them, or is lost (agents.c, master_agent_hold).
	 */
	struct strmap killing;
	/* "<framework>/<executor>" -> struct master_executor: its CUSTOM executors (executors.c) */
	struct strmap executors;
	char *version;                /* the Drover version it reported at SUBSCRIBE, or NULL */
	int64_t registered_real_ns;   /* wall clock: admitted by this master (GET_AGENTS) */
	int64_t reregistered_real_ns; /* wall clock: its last reregistration since, or 0 */
	json_t *capabilities; /* AgentInfo.Capability list it reported (validated), or NULL */
};

/*
 * A declined offer whose resources are not yet handed back to the allocator (offers.c):
 * DECLINE takes the offers away at once and answers; the allocator's part, most of a
 * decline's cost, runs in slices between calls.
 */
struct decline {
	struct decline *next;
	char *fw_id, *agent_id;
	char *role; /* the offer's role, or NULL: the framework's first */
	struct alloc_res res;
	double refuse_s;
};

/* Requests handed from HTTP threads to the owner. */
enum msg_kind {
	MSG_SCHEDULER,
	MSG_AGENT,
	MSG_OPERATOR,
	MSG_METRICS,
	MSG_STREAM_CLOSED,
	MSG_ZK, /* an event of the election's ZooKeeper session (leader.c) */
	MSG_LEGACY, /* GET of a legacy JSON endpoint (legacy.c) */
	MSG_OPERATOR_STREAM_CLOSED, /* an operator subscriber's connection ended (.stream) */
};

struct msg {
	enum msg_kind kind;
	struct http_request *req; /* answered by the owner (NULL for MSG_STREAM_CLOSED) */
	json_t *body;
	char *stream_id;          /* the Mesos-Stream-Id header, if any */
	char *principal;          /* the authenticated caller, NULL without --credentials */
	struct http_stream *stream; /* MSG_STREAM_CLOSED: a reference of the message's own */
	bool owner_is_agent;        /* MSG_STREAM_CLOSED: whose stream it was */
	char *owner_id;
	int zk_type, zk_state;      /* MSG_ZK */
	enum codec codec;           /* the request body's (Content-Type) */
	enum codec accept;          /* the answer's and the stream's (Accept, lib/codec.h) */
	struct msg *next;
};

struct master_metrics {
	/* written by HTTP threads (master_count_status): read with __atomic_load_n */
	uint64_t http_by_code[6]; /* 1xx..5xx */
	uint64_t http_by_status[600];
	uint64_t offers_sent, offers_declined, offers_accepted, offers_rescinded;
	uint64_t tasks_launched, updates_forwarded, updates_duplicate;
	uint64_t alloc_cycles;
	uint64_t alloc_cycle_hist[16]; /* log2 buckets of microseconds */
	uint64_t alloc_cycle_sum_us;
	int64_t recovery_us;
	uint64_t recovered_agents, recovered_frameworks, recovered_tasks;
	uint64_t agent_claims_refused; /* an agent's word on a task not its own, ignored */
};

/* outbox.c */
struct outbox_item;
struct outbox {
	struct outbox_item *head, *tail;
	struct outbox_item *untagged; /* the first item made since the last commit */
	size_t held;
};

struct master {
	struct master_flags *flags;
	struct loop *loop;
	struct http_server *http;
	struct loop_timer *alloc_timer, *cron_timer;
	bool alloc_pending;
	int64_t alloc_not_before_ns; /* --allocation-max-share: no cycle before this */
	uint64_t cron_ticks;
	int64_t started_ns;
	int64_t start_real_ns; /* wall clock at master_init (legacy.c start_time, GET_MASTER) */
	char master_id[UUID_STR_LEN];

	/* streams the owner ended and holds until their closed notice arrives */

	/* the queue from HTTP threads */
	pthread_mutex_t qlock;
	struct msg *qhead, *qtail;
	size_t qdepth, qdepth_max;

	struct strmap agents;     /* id -> struct agent */
	struct strmap frameworks; /* id -> struct framework */
	struct strmap offers;     /* id -> struct offer */
	struct alloc *alloc;
	struct registry *registry;
	bool registry_failed;
	struct outbox outbox;     /* held until the registry writes behind them are durable */
	/* liveness.c: what an agent's heartbeat must match, for the HTTP threads */
	pthread_mutex_t live_lock;
	struct strmap live;       /* agent id -> struct live, under live_lock */
	struct master_leader *leader; /* --zk: the election (leader.c), else NULL */
	json_t *info;                 /* leader.c: this master's MasterInfo, built on first use */
	bool restart;                 /* stepped down: master_run() returns MASTER_RESTART */
	json_t *completed;        /* the last completed tasks (GET_TASKS), oldest first */
	json_t *weights;          /* role -> weight set by UPDATE_WEIGHTS or --roles */
	json_t *role_tiers;       /* role -> default tier of its frameworks (--roles) */
	uint64_t next_offer;
	struct decline *declines, *declines_tail; /* oldest first */
	struct master_metrics metrics;

	/* security.c: read-only after master_init (HTTP threads read them) */
	struct auth_credentials creds;
	bool authenticate; /* --credentials given */
	struct acls acls;
	char *tls_cert_pem, *tls_key_pem;

	/* the operator API (operator*.c, quota.c; operator.h) */
	struct operator_sub *op_subs; /* event stream subscribers, oldest first */
	size_t op_nsubs;
	struct loop_timer *op_heartbeat_timer; /* their HEARTBEATs (made at the first) */
	struct loop_timer *log_revert_timer;   /* SET_LOGGING_LEVEL's duration */
	int log_level_start;                   /* the level before the first SET_LOGGING_LEVEL */
	json_t *quotas;                        /* role -> QuotaConfig (UPDATE_QUOTA, --roles) */
	/* agents.c, operator_state.c: agents and frameworks that are no more */
	json_t *gone_agents;          /* agent id -> when it was marked gone (s, wall clock) */
	int64_t gone_gc_ns;           /* the last master_agents_gone_gc (monotonic) */
	json_t *completed_frameworks; /* GetFrameworks.Framework of removed ones, oldest first */
};

/* master.c */
int master_init(struct master *m, struct master_flags *flags);
int master_run(struct master *m);
void master_fini(struct master *m);
/* HTTP threads (any thread): hand msg to the owner thread and wake it. */
void master_enqueue(struct master *m, struct msg *msg);
/* Any thread: the queue's depth and its highest so far (HTTP threads change them, under qlock). */
void master_queue_depth(struct master *m, size_t *ret_depth, size_t *ret_max);
/* Owner thread: handle every queued message, then hand the registry its writes (the loop
 * does this when woken; so does the fuzz harness). */
void master_drain(struct master *m);
void master_request_allocation(struct master *m);
/*
 * Any thread (HTTP threads too): count a reply in the HTTP metrics (master_reply_codec and
 * master_reply_error do it themselves).
 */
void master_count_status(struct master *m, unsigned status);
/* Free an agent that is in no map (MARK_AGENT_GONE, master_fini); tasks are not its. */
void master_agent_free(void *a);
/* End a stream and drop the owner's reference to it (NULL-safe). */
void master_stream_retire(struct master *m, struct http_stream *s);
/*
 * Answer req with an event stream owned by a framework or an agent (id). When the stream's
 * connection ends, a MSG_STREAM_CLOSED naming that owner reaches the owner thread.
 * Returns the stream (one reference for the caller) or NULL after answering an error.
 */
struct http_stream *master_open_stream(struct master *m, struct http_request *req,
				       const char *const *headers, size_t block_size,
				       bool agent, const char *id);
/*
 * master_open_stream whose records are desc events in codec c (lib/codec.h): a
 * scheduler's, an operator's SUBSCRIBE (msg->accept, mesos__v1__*__event__descriptor).
 * The stream's Content-Type is the codec's.
 */
struct http_stream *master_open_stream_codec(struct master *m, struct http_request *req,
					     const char *const *headers, size_t block_size,
					     bool agent, const char *id, enum codec c,
					     const ProtobufCMessageDescriptor *desc);
/* The codec of a stream's records (JSON for NULL or an untagged stream). */
enum codec master_stream_codec(const struct http_stream *s);
/* Send one event (taken) on a stream, in the stream's codec; false when it is gone. */
bool master_stream_send_event(struct http_stream *s, json_t *ev);
/* Any thread: HTTP threads answer with these before queuing, the owner thread after. */
/* Answer msg's request with body (taken; a desc message) in the negotiated msg->accept. */
void master_reply_codec(struct master *m, struct msg *msg, unsigned status,
			const ProtobufCMessageDescriptor *desc, json_t *body);
void master_reply_error(struct master *m, struct http_request *req, unsigned status,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* master_info.c */
/*
 * An agent's Offer.url as Mesos fills it: {"scheme": "http", "address": {"hostname",
 * "ip", "port"}, "path": "/slave(1)"} (ip: the address it connected from; port: its
 * agent_info.port, 5051 when 0).
 */
json_t *master_agent_url_json(const char *hostname, const char *ip, json_int_t port);
/* accept.c: ACCEPT, from a framework check_caller() let through */
void master_accept_call(struct master *m, struct framework *fw, struct msg *msg);

/* http.c: the handler that runs on HTTP threads */
void master_http_handler(struct http_request *req, void *data);

/* scheduler.c */
void master_scheduler_call(struct master *m, struct msg *msg);
void master_framework_stream_closed(struct master *m, struct framework *fw, struct http_stream *s);
void master_framework_send_update(struct master *m, struct framework *fw, struct task *t);
void master_framework_check_failover(struct master *m, int64_t now);
/* Record a new TaskStatus for t (takes status) and forward it to the framework. */
void master_task_update(struct master *m, struct task *t, json_t *status);
/* t's latest status (parsed from status_text on first use, then kept), or NULL. */
json_t *master_task_status(struct task *t);
/* A new reference to a copy of it that is not kept: for replies about many tasks. */
json_t *master_task_status_copy(const struct task *t);
/* A status the master makes itself (no uuid, so no acknowledgement is expected). */
/* The KILLs asked for a's live tasks, again (a has just resubscribed). */
void master_resend_kills(struct master *m, struct agent *a);
json_t *master_status(const struct task *t, enum task_state state, const char *reason,
		      const char *message);
/*
 * Tell fw (if connected) of a task the master does not keep (refused, unknown): a status of
 * its own, no uuid (no acknowledgement is expected). agent_id may be NULL.
 */
void master_framework_send_status(struct master *m, struct framework *fw, const char *task_id,
				  const char *agent_id, enum task_state state, const char *reason,
				  const char *message);
/* FAILURE with only agent_id to every connected framework: the agent is removed or unreachable. */
void master_frameworks_send_failure(struct master *m, const char *agent_id);
/* call[key].filters.refuse_seconds as Mesos reads it: default 5 s, negative = default, capped. */
double master_call_refuse_seconds(json_t *call, const char *key);
/* Drop a terminal task once its last update is acknowledged. */
void master_task_remove(struct master *m, struct task *t);
void master_task_free(struct task *t);

/* agents.c */
/* An agent's SUBSCRIBE call, parsed: pointers into the call's body (valid while it is). */
struct master_agent_subscribe {
	json_t *sub, *info; /* "subscribe", "subscribe.agent_info" */
	json_t *tasks; /* "subscribe.tasks": an array, or NULL */
	json_t *enforcement; /* "subscribe.enforcement", or NULL */
	const char *hostname; /* "agent_info.hostname" (the register_agents ACL's object) */
	const char *agent_id; /* "subscribe.agent_id": NULL when it asks for a new ID */
	const char *version;  /* "subscribe.version" (Drover's version of the agent), or NULL */
	json_t *capabilities; /* "subscribe.capabilities" validated (owned), or NULL */
	struct alloc_res total; /* "agent_info.resources" (owned: master_agent_subscribe_clear) */
};
/*
 * Pure: read a SUBSCRIBE call's body into ret; 0, or -EINVAL with why in err (the text that
 * follows "Failed to validate agent::Call: "). ret is set either way as far as the call was
 * read (ret->hostname NULL: it has none); clear it with master_agent_subscribe_clear.
 */
int master_agent_subscribe_parse(json_t *body, struct master_agent_subscribe *ret, char *err,
				 size_t errlen);
void master_agent_subscribe_clear(struct master_agent_subscribe *s);
void master_agent_call(struct master *m, struct msg *msg);
void master_agent_stream_closed(struct master *m, struct agent *a, struct http_stream *s);
void master_agents_check_pings(struct master *m, int64_t now);
bool master_agent_send(struct agent *a, json_t *ev);
/* ACKNOWLEDGE an update to the agent, once the registry has what follows from it (outbox). */
void master_agent_send_ack(struct master *m, struct agent *a, const char *fw_id,
			   const char *task_id, const char *uuid);
void master_agent_kill_tasks(struct master *m, struct agent *a, json_t *kill_policy);
/*
 * File t in a's map of tasks: only a task the master placed on a (t->agent_id is a's), so that
 * no agent's map holds a task another agent's removal frees. 0, -EINVAL or -ENOMEM.
 */
int master_agent_task_add(struct agent *a, struct task *t);
/* Take t out of its agent's map (when that entry is t; NULL-safe on the agent). */
void master_agent_task_del(struct master *m, const struct task *t);
/* Keep res (copied) of a task being killed on a out of a's offers until the task ends. */
void master_agent_hold(struct master *m, struct agent *a, const char *fw_id, const char *task_id,
		       const struct alloc_res *res);
/* ret = a's total less what master_agent_hold keeps (what the allocator may offer); -ENOMEM. */
int master_agent_offerable(const struct agent *a, struct alloc_res *ret);
/* Forget a's held resources (NULL-safe map walk; the allocator is not told). */
void master_agent_holds_clear(struct agent *a);
/* MARK_AGENT_GONE: a's tasks, offers and place go, the registry keeps it gone; a is freed. */
void master_agent_mark_gone(struct master *m, struct agent *a);
/*
 * Forget agents marked gone past --registry-max-agent-age, and the oldest past
 * --registry-max-agent-count (Mesos's registry GC; now_real_s: the wall clock, seconds).
 */
void master_agents_gone_gc(struct master *m, double now_real_s);

/* offers.c: the bridge to alloc/ */
int master_alloc_init(struct master *m);
void master_alloc_fini(struct master *m);
void master_alloc_framework_add(struct master *m, struct framework *fw);
void master_alloc_framework_remove(struct master *m, struct framework *fw);
/* What fw's capabilities change in the allocator (GPU_RESOURCES), again after an update. */
void master_alloc_framework_caps(struct master *m, struct framework *fw);
void master_alloc_framework_activate(struct master *m, struct framework *fw, bool active);
void master_alloc_framework_revive(struct master *m, struct framework *fw);
void master_alloc_agent_add(struct master *m, struct agent *a);
void master_alloc_agent_remove(struct master *m, struct agent *a);
/* a's offerable total changed (master_agent_hold): tell the allocator, if it has a. */
void master_alloc_agent_update(struct master *m, struct agent *a);
void master_alloc_agent_activate(struct master *m, struct agent *a, bool active);
/* Resources a framework holds on an agent outside any offer (running tasks). */
/* role: the role they are allocated to, NULL for fw's first role. */
void master_alloc_used(struct master *m, struct agent *a, struct framework *fw,
		       const char *role, const struct alloc_res *res);
/* Give back offered or used resources of role (NULL: fw's first); refuse_s > 0 filters
 * them from fw in that role on a. */
void master_alloc_recover(struct master *m, struct agent *a, struct framework *fw,
			  const char *role, const struct alloc_res *res, double refuse_s);
/* Roles added to fw (MULTI_ROLE), and the suppression of each of its roles. */
void master_alloc_framework_roles(struct master *m, struct framework *fw);
/* SUPPRESS (true) or REVIVE (false) of one of fw's roles. */
void master_alloc_role_suppress(struct master *m, struct framework *fw, const char *role,
				bool suppress);
/* fw left role (UPDATE_FRAMEWORK, failover): no more offers in it. */
void master_alloc_role_remove(struct master *m, struct framework *fw, const char *role);

/* fwroles.c: a framework's roles */
/* fw's roles become names (n of them; n >= 1), none suppressed; an entry fw already has
 * keeps its string (offers borrow it) and its suppression. fw->role follows names[0]. */
int master_framework_set_roles(struct framework *fw, const char *const *names, size_t n);
void master_framework_roles_free(struct framework *fw);
/* fw's entry for role, or NULL when role is not one of fw's. */
struct framework_role *master_framework_role(const struct framework *fw, const char *role);
/* Whether every role of fw is suppressed. */
bool master_framework_all_suppressed(const struct framework *fw);
/* The role a TaskInfo's resources are allocated to (allocation_info.role), or NULL. */
const char *master_task_info_role(json_t *ti);
void master_offers_allocate(struct master *m);
void master_offer_remove(struct master *m, struct offer *o, bool recover, double refuse_s);
void master_offer_rescind(struct master *m, struct offer *o);
/*
 * DECLINE: o is gone at once; its resources go back (with the filter) in
 * master_offers_declines_run.
 */
void master_offer_decline(struct master *m, struct offer *o, double refuse_s);
/* Hand declined resources back for about budget_ns (0: all); true while some are left. */
bool master_offers_declines_run(struct master *m, int64_t budget_ns);
/* Forget what is left (the allocator goes away). */
void master_offers_declines_drop(struct master *m);
json_t *master_offer_to_json(const struct offer *o);
/*
 * One framework's OFFERS event, written as text: the record is, byte for byte, what
 * wire_record() gives for {"type":"OFFERS","offers":{"offers":[master_offer_to_json(o), …]}}
 * (tests/unit/test_master_offers.c holds it to that). Offer ids must need no escaping.
 */
struct offers_event;
/* In the codec of fw's stream; _codec: in c (protobuf: the record is, byte for byte,
 * codec_record() of the same event, a mesos.v1.scheduler.Event). */
struct offers_event *master_offers_event_new(const struct framework *fw);
struct offers_event *master_offers_event_new_codec(const struct framework *fw, enum codec c);
/*
 * Add o (an offer to ev's framework): 0, -ENOMEM (after a failed write the event is lost)
 * or -EINVAL once ev is closed.
 */
int master_offers_event_add(struct offers_event *ev, const struct offer *o);
/* Close ev: its RecordIO record "<length>\n{…}", owned by ev. 0, or -ENOMEM. */
int master_offers_event_record(struct offers_event *ev, const char **ret, size_t *ret_len);
void master_offers_event_free(struct offers_event *ev);
/* Forget a's cached part of offers (its hostname or info changed, or it goes). NULL-safe. */
void master_agent_offer_frag_drop(struct agent *a);

/* persist.c: the master's side of the registry (owner thread) */
int master_registry_open(struct master *m);
/* Read the open registry (named name in messages) back into struct master. */
int master_registry_recover(struct master *m, const char *name);
void master_registry_close(struct master *m);
/* Commit this loop iteration's writes; a failed commit stops the master (as Mesos does). */
void master_commit(struct master *m);
/* master_commit, waiting until everything written is durable (then the outbox is empty). */
void master_sync(struct master *m);
void master_persist_task(struct master *m, struct task *t);
/* t is done (terminal and acknowledged, or its framework went): keep it as history. */
void master_persist_task_done(struct master *m, struct task *t);
void master_persist_agent(struct master *m, const struct agent *a);
/* a is marked gone at gone_s (wall clock, seconds): only its ID and that time matter now. */
void master_persist_agent_gone(struct master *m, const struct agent *a, double gone_s);
/* a is removed (no longer admitted; it may register again as a new agent). */
void master_persist_agent_removed(struct master *m, const struct agent *a);
void master_persist_framework(struct master *m, const struct framework *fw);
void master_persist_framework_removed(struct master *m, const struct framework *fw);
void master_persist_weight(struct master *m, const char *role, double weight);
/* A role's QuotaConfig (borrowed), empty ones too (quota.c keeps the master's table). */
void master_persist_quota(struct master *m, const char *role, json_t *config);
/* --roles FILE: weights, quota and tiers; -errno with a logged message. */
int master_roles_load(struct master *m, const char *path);

/* outbox.c: held until this loop iteration's registry writes are durable */
/* An event (taken) for stream s. */
void master_outbox_send(struct master *m, struct http_stream *s, json_t *ev);
/*
 * An empty answer with status to req; for an ACKNOWLEDGE call, ack_uuid (else NULL) names the
 * update, and the answer is logged (debug) just before it leaves.
 */
void master_outbox_reply(struct master *m, struct http_request *req, unsigned status,
			 const char *ack_uuid);
/* Tag what is new with generation submitted; send what waits for durable or older. */
void master_outbox_release(struct master *m, uint64_t submitted, uint64_t durable);
/* Forget everything held (the master stops leading, or its registry failed). */
void master_outbox_drop(struct master *m);

/* liveness.c: agent heartbeats answered on the HTTP threads */
void master_liveness_init(struct master *m);
void master_liveness_fini(struct master *m);
/* Owner: a's heartbeats are now valid on its current stream / no longer are. */
void master_liveness_agent_up(struct master *m, const struct agent *a);
void master_liveness_agent_down(struct master *m, const struct agent *a);
/* Owner: when a's last heartbeat came (0: none recorded here). */
int64_t master_liveness_seen(struct master *m, const struct agent *a);
/* HTTP thread: true when call is a heartbeat of a subscribed agent on its stream (recorded). */
bool master_liveness_heartbeat(struct master *m, const json_t *call, const char *stream_id,
			       const char *principal);

/* security.c */
/* Load --credentials, --acls, --tls-cert/--tls-key; -errno with a logged message. */
int master_security_init(struct master *m);
void master_security_fini(struct master *m);
/*
 * HTTP thread: who is calling. True with *ret_principal (malloc'ed, NULL when
 * authentication is off); false after answering 401.
 */
bool master_authenticate(struct master *m, struct http_request *req, char **ret_principal);
/* Owner thread: may msg's caller do action on object? False after answering 403. */
bool master_authorize(struct master *m, struct msg *msg, enum acl_action action,
		      const char *object);
/* Same, allowed only by an explicit rule (master_acls_allowed_explicit). */
bool master_authorize_explicit(struct master *m, struct msg *msg, enum acl_action action,
			       const char *object);
/* The principal a framework was registered by ("principal" of its FrameworkInfo), or NULL. */
const char *master_framework_principal(const struct framework *fw);

/* operator.c */
void master_operator_call(struct master *m, struct msg *msg);
void master_metrics_reply(struct master *m, struct msg *msg);
json_t *master_task_to_json(const struct task *t);

/* executors.c: LAUNCH_GROUP, executors' MESSAGE, SHUTDOWN and FAILURE */
/* The TaskInfos of an ACCEPT operation: launch.task_infos, or launch_group.task_group.tasks. */
json_t *master_op_task_infos(json_t *op);
/*
 * A LAUNCH_GROUP's group-level checks (its executor, Mesos's §7 rules) and the executor's
 * resources taken from left into *ret_res (the caller's): a DEFAULT executor's, or a CUSTOM
 * one's when it does not run on a yet (*ret_new_custom; master_executor_check). -EINVAL with
 * err: its tasks get TASK_ERROR, REASON_TASK_GROUP_INVALID (master_group_refuse).
 */
int master_group_check(struct agent *a, struct framework *fw, json_t *op, struct alloc_res *left,
		       struct alloc_res *ret_res, bool *ret_new_custom, char *err, size_t errlen);
void master_group_refuse(struct master *m, struct framework *fw, struct agent *a, json_t *op,
			 const char *why, const char *reason);
/* The LAUNCH_GROUP event for op's tasks (already in fw->tasks, TASK_STAGING). */
void master_group_launch(struct master *m, struct framework *fw, struct agent *a, json_t *op);
/*
 * CUSTOM executors (TaskInfo.executor) are accounted as Mesos does: the first task naming an
 * executor on an agent takes the executor's resources from the offers beside its own, and
 * they stay the framework's until the agent says the executor exited (EXECUTOR_EXITED), it
 * reregisters without it, or the framework is removed.
 *
 * ti's executor on a: 1 when it is new there (*ret: its resources, to take from the offers
 * with the task's), 0 when ti names none or the same ExecutorInfo runs there already (*ret
 * empty), -EINVAL with err (naming path) when its resources are bad or another ExecutorInfo
 * of that ID runs there (Mesos refuses an executor changed while it runs).
 */
int master_executor_check(struct agent *a, const struct framework *fw, json_t *ti,
			  const char *path, struct alloc_res *ret, char *err, size_t errlen);
/* ti's new executor runs on a from now; res (taken) is fw's, in role (NULL: its first), until
 * it exits. */
void master_executor_add(struct agent *a, const struct framework *fw, json_t *ti,
			 const char *role, struct alloc_res *res);
/*
 * The executors an agent reports in its SUBSCRIBE ("subscribe.executors": [{framework_id,
 * executor_id, resources}]) replace what the master knew of it: each is charged to its
 * framework (which must be known; the rest are ignored), as after a master failover.
 */
void master_executors_reported(struct master *m, struct agent *a, json_t *executors);
/* fw is being removed: its executors are forgotten (the allocator drops fw's share). */
void master_executors_framework_removed(struct master *m, const struct framework *fw);
void master_agent_executors_clear(struct agent *a);
/*
 * Each CUSTOM executor the master knows on a, as Mesos's GET_EXECUTORS shows one: its
 * ExecutorInfo (after a failover, before the framework launches on it again, only what the
 * agent reported: executor_id, framework_id, resources). fw_id is the framework's ID.
 */
void master_agent_executors_foreach(struct agent *a,
				    void (*cb)(void *data, const char *fw_id, json_t *info),
				    void *data);
/* The scheduler's MESSAGE and SHUTDOWN calls. */
void master_executor_call(struct master *m, struct framework *fw, struct msg *msg);
/* The agent's EXECUTOR_MESSAGE and EXECUTOR_EXITED calls. */
void master_agent_executor_call(struct master *m, struct agent *a, struct msg *msg);

#endif
