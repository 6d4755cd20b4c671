// SPDX-License-Identifier: Apache-2.0
/*
 * drover-simagent: N simulated agents in one process, speaking the real agent API to a real
 * drover-master over loopback. One epoll loop (lib/loop), one timer heap driven by a single
 * timerfd, libcurl multi for HTTP (lib/http_client): no thread, no descriptor per agent
 * except its stream connection, which connects from the agent's own address in 127.0.0.0/8
 * (so no source address runs out of ephemeral ports).
 *
 * An agent SUBSCRIBEs (again with its agent_id and running tasks after a lost stream),
 * POSTs HEARTBEATs at the interval SUBSCRIBED names, and answers LAUNCH with
 * STARTING, RUNNING and, after a duration drawn from a normal distribution, FINISHED; KILL
 * ends a task with TASK_KILLED. Updates go out one at a time per task, the head re-sent
 * until the master relays its acknowledgement (backoff as the real agent).
 *
 * Prints a progress line every --progress seconds and final counts; exits non-zero when a
 * task was lost (an update the master refused outright, or fewer than --expect-tasks tasks
 * ended and acknowledged).
 */
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <jansson.h>

#include "daemon.h"
#include "http_client.h"
#include "id.h"
#include "loop.h"
#include "status_uuid.h"
#include "strmap.h"
#include "subscription.h"
#include "util.h"
#include "wire.h"
#include "malloc_tune.h"

#define SEC 1000000000LL

enum ev_kind { EV_SUBSCRIBE, EV_HEARTBEAT, EV_FINISH, EV_RETRY, EV_RUNNING };

struct ev {
	int64_t when;
	enum ev_kind kind;
	void *obj;
};

struct sim;
struct sagent;

struct supdate {
	struct supdate *next;
	enum task_state state;
	char uuid[UUID_STR_LEN];
};

struct stask {
	struct sagent *a;
	char *key; /* "<fw>/<task>" */
	char *fw_id, *id;
	enum task_state state; /* latest */
	struct supdate *updates, *updates_tail;
	bool in_flight; /* the head update is being POSTed */
	bool retry_armed;
	int64_t backoff_ns;
	int64_t launched_ns;
	int refs;  /* heap entries naming this task */
	bool dead; /* forgotten; freed when refs reaches 0 */
	bool counted_done;
	char *res_json; /* resources as launched, for reregistration */
};

struct sagent {
	struct sim *sim;
	int idx;
	char addr[16];
	char id[64];
	char hostname[32];
	struct subscription *sub; /* its stream and Mesos-Stream-Id */
	bool subscribed, ever_subscribed;
	int64_t hb_ns;
	int64_t backoff_ns;
	int64_t sub_started_ns;
	struct strmap tasks;
};

struct sim {
	struct loop *loop;
	struct http_client *streams, *posts;
	struct loop_timer *timer, *progress_timer;
	int64_t timer_at;
	char url[512];
	int nagents, offset;
	struct sagent *agents;
	char *resources_json;
	double mean_s, sd_s, ramp;
	bool starting;
	struct ev *heap;
	size_t nheap, capheap;
	uint64_t rng;
	int64_t start_ns, run_for_ns, all_subscribed_ns;
	long expect_tasks;
	double progress_s;
	volatile sig_atomic_t interrupted;
	bool stopping; /* calls are being aborted at exit: no retry, no report */
	/* counters */
	long subscribed_now, subscribes, resubscribes, sub_failures;
	long launched, running, finished, killed, done_acked, duplicate_launches;
	long updates_sent, updates_acked, update_failures, refused, heartbeats, hb_failures;
	long kills;
	long acks_stale;
	long malformed; /* records from the master that were no event */
	int64_t first_loss_ns; /* every agent was subscribed, then one lost the master */
	/* the call queue */
	struct postq_item *qhead, *qtail;
	long inflight, max_inflight, queued, queued_max;
	struct postq_ctx *calls; /* in flight */
};

static struct sim *the_sim;

/*
 * Calls wait here and go out over at most --post-connections connections at a time: our
 * own queue, not libcurl's per-host limit, whose pending handles can stall until their
 * timeout on the libcurl of Debian 12 (7.88).
 */
struct postq_item {
	struct postq_item *next;
	http_done_fn done;
	void *data;
	size_t len;
	char hdr[160];
	char body[];
};

static void postq_pump(struct sim *s);

struct postq_ctx {
	struct sim *s;
	http_done_fn done;
	void *data;
	struct postq_ctx *prev, *next; /* in flight (freed at exit if never answered) */
};

