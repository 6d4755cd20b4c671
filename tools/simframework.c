// SPDX-License-Identifier: Apache-2.0
/*
 * drover-simframework: M frameworks in one process, speaking the scheduler API to a real
 * drover-master. Each framework has a queue of tasks of one shape; it packs fitting offers
 * with as many queued tasks as they hold (ACCEPT), declines the rest with a filter, and
 * SUPPRESSes once its queue is empty. Every update is acknowledged.
 *
 * Measured: offer -> TASK_RUNNING latency (from the OFFERS event a task was launched from to
 * its TASK_RUNNING update, p50/p99/max) and throughput (tasks ended per second, overall and
 * over the steady middle of the run). Exits non-zero when a task ended in any state other
 * than FINISHED or KILLED (lost, dropped, failed...), or when the run timed out first.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "codec.h"
#include "daemon.h"
#include "http_client.h"
#include "loop.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "strmap.h"
#include "subscription.h"
#include "util.h"
#include "wire.h"
#include "malloc_tune.h"

#define SEC 1000000000LL

struct sfw;

struct stask {
	int64_t offer_ns;  /* the OFFERS event it was launched from, or its arrival if later */
	int64_t arrival_ns; /* --rate: when it arrived (0: at the start) */
	int64_t accept_ns; /* the ACCEPT that launched it */
	bool running, done;
};

/* An offer a paced framework keeps until a task arrives (--rate). */
struct held_offer {
	char id[80], agent_id[80];
	double cpus, mem;
	int64_t at;
};

#define MAX_HELD 4

struct sfw {
	struct fsim *sim;
	int idx;
	char name[64];
	char *id;
	struct subscription *sub;
	bool subscribed, suppressed;
	long queued;   /* tasks arrived, not yet launched */
	long arrived;  /* tasks that have arrived (all at once without --rate) */
	int64_t next_arrival_ns;
	struct held_offer held[MAX_HELD];
	int nheld;
	long next_task;
	long launched, done;
	struct stask *tasks; /* by task number */
	long ntasks;
};

struct fsim {
	struct loop *loop;
	struct http_client *streams, *posts;
	struct loop_timer *tick;
	char url[512];
	int nfw;
	struct sfw *fws;
	double cpus, mem, refuse_s;
	const char *role;
	long total_tasks, done, finished, killed, bad, launched, running;
	long offers, declined, accepted, call_failures;
	long long offer_bytes; /* of the OFFERS records, as they came on the streams */
	double rate;         /* tasks arriving per second in all; 0: all at the start */
	int64_t warmup_ns;   /* --warmup: tasks that arrive before this are not timed */
	int64_t period_ns;   /* between two arrivals at one framework */
	struct loop_timer *arrive;
	struct lat {
		int64_t *v;
		size_t n, cap;
	} lat, lat_accept; /* offer -> RUNNING, ACCEPT -> RUNNING, ns */
	int64_t start_ns, first_launch_ns, timeout_ns;
	/* steady-state window: between 10 % and 90 % of the tasks ended */
	int64_t t10_ns, t90_ns;
	double progress_s;
	int64_t last_progress;
	volatile sig_atomic_t interrupted;
	bool timed_out;
	/* calls wait here; at most max_inflight are out (see drover-simagent) */
	struct postq_item *qhead, *qtail;
	long inflight, max_inflight;
	enum codec codec; /* --codec: of calls and streams */
};

struct postq_item {
	struct postq_item *next;
	struct sfw *f;
	size_t len;
	char hdr[160];
	char body[];
};

static struct fsim *the_sim;

static void postq_pump(struct fsim *s);

static void on_call_done(long status, const char *body, size_t len, const char *err, void *data)
{
	struct sfw *f = data;

	f->sim->inflight--;
	postq_pump(f->sim);
	if (status / 100 != 2) {
		f->sim->call_failures++;
		if (f->sim->call_failures <= 10)
			fprintf(stderr, "simframework: %s: call failed: %ld %.200s\n", f->name, status,
				err ? err : body);
	}
}

