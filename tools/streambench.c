// SPDX-License-Identifier: Apache-2.0
/*
 * drover-streambench: what one event costs lib/http_server's thread when N event streams
 * are open and idle, as a master's agent streams are (docs/benchmarks.md "The master's
 * drift from run to run"). An idle stream's connection is suspended in libmicrohttpd;
 * http_stream_send() resumes it, and every resume makes libmicrohttpd's thread walk its
 * whole list of suspended connections. A resumed connection is suspended again at the head
 * of that list, so events sent to streams in no particular order (tasks launched on agents)
 * leave the list in an order unrelated to where the connections lie in memory.
 *
 * Opens N streams over loopback (client sockets in this process), then sends one-byte
 * events to a few of them, each read back by its client before the next: for --seconds in
 * the list's first order (the order the streams were opened), then again after one event
 * to every stream in a random order. Reports events per second and the HTTP thread's CPU
 * time per event in both.
 *
 * With --rate R: the paced mode, which measures the server's resume batching
 * (http_server_config.resume_share). A sender thread sends R events per second to streams
 * picked at random (one unread event per stream at most), a reader thread reads them as
 * they come (epoll over the clients) and takes each event's delay from send to read. Each
 * measurement is a fresh server with N streams, in the order: budget --share, none
 * (share 1: a walk whenever libmicrohttpd's thread wakes, as before the budget), none,
 * budget, ... (--rounds pairs). Reports per measurement the events sent, the HTTP thread's
 * CPU per event, the resumes per batch and the delay's p50 and p99.
 *
 *   drover-streambench [--streams N] [--seconds S] [--threads T]
 *   drover-streambench --rate R [--share F] [--rounds K] [--streams N] [--seconds S]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "http_server.h"
#include "loop.h"
#include "util.h"

struct sbench_flags {
	int64_t streams, threads, rounds;
	double seconds, rate, share;
};

#define F(field) offsetof(struct sbench_flags, field)

static const struct conf_opt sbench_flag_table[] = {
	{"streams", CONF_INT, F(streams), "9000", "N", "idle streams held open", 1, 1000000},
	{"threads", CONF_INT, F(threads), "1", "T",
	 "the server's threads (http_server_config.threads)", 1, 64},
	{"seconds", CONF_DOUBLE, F(seconds), "5", "S", "length of each measurement", 0.1, 3600},
	{"rate", CONF_DOUBLE, F(rate), "0", "R",
	 "the paced mode: R events per second to random streams (0: the serial mode)", 0, 1e6},
	{"share", CONF_DOUBLE, F(share), "0.3", "F",
	 "the paced mode: the budgeted server's resume_share", 0.001, 1},
	{"rounds", CONF_INT, F(rounds), "2", "K", "the paced mode: pairs of measurements", 1, 100},
	CONF_END,
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_stream **streams;
static long nstreams;

/* GET /<i>: stream i (the server's thread) */
static void on_request(struct http_request *req, void *data)
{
	long i = strtol(http_request_path(req) + 1, NULL, 10);
	struct http_stream *s;

	if (i < 0 || i >= nstreams) {
		http_reply_error(req, 404, "no such stream");
		return;
	}
	s = http_reply_stream(req, "text/plain", NULL, 0, NULL, NULL);
	pthread_mutex_lock(&lock);
	streams[i] = s;
	pthread_mutex_unlock(&lock);
}

/* CPU seconds of this process's threads named by libmicrohttpd ("MHD-...") */
static double http_cpu(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	double t = 0;

	while (d && (e = readdir(d))) {
		char p[300], comm[32] = "";
		unsigned long u, s;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f) || strncmp(comm, "MHD", 3) != 0) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(p, sizeof(p), "/proc/self/task/%s/stat", e->d_name);
		f = fopen(p, "r");
		if (f && fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&u, &s) == 2)
			t += (double)(u + s) / (double)sysconf(_SC_CLK_TCK);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return t;
}