/* ------------------------------------------------------------------ random */

static uint64_t rnd(struct sim *s)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 2685821657736338717ULL;
}

static double rnd_unit(struct sim *s)
{
	return ((double)(rnd(s) >> 11) + 0.5) / 9007199254740992.0;
}

static int64_t task_duration_ns(struct sim *s)
{
	double u1 = rnd_unit(s), u2 = rnd_unit(s);
	double z = sqrt(-2.0 * log(u1)) * cos(2 * M_PI * u2);
	double d = s->mean_s + s->sd_s * z;

	if (d < 0)
		d = 0;
	return (int64_t)(d * 1e9);
}

/* ------------------------------------------------------------------ timer heap */

static void heap_swap(struct sim *s, size_t i, size_t j)
{
	struct ev t = s->heap[i];
	s->heap[i] = s->heap[j];
	s->heap[j] = t;
}

static void rearm(struct sim *s)
{
	int64_t now, at;

	if (!s->nheap) {
		if (s->timer_at) {
			loop_timer_stop(s->timer);
			s->timer_at = 0;
		}
		return;
	}
	at = s->heap[0].when;
	if (s->timer_at && s->timer_at <= at)
		return;
	now = now_mono_ns();
	loop_timer_set(s->timer, at > now ? at - now : 0, 0);
	s->timer_at = at;
}

static void schedule(struct sim *s, int64_t when, enum ev_kind kind, void *obj)
{
	size_t i;

	if (s->nheap == s->capheap) {
		size_t cap = s->capheap ? 2 * s->capheap : 1024;
		struct ev *n = realloc(s->heap, cap * sizeof(*n));
		if (!n) {
			fprintf(stderr, "simagent: out of memory\n");
			exit(2);
		}
		s->heap = n;
		s->capheap = cap;
	}
	if (kind == EV_FINISH || kind == EV_RETRY || kind == EV_RUNNING)
		((struct stask *)obj)->refs++;
	i = s->nheap++;
	s->heap[i] = (struct ev){when, kind, obj};
	while (i && s->heap[(i - 1) / 2].when > s->heap[i].when) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	rearm(s);
}

static struct ev heap_pop(struct sim *s)
{
	struct ev top = s->heap[0];
	size_t i = 0;

	s->heap[0] = s->heap[--s->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < s->nheap && s->heap[l].when < s->heap[m].when)
			m = l;
		if (r < s->nheap && s->heap[r].when < s->heap[m].when)
			m = r;
		if (m == i)
			break;
		heap_swap(s, i, m);
		i = m;
	}
	return top;
}

/* ------------------------------------------------------------------ tasks */

static void task_free(struct stask *t)
{
	while (t->updates) {
		struct supdate *u = t->updates;
		t->updates = u->next;
		free(u);
	}
	free(t->key);
	free(t->fw_id);
	free(t->id);
	free(t->res_json);
	free(t);
}

static void task_unref(struct stask *t)
{
	if (--t->refs == 0 && t->dead)
		task_free(t);
}

static void postq_done(long status, const char *body, size_t len, const char *err, void *data)
{
	struct postq_ctx *c = data;
	struct sim *s = c->s;

	s->inflight--;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->done(status, body, len, err, c->data);
	free(c);
	postq_pump(s);
}

static void postq_pump(struct sim *s)
{
	while (s->qhead && s->inflight < s->max_inflight) {
		struct postq_item *it = s->qhead;
		const char *hdrs[2] = {it->hdr, NULL};
		struct postq_ctx *c = malloc(sizeof(*c));
		s->qhead = it->next;
		if (!s->qhead)
			s->qtail = NULL;
		s->queued--;
		if (c) {
			*c = (struct postq_ctx){s, it->done, it->data, NULL, s->calls};
			if (http_post(s->posts, s->url, "application/json", it->body, it->len, hdrs,
				      15000, postq_done, c)) {
				s->inflight++;
				if (s->calls)
					s->calls->prev = c;
				s->calls = c;
			} else {
				free(c), c = NULL;
			}
		}
		if (!c)
			it->done(0, "", 0, "cannot start the call", it->data);
		free(it);
	}
}

/* At exit: every call still queued or out gets its done (status 0), as agent_post promises. */
static void postq_abort(struct sim *s)
{
	s->stopping = true;
	while (s->calls) {
		struct postq_ctx *c = s->calls;
		s->calls = c->next;
		c->done(0, "", 0, "shutting down", c->data);
		free(c);
	}
	while (s->qhead) {
		struct postq_item *it = s->qhead;
		s->qhead = it->next;
		it->done(0, "", 0, "shutting down", it->data);
		free(it);
	}
	s->qtail = NULL;
}