static void postq_pump(struct fsim *s)
{
	while (s->qhead && s->inflight < s->max_inflight) {
		struct postq_item *it = s->qhead;
		const char *hdrs[2] = {it->hdr, NULL};
		s->qhead = it->next;
		if (!s->qhead)
			s->qtail = NULL;
		if (http_post(s->posts, s->url, codec_content_type(s->codec), it->body, it->len,
			      hdrs, 30000, on_call_done, it->f))
			s->inflight++;
		else
			s->call_failures++;
		free(it);
	}
}

static void fw_call(struct sfw *f, const char *body, size_t len)
{
	struct fsim *s = f->sim;
	_cleanup_free_ char *pb = NULL;
	struct postq_item *it;

	if (s->codec == CODEC_PROTOBUF) {
		/* the same call as protobuf bytes (--codec protobuf) */
		char err[CODEC_ERR_LEN];
		json_t *j = json_loadb(body, len, 0, NULL);
		int r = j ? codec_encode(CODEC_PROTOBUF, &mesos__v1__scheduler__call__descriptor, j,
					 &pb, &len, err, sizeof(err))
			  : -EINVAL;

		json_decref(j);
		if (r < 0) {
			s->call_failures++;
			return;
		}
		body = pb;
	}
	it = malloc(sizeof(*it) + len + 1);
	if (!it) {
		s->call_failures++;
		return;
	}
	it->next = NULL;
	it->f = f;
	it->len = len;
	snprintf(it->hdr, sizeof(it->hdr), "Mesos-Stream-Id: %s", subscription_stream_id(f->sub));
	memcpy(it->body, body, len);
	it->body[len] = '\0';
	if (s->qtail)
		s->qtail->next = it;
	else
		s->qhead = it;
	s->qtail = it;
	postq_pump(s);
}

struct buf {
	char *p;
	size_t len, cap;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap ? 2 * b->cap + (size_t)n : 4096;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			fprintf(stderr, "simframework: out of memory\n");
			exit(2);
		}
	}
}

/* Declines go out as one call per batch of offers (DECLINE takes a list of offer ids). */
struct declines {
	struct buf b;
	long n;
};

static void decline(struct sfw *f, struct declines *d, const char *oid)
{
	if (!d->n++)
		bprintf(&d->b, "{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"%s\"},"
			       "\"decline\":{\"offer_ids\":[",
			f->id);
	bprintf(&d->b, "%s{\"value\":\"%s\"}", d->n > 1 ? "," : "", oid);
	f->sim->declined++;
}

static void declines_send(struct sfw *f, struct declines *d)
{
	if (d->n) {
		bprintf(&d->b, "],\"filters\":{\"refuse_seconds\":%g}}}", f->sim->refuse_s);
		fw_call(f, d->b.p, d->b.len);
	}
	free(d->b.p);
}

/* Launch as many queued tasks as fit on offer o; returns how many (0: none, o unused). */
static long launch_on(struct sfw *f, const struct held_offer *o, int64_t now)
{
	struct fsim *s = f->sim;
	struct buf b = {0};
	long fit = (long)(o->cpus / s->cpus + 1e-9);

	if ((long)(o->mem / s->mem + 1e-9) < fit)
		fit = (long)(o->mem / s->mem + 1e-9);
	if (fit > f->queued)
		fit = f->queued;
	if (fit <= 0)
		return 0;
	bprintf(&b,
		"{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{"
		"\"offer_ids\":[{\"value\":\"%s\"}],\"filters\":{\"refuse_seconds\":%g},"
		"\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[",
		f->id, o->id, s->refuse_s);
	for (long n = 0; n < fit; n++) {
		long t = f->next_task++;
		/* a held offer counts from the task's arrival: the framework's wait is not ours */
		f->tasks[t].offer_ns = o->at > f->tasks[t].arrival_ns ? o->at : f->tasks[t].arrival_ns;
		f->tasks[t].accept_ns = now;
		bprintf(&b,
			"%s{\"name\":\"sim\",\"task_id\":{\"value\":\"t%d-%ld\"},\"agent_id\":"
			"{\"value\":\"%s\"},\"command\":{\"value\":\"true\"},\"resources\":["
			"{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":%g}},"
			"{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":%g}}]}",
			n ? "," : "", f->idx, t, o->agent_id, s->cpus, s->mem);
	}
	bprintf(&b, "]}}]}}");
	f->queued -= fit;
	f->launched += fit;
	s->launched += fit;
	s->accepted++;
	if (!s->first_launch_ns)
		s->first_launch_ns = now;
	fw_call(f, b.p, b.len);
	free(b.p);
	return fit;
}

