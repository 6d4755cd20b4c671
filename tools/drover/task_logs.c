// SPDX-License-Identifier: Apache-2.0
/*
 * `drover task logs ID [-f] [--stderr] [--tail N] [--framework FW]`, and the follower of a
 * task's output that it shares with `drover task run` (task_logs.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "base64.h"
#include "http_client.h"
#include "loop.h"
#include "main.h"
#include "task_logs.h"
#include "wire.h"

#define READ_LEN 65536 /* the agent's cap: 16 pages */
#define TAIL_BACK (1 << 20) /* --tail looks back at most this far */
#define STATE_EVERY 40 /* task logs -f: the task's state every 40 polls (1 s) */

enum phase {
	PHASE_SIZE, /* --tail: how big is the file? */
	PHASE_TAIL, /* --tail: the last TAIL_BACK bytes, kept */
	PHASE_FOLLOW, /* everything new, printed */
};

struct log_follow {
	struct http_client *http;
	char url[512];
	char path[1024]; /* .../runs/latest/stdout */
	char rotated[1040]; /* .../runs/latest/stdout.1 */
	int out_fd;
	long tail;
	enum phase phase;
	int64_t offset, tail_end;
	char *kept; /* PHASE_TAIL's bytes */
	size_t kept_len;
	bool in_rotated; /* finishing <stream>.1 after a rotation */
	bool in_flight, caught_up, failed;
	bool finish_asked, read_after_finish, finished;
	bool answered; /* the agent answered a read */
	char fallback_agent[256]; /* log_follow_set_fallback(), or "" */
	void (*done)(void *data);
	void *done_data;
};

struct log_follow *log_follow_new(struct http_client *c, const char *agent, const char *fw,
				  const char *task, const char *stream, int out_fd, long tail)
{
	struct log_follow *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->http = c;
	f->out_fd = out_fd;
	f->tail = tail;
	f->phase = tail != 0 ? PHASE_SIZE : PHASE_FOLLOW;
	api_url(agent, "/api/v1", f->url, sizeof(f->url));
	snprintf(f->path, sizeof(f->path), "/frameworks/%s/executors/%s/runs/latest/%s", fw, task,
		 stream);
	snprintf(f->rotated, sizeof(f->rotated), "%s.1", f->path);
	return f;
}

void log_follow_set_fallback(struct log_follow *f, const char *agent_id)
{
	snprintf(f->fallback_agent, sizeof(f->fallback_agent), "%s", agent_id);
}

/*
 * The first read could not reach the agent at the address it was given: ask the master
 * where the agent listens and read there. 0 when a read starts there, -1 otherwise.
 */
static int retry_at_master(struct log_follow *f)
{
	char agent[512];

	if (f->answered || !f->fallback_agent[0])
		return -1;
	if (log_agent_address(f->fallback_agent, agent, sizeof(agent)) < 0) {
		f->fallback_agent[0] = '\0';
		return -1;
	}
	f->fallback_agent[0] = '\0';
	api_url(agent, "/api/v1", f->url, sizeof(f->url));
	log_follow_poll(f);
	return f->failed ? -1 : 0;
}

void log_follow_free(struct log_follow *f)
{
	if (!f)
		return;
	free(f->kept);
	free(f);
}

/* Everything read so far, nothing under way. */
static bool log_follow_caught_up(const struct log_follow *f)
{
	return f->failed || (f->caught_up && !f->in_flight);
}

static bool log_follow_failed(const struct log_follow *f)
{
	return f->failed;
}

void log_follow_finish(struct log_follow *f, void (*done)(void *data), void *data)
{
	f->finish_asked = true;
	f->done = done;
	f->done_data = data;
	log_follow_poll(f);
}

/* Finished or failed: tell whoever waits, once. */
static void notify_done(struct log_follow *f)
{
	void (*done)(void *data) = f->done;

	f->done = NULL;
	if (done)
		done(f->done_data);
}