/* Queue a call of agent a; done runs once, always (status 0 and err on failure). */
static void agent_post(struct sagent *a, const char *body, size_t len, http_done_fn done,
		       void *data)
{
	struct sim *s = a->sim;
	struct postq_item *it = malloc(sizeof(*it) + len + 1);

	if (!it) {
		done(0, "", 0, "out of memory", data);
		return;
	}
	it->next = NULL;
	it->done = done;
	it->data = data;
	it->len = len;
	snprintf(it->hdr, sizeof(it->hdr), "Mesos-Stream-Id: %s", subscription_stream_id(a->sub));
	memcpy(it->body, body, len + 1);
	if (s->qtail)
		s->qtail->next = it;
	else
		s->qhead = it;
	s->qtail = it;
	if (++s->queued > s->queued_max)
		s->queued_max = s->queued;
	postq_pump(s);
}

static void send_head(struct stask *t);

static void schedule_retry(struct stask *t)
{
	struct sim *s = t->a->sim;

	t->backoff_ns = t->backoff_ns ? 2 * t->backoff_ns : SEC / 2;
	if (t->backoff_ns > 10 * SEC)
		t->backoff_ns = 10 * SEC;
	if (!t->retry_armed) {
		t->retry_armed = true;
		schedule(s, now_mono_ns() + t->backoff_ns, EV_RETRY, t);
	}
}

struct update_ctx {
	struct stask *t;
	char uuid[UUID_STR_LEN];
};

static void on_update_sent(long status, const char *body, size_t len, const char *err,
			   void *data)
{
	struct update_ctx *c = data;
	struct stask *t = c->t;
	struct sim *s = t->a->sim;
	bool current = !t->dead && t->updates && strcmp(t->updates->uuid, c->uuid) == 0;

	free(c);
	if (current)
		t->in_flight = false;
	if (!current || t->dead || s->stopping) {
		/* acknowledged (or forgotten) while the POST was out, or aborted at exit */
		task_unref(t);
		return;
	}
	task_unref(t); /* t is still in its agent's map: alive */
	if (status == 202) {
		/* the acknowledgement comes on the stream; re-send if it does not */
		t->backoff_ns = 5 * SEC / 2;
		schedule_retry(t);
		return;
	}
	s->update_failures++;
	if (s->update_failures <= 5)
		fprintf(stderr, "simagent: update of task '%s' failed: %ld %.200s\n", t->id, status,
			err ? err : body);
	if (status == 400) {
		/* the master will never take it: that task is lost to us */
		fprintf(stderr, "simagent: update of task '%s' refused: %.200s\n", t->id, body);
		s->refused++;
	}
	schedule_retry(t);
}

static void send_head(struct stask *t)
{
	struct sagent *a = t->a;
	struct sim *s = a->sim;
	struct supdate *u = t->updates;
	char body[1024];
	int n;

	struct update_ctx *c;

	if (!u || t->in_flight || !a->subscribed || t->dead)
		return;
	n = snprintf(body, sizeof(body),
		     "{\"type\":\"STATUS_UPDATE\",\"agent_id\":{\"value\":\"%s\"},"
		     "\"status_update\":{\"framework_id\":{\"value\":\"%s\"},"
		     "\"status\":{\"task_id\":{\"value\":\"%s\"},\"state\":\"%s\","
		     "\"source\":\"SOURCE_EXECUTOR\",\"uuid\":\"%s\",\"timestamp\":%.6f,"
		     "\"agent_id\":{\"value\":\"%s\"}},\"latest_state\":\"%s\"}}",
		     a->id, t->fw_id, t->id, task_state_name(u->state), u->uuid,
		     (double)now_real_ns() / 1e9, a->id, task_state_name(t->state));
	if (n < 0 || (size_t)n >= sizeof(body))
		return;
	c = malloc(sizeof(*c));
	if (!c) {
		schedule_retry(t);
		return;
	}
	c->t = t;
	memcpy(c->uuid, u->uuid, sizeof(c->uuid));
	t->refs++;
	t->in_flight = true;
	s->updates_sent++;
	agent_post(a, body, (size_t)n, on_update_sent, c);
}

