// SPDX-License-Identifier: Apache-2.0
/*
 * The master's owner thread: a loop fed by the HTTP threads' queue, an allocation timer and
 * a one-second cron (heartbeats, ping checks, framework failover timeouts, offer timeouts).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonnum.h"
#include "leader.h"
#include "legacy.h"
#include "log.h"
#include "master.h"
#include "operator.h"

static void msg_free(struct msg *msg)
{
	if (!msg)
		return;
	json_decref(msg->body);
	free(msg->stream_id);
	free(msg->owner_id);
	free(msg->principal);
	if (msg->stream)
		http_stream_unref(msg->stream);
	free(msg);
}

void master_enqueue(struct master *m, struct msg *msg)
{
	pthread_mutex_lock(&m->qlock);
	msg->next = NULL;
	if (m->qtail)
		m->qtail->next = msg;
	else
		m->qhead = msg;
	m->qtail = msg;
	if (++m->qdepth > m->qdepth_max)
		m->qdepth_max = m->qdepth;
	pthread_mutex_unlock(&m->qlock);
	loop_wakeup(m->loop);
}

/* Any thread: the queue's depth now and its highest so far (both under qlock). */
void master_queue_depth(struct master *m, size_t *ret_depth, size_t *ret_max)
{
	pthread_mutex_lock(&m->qlock);
	*ret_depth = m->qdepth;
	*ret_max = m->qdepth_max;
	pthread_mutex_unlock(&m->qlock);
}

void master_count_status(struct master *m, unsigned status)
{
	unsigned k = status / 100;

	if (k >= 1 && k <= 5) {
		__atomic_fetch_add(&m->metrics.http_by_code[k], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&m->metrics.http_by_status[status], 1, __ATOMIC_RELAXED);
	}
}

static void reply_json(struct master *m, struct http_request *req, unsigned status, json_t *body)
{
	char *s = jsonnum_dumps(body, JSON_COMPACT);

	master_count_status(m, status);
	http_reply(req, status, "application/json", s ? s : "{}", s ? strlen(s) : 2, NULL);
	free(s);
	json_decref(body);
}

void master_reply_error(struct master *m, struct http_request *req, unsigned status,
			const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	master_count_status(m, status);
	http_reply_error(req, status, "%s", buf);
}

void master_reply_codec(struct master *m, struct msg *msg, unsigned status,
			const ProtobufCMessageDescriptor *desc, json_t *body)
{
	if (msg->accept == CODEC_JSON)
		reply_json(m, msg->req, status, body);
	else
		master_count_status(m, codec_reply(msg->req, status, msg->accept, desc, body));
}

enum codec master_stream_codec(const struct http_stream *s)
{
	const struct codec_format *fmt = s ? http_stream_tag(s) : NULL;

	return fmt ? fmt->codec : CODEC_JSON;
}

bool master_stream_send_event(struct http_stream *s, json_t *ev)
{
	const struct codec_format *fmt;
	char err[CODEC_ERR_LEN];
	char *rec = NULL;
	size_t n;
	bool ok;
	int r;

	if (!s) {
		json_decref(ev);
		return false;
	}
	fmt = http_stream_tag(s);
	r = codec_record(fmt ? fmt->codec : CODEC_JSON, fmt ? fmt->desc : NULL, ev, &rec, &n, err,
			 sizeof(err));
	if (r < 0) {
		/* an event the schema refuses is a bug of the master's: say which */
		log_warn("event %s not sent: %s", json_string_value(json_object_get(ev, "type")),
			 err);
		json_decref(ev);
		return false;
	}
	json_decref(ev);
	r = http_stream_send(s, rec, n);
	if (r == -ENOBUFS)
		log_warn("a subscriber does not read its event stream: past --max-stream-queue, "
			 "its connection is closed");
	ok = r == 0;
	free(rec);
	return ok;
}

void master_stream_retire(struct master *m, struct http_stream *s)
{
	if (!s)
		return;
	http_stream_end(s);
	http_stream_unref(s);
}

struct stream_owner {
	struct master *m;
	bool agent;
	char id[];
};

/* Any thread: the stream's connection is gone; tell the owner thread whose it was. */
static void on_stream_closed(struct http_stream *s, void *data)
{
	struct stream_owner *o = data;
	struct msg *msg = calloc(1, sizeof(*msg));

	if (msg) {
		msg->kind = MSG_STREAM_CLOSED;
		http_stream_ref(s); /* the message's own, dropped once the owner has looked */
		msg->stream = s;
		msg->owner_is_agent = o->agent;
		msg->owner_id = strdup(o->id);
		master_enqueue(o->m, msg);
	}
	free(o);
}