bool log_follow_done(const struct log_follow *f)
{
	return f->failed || f->finished;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* PHASE_TAIL is over: print the last f->tail lines of what was kept. */
static void print_tail(struct log_follow *f)
{
	size_t start = f->kept_len, lines = 0;

	if (start > 0 && f->kept[start - 1] == '\n')
		start--; /* the last line's own newline */
	while (start > 0) {
		if (f->kept[start - 1] == '\n' && ++lines == (size_t)f->tail)
			break;
		start--;
	}
	if (f->kept_len > start &&
	    write_all(f->out_fd, (uint8_t *)f->kept + start, f->kept_len - start) < 0)
		f->failed = true;
	free(f->kept);
	f->kept = NULL;
	f->kept_len = 0;
	f->phase = PHASE_FOLLOW;
}

/*
 * Everything there was when this read started is in. After log_follow_finish(), the read
 * that ends the follower is one that started after it: start it now if this one did not.
 */
static void on_caught_up(struct log_follow *f)
{
	f->caught_up = true;
	if (f->read_after_finish)
		f->finished = true;
	else if (f->finish_asked)
		log_follow_poll(f);
}

/* One READ_FILE answer: bytes and the file's size. */
static void on_read(struct log_follow *f, const uint8_t *data, size_t n, int64_t size)
{
	bool full = n == READ_LEN;

	switch (f->phase) {
	case PHASE_SIZE:
		if (f->tail < 0) { /* from the end */
			f->offset = size;
			f->phase = PHASE_FOLLOW;
		} else {
			f->offset = size > TAIL_BACK ? size - TAIL_BACK : 0;
			f->tail_end = size;
			f->phase = PHASE_TAIL;
		}
		log_follow_poll(f);
		return;
	case PHASE_TAIL: {
		char *k = realloc(f->kept, f->kept_len + n + 1);

		if (!k) {
			f->failed = true;
			return;
		}
		f->kept = k;
		memcpy(f->kept + f->kept_len, data, n);
		f->kept_len += n;
		f->offset += (int64_t)n;
		if (full && f->offset < f->tail_end) {
			log_follow_poll(f);
			return;
		}
		print_tail(f);
		log_follow_poll(f);
		return;
	}
	case PHASE_FOLLOW:
		break;
	}
	if (f->in_rotated) {
		if (n && write_all(f->out_fd, data, n) < 0) {
			f->failed = true;
			return;
		}
		f->offset += (int64_t)n;
		if (!full) { /* the rotated file is done: the new one from its start */
			f->in_rotated = false;
			f->offset = 0;
		}
		log_follow_poll(f);
		return;
	}
	if (size < f->offset) { /* rotated (or cut) under us: finish the old file first */
		f->in_rotated = true;
		log_follow_poll(f);
		return;
	}
	if (n && write_all(f->out_fd, data, n) < 0) {
		f->failed = true;
		return;
	}
	f->offset += (int64_t)n;
	if (full) {
		log_follow_poll(f);
		return;
	}
	on_caught_up(f);
}

static void read_done(long status, const char *body, size_t len, const char *err, void *data)
{
	struct log_follow *f = data;
	json_t *j, *rf;
	uint8_t *bytes = NULL;
	size_t n = 0;
	const char *b64;

	f->in_flight = false;
	if ((err || status == 0) && retry_at_master(f) == 0)
		return;
	if (err || status == 0) {
		p_err("cannot reach the agent at %s: %s", f->url, err ? err : "no answer");
		f->failed = true;
		return;
	}
	if (status == 404) { /* not there yet (the task is starting), or a rotated file gone */
		if (f->in_rotated) {
			f->in_rotated = false;
			f->offset = 0;
			log_follow_poll(f);
			return;
		}
		f->answered = true;
		on_caught_up(f);
		return;
	}
	if (status / 100 != 2) {
		p_err("the agent answered %ld: %.*s", status, (int)len, body);
		f->failed = true;
		return;
	}
	j = json_loadb(body, len, 0, NULL);
	rf = json_object_get(j, "read_file");
	b64 = json_string_value(json_object_get(rf, "data"));
	if (!json_is_integer(json_object_get(rf, "size")) || !b64 ||
	    base64_decode(b64, strlen(b64), &bytes, &n) < 0) {
		p_err("the agent's READ_FILE answer is not one");
		f->failed = true;
		json_decref(j);
		return;
	}
	f->answered = true;
	on_read(f, bytes, n, (int64_t)json_integer_value(json_object_get(rf, "size")));
	free(bytes);
	json_decref(j);
}

static void on_read_done(long status, const char *body, size_t len, const char *err, void *data)
{
	read_done(status, body, len, err, data);
	if (log_follow_done(data))
		notify_done(data);
}

void log_follow_poll(struct log_follow *f)
{
	json_t *req;
	char *s;

	if (f->in_flight || f->failed || f->finished)
		return;
	if (f->finish_asked)
		f->read_after_finish = true;
	req = json_pack("{s:s,s:{s:s,s:I,s:I}}", "type", "READ_FILE", "read_file", "path",
			f->in_rotated ? f->rotated : f->path, "offset", (json_int_t)f->offset,
			"length", (json_int_t)(f->phase == PHASE_SIZE ? 0 : READ_LEN));
	s = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!s || !http_post(f->http, f->url, "application/json", s, strlen(s), NULL, 30000,
			     on_read_done, f)) {
		p_err("out of memory");
		f->failed = true;
	} else {
		f->in_flight = true;
		f->caught_up = false;
	}
	free(s);
}