static void task_status(struct stask *t, enum task_state st)
{
	struct supdate *u = calloc(1, sizeof(*u));
	struct sim *s = t->a->sim;

	if (!u)
		return;
	t->state = st;
	u->state = st;
	status_uuid_random(u->uuid);
	if (t->updates_tail)
		t->updates_tail->next = u;
	else
		t->updates = u;
	t->updates_tail = u;
	if (st == TASK_RUNNING)
		s->running++;
	else if (st == TASK_FINISHED)
		s->finished++;
	else if (st == TASK_KILLED)
		s->killed++;
	if (t->updates == u)
		send_head(t);
}

static void task_forget(struct stask *t)
{
	struct sagent *a = t->a;

	strmap_del(&a->tasks, t->key);
	t->dead = true;
	if (t->refs == 0)
		task_free(t);
}

static void on_launch(json_t *l, void *data)
{
	struct sagent *a = data;
	struct sim *s = a->sim;
	json_t *task = json_object_get(l, "task");
	const char *fid = json_string_value(json_object_get(json_object_get(l, "framework_id"),
							    "value"));
	const char *tid = json_string_value(json_object_get(json_object_get(task, "task_id"),
							    "value"));
	struct stask *t;
	char key[600];

	if (!fid || !tid)
		return;
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	if (strmap_get(&a->tasks, key)) {
		s->duplicate_launches++;
		return;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return;
	t->a = a;
	t->key = strdup(key);
	t->fw_id = strdup(fid);
	t->id = strdup(tid);
	t->res_json = json_dumps(json_object_get(task, "resources"), JSON_COMPACT);
	t->launched_ns = now_mono_ns();
	t->state = TASK_STAGING;
	strmap_put(&a->tasks, t->key, t, NULL);
	s->launched++;
	if (s->starting) {
		task_status(t, TASK_STARTING);
		schedule(s, now_mono_ns(), EV_RUNNING, t);
	} else {
		task_status(t, TASK_RUNNING);
		schedule(s, now_mono_ns() + task_duration_ns(s), EV_FINISH, t);
	}
}

static void on_kill(json_t *k, void *data)
{
	struct sagent *a = data;
	const char *fid = json_string_value(json_object_get(json_object_get(k, "framework_id"),
							    "value"));
	const char *tid = json_string_value(json_object_get(json_object_get(k, "task_id"),
							    "value"));
	char key[600];
	struct stask *t;

	if (!fid || !tid)
		return;
	a->sim->kills++;
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	t = strmap_get(&a->tasks, key);
	if (t && !task_state_terminal(t->state))
		task_status(t, TASK_KILLED);
	/* an unknown task: the master learns it is gone when we reregister without it */
}

static void on_ack(json_t *ack, void *data)
{
	struct sagent *a = data;
	struct sim *s = a->sim;
	const char *fid = json_string_value(json_object_get(json_object_get(ack, "framework_id"),
							    "value"));
	const char *tid = json_string_value(json_object_get(json_object_get(ack, "task_id"),
							    "value"));
	const char *uuid = json_string_value(json_object_get(ack, "uuid"));
	char key[600];
	struct stask *t;
	struct supdate *u;

	if (!fid || !tid || !uuid)
		return;
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	t = strmap_get(&a->tasks, key);
	if (!t || !t->updates || strcmp(t->updates->uuid, uuid) != 0) {
		s->acks_stale++;
		return;
	}
	/* the acknowledgement can overtake the 202 of the POST that carried the update */
	t->in_flight = false;
	s->updates_acked++;
	u = t->updates;
	t->updates = u->next;
	if (!t->updates)
		t->updates_tail = NULL;
	free(u);
	t->backoff_ns = 0;
	if (t->updates) {
		send_head(t);
	} else if (task_state_terminal(t->state)) {
		if (!t->counted_done) {
			t->counted_done = true;
			s->done_acked++;
		}
		task_forget(t);
	}
}

/* ------------------------------------------------------------------ agents */

static void agent_subscribe(struct sagent *a);

static void lost_master(struct sagent *a, const char *why)
{
	struct sim *s = a->sim;

	if (a->subscribed && s->subscribed_now == s->nagents && !s->first_loss_ns)
		s->first_loss_ns = now_mono_ns();
	if (a->subscribed)
		s->subscribed_now--;
	a->subscribed = false;
	s->sub_failures++;
	a->backoff_ns = a->backoff_ns ? 2 * a->backoff_ns : SEC / 2;
	if (a->backoff_ns > 5 * SEC)
		a->backoff_ns = 5 * SEC;
	if (s->sub_failures <= 5 || s->sub_failures % 1000 == 0)
		fprintf(stderr, "simagent: agent %d lost the master (%s); %ld failures so far\n",
			a->idx, why, s->sub_failures);
	/* jitter, so that thousands of agents do not come back in one burst */
	schedule(s, now_mono_ns() + a->backoff_ns + (int64_t)(rnd(s) % (uint64_t)a->backoff_ns),
		 EV_SUBSCRIBE, a);
}

static void on_subscribed(json_t *sub, void *data)
{
	struct sagent *a = data;
	struct sim *s = a->sim;
	const char *id = json_string_value(json_object_get(json_object_get(sub, "agent_id"),
							   "value"));
	double hb = json_number_value(json_object_get(sub, "heartbeat_interval_seconds"));
	size_t it;
	void *v;

	if (id)
		snprintf(a->id, sizeof(a->id), "%s", id);
	a->subscribed = true;
	a->backoff_ns = 0;
	s->subscribed_now++;
	if (a->ever_subscribed) {
		s->resubscribes++;
	} else {
		a->ever_subscribed = true;
		s->subscribes++;
		if (s->subscribes == s->nagents)
			s->all_subscribed_ns = now_mono_ns();
	}
	if (!a->hb_ns && hb > 0) {
		a->hb_ns = (int64_t)(hb * 1e9);
		/* spread heartbeats over the interval */
		schedule(s, now_mono_ns() + (int64_t)(rnd(s) % (uint64_t)a->hb_ns), EV_HEARTBEAT,
			 a);
	}
	if (s->first_loss_ns && s->subscribed_now == s->nagents) {
		printf("simagent all %d agents subscribed again %.3f s after the first lost stream\n",
		       s->nagents, (double)(now_mono_ns() - s->first_loss_ns) / 1e9);
		fflush(stdout);
		s->first_loss_ns = 0;
	}
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);)
		send_head(v);
}