static const char *load_avg(void)
{
	static char buf[64];
	FILE *f = fopen("/proc/loadavg", "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, 15, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static double mono_s(void)
{
	return (double)now_mono_ns() / 1e9;
}

/* One event to stream i, read back by its client ("1\r\nx\r\n" in chunked encoding). */
static int send_one(const int *fds, long i)
{
	char buf[64];
	size_t got = 0;
	struct http_stream *s;

	pthread_mutex_lock(&lock);
	s = streams[i];
	pthread_mutex_unlock(&lock);
	if (!s || http_stream_send(s, "x", 1) < 0)
		return -EPIPE;
	while (got < 6) {
		ssize_t n = read(fds[i], buf, sizeof(buf));
		if (n <= 0)
			return -EIO;
		got += (size_t)n;
	}
	return 0;
}

/* Events to the first 64 streams in turn for S seconds: events per second, HTTP CPU us each */
static int measure(const int *fds, double seconds, double *ret_rate, double *ret_us)
{
	double t0 = mono_s(), c0 = http_cpu(), t;
	long k = 0;

	do {
		for (int j = 0; j < 100; j++, k++)
			if (send_one(fds, k % (nstreams < 64 ? nstreams : 64)) < 0)
				return -EIO;
		t = mono_s();
	} while (t - t0 < seconds);
	*ret_rate = (double)k / (t - t0);
	*ret_us = (http_cpu() - c0) / (double)k * 1e6;
	return 0;
}

static int open_stream(uint16_t port, long i, int *ret_fd)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	char req[128], buf[1024];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), n;

	if (fd < 0)
		return -errno;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	n = snprintf(req, sizeof(req), "GET /%ld HTTP/1.1\r\nHost: bench\r\n\r\n", i);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || write(fd, req, (size_t)n) != n) {
		close(fd);
		return -EIO;
	}
	/* the response's headers: the stream is open (and idle: suspended) */
	while (got + 1 < sizeof(buf)) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	if (!strstr(buf, "\r\n\r\n") || strncmp(buf, "HTTP/1.1 200", 12) != 0) {
		close(fd);
		return -EPROTO;
	}
	*ret_fd = fd;
	return 0;
}

/* ------------------------------------------------------------------ the paced mode */

struct paced {
	const int *fds;
	double rate, seconds;
	int64_t *sent_ns; /* per stream: when its unread event was sent, 0: none */
	unsigned *got; /* per stream: bytes read of its event */
	int64_t *delay_ns; /* one per event read */
	size_t ndelay, cap;
	long sent;
	volatile bool done;
};