/* Nothing more will arrive and nothing is queued: no more offers, please. */
static void maybe_suppress(struct sfw *f)
{
	char body[256];
	int n;

	if (f->suppressed || f->queued > 0 || f->arrived < f->ntasks)
		return;
	f->suppressed = true;
	n = snprintf(body, sizeof(body), "{\"type\":\"SUPPRESS\",\"framework_id\":{\"value\":\"%s\"}}",
		     f->id);
	fw_call(f, body, (size_t)n);
}

static void on_offers(json_t *ev, void *data)
{
	struct sfw *f = data;
	json_t *offers = json_object_get(ev, "offers");
	struct fsim *s = f->sim;
	int64_t now = now_mono_ns();
	struct declines d = {0};
	json_t *o;
	size_t i;

	s->offer_bytes += (long long)subscription_record_len(f->sub);
	json_array_foreach(offers, i, o) {
		const char *oid = json_string_value(json_object_get(json_object_get(o, "id"), "value"));
		const char *aid =
			json_string_value(json_object_get(json_object_get(o, "agent_id"), "value"));
		struct held_offer h = {.at = now};
		json_t *r;
		size_t k;

		s->offers++;
		if (!oid || !aid || strlen(oid) >= sizeof(h.id) || strlen(aid) >= sizeof(h.agent_id))
			continue;
		strcpy(h.id, oid);
		strcpy(h.agent_id, aid);
		json_array_foreach(json_object_get(o, "resources"), k, r) {
			const char *name = json_string_value(json_object_get(r, "name"));
			double v = json_number_value(json_object_get(json_object_get(r, "scalar"),
								     "value"));
			if (streq(name, "cpus"))
				h.cpus += v;
			else if (streq(name, "mem"))
				h.mem += v;
		}
		if (launch_on(f, &h, now) > 0)
			continue;
		/* paced: keep a few offers for the tasks still to come */
		if (s->rate > 0 && f->arrived < f->ntasks && f->nheld < MAX_HELD &&
		    h.cpus >= s->cpus && h.mem >= s->mem)
			f->held[f->nheld++] = h;
		else
			decline(f, &d, oid);
	}
	declines_send(f, &d);
	maybe_suppress(f);
}

static void on_rescind(json_t *ev, void *data)
{
	struct sfw *f = data;
	const char *oid = json_string_value(json_object_get(json_object_get(ev, "offer_id"),
							    "value"));

	for (int i = 0; oid && i < f->nheld; i++) {
		if (streq(f->held[i].id, oid)) {
			f->held[i] = f->held[--f->nheld];
			return;
		}
	}
}

/* --rate: tasks arrive at each framework every period_ns and go onto held offers at once. */
static void on_arrive(struct loop *l, struct loop_timer *t, void *data)
{
	struct fsim *s = data;
	int64_t now = now_mono_ns();

	for (int i = 0; i < s->nfw; i++) {
		struct sfw *f = &s->fws[i];
		struct declines d = {0};

		if (!f->subscribed || !f->id)
			continue;
		if (!f->next_arrival_ns)
			f->next_arrival_ns = now;
		while (f->arrived < f->ntasks && now >= f->next_arrival_ns) {
			f->tasks[f->arrived].arrival_ns = now;
			f->arrived++;
			f->queued++;
			f->next_arrival_ns += s->period_ns;
		}
		while (f->queued > 0 && f->nheld > 0) {
			struct held_offer h = f->held[--f->nheld];
			if (launch_on(f, &h, now) == 0)
				decline(f, &d, h.id); /* too small for one task */
		}
		for (int k = 0; f->arrived == f->ntasks && k < f->nheld; k++)
			decline(f, &d, f->held[k].id);
		if (f->arrived == f->ntasks)
			f->nheld = 0;
		declines_send(f, &d);
		maybe_suppress(f);
	}
}