struct http_stream *master_open_stream(struct master *m, struct http_request *req,
				       const char *const *headers, size_t block_size,
				       bool agent, const char *id)
{
	return master_open_stream_codec(m, req, headers, block_size, agent, id, CODEC_JSON, NULL);
}

struct http_stream *master_open_stream_codec(struct master *m, struct http_request *req,
					     const char *const *headers, size_t block_size,
					     bool agent, const char *id, enum codec c,
					     const ProtobufCMessageDescriptor *desc)
{
	const struct codec_format *fmt = codec_stream_format(c, desc);
	struct stream_owner *o = malloc(sizeof(*o) + strlen(id) + 1);
	struct http_stream *s;

	if (!o) {
		http_reply_error(req, 503, "out of memory");
		return NULL;
	}
	o->m = m;
	o->agent = agent;
	strcpy(o->id, id);
	if (!fmt) {
		free(o);
		http_reply_error(req, 500, "no such stream format");
		return NULL;
	}
	s = http_reply_stream(req, codec_content_type(fmt->codec), headers, block_size,
			      on_stream_closed, o);
	if (!s)
		free(o); /* the server answered 503 and will never call on_stream_closed */
	else
		http_stream_set_tag(s, fmt);
	return s;
}

static struct msg *master_dequeue(struct master *m)
{
	struct msg *msg;

	pthread_mutex_lock(&m->qlock);
	msg = m->qhead;
	if (msg) {
		m->qhead = msg->next;
		if (!m->qhead)
			m->qtail = NULL;
		m->qdepth--;
	}
	pthread_mutex_unlock(&m->qlock);
	return msg;
}

static void master_dispatch(struct master *m, struct msg *msg)
{
	/* queued while this master led, answered after it stopped (or not yet started) */
	if (msg->req && msg->kind != MSG_METRICS && msg->kind != MSG_LEGACY &&
	    master_leader_redirect(m, msg->req))
		return;
	switch (msg->kind) {
	case MSG_SCHEDULER:
		master_scheduler_call(m, msg);
		break;
	case MSG_AGENT:
		master_agent_call(m, msg);
		break;
	case MSG_OPERATOR:
		master_operator_call(m, msg);
		break;
	case MSG_METRICS:
		master_metrics_reply(m, msg);
		break;
	case MSG_STREAM_CLOSED:
		/* only if it is still the owner's current stream (not replaced meanwhile) */
		if (msg->owner_is_agent) {
			struct agent *a = msg->owner_id ? strmap_get(&m->agents, msg->owner_id) : NULL;
			if (a && a->stream == msg->stream)
				master_agent_stream_closed(m, a, msg->stream);
		} else {
			struct framework *fw =
				msg->owner_id ? strmap_get(&m->frameworks, msg->owner_id) : NULL;
			if (fw && fw->stream == msg->stream)
				master_framework_stream_closed(m, fw, msg->stream);
		}
		break;
	case MSG_ZK:
		master_leader_event(m, msg->zk_type, msg->zk_state);
		break;
	case MSG_LEGACY:
		master_legacy_reply(m, msg);
		break;
	case MSG_OPERATOR_STREAM_CLOSED:
		master_operator_stream_closed(m, msg->stream);
		break;
	}
}

#define DECLINE_SLICE_NS 1000000 /* 1 ms */

void master_drain(struct master *m)
{
	struct msg *msg;

	while ((msg = master_dequeue(m))) {
		master_dispatch(m, msg);
		msg_free(msg);
	}
	/* declined resources back to the allocator, a slice at a time: calls come first */
	if (m->declines && master_offers_declines_run(m, DECLINE_SLICE_NS))
		loop_wakeup(m->loop);
	master_commit(m);
}

static void on_wake(struct loop *l, void *data)
{
	master_drain(data);
}

/*
 * Allocation is batched: events ask for a cycle, the timer runs at most one per tick. A
 * cycle visits every agent, so at 10,000 agents even one that offers nothing takes
 * milliseconds, and one that offers every agent far more; the next cycle (asked for by an
 * event, or the interval's) waits until the last one is at most --allocation-max-share of
 * the time since it began, so that calls keep most of the owner thread under load
 * (docs/benchmarks.md, "Offer path at 10,000 agents").
 */
