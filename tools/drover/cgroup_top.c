// SPDX-License-Identifier: Apache-2.0
/*
 * `drover cgroup top`: the tasks of this host's slice, refreshed every second, sorted by CPU,
 * memory or run-queue p99. On a terminal a full-screen view (ANSI escapes: alternate screen,
 * cursor home, erase to end of line; keys c/m/r sort, q quits); with -b, or when stdout is
 * not a terminal, frames of plain text one after the other, like `top -b`; with -j one JSON
 * object per frame. CPU% is the usage_usec delta of the leaf's cpu.stat (present in every
 * cgroup v2 cgroup, no controller needed) over the wall time between two samples.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_data.h"
#include "loop.h"
#include "main.h"

enum sort_key { SORT_CPU, SORT_MEM, SORT_RUNQ };
static const char *const sort_names[] = {"cpu", "mem", "runq"};

struct top_row {
	const char *task, *fw, *state, *mem_src;
	double cpu_pct, user_pct, sys_pct;
	int64_t mem, peak, ooms, runq_p99, procs, throttled;
};

struct top {
	struct cg_ctx ctx;
	enum sort_key sort;
	bool live;
	json_t *rows;	/* the last sample */
	json_t *prev;	/* "fw/task" -> [cpu_ns, user_us, sys_us] of the sample before */
	int64_t prev_ns, now_ns;
	struct top_row *view;
	size_t nview;
	bool agent_ok;
};

static volatile sig_atomic_t stop_requested, resized;
static struct termios saved_tio;
static bool tio_saved;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else
		stop_requested = 1;
}

static void term_restore(void)
{
	if (!tio_saved)
		return;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	fputs("\033[?25h\033[?1049l", stdout); /* cursor back, leave the alternate screen */
	fflush(stdout);
	tio_saved = false;
}

static int term_setup(void)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return -errno;
	t = saved_tio;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
		return -errno;
	tio_saved = true;
	atexit(term_restore);
	fputs("\033[?1049h\033[?25l\033[H\033[2J", stdout);
	fflush(stdout);
	return 0;
}

static int64_t get_i(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_is_number(v) ? (int64_t)json_number_value(v) : -1;
}

static void row_key(json_t *row, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", id_value(row, "framework_id"), id_value(row, "task_id"));
}

static void sample(struct top *t)
{
	json_t *prev = json_object(), *r;
	size_t i;

	if (t->live || t->rows)
		cg_ctx_refresh(&t->ctx);
	t->agent_ok = t->ctx.containers != NULL;
	/* keep the previous sample's counters for the deltas */
	json_array_foreach(t->rows, i, r) {
		char key[600];
		json_t *cs = json_object_get(json_object_get(r, "cgroup"), "cpu.stat");
		row_key(r, key, sizeof(key));
		json_object_set_new(prev, key,
				    json_pack("[I,I,I]", (json_int_t)cg_row_cpu_ns(r),
					      (json_int_t)get_i(cs, "user_usec", NULL),
					      (json_int_t)get_i(cs, "system_usec", NULL)));
	}
	json_decref(t->prev);
	t->prev = prev;
	t->prev_ns = t->now_ns;
	json_decref(t->rows);
	t->rows = cg_rows(&t->ctx);
	t->now_ns = now_mono_ns();
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct top_row *x = a, *y = b;
	enum sort_key k = *(enum sort_key *)arg;
	double vx, vy;

	if (k == SORT_MEM) {
		vx = (double)x->mem;
		vy = (double)y->mem;
	} else if (k == SORT_RUNQ) {
		vx = (double)x->runq_p99;
		vy = (double)y->runq_p99;
	} else {
		vx = x->cpu_pct;
		vy = y->cpu_pct;
	}
	if (vx != vy)
		return vx < vy ? 1 : -1;
	return strcmp(x->task, y->task);
}