static void on_sub_malformed(const char *why, void *data)
{
	struct sagent *a = data;

	if (++a->sim->malformed <= 5)
		fprintf(stderr, "simagent: agent %d: the master sent an event that is not one (%s)\n",
			a->idx, why);
}

static void on_sub_ended(const struct subscription_end *end, void *data)
{
	char why[300];

	lost_master(data, subscription_end_describe(end, why, sizeof(why)));
}

static const struct subscription_ops master_session = {
	.malformed = on_sub_malformed,
	.ended = on_sub_ended,
	.handlers = {
		{"SUBSCRIBED", on_subscribed},
		{"LAUNCH", on_launch},
		{"KILL", on_kill},
		{"ACKNOWLEDGE", on_ack},
	},
};

static void agent_subscribe(struct sagent *a)
{
	struct sim *s = a->sim;
	size_t cap = 512 + strlen(s->resources_json), len = 0, it;
	char *body = malloc(cap);
	void *v;
	int n;

	if (!body)
		return;
	n = snprintf(body, cap,
		     "{\"type\":\"SUBSCRIBE\",\"subscribe\":{%s%s%s\"agent_info\":{\"hostname\":"
		     "\"%s\",\"resources\":%s},\"enforcement\":{\"mode\":\"best-effort\","
		     "\"controllers\":[],\"missing\":[]},\"tasks\":[",
		     a->id[0] ? "\"agent_id\":{\"value\":\"" : "", a->id, a->id[0] ? "\"}," : "",
		     a->hostname, s->resources_json);
	len = (size_t)n;
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct stask *t = v;
		size_t need = 256 + strlen(t->key) * 2 + (t->res_json ? strlen(t->res_json) : 2);
		char *nb;
		if (len + need >= cap) {
			cap = 2 * (len + need);
			nb = realloc(body, cap);
			if (!nb) {
				free(body);
				return;
			}
			body = nb;
		}
		n = snprintf(body + len, cap - len,
			     "%s{\"task_id\":{\"value\":\"%s\"},\"framework_id\":{\"value\":"
			     "\"%s\"},\"state\":\"%s\",\"resources\":%s}",
			     body[len - 1] == '[' ? "" : ",", t->id, t->fw_id,
			     task_state_name(t->state), t->res_json ? t->res_json : "[]");
		len += (size_t)n;
	}
	if (len + 4 >= cap) {
		char *nb = realloc(body, len + 4);
		if (!nb) {
			free(body);
			return;
		}
		body = nb;
	}
	memcpy(body + len, "]}}", 4);
	len += 3;
	a->sub_started_ns = now_mono_ns();
	http_client_set_local_address(s->streams, a->addr);
	if ((!a->sub && subscription_new(s->streams, &master_session, a, &a->sub) < 0) ||
	    subscription_open(a->sub, s->url, body, len) < 0)
		lost_master(a, "cannot start the request");
	free(body);
}