int log_agent_address(const char *agent_id, char *buf, size_t len)
{
	json_t *p = api_master("GET_AGENTS"), *a;
	bool found = false;
	size_t i;
	int r = -1;

	if (!p)
		return -1;
	json_array_foreach(json_object_get(p, "agents"), i, a) {
		json_t *info = json_object_get(a, "agent_info");
		const char *host = json_string_value(json_object_get(info, "hostname"));
		json_t *port = json_object_get(info, "port");

		if (!streq(id_value(info, "id"), agent_id))
			continue;
		found = true;
		if (!host || !json_is_integer(port)) {
			p_err("the master does not know where agent %s listens (an agent that "
			      "reports no port)",
			      agent_id);
			break;
		}
		snprintf(buf, len, "%s:%lld", host, (long long)json_integer_value(port));
		r = 0;
		break;
	}
	if (!found)
		p_err("the master does not know agent %s", agent_id);
	json_decref(p);
	return r;
}

/* ---------------------------------------------------------------- drover task logs */

struct logs {
	struct loop *loop;
	struct log_follow *f;
	bool follow;
	const char *fw, *task;
	int ticks;
	bool ended; /* the task is terminal: finish after one more read */
};

static const char *task_id_of(json_t *t)
{
	return id_value(t, "task_id");
}

/* Is the task (fw, id) terminal (or gone from the master)? */
static bool task_ended(const char *fw, const char *id)
{
	json_t *p = api_master("GET_TASKS"), *t;
	bool ended = true;
	size_t i;

	if (!p)
		return false; /* cannot tell: keep following */
	json_array_foreach(json_object_get(p, "tasks"), i, t) {
		enum task_state s;

		if (streq(task_id_of(t), id) && streq(id_value(t, "framework_id"), fw) &&
		    task_state_parse(json_string_value(json_object_get(t, "state")), &s) == 0 &&
		    !task_state_terminal(s))
			ended = false;
	}
	json_decref(p);
	return ended;
}

static void on_tick(struct loop *l, struct loop_timer *t, void *data)
{
	struct logs *g = data;

	if (log_follow_failed(g->f) || log_follow_done(g->f)) {
		loop_stop(l);
		return;
	}
	if (!g->follow && log_follow_caught_up(g->f) && !g->ended) {
		log_follow_finish(g->f, NULL, NULL); /* one read: what is there now */
		g->ended = true;
	}
	if (g->follow && !g->ended && ++g->ticks % STATE_EVERY == 0 && task_ended(g->fw, g->task)) {
		log_follow_finish(g->f, NULL, NULL);
		g->ended = true;
	}
	log_follow_poll(g->f);
}