static void build_view(struct top *t)
{
	double dt = (double)(t->now_ns - t->prev_ns) / 1e9;
	json_t *r;
	size_t i;

	free(t->view);
	t->nview = 0;
	t->view = calloc(json_array_size(t->rows) + 1, sizeof(*t->view));
	if (!t->view)
		return;
	json_array_foreach(t->rows, i, r) {
		struct top_row *v = &t->view[t->nview++];
		json_t *cg = json_object_get(r, "cgroup"), *cs = json_object_get(cg, "cpu.stat");
		json_t *usage = json_object_get(r, "usage"), *p;
		char key[600];
		int64_t cpu = cg_row_cpu_ns(r);

		row_key(r, key, sizeof(key));
		p = json_object_get(t->prev, key);
		v->task = id_value(r, "task_id");
		v->fw = id_value(r, "framework_id");
		v->state = json_string_value(json_object_get(r, "state"));
		if (!v->state)
			v->state = "-";
		if (!strncmp(v->state, "TASK_", 5))
			v->state += 5;
		v->cpu_pct = v->user_pct = v->sys_pct = NAN;
		if (p && dt > 0 && cpu >= 0 && json_integer_value(json_array_get(p, 0)) >= 0) {
			v->cpu_pct = (double)(cpu - json_integer_value(json_array_get(p, 0))) / 1e9 /
				     dt * 100;
			if (get_i(cs, "user_usec", NULL) >= 0 &&
			    json_integer_value(json_array_get(p, 1)) >= 0) {
				v->user_pct = (double)(get_i(cs, "user_usec", NULL) -
						       json_integer_value(json_array_get(p, 1))) /
					      1e6 / dt * 100;
				v->sys_pct = (double)(get_i(cs, "system_usec", NULL) -
						      json_integer_value(json_array_get(p, 2))) /
					     1e6 / dt * 100;
			}
		}
		v->mem = cg_row_mem_bytes(r, &v->mem_src);
		v->peak = get_i(cg, "memory.peak", NULL);
		if (v->peak < 0)
			v->peak = get_i(usage, "mem_peak_bytes", NULL);
		v->ooms = get_i(cg, "memory.events", "oom_kill");
		if (v->ooms < 0)
			v->ooms = get_i(usage, "oom_kills", NULL);
		v->runq_p99 = cg_row_runq_p99_ns(r);
		v->procs = get_i(r, "procs", NULL);
		v->throttled = get_i(cs, "nr_throttled", NULL);
	}
	qsort_r(t->view, t->nview, sizeof(*t->view), cmp_rows, &t->sort);
}

static void fmt_pct(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", v < 0 ? 0 : v);
}

static void fmt_i(int64_t v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%lld", (long long)v);
}

static void fmt_mem(int64_t v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		fmt_bytes((double)v, buf, len);
}

static void fmt_lat(int64_t ns, char *buf, size_t len)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 1000000)
		snprintf(buf, len, "%.0fus", (double)ns / 1e3);
	else
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
}