static void on_heartbeat_done(long status, const char *body, size_t len, const char *err,
			      void *data)
{
	struct sagent *a = data;

	if (status != 202 && !a->sim->stopping && ++a->sim->hb_failures <= 5)
		fprintf(stderr, "simagent: heartbeat of agent %d failed: %ld %.200s\n", a->idx,
			status, err ? err : body);
}

static void agent_heartbeat(struct sagent *a)
{
	char body[160];
	int n;

	if (a->subscribed) {
		n = snprintf(body, sizeof(body), "{\"type\":\"HEARTBEAT\",\"agent_id\":{\"value\":\"%s\"}}",
			     a->id);
		a->sim->heartbeats++;
		agent_post(a, body, (size_t)n, on_heartbeat_done, a);
	}
	schedule(a->sim, now_mono_ns() + a->hb_ns, EV_HEARTBEAT, a);
}

/* ------------------------------------------------------------------ the loop */

static void on_timer(struct loop *l, struct loop_timer *timer, void *data)
{
	struct sim *s = data;
	int64_t now = now_mono_ns();
	int budget = 20000; /* let I/O in between long bursts */

	s->timer_at = 0;
	while (s->nheap && s->heap[0].when <= now && budget-- > 0) {
		struct ev e = heap_pop(s);
		struct stask *t = e.obj;
		switch (e.kind) {
		case EV_SUBSCRIBE:
			agent_subscribe(e.obj);
			break;
		case EV_HEARTBEAT:
			agent_heartbeat(e.obj);
			break;
		case EV_RUNNING:
			if (!t->dead && t->state == TASK_STARTING) {
				task_status(t, TASK_RUNNING);
				schedule(s, now + task_duration_ns(s), EV_FINISH, t);
			}
			task_unref(t);
			break;
		case EV_FINISH:
			if (!t->dead && !task_state_terminal(t->state))
				task_status(t, TASK_FINISHED);
			task_unref(t);
			break;
		case EV_RETRY:
			t->retry_armed = false;
			if (!t->dead && !t->in_flight)
				send_head(t);
			task_unref(t);
			break;
		}
	}
	if (s->nheap) {
		int64_t at = s->heap[0].when;
		now = now_mono_ns();
		loop_timer_set(s->timer, at > now ? at - now : 0, 0);
		s->timer_at = at;
	}
}

static long live_tasks(struct sim *s)
{
	long n = 0;

	for (int i = 0; i < s->nagents; i++)
		n += (long)strmap_size(&s->agents[i].tasks);
	return n;
}

static void print_counts(struct sim *s, const char *what)
{
	double t = (double)(now_mono_ns() - s->start_ns) / 1e9;

	printf("simagent %s t=%.1fs agents=%d subscribed=%ld resubscribes=%ld sub_failures=%ld "
	       "launched=%ld running=%ld finished=%ld killed=%ld done_acked=%ld live=%ld "
	       "updates=%ld acked=%ld update_failures=%ld refused=%ld heartbeats=%ld "
	       "hb_failures=%ld queued_max=%ld\n",
	       what, t, s->nagents, s->subscribed_now, s->resubscribes, s->sub_failures,
	       s->launched, s->running, s->finished, s->killed, s->done_acked, live_tasks(s),
	       s->updates_sent, s->updates_acked, s->update_failures, s->refused, s->heartbeats,
	       s->hb_failures, s->queued_max);
	fflush(stdout);
}

static void on_progress(struct loop *l, struct loop_timer *timer, void *data)
{
	struct sim *s = data;
	int64_t now = now_mono_ns();

	if (s->interrupted ||
	    (s->run_for_ns && now - s->start_ns >= s->run_for_ns) ||
	    (s->expect_tasks > 0 && s->done_acked >= s->expect_tasks)) {
		loop_stop(s->loop);
		return;
	}
	if (s->progress_s > 0) {
		static int64_t last;
		if (now - last >= (int64_t)(s->progress_s * 1e9)) {
			last = now;
			print_counts(s, "progress");
		}
	}
}

static void on_signal(int sig)
{
	if (the_sim) {
		the_sim->interrupted = 1;
		loop_wakeup(the_sim->loop);
	}
}