static void *paced_sender(void *data)
{
	struct paced *p = data;
	int64_t t0 = now_mono_ns(), next = t0, step = (int64_t)(1e9 / p->rate);
	unsigned seed = 7;

	while (now_mono_ns() - t0 < (int64_t)(p->seconds * 1e9)) {
		struct timespec ts = {next / 1000000000, next % 1000000000};
		long i = -1;
		for (int tries = 0; tries < 16; tries++) {
			long c = (long)(rand_r(&seed) % (unsigned)nstreams);
			if (!__atomic_load_n(&p->sent_ns[c], __ATOMIC_ACQUIRE)) {
				i = c;
				break;
			}
		}
		if (i >= 0) {
			struct http_stream *st;
			pthread_mutex_lock(&lock);
			st = streams[i];
			pthread_mutex_unlock(&lock);
			__atomic_store_n(&p->sent_ns[i], now_mono_ns(), __ATOMIC_RELEASE);
			if (st && http_stream_send(st, "x", 1) == 0)
				p->sent++;
			else
				__atomic_store_n(&p->sent_ns[i], 0, __ATOMIC_RELEASE);
		}
		next += step;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	return NULL;
}

static void *paced_reader(void *data)
{
	struct paced *p = data;
	struct epoll_event evs[256];
	int ep = epoll_create1(EPOLL_CLOEXEC);

	for (long i = 0; ep >= 0 && i < nstreams; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
		fcntl(p->fds[i], F_SETFL, fcntl(p->fds[i], F_GETFL) | O_NONBLOCK);
		epoll_ctl(ep, EPOLL_CTL_ADD, p->fds[i], &ev);
	}
	while (ep >= 0 && !p->done) {
		int n = epoll_wait(ep, evs, 256, 50);
		for (int k = 0; k < n; k++) {
			long i = (long)evs[k].data.u64;
			char buf[256];
			ssize_t r;
			while ((r = read(p->fds[i], buf, sizeof(buf))) > 0)
				p->got[i] += (unsigned)r;
			/* one event ("1\r\nx\r\n") per stream at a time */
			if (p->got[i] >= 6) {
				int64_t t = __atomic_load_n(&p->sent_ns[i], __ATOMIC_ACQUIRE);
				p->got[i] -= 6;
				if (t && p->ndelay < p->cap)
					p->delay_ns[p->ndelay++] = now_mono_ns() - t;
				__atomic_store_n(&p->sent_ns[i], 0, __ATOMIC_RELEASE);
			}
		}
	}
	for (long i = 0; i < nstreams; i++) /* blocking again, for the end of the stream */
		fcntl(p->fds[i], F_SETFL, fcntl(p->fds[i], F_GETFL) & ~O_NONBLOCK);
	if (ep >= 0)
		close(ep);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* the streams' ends read, the clients closed, the server stopped */
static void close_all(struct http_server *srv, int *fds)
{
	for (long i = 0; i < nstreams; i++)
		if (streams[i])
			http_stream_end(streams[i]);
	for (long i = 0; i < nstreams; i++) {
		char buf[64];
		ssize_t n;
		/* the last chunk ("0\r\n\r\n"), then close: the server sees a clean end */
		while ((n = read(fds[i], buf, sizeof(buf))) > 0)
			if (memmem(buf, (size_t)n, "0\r\n\r\n", 5))
				break;
		close(fds[i]);
	}
	http_server_stop(srv);
	for (long i = 0; i < nstreams; i++) {
		http_stream_unref(streams[i]); /* http_reply_stream's reference, ours */
		streams[i] = NULL;
	}
}

/* One paced measurement on a fresh server whose resume_share is share; prints its row. */
static int paced_run(const struct sbench_flags *fl, struct http_server_config *cfg, double share,
		     const char *label, int *fds)
{
	struct paced p = {.fds = fds, .rate = fl->rate, .seconds = fl->seconds};
	struct http_server_stats a, b;
	struct http_server *srv = NULL;
	pthread_t ts, tr;
	double c0, c1;
	int rc;

	cfg->resume_share = share;
	if ((rc = http_server_start(cfg, &srv)) < 0) {
		fprintf(stderr, "streambench: cannot start the server: %s\n", strerror(-rc));
		return -1;
	}
	for (long i = 0; i < nstreams; i++)
		if ((rc = open_stream(http_server_port(srv), i, &fds[i])) < 0) {
			fprintf(stderr, "streambench: stream %ld: %s\n", i, strerror(-rc));
			return -1;
		}
	for (int w = 0; w < 500; w++) { /* every stream parked */
		http_server_stats(srv, &a);
		if (a.parked >= nstreams)
			break;
		usleep(10000);
	}
	p.cap = (size_t)(fl->rate * fl->seconds) + 16;
	p.sent_ns = calloc((size_t)nstreams, sizeof(*p.sent_ns));
	p.got = calloc((size_t)nstreams, sizeof(*p.got));
	p.delay_ns = calloc(p.cap, sizeof(*p.delay_ns));
	if (!p.sent_ns || !p.got || !p.delay_ns)
		return -1;
	http_server_stats(srv, &a);
	c0 = http_cpu();
	pthread_create(&tr, NULL, paced_reader, &p);
	pthread_create(&ts, NULL, paced_sender, &p);
	pthread_join(ts, NULL);
	usleep(500000); /* the last events' batches */
	p.done = true;
	pthread_join(tr, NULL);
	c1 = http_cpu();
	http_server_stats(srv, &b);
	qsort(p.delay_ns, p.ndelay, sizeof(*p.delay_ns), cmp_i64);
	printf("%-8s %5.3f %7ld %7zu %9.1f %8.1f %9.2f %9.2f  %s\n", label, share, p.sent, p.ndelay,
	       p.sent ? (c1 - c0) / (double)p.sent * 1e6 : 0.0,
	       b.batches > a.batches ?
		       (double)(b.resumes - a.resumes) / (double)(b.batches - a.batches) :
		       0.0,
	       p.ndelay ? (double)p.delay_ns[p.ndelay / 2] / 1e6 : 0.0,
	       p.ndelay ? (double)p.delay_ns[p.ndelay * 99 / 100] / 1e6 : 0.0, load_avg());
	fflush(stdout);
	close_all(srv, fds);
	free(p.sent_ns);
	free(p.got);
	free(p.delay_ns);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct daemon_desc desc = {
		.prog = "drover-streambench",
		.synopsis = "[OPTIONS]",
		.env_prefix = "DROVER_STREAMBENCH",
		.table = sbench_flag_table,
	};
	struct sbench_flags fl = {0};
	struct http_server_config cfg = {.listen = "127.0.0.1:0", .max_body = 4096};
	struct http_server *srv = NULL;
	double rate[2], us[2];
	struct rlimit rl;
	long *perm;
	int *fds, rc = daemon_parse_tool_args(&desc, &fl, argc, argv);

	if (rc >= 0)
		return rc;
	nstreams = (long)fl.streams;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (rlim_t)(2 * nstreams + 64) > rl.rlim_cur) {
		fprintf(stderr, "streambench: %ld streams need %ld descriptors, the limit is %lu\n",
			nstreams, 2 * nstreams + 64, (unsigned long)rl.rlim_cur);
		return 2;
	}
	streams = calloc((size_t)nstreams, sizeof(*streams));
	fds = calloc((size_t)nstreams, sizeof(*fds));
	perm = calloc((size_t)nstreams, sizeof(*perm));
	if (!streams || !fds || !perm)
		return 2;
	cfg.connection_limit = (unsigned)(nstreams + 64);
	cfg.idle_timeout_s = 3600;
	cfg.threads = (unsigned)fl.threads;
	cfg.handler = on_request;
	if (fl.rate > 0) {
		printf("%ld idle streams, %.0f events/s to random ones for %.1f s per measurement; "
		       "budget: resume_share %.3f, none: 1\n",
		       nstreams, fl.rate, fl.seconds, fl.share);
		printf("%-8s %5s %7s %7s %9s %8s %9s %9s  %s\n", "server", "share", "sent", "read",
		       "http_us/ev", "res/walk", "p50_ms", "p99_ms", "load");
		for (long k = 0; k < 2 * fl.rounds; k++) {
			/* budget, none, none, budget, budget, none, ... */
			bool budget = (k % 4 == 0 || k % 4 == 3);
			if (paced_run(&fl, &cfg, budget ? fl.share : 1.0,
				      budget ? "budget" : "none", fds) < 0)
				return 1;
		}
		free(streams);
		free(fds);
		free(perm);
		return 0;
	}
	if ((rc = http_server_start(&cfg, &srv)) < 0) {
		fprintf(stderr, "streambench: cannot start the server: %s\n", strerror(-rc));
		return 2;
	}
	for (long i = 0; i < nstreams; i++) {
		if ((rc = open_stream(http_server_port(srv), i, &fds[i])) < 0) {
			fprintf(stderr, "streambench: stream %ld: %s\n", i, strerror(-rc));
			return 2;
		}
	}
	usleep(200000); /* the last streams' first (empty) reads: suspended */
	if (measure(fds, fl.seconds, &rate[0], &us[0]) < 0)
		return 1;
	/* an event to every stream, in a random order (as tasks land on agents) */
	srand(1);
	for (long i = 0; i < nstreams; i++)
		perm[i] = i;
	for (long i = nstreams - 1; i > 0; i--) {
		long j = rand() % (i + 1), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (long i = 0; i < nstreams; i++)
		if (send_one(fds, perm[i]) < 0)
			return 1;
	if (measure(fds, fl.seconds, &rate[1], &us[1]) < 0)
		return 1;
	printf("%ld idle streams, %u HTTP thread(s): list in opening order %.0f events/s, %.1f us of HTTP thread CPU "
	       "per event; after one event to each in random order %.0f events/s, %.1f us\n",
	       nstreams, cfg.threads, rate[0], us[0], rate[1], us[1]);
	/* streams end before the server stops (it refuses to stop with suspended connections) */
	for (long i = 0; i < nstreams; i++)
		if (streams[i])
			http_stream_end(streams[i]);
	for (long i = 0; i < nstreams; i++) {
		char buf[64];
		size_t got = 0;
		ssize_t n;

		/* the last chunk ("0\r\n\r\n"), then close: the server sees a clean end */
		while (got < 5 && (n = read(fds[i], buf, sizeof(buf))) > 0)
			got += (size_t)n;
		close(fds[i]);
	}
	http_server_stop(srv);
	for (long i = 0; i < nstreams; i++)
		http_stream_unref(streams[i]); /* http_reply_stream's reference, ours */
	free(streams);
	free(fds);
	free(perm);
	return 0;
}