static struct logs *the_logs; /* for the signal handler */

static void on_signal(int sig)
{
	if (the_logs)
		loop_stop(the_logs->loop);
}

/* The task's framework and agent, from the master. 0, or -1 after printing why. */
static int task_locate(const char *id, const char *fw, json_t **ret_task)
{
	json_t *p = api_master("GET_TASKS"), *tasks, *t;
	size_t i;

	if (!p)
		return -1;
	/* a live task wins over a completed one with the same ID */
	tasks = json_array();
	json_array_extend(tasks, json_object_get(p, "tasks"));
	json_array_extend(tasks, json_object_get(p, "completed_tasks"));
	json_decref(p);
	if (fw) {
		json_t *all = tasks;

		tasks = json_array();
		json_array_foreach(all, i, t)
			if (streq(id_value(t, "framework_id"), fw))
				json_array_append(tasks, t);
		json_decref(all);
	}
	t = find_by_id(tasks, id, "task", task_id_of);
	if (t)
		*ret_task = json_incref(t);
	json_decref(tasks);
	return t ? 0 : -1;
}

int do_task_logs(int argc, char **argv)
{
	const char *id = NULL, *fw = NULL, *stream = "stdout";
	struct logs g = {0};
	struct http_client *http = NULL;
	struct loop_timer *timer = NULL;
	struct sigaction sa = {.sa_handler = on_signal};
	char agent[512], *end;
	long tail = 0;
	json_t *t = NULL;
	int rc = EXIT_FAILED;

	for (; argc > 0; NEXT_ARG()) {
		if (streq(argv[0], "-f") || streq(argv[0], "--follow")) {
			g.follow = true;
		} else if (streq(argv[0], "--stderr")) {
			stream = "stderr";
		} else if ((streq(argv[0], "--tail") || streq(argv[0], "--framework")) &&
			   argc > 1) {
			if (streq(argv[0], "--framework")) {
				fw = argv[1];
			} else {
				tail = strtol(argv[1], &end, 10);
				if (*end || end == argv[1] || tail < 0)
					return usage_err("task logs ID [-f] [--stderr] [--tail N] "
							 "[--framework FW] (N >= 0)");
				if (tail == 0)
					tail = -1; /* none of the past: only what comes */
			}
			NEXT_ARG();
		} else if (!id && argv[0][0] != '-') {
			id = argv[0];
		} else {
			return usage_err(
				"task logs ID [-f] [--stderr] [--tail N] [--framework FW]");
		}
	}
	if (!id)
		return usage_err("task logs ID [-f] [--stderr] [--tail N] [--framework FW]");
	if (task_locate(id, fw, &t) < 0)
		return EXIT_FAILED;
	g.fw = id_value(t, "framework_id");
	g.task = task_id_of(t);
	if (log_agent_address(id_value(t, "agent_id"), agent, sizeof(agent)) < 0)
		goto out;
	if (loop_new(&g.loop) < 0 || http_client_new(g.loop, &http) < 0 ||
	    api_client_setup(http) < 0) {
		p_err("cannot set up the event loop");
		goto out;
	}
	g.f = log_follow_new(http, agent, g.fw, g.task, stream, STDOUT_FILENO, tail);
	timer = g.f ? loop_timer_add(g.loop, 1, LOG_FOLLOW_INTERVAL_NS, on_tick, &g) : NULL;
	if (!timer) {
		p_err("out of memory");
		goto out;
	}
	the_logs = &g;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	loop_run(g.loop);
	the_logs = NULL;
	rc = log_follow_failed(g.f) ? EXIT_FAILED : EXIT_OK;
out:
	if (timer)
		loop_timer_del(g.loop, timer);
	log_follow_free(g.f);
	http_client_free(http);
	loop_free(g.loop);
	json_decref(t);
	return rc;
}