#define ALLOC_BATCH_NS 1000000 /* 1 ms: batch what arrives meanwhile */

static int64_t alloc_delay(struct master *m, int64_t want_ns)
{
	int64_t wait = m->alloc_not_before_ns - now_mono_ns();

	return wait > want_ns ? wait : want_ns;
}

void master_request_allocation(struct master *m)
{
	if (!m->alloc_pending) {
		m->alloc_pending = true;
		loop_timer_set(m->alloc_timer, alloc_delay(m, ALLOC_BATCH_NS),
			       m->flags->allocation_interval_ns);
	}
}

static void on_alloc_timer(struct loop *l, struct loop_timer *t, void *data)
{
	struct master *m = data;
	int64_t t0 = now_mono_ns(), t1, share = m->flags->allocation_max_share;

	m->alloc_pending = false;
	master_offers_allocate(m);
	t1 = now_mono_ns();
	m->alloc_not_before_ns = share > 0 && share < 100 ? t1 + (t1 - t0) * (100 - share) / share
							   : 0;
	/* (the cycle itself may have asked for another: a framework below its offer cap) */
	loop_timer_set(m->alloc_timer,
		       alloc_delay(m, m->alloc_pending ? ALLOC_BATCH_NS
						       : m->flags->allocation_interval_ns),
		       m->flags->allocation_interval_ns);
}

static void on_cron(struct loop *l, struct loop_timer *t, void *data)
{
	struct master *m = data;
	int64_t now = now_mono_ns();
	bool beat = ++m->cron_ticks % HEARTBEAT_INTERVAL_S == 0;
	size_t it;
	void *v;

	for (it = 0; beat && strmap_next(&m->frameworks, &it, NULL, &v);) {
		struct framework *fw = v;
		if (fw->connected)
			master_stream_send_event(fw->stream, wire_event("HEARTBEAT", NULL, NULL));
	}
	for (it = 0; beat && strmap_next(&m->agents, &it, NULL, &v);) {
		struct agent *a = v;
		if (a->connected)
			master_stream_send_event(a->stream, wire_event("HEARTBEAT", NULL, NULL));
	}
	master_leader_tick(m);
	master_agents_check_pings(m, now);
	master_framework_check_failover(m, now);
	/* offer timeouts */
	if (m->flags->offer_timeout_ns > 0) {
		for (it = 0; strmap_next(&m->offers, &it, NULL, &v);) {
			struct offer *o = v;
			if (now - o->created_ns >= m->flags->offer_timeout_ns) {
				master_offer_rescind(m, o);
				it = 0; /* the map changed: start over */
			}
		}
	}
	master_commit(m);
}

int master_init(struct master *m, struct master_flags *flags)
{
	struct http_server_config hc = {
		.listen = flags->listen,
		.max_body = (size_t)flags->max_body_size,
		.max_per_peer = (unsigned)flags->max_connections_per_peer,
		.max_stream_queue = (size_t)flags->max_stream_queue,
		.max_header = (size_t)flags->max_header_size,
		.idle_timeout_s = (unsigned)(flags->http_idle_timeout_ns / 1000000000),
		.handler = master_http_handler,
		.handler_data = m,
	};
	int r;

	memset(m, 0, sizeof(*m));
	m->flags = flags;
	m->started_ns = now_mono_ns();
	m->start_real_ns = now_real_ns();
	uuid_random(m->master_id);
	pthread_mutex_init(&m->qlock, NULL);
	strmap_init(&m->agents);
	strmap_init(&m->frameworks);
	strmap_init(&m->offers);
	master_liveness_init(m);
	m->completed = json_array();
	m->gone_agents = json_object();
	m->completed_frameworks = json_array();
	m->weights = json_object();
	m->role_tiers = json_object();
	m->quotas = json_object();
	m->log_level_start = -1;
	if (!m->completed || !m->weights || !m->role_tiers || !m->quotas || !m->gone_agents ||
	    !m->completed_frameworks)
		return log_error_errno(ENOMEM, "out of memory");

	r = loop_new(&m->loop);
	if (r < 0)
		return log_error_errno(r, "cannot create the event loop: %m");
	loop_set_wake(m->loop, on_wake, m);
	m->alloc_timer = loop_timer_add(m->loop, flags->allocation_interval_ns,
					flags->allocation_interval_ns, on_alloc_timer, m);
	m->cron_timer = loop_timer_add(m->loop, 1000000000, 1000000000, on_cron, m);
	if (!m->alloc_timer || !m->cron_timer)
		return log_error_errno(errno, "cannot create timers: %m");
	r = master_alloc_init(m);
	if (r < 0)
		return r;
	if (flags->roles) {
		r = master_roles_load(m, flags->roles);
		if (r < 0)
			return r;
	}
	r = master_security_init(m);
	if (r < 0)
		return r;
	/* with --zk the registry opens once this master is elected */
	r = flags->zk ? master_leader_start(m) : master_registry_open(m);
	if (r < 0)
		return r;
	hc.tls_cert_pem = m->tls_cert_pem;
	hc.tls_key_pem = m->tls_key_pem;
	r = http_server_start(&hc, &m->http);
	if (r == -EBADMSG)
		return log_error_errno(r, "cannot serve TLS on '%s': check --tls-cert and --tls-key",
				       flags->listen);
	if (r < 0)
		return log_error_errno(r, "cannot listen on '%s': %m", flags->listen);
	log_info("master %s listening on %s%s", m->master_id, flags->listen,
		 m->tls_cert_pem ? " (TLS)" : "");
	return 0;
}