static void add_latency(struct lat *l, int64_t ns)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4096;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			exit(2);
	}
	l->v[l->n++] = ns;
}

static void on_update(json_t *ev, void *data)
{
	struct sfw *f = data;
	json_t *st = json_object_get(ev, "status");
	struct fsim *s = f->sim;
	const char *tid = json_string_value(json_object_get(json_object_get(st, "task_id"), "value"));
	const char *state = json_string_value(json_object_get(st, "state"));
	const char *uuid = json_string_value(json_object_get(st, "uuid"));
	const char *aid = json_string_value(json_object_get(json_object_get(st, "agent_id"), "value"));
	enum task_state ts;
	int fi;
	long n;
	struct stask *t;

	if (!tid || !state || task_state_parse(state, &ts) < 0)
		return;
	if (uuid && aid) {
		char body[600];
		int len = snprintf(body, sizeof(body),
				   "{\"type\":\"ACKNOWLEDGE\",\"framework_id\":{\"value\":\"%s\"},"
				   "\"acknowledge\":{\"agent_id\":{\"value\":\"%s\"},\"task_id\":"
				   "{\"value\":\"%s\"},\"uuid\":\"%s\"}}",
				   f->id, aid, tid, uuid);
		if (len > 0 && (size_t)len < sizeof(body))
			fw_call(f, body, (size_t)len);
	}
	if (sscanf(tid, "t%d-%ld", &fi, &n) != 2 || fi != f->idx || n < 0 || n >= f->ntasks)
		return;
	t = &f->tasks[n];
	if (ts == TASK_RUNNING && !t->running) {
		t->running = true;
		s->running++;
		if (!s->warmup_ns || t->arrival_ns >= s->start_ns + s->warmup_ns) {
			add_latency(&s->lat, now_mono_ns() - t->offer_ns);
			add_latency(&s->lat_accept, now_mono_ns() - t->accept_ns);
		}
	}
	if (task_state_terminal(ts) && !t->done) {
		t->done = true;
		f->done++;
		s->done++;
		if (ts == TASK_FINISHED)
			s->finished++;
		else if (ts == TASK_KILLED)
			s->killed++;
		else {
			s->bad++;
			if (s->bad <= 10)
				fprintf(stderr, "simframework: task %s ended %s: %s\n", tid, state,
					json_string_value(json_object_get(st, "message")) ?: "");
		}
		if (s->done * 10 >= s->total_tasks && !s->t10_ns)
			s->t10_ns = now_mono_ns();
		if (s->done * 10 >= s->total_tasks * 9 && !s->t90_ns)
			s->t90_ns = now_mono_ns();
		if (s->done >= s->total_tasks)
			loop_stop(s->loop);
	}
}

static void on_subscribed(json_t *ev, void *data)
{
	struct sfw *f = data;
	const char *id = json_string_value(json_object_get(json_object_get(ev, "framework_id"),
							   "value"));

	free(f->id);
	f->id = id ? strdup(id) : NULL;
	f->subscribed = true;
}

static void on_error(json_t *ev, void *data)
{
	struct sfw *f = data;

	fprintf(stderr, "simframework: %s: master error: %s\n", f->name,
		json_string_value(json_object_get(ev, "message")));
}

static void on_malformed(const char *why, void *data)
{
	struct sfw *f = data;

	fprintf(stderr, "simframework: %s: the master sent an event that is not one (%s)\n",
		f->name, why);
}