/* One frame as text lines into f; live: each line ends with erase-to-end-of-line. */
static void render(struct top *t, FILE *f, int rows, int cols)
{
	const char *eol = t->live ? "\033[K\n" : "\n";
	double cpu = 0;
	int64_t mem = 0;
	int running = 0, line = 0;
	char ts[32], buf[512];
	time_t now = time(NULL);
	struct tm tm;

	for (size_t i = 0; i < t->nview; i++) {
		if (!isnan(t->view[i].cpu_pct))
			cpu += t->view[i].cpu_pct;
		if (t->view[i].mem > 0)
			mem += t->view[i].mem;
		if (streq(t->view[i].state, "RUNNING"))
			running++;
	}
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
#define LINE(...)                                                                  \
	do {                                                                       \
		if (rows <= 0 || line < rows - (t->live ? 1 : 0)) {                \
			snprintf(buf, sizeof(buf), __VA_ARGS__);                   \
			if (cols > 0 && (int)strlen(buf) > cols)                   \
				buf[cols] = '\0';                                  \
			fprintf(f, "%s%s", buf, eol);                              \
		}                                                                  \
		line++;                                                            \
	} while (0)
	{
		char m[32];
		fmt_bytes((double)mem, m, sizeof(m));
		LINE("drover cgroup top - %s  %s/%s  tasks %zu, %d running  cpu %.1f%%  mem %s",
		     ts, t->ctx.mount, t->ctx.root, t->nview, running, cpu, m);
	}
	LINE("agent %s: %s   run queue: %s   sort: %s%s", agent_url,
	     t->agent_ok ? "ok" : "not answering (cgroupfs only)",
	     t->ctx.runq_fd >= 0 ? "pinned runq_hists" : "from the agent, if it reports it",
	     sort_names[t->sort], t->live ? "   keys: c cpu, m mem, r runq, q quit" : "");
	LINE("%s", "");
	LINE("%-36s %-10s %-9s %5s %6s %6s %6s %7s %7s %4s %8s %6s", "TASK", "FRAMEWORK", "STATE",
	     "PROCS", "CPU%", "USER%", "SYS%", "MEM", "PEAK", "OOM", "RQ-P99", "THROTL");
	for (size_t i = 0; i < t->nview; i++) {
		struct top_row *v = &t->view[i];
		char fw[11], c[24], u[24], s[24], m[24], p[24], o[24], q[24], th[24], pr[24];
		snprintf(fw, sizeof(fw), "%s", v->fw);
		fmt_pct(v->cpu_pct, c, sizeof(c));
		fmt_pct(v->user_pct, u, sizeof(u));
		fmt_pct(v->sys_pct, s, sizeof(s));
		fmt_mem(v->mem, m, sizeof(m));
		if (v->mem >= 0 && streq(v->mem_src, "rss"))
			strncat(m, "*", sizeof(m) - strlen(m) - 1);
		fmt_mem(v->peak, p, sizeof(p));
		fmt_i(v->ooms, o, sizeof(o));
		fmt_lat(v->runq_p99, q, sizeof(q));
		fmt_i(v->throttled, th, sizeof(th));
		fmt_i(v->procs, pr, sizeof(pr));
		LINE("%-36.36s %-10s %-9.9s %5s %6s %6s %6s %7s %7s %4s %8s %6s", v->task, fw,
		     v->state, pr, c, u, s, m, p, o, q, th);
	}
	if (!t->nview)
		LINE("(no tasks in %s/%s)", t->ctx.mount, t->ctx.root);
	else
		LINE("%s", "");
	for (size_t i = 0; i < t->nview; i++)
		if (streq(t->view[i].mem_src, "rss")) {
			LINE("MEM*: resident set of the task's processes (no memory controller here)");
			break;
		}
#undef LINE
}

static void print_json(struct top *t)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < t->nview; i++) {
		struct top_row *v = &t->view[i];
		json_t *o = json_pack("{s:s,s:s,s:s}", "task_id", v->task, "framework_id", v->fw,
				      "state", v->state);
#define SETN(k, x) if ((x) >= 0) json_object_set_new(o, k, json_integer((json_int_t)(x)))
#define SETF(k, x) if (!isnan(x)) json_object_set_new(o, k, json_real(round((x) * 100) / 100))
		SETF("cpu_pct", v->cpu_pct);
		SETF("user_pct", v->user_pct);
		SETF("system_pct", v->sys_pct);
		SETN("mem_bytes", v->mem);
		if (v->mem >= 0)
			json_object_set_new(o, "mem_source", json_string(v->mem_src));
		SETN("mem_peak_bytes", v->peak);
		SETN("oom_kills", v->ooms);
		SETN("runq_p99_ns", v->runq_p99);
		SETN("procs", v->procs);
		SETN("nr_throttled", v->throttled);
#undef SETN
#undef SETF
		json_array_append_new(arr, o);
	}
	json_print(json_pack("{s:I,s:s,s:s,s:b,s:o}", "time", (json_int_t)time(NULL), "slice",
			     t->ctx.root, "sort", sort_names[t->sort], "agent", t->agent_ok,
			     "tasks", arr));
	fflush(stdout);
}