int master_run(struct master *m)
{
	int r = loop_run(m->loop);

	if (r < 0)
		log_error_errno(r, "event loop failed: %m");
	return r < 0 ? r : m->restart ? MASTER_RESTART : 0;
}

static void free_framework(void *p)
{
	struct framework *fw = p;

	strmap_clear(&fw->tasks, (void (*)(void *))master_task_free);
	strmap_clear(&fw->offers, NULL);
	http_stream_unref(fw->stream);
	json_decref(fw->info);
	free(fw->role);
	master_framework_roles_free(fw);
	free(fw->id);
	free(fw);
}

void master_agent_free(void *p)
{
	struct agent *a = p;

	strmap_clear(&a->tasks, NULL); /* tasks are owned by their framework */
	strmap_clear(&a->offers, NULL);
	master_agent_holds_clear(a);
	master_agent_executors_clear(a);
	http_stream_unref(a->stream);
	json_decref(a->info);
	json_decref(a->url);
	json_decref(a->enforcement);
	json_decref(a->capabilities);
	master_agent_offer_frag_drop(a);
	alloc_res_clear(&a->total);
	free(a->hostname);
	free(a->principal);
	free(a->version);
	free(a->id);
	free(a);
}

static void free_offer(void *p)
{
	struct offer *o = p;

	alloc_res_clear(&o->res);
	free(o->id);
	free(o);
}

/*
 * Free every queued message. Under the queue's lock, and leaving head and tail empty:
 * threads that are not stopped yet (HTTP, ZooKeeper's) may still enqueue meanwhile, and a
 * tail left pointing at a freed message would be written through.
 */
static void drop_queue(struct master *m)
{
	struct msg *msg, *next;

	pthread_mutex_lock(&m->qlock);
	msg = m->qhead;
	m->qhead = m->qtail = NULL;
	m->qdepth = 0;
	pthread_mutex_unlock(&m->qlock);
	for (; msg; msg = next) {
		next = msg->next;
		msg_free(msg);
	}
}

void master_fini(struct master *m)
{
	/* The owner is done: drop queued requests (the server answers them 503), send what
	 * the outbox holds once durable (unless no longer leading), stop HTTP. */
	drop_queue(m);
	if (!m->restart)
		master_sync(m);
	master_outbox_drop(m);
	http_server_stop(m->http);
	master_liveness_fini(m); /* no HTTP thread is left to look */
	drop_queue(m); /* closed-stream notices posted while stopping */
	master_operator_streams_fini(m);
	master_leader_stop(m);
	drop_queue(m); /* and what ZooKeeper's threads posted until they stopped */
	master_registry_close(m);
	strmap_clear(&m->offers, free_offer);
	master_offers_declines_drop(m);
	strmap_clear(&m->frameworks, free_framework);
	strmap_clear(&m->agents, master_agent_free);
	json_decref(m->completed);
	json_decref(m->gone_agents);
	json_decref(m->completed_frameworks);
	json_decref(m->weights);
	json_decref(m->role_tiers);
	json_decref(m->quotas);
	master_security_fini(m);
	master_alloc_fini(m);
	loop_timer_del(m->loop, m->alloc_timer);
	loop_timer_del(m->loop, m->cron_timer);
	loop_free(m->loop);
	pthread_mutex_destroy(&m->qlock);
}