/* The JSON of a resources text "cpus:8;mem:16384;ports:[31000-32000]" (scalars, ranges). */
static char *resources_json(const char *text)
{
	json_t *arr = json_array();
	char *copy = strdup(text), *save = NULL, *tok, *out;

	for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(tok, ':');
		if (!colon)
			continue;
		*colon = '\0';
		if (colon[1] == '[') {
			json_t *ranges = json_array();
			char *r = colon + 2, *rs = NULL, *rt;
			char *end = strchr(r, ']');
			if (end)
				*end = '\0';
			for (rt = strtok_r(r, ",", &rs); rt; rt = strtok_r(NULL, ",", &rs)) {
				unsigned long long b, e;
				if (sscanf(rt, "%llu-%llu", &b, &e) == 2)
					json_array_append_new(ranges,
							      json_pack("{s:I,s:I}", "begin",
									(json_int_t)b, "end",
									(json_int_t)e));
			}
			json_array_append_new(arr, json_pack("{s:s,s:s,s:{s:o}}", "name", tok,
							     "type", "RANGES", "ranges", "range",
							     ranges));
		} else {
			json_array_append_new(arr, json_pack("{s:s,s:s,s:{s:f}}", "name", tok,
							     "type", "SCALAR", "scalar", "value",
							     atof(colon + 1)));
		}
	}
	free(copy);
	out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return out;
}

struct sim_flags {
	char *master, *resources, *duration, *seed;
	int64_t agents, offset, expect_tasks, post_connections;
	bool no_starting;
	double ramp, run_for, progress;
};

#define F(field) offsetof(struct sim_flags, field)

static const struct conf_opt sim_flag_table[] = {
	{"master", CONF_STRING, F(master), "127.0.0.1:5050", "HOST:PORT", "the master"},
	{"agents", CONF_INT, F(agents), "100", "N", "simulated agents", 1, 16000000},
	{"offset", CONF_INT, F(offset), "0", "K", "number agents from K (several processes)", 0,
	 16000000},
	{"resources", CONF_STRING, F(resources), "cpus:8;mem:16384;ports:[31000-32000]", "TEXT",
	 "per agent"},
	{"duration", CONF_STRING, F(duration), "30,10", "MEAN[,SD]",
	 "task duration in seconds, normal"},
	{"no-starting", CONF_BOOL, F(no_starting), "false", NULL,
	 "report RUNNING at once (no STARTING first)"},
	{"ramp", CONF_DOUBLE, F(ramp), "2000", "N", "subscriptions per second (0: all at once)", 0,
	 100000000},
	{"run-for", CONF_DOUBLE, F(run_for), "0", "S",
	 "stop after S seconds (0: until SIGINT/SIGTERM)", 0, 31536000},
	{"expect-tasks", CONF_INT, F(expect_tasks), "0", "N",
	 "stop once N tasks ended and were acknowledged; exit 1 if fewer did by the stop", 0,
	 1000000000000LL},
	{"progress", CONF_DOUBLE, F(progress), "5", "S",
	 "a progress line every S seconds (0: none)", 0, 86400},
	{"post-connections", CONF_INT, F(post_connections), "16", "N",
	 "keep-alive connections for calls", 1, 100000},
	{"seed", CONF_STRING, F(seed), NULL, "N", "random seed"},
	CONF_END,
};