static void draw(struct top *t)
{
	struct winsize ws = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!t->live) {
		render(t, stdout, 0, 0);
		fflush(stdout);
		return;
	}
	ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	fputs("\033[H", f);
	render(t, f, ws.ws_row ? ws.ws_row : 24, ws.ws_col ? ws.ws_col : 80);
	fputs("\033[J", f);
	fclose(f);
	fwrite(buf, 1, len, stdout); /* one write per frame: no flicker */
	fflush(stdout);
	free(buf);
}

/* Wait up to ms for a key; true when the frame must be redrawn before the next sample. */
static bool wait_key(struct top *t, int ms)
{
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
	int64_t end = now_mono_ns() + (int64_t)ms * 1000000;

	for (;;) {
		int64_t left = (end - now_mono_ns()) / 1000000;
		char c;
		if (stop_requested || left <= 0)
			return false;
		if (!t->live) {
			struct timespec ts = {left / 1000, (left % 1000) * 1000000};
			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(&pfd, 1, (int)left) <= 0) {
			if (resized) {
				resized = 0;
				return true;
			}
			continue;
		}
		if (read(STDIN_FILENO, &c, 1) != 1)
			continue;
		switch (c) {
		case 'q':
		case 'Q':
		case 3: /* ^C when ISIG is off */
			stop_requested = 1;
			return false;
		case 'c':
		case 'C':
		case 'P':
			t->sort = SORT_CPU;
			return true;
		case 'm':
		case 'M':
			t->sort = SORT_MEM;
			return true;
		case 'r':
		case 'R':
			t->sort = SORT_RUNQ;
			return true;
		default:
			break;
		}
	}
}

int do_cgroup_top(int argc, char **argv)
{
	static const char usage[] = "cgroup top [-b] [-n N] [-d SECONDS] [-s cpu|mem|runq]";
	struct top t = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	bool batch = false;
	long iterations = -1;
	double delay = 1.0;
	char *end;

	for (; argc; NEXT_ARG()) {
		const char *a = argv[0];
		if (streq(a, "-b") || streq(a, "--batch")) {
			batch = true;
		} else if ((streq(a, "-n") || streq(a, "--iterations")) && argc >= 2) {
			NEXT_ARG();
			iterations = strtol(argv[0], &end, 10);
			if (end == argv[0] || *end || iterations < 1)
				return usage_err(usage);
		} else if ((streq(a, "-d") || streq(a, "--delay")) && argc >= 2) {
			NEXT_ARG();
			delay = strtod(argv[0], &end);
			if (end == argv[0] || *end || !isfinite(delay) || delay < 0.1 || delay > 3600)
				return usage_err(usage);
		} else if ((streq(a, "-s") || streq(a, "--sort")) && argc >= 2) {
			NEXT_ARG();
			if (is_prefix(argv[0], "cpu"))
				t.sort = SORT_CPU;
			else if (is_prefix(argv[0], "mem") || is_prefix(argv[0], "memory"))
				t.sort = SORT_MEM;
			else if (is_prefix(argv[0], "runq") || streq(argv[0], "rq"))
				t.sort = SORT_RUNQ;
			else
				return usage_err(usage);
		} else {
			return usage_err(usage);
		}
	}
	t.live = !batch && !json_output && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	if (cg_ctx_open(&t.ctx, true) < 0)
		return EXIT_FAILED;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	if (t.live && term_setup() < 0)
		t.live = false;
	/* a first sample, and a short one to have CPU% in the first frame */
	sample(&t);
	wait_key(&t, (int)(fmin(delay, 0.5) * 1000));
	for (long n = 0; !stop_requested;) {
		sample(&t);
		build_view(&t);
		if (json_output)
			print_json(&t);
		else
			draw(&t);
		if (iterations > 0 && ++n >= iterations)
			break;
		if (!t.live && !json_output)
			fputs("\n", stdout);
		while (wait_key(&t, (int)(delay * 1000))) {
			build_view(&t);
			draw(&t);
		}
	}
	term_restore();
	free(t.view);
	json_decref(t.rows);
	json_decref(t.prev);
	cg_ctx_close(&t.ctx);
	return EXIT_OK;
}