static void on_stream_end(const struct subscription_end *end, void *data)
{
	struct sfw *f = data;
	char why[300];

	fprintf(stderr, "simframework: %s: stream ended (%s): %s\n", f->name,
		subscription_end_reason_name(end->reason),
		subscription_end_describe(end, why, sizeof(why)));
	f->subscribed = false;
	f->sim->bad += f->launched - f->done; /* no failover here: count its tasks as lost */
	loop_stop(f->sim->loop);
}

static const struct subscription_ops scheduler_session = {
	.malformed = on_malformed,
	.ended = on_stream_end,
	.handlers = {
		{"SUBSCRIBED", on_subscribed},
		{"OFFERS", on_offers},
		{"RESCIND", on_rescind},
		{"UPDATE", on_update},
		{"ERROR", on_error},
	},
};

static int subscribe(struct sfw *f)
{
	char body[512];
	int n = snprintf(body, sizeof(body),
			 "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"name\":\"%s\","
			 "\"user\":\"nobody\",\"role\":\"%s\"}}}",
			 f->name, f->sim->role);

	if (n < 0 || (size_t)n >= sizeof(body))
		return -EINVAL;
	if (!f->sub) {
		int r = subscription_new(f->sim->streams, &scheduler_session, f, &f->sub);
		if (r < 0)
			return r;
		r = subscription_set_codec(f->sub, f->sim->codec,
					   &mesos__v1__scheduler__call__descriptor,
					   &mesos__v1__scheduler__event__descriptor);
		if (r < 0)
			return r;
	}
	return subscription_open(f->sub, f->sim->url, body, (size_t)n);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void on_tick(struct loop *l, struct loop_timer *t, void *data)
{
	struct fsim *s = data;
	int64_t now = now_mono_ns();

	if (s->interrupted) {
		loop_stop(l);
		return;
	}
	if (s->timeout_ns && now - s->start_ns > s->timeout_ns) {
		s->timed_out = true;
		loop_stop(l);
		return;
	}
	if (s->progress_s > 0 && now - s->last_progress >= (int64_t)(s->progress_s * 1e9)) {
		s->last_progress = now;
		printf("simframework progress t=%.1fs launched=%ld running=%ld done=%ld/%ld "
		       "offers=%ld declined=%ld\n",
		       (double)(now - s->start_ns) / 1e9, s->launched, s->running, s->done,
		       s->total_tasks, s->offers, s->declined);
		fflush(stdout);
	}
}

static void print_latency(const char *what, const struct lat *l)
{
	if (l->n)
		printf("simframework %s p50=%.2f p90=%.2f p99=%.2f max=%.2f n=%zu\n", what,
		       l->v[l->n / 2] / 1e6, l->v[l->n * 9 / 10] / 1e6, l->v[l->n * 99 / 100] / 1e6,
		       l->v[l->n - 1] / 1e6, l->n);
}

static void on_signal(int sig)
{
	if (the_sim) {
		the_sim->interrupted = 1;
		loop_wakeup(the_sim->loop);
	}
}

struct fsim_flags {
	char *master, *task, *role, *codec, *latency_out;
	int64_t frameworks, tasks, post_connections;
	double refuse, rate, warmup, timeout, progress;
};

#define F(field) offsetof(struct fsim_flags, field)

static const struct conf_opt fsim_flag_table[] = {
	{"master", CONF_STRING, F(master), "127.0.0.1:5050", "HOST:PORT", "the master"},
	{"frameworks", CONF_INT, F(frameworks), "10", "M", "frameworks", 1, 1000000},
	{"tasks", CONF_INT, F(tasks), "1000", "N", "tasks in all, split evenly", 1, 1000000000},
	{"task", CONF_STRING, F(task), "1,128", "CPUS,MEM", "shape of every task"},
	{"role", CONF_STRING, F(role), "*", "ROLE", "role of the frameworks"},
	{"refuse", CONF_DOUBLE, F(refuse), "5", "S",
	 "refuse_seconds of declines and accepts", 0, 31536000},
	{"rate", CONF_DOUBLE, F(rate), "0", "R",
	 "tasks arrive at R per second in all (0: all at once); each framework keeps up to 4 "
	 "offers for them", 0, 100000000},
	{"warmup", CONF_DOUBLE, F(warmup), "0", "S",
	 "with --rate: time only the tasks arriving after S seconds (e.g. once the first offers "
	 "have been declined)", 0, 31536000},
	{"timeout", CONF_DOUBLE, F(timeout), "600", "S", "give up after S seconds (0: never)", 0,
	 31536000},
	{"progress", CONF_DOUBLE, F(progress), "5", "S",
	 "a progress line every S seconds (0: none)", 0, 86400},
	{"post-connections", CONF_INT, F(post_connections), "16", "N",
	 "keep-alive connections for calls", 1, 100000},
	{"codec", CONF_STRING, F(codec), "json", "json|protobuf",
	 "the media type of calls and event streams (Content-Type and Accept)"},
	{"latency-out", CONF_STRING, F(latency_out), "", "FILE",
	 "append every offer -> RUNNING latency (ms, one a line) to FILE, for pooling runs"},
	CONF_END,
};

int main(int argc, char **argv)
{
	static const struct daemon_desc desc = {
		.prog = "drover-simframework",
		.synopsis = "[OPTIONS]",
		.env_prefix = "DROVER_SIMFRAMEWORK",
		.table = fsim_flag_table,
	};
	struct fsim_flags fl = {0};
	struct fsim s = {0};
	double elapsed, steady = 0;
	int rc = daemon_parse_tool_args(&desc, &fl, argc, argv);

	if (rc >= 0)
		goto out_flags;
	rc = 2;
	malloc_tune_for_messages(); /* as the master: the same messages at the other end */
	if (sscanf(fl.task, "%lf,%lf", &s.cpus, &s.mem) != 2 || s.cpus <= 0 || s.mem <= 0) {
		fprintf(stderr, "simframework: --task wants CPUS,MEM (both positive), not '%s'\n",
			fl.task);
		goto out_flags;
	}
	if (streq(fl.codec, "protobuf"))
		s.codec = CODEC_PROTOBUF;
	else if (!streq(fl.codec, "json")) {
		fprintf(stderr, "simframework: --codec wants json or protobuf, not '%s'\n",
			fl.codec);
		goto out_flags;
	}
	s.nfw = (int)fl.frameworks;
	s.total_tasks = (long)fl.tasks;
	s.role = fl.role;
	s.refuse_s = fl.refuse;
	s.rate = fl.rate;
	s.warmup_ns = (int64_t)(fl.warmup * 1e9);
	s.timeout_ns = (int64_t)(fl.timeout * 1e9);
	s.progress_s = fl.progress;
	if (s.total_tasks < s.nfw) {
		fprintf(stderr, "simframework: need at least one task per framework\n");
		goto out_flags;
	}
	snprintf(s.url, sizeof(s.url), "http://%s/api/v1/scheduler", fl.master);
	if (loop_new(&s.loop) < 0 || http_client_new(s.loop, &s.streams) < 0 ||
	    http_client_new(s.loop, &s.posts) < 0)
		return 2;
	s.max_inflight = fl.post_connections;
	http_client_set_limits(s.posts, 0, (long)fl.post_connections);
	s.tick = loop_timer_add(s.loop, SEC / 10, SEC / 10, on_tick, &s);
	s.fws = calloc((size_t)s.nfw, sizeof(*s.fws));
	if (!s.tick || !s.fws)
		return 2;
	if (s.rate > 0) {
		s.period_ns = (int64_t)(1e9 * s.nfw / s.rate);
		s.arrive = loop_timer_add(s.loop, SEC / 200, SEC / 200, on_arrive, &s);
		if (!s.arrive)
			return 2;
	}
	s.start_ns = now_mono_ns();
	for (int i = 0; i < s.nfw; i++) {
		struct sfw *f = &s.fws[i];
		f->sim = &s;
		f->idx = i;
		f->ntasks = s.total_tasks / s.nfw + (i < s.total_tasks % s.nfw);
		f->arrived = s.rate > 0 ? 0 : f->ntasks;
		f->queued = f->arrived;
		f->tasks = calloc((size_t)f->ntasks, sizeof(*f->tasks));
		if (!f->tasks)
			return 2;
		snprintf(f->name, sizeof(f->name), "simfw-%d", i);
		if (subscribe(f) < 0) {
			fprintf(stderr, "simframework: %s: cannot start the SUBSCRIBE call\n", f->name);
			return 2;
		}
	}
	the_sim = &s;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	loop_run(s.loop);

	rc = 0;
	elapsed = (double)(now_mono_ns() - (s.first_launch_ns ? s.first_launch_ns : s.start_ns)) / 1e9;
	if (s.t10_ns && s.t90_ns > s.t10_ns)
		steady = 0.8 * (double)s.total_tasks / ((double)(s.t90_ns - s.t10_ns) / 1e9);
	if (s.lat.n) /* qsort() of no latencies would be handed a NULL array */
		qsort(s.lat.v, s.lat.n, sizeof(*s.lat.v), cmp64);
	if (s.lat_accept.n)
		qsort(s.lat_accept.v, s.lat_accept.n, sizeof(*s.lat_accept.v), cmp64);
	printf("simframework frameworks=%d tasks=%ld launched=%ld done=%ld finished=%ld killed=%ld "
	       "bad=%ld offers=%ld accepted=%ld declined=%ld call_failures=%ld\n",
	       s.nfw, s.total_tasks, s.launched, s.done, s.finished, s.killed, s.bad, s.offers,
	       s.accepted, s.declined, s.call_failures);
	printf("simframework offer_bytes=%lld bytes_per_offer=%.1f\n", s.offer_bytes,
	       s.offers ? (double)s.offer_bytes / (double)s.offers : 0.0);
	printf("simframework elapsed=%.2fs throughput=%.0f tasks/s steady=%.0f tasks/s\n", elapsed,
	       elapsed > 0 ? s.done / elapsed : 0, steady);
	print_latency("offer_to_running_ms", &s.lat);
	print_latency("accept_to_running_ms", &s.lat_accept);
	if (fl.latency_out && *fl.latency_out) {
		FILE *lf = fopen(fl.latency_out, "a");

		for (size_t i = 0; lf && i < s.lat.n; i++)
			fprintf(lf, "%.3f\n", (double)s.lat.v[i] / 1e6);
		if (!lf || fclose(lf) != 0) {
			fprintf(stderr, "simframework: cannot write %s\n", fl.latency_out);
			rc = 1;
		}
	}
	if (s.timed_out || s.interrupted) {
		printf("simframework: %s with %ld of %ld tasks ended\n",
		       s.timed_out ? "timed out" : "interrupted", s.done, s.total_tasks);
		rc = 1;
	}
	if (s.bad) {
		printf("simframework: %ld task(s) lost or failed\n", s.bad);
		rc = 1;
	}
	for (int i = 0; i < s.nfw; i++)
		subscription_free(s.fws[i].sub); /* before their http client */
	http_client_free(s.streams);
	http_client_free(s.posts);
	while (s.qhead) { /* calls not sent when everything had ended (acknowledgements) */
		struct postq_item *it = s.qhead;
		s.qhead = it->next;
		free(it);
	}
	for (int i = 0; i < s.nfw; i++) {
		free(s.fws[i].tasks);
		free(s.fws[i].id);
	}
	free(s.fws);
	free(s.lat.v);
	free(s.lat_accept.v);
	if (s.arrive)
		loop_timer_del(s.loop, s.arrive);
	loop_timer_del(s.loop, s.tick);
	loop_free(s.loop);
out_flags:
	conf_free(fsim_flag_table, &fl);
	return rc;
}