int main(int argc, char **argv)
{
	static const struct daemon_desc desc = {
		.prog = "drover-simagent",
		.synopsis = "[OPTIONS]",
		.env_prefix = "DROVER_SIMAGENT",
		.table = sim_flag_table,
	};
	struct sim_flags fl = {0};
	struct sim s = {.rng = 0x9e3779b97f4a7c15ULL};
	long post_conns;
	struct rlimit rl;
	int rc = daemon_parse_tool_args(&desc, &fl, argc, argv);

	if (rc >= 0)
		goto out_flags;
	rc = 2;
	malloc_tune_for_messages(); /* as the master: the same messages at the other end */
	if (sscanf(fl.duration, "%lf,%lf", &s.mean_s, &s.sd_s) < 1) {
		fprintf(stderr, "simagent: --duration wants MEAN[,SD] in seconds, not '%s'\n",
			fl.duration);
		goto out_flags;
	}
	if (!strchr(fl.duration, ','))
		s.sd_s = 0;
	s.nagents = (int)fl.agents;
	s.offset = (int)fl.offset;
	s.starting = !fl.no_starting;
	s.ramp = fl.ramp;
	s.run_for_ns = (int64_t)(fl.run_for * 1e9);
	s.expect_tasks = (long)fl.expect_tasks;
	s.progress_s = fl.progress;
	post_conns = (long)fl.post_connections;
	if (fl.seed)
		s.rng = strtoull(fl.seed, NULL, 0) | 1;
	if (s.nagents + s.offset > 16000000) {
		fprintf(stderr, "simagent: --agents must be 1..16M\n");
		goto out_flags;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (rlim_t)s.nagents + post_conns + 64 > rl.rlim_cur)
		fprintf(stderr,
			"simagent: warning: %d agents need as many descriptors; the limit is %llu "
			"(run several processes with --offset)\n",
			s.nagents, (unsigned long long)rl.rlim_cur);
	snprintf(s.url, sizeof(s.url), "http://%s/api/v1/agent", fl.master);
	s.resources_json = resources_json(fl.resources);
	if (!s.resources_json)
		return 2;
	if (loop_new(&s.loop) < 0 || http_client_new(s.loop, &s.streams) < 0 ||
	    http_client_new(s.loop, &s.posts) < 0) {
		fprintf(stderr, "simagent: cannot set up the loop\n");
		return 2;
	}
	s.max_inflight = post_conns;
	http_client_set_limits(s.posts, 0, post_conns);
	s.timer = loop_timer_add(s.loop, 0, 0, on_timer, &s);
	s.progress_timer = loop_timer_add(s.loop, SEC / 10, SEC / 10, on_progress, &s);
	loop_timer_stop(s.timer);
	s.agents = calloc((size_t)s.nagents, sizeof(*s.agents));
	if (!s.timer || !s.progress_timer || !s.agents)
		return 2;
	s.start_ns = now_mono_ns();
	for (int i = 0; i < s.nagents; i++) {
		struct sagent *a = &s.agents[i];
		uint32_t n = (uint32_t)(s.offset + i) + 65536 + 1; /* 127.1.0.1 onwards */
		a->sim = &s;
		a->idx = s.offset + i;
		snprintf(a->addr, sizeof(a->addr), "127.%u.%u.%u", (n >> 16) & 255, (n >> 8) & 255,
			 n & 255);
		snprintf(a->hostname, sizeof(a->hostname), "sim%d", a->idx);
		strmap_init(&a->tasks);
		schedule(&s, s.start_ns + (s.ramp > 0 ? (int64_t)(i / s.ramp * 1e9) : 0),
			 EV_SUBSCRIBE, a);
	}
	the_sim = &s;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	loop_run(s.loop);
	rc = 0;

	print_counts(&s, "final");
	if (s.all_subscribed_ns)
		printf("simagent registered %d agents in %.3f s (%.0f/s)\n", s.nagents,
		       (double)(s.all_subscribed_ns - s.start_ns) / 1e9,
		       s.nagents / ((double)(s.all_subscribed_ns - s.start_ns) / 1e9));
	if (s.refused > 0) {
		printf("simagent: %ld task(s) lost (updates refused by the master)\n", s.refused);
		rc = 1;
	}
	if (s.expect_tasks > 0 && s.done_acked < s.expect_tasks) {
		printf("simagent: only %ld of %ld expected tasks ended and were acknowledged\n",
		       s.done_acked, s.expect_tasks);
		rc = 1;
	}
	for (int i = 0; i < s.nagents; i++)
		subscription_free(s.agents[i].sub); /* before their http client */
	http_client_free(s.streams);
	http_client_free(s.posts);
	postq_abort(&s); /* the client is gone: no call's answer will come */
	/* tasks already forgotten but still named by timer entries: free with their last entry */
	for (size_t i = 0; i < s.nheap; i++) {
		struct ev *e = &s.heap[i];
		if ((e->kind == EV_FINISH || e->kind == EV_RETRY || e->kind == EV_RUNNING) &&
		    ((struct stask *)e->obj)->dead)
			task_unref(e->obj);
	}
	for (int i = 0; i < s.nagents; i++) {
		size_t it;
		void *v;
		for (it = 0; strmap_next(&s.agents[i].tasks, &it, NULL, &v);) {
			struct stask *t = v;
			t->refs = 0;
			task_free(t);
		}
		strmap_clear(&s.agents[i].tasks, NULL);
	}
	free(s.agents);
	free(s.heap);
	free(s.resources_json);
	loop_timer_del(s.loop, s.timer);
	loop_timer_del(s.loop, s.progress_timer);
	loop_free(s.loop);
out_flags:
	conf_free(sim_flag_table, &fl);
	return rc;
}
