// SPDX-License-Identifier: Apache-2.0
/*
 * drover-bpfbench: what the agent's BPF programs cost and save.
 *
 *   drover-bpfbench collect [--cgroups N[,N...]] [--rounds R]
 *	Creates N empty cgroups under <cgroup2>/drover-bpfbench-<pid>/, then collects CPU and
 *	memory for all of them R times each way, in the same run: (a) the BPF path (one
 *	cgroup-iterator walk into an mmapped array + the id index, bpf/cgstat.bpf.c) and (b) the
 *	cgroupfs path (open+read+parse cpu.stat and, where the memory controller is enabled,
 *	memory.current, memory.peak and memory.events of every cgroup, as cAdvisor or below
 *	read them). Checks that the BPF path found every cgroup with the CPU time cgroupfs shows,
 *	prints the medians and the ratio, then one more walk with BPF_ENABLE_STATS on: how much
 *	of the walk is the program itself. Removes the cgroups.
 *
 *   drover-bpfbench events [--seconds S]
 *	Turns on BPF_ENABLE_STATS and attaches empty programs of the scheduler hooks' types
 *	(bpf/floor.bpf.c: the floor) beside the agent's run-queue program in tracked mode, once
 *	timing waits from the scheduler's own stamps and once from bpf_ktime_get_ns() stamps;
 *	drives pipe ping-pong between two processes on one CPU inside a tracked scratch cgroup
 *	and then outside it; then device opens and binds (port 0 and a denied port in turn, and
 *	each kind alone: port 0, an allowed port, a denied port) in that cgroup with the port
 *	and device programs and empty programs of their types. Prints run_cnt, run_time_ns and
 *	ns per event of every program.
 *
 * The options come from a lib/conf table, as the daemons' do (DROVER_BPFBENCH_* variables).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agentd/bpf_cgstat.h"
#include "agentd/bpf_common.h"
#include "agentd/bpf_devices.h"
#include "agentd/bpf_ports.h"
#include "agentd/bpf_runqlat.h"
#include "agentd/cgroup.h"
#include "agentd/isolator.h"
#include "daemon.h"
#include "floor.skel.h"
#include "log.h"
#include "util.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* ------------------------------------------------------------------ collect */

struct bench_dir {
	char path[4096];
	int fd;
	int n; /* children c0 .. c<n-1> */
};

static int make_cgroups(const char *mount, struct bench_dir *d, int n)
{
	char name[32];

	snprintf(d->path, sizeof(d->path), "%s/drover-bpfbench-%d", mount, (int)getpid());
	if (mkdir(d->path, 0755) < 0)
		return -errno;
	d->fd = open(d->path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	for (d->n = 0; d->n < n; d->n++) {
		snprintf(name, sizeof(name), "c%d", d->n);
		if (mkdirat(d->fd, name, 0755) < 0)
			return -errno;
	}
	return 0;
}

static void remove_cgroups(struct bench_dir *d)
{
	char name[32];

	for (int i = 0; i < d->n; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		unlinkat(d->fd, name, AT_REMOVEDIR);
	}
	if (d->fd >= 0)
		close(d->fd);
	rmdir(d->path);
}

/* One cgroupfs pass: every file a collector reads per cgroup, read and parsed. */
static int cgroupfs_pass(struct bench_dir *d, bool mem, uint64_t *ret_sum)
{
	static const char *const mem_files[] = {"memory.current", "memory.peak", "memory.events"};
	char path[64], buf[4096];
	uint64_t sum = 0;

	for (int i = 0; i < d->n; i++) {
		struct agent_task_usage u = {0};
		ssize_t len;
		int fd;

		snprintf(path, sizeof(path), "c%d/cpu.stat", i);
		fd = openat(d->fd, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len < 0)
			return -errno;
		buf[len] = '\0';
		agent_cpu_stat_parse(buf, &u);
		sum += u.cpu_usage_usec;
		for (size_t k = 0; mem && k < 3; k++) {
			snprintf(path, sizeof(path), "c%d/%s", i, mem_files[k]);
			fd = openat(d->fd, path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return -errno;
			len = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (len < 0)
				return -errno;
			buf[len] = '\0';
			if (k == 2)
				agent_memory_events_parse(buf, &u);
			else
				sum += strtoull(buf, NULL, 10);
		}
	}
	*ret_sum = sum;
	return 0;
}

/* Every bench cgroup has a record, and its CPU time is what its cpu.stat shows. */
static int verify_collect(struct bpf_cgstat *c, struct bench_dir *d)
{
	char name[32], buf[4096];
	struct agent_task_usage u;
	int r = bpf_cgstat_collect(c);

	if (r < 0)
		return r;
	for (int i = 0; i < d->n; i++) {
		const struct cgstat_rec *rec;
		uint64_t id;
		ssize_t len;
		int fd;

		snprintf(name, sizeof(name), "c%d", i);
		fd = openat(d->fd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		r = bpf_cgroup_id_of_fd(fd, &id);
		close(fd);
		if (r < 0)
			return r;
		rec = bpf_cgstat_find(c, id);
		snprintf(name, sizeof(name), "c%d/cpu.stat", i);
		fd = openat(d->fd, name, O_RDONLY | O_CLOEXEC);
		len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (len < 0)
			return -EIO;
		buf[len] = '\0';
		memset(&u, 0, sizeof(u));
		agent_cpu_stat_parse(buf, &u);
		if (!rec || rec->s.cpu_ns / 1000 != u.cpu_usage_usec) {
			fprintf(stderr, "drover-bpfbench: cgroup c%d (id %llu): %s\n", i,
				(unsigned long long)id,
				rec ? "CPU differs from cpu.stat" : "no record");
			return -EBADMSG;
		}
	}
	return 0;
}

/* One more walk with run-time stats on: the program's share of the walk. */
static void walk_profile(struct bpf_cgstat *c, int n)
{
	uint64_t cnt0, ns0, cnt, ns;
	struct bpf_cgstat_timing tm;
	int stats = bpf_stats_enable();

	if (stats < 0)
		return;
	bpf_prog_run_stats(bpf_cgstat_prog_fd(c), &cnt0, &ns0);
	bpf_cgstat_collect(c);
	bpf_cgstat_timing(c, &tm);
	bpf_prog_run_stats(bpf_cgstat_prog_fd(c), &cnt, &ns);
	close(stats);
	printf("%7d cgroups  one walk with BPF_ENABLE_STATS: walk %.3f ms, of which the program "
	       "%.3f ms in %llu runs (%.0f ns/cgroup; includes the stats' own clock reads), "
	       "the iterator and seq_file %.3f ms (%.0f ns/cgroup)\n",
	       n, tm.walk_ns / 1e6, (ns - ns0) / 1e6, (unsigned long long)(cnt - cnt0),
	       cnt > cnt0 ? (double)(ns - ns0) / (double)(cnt - cnt0) : 0.0,
	       ((double)tm.walk_ns - (double)(ns - ns0)) / 1e6,
	       cnt > cnt0 ? ((double)tm.walk_ns - (double)(ns - ns0)) / (double)(cnt - cnt0) : 0.0);
}

static int bench_collect(const char *mount, int n, int rounds)
{
	struct bench_dir d = {.fd = -1};
	struct bpf_cgstat *c = NULL;
	struct bpf_cgstat_timing tm;
	uint64_t *bpf_ns = calloc((size_t)rounds, 8), *walk_ns = calloc((size_t)rounds, 8);
	uint64_t *read_ns = calloc((size_t)rounds, 8), *fs_ns = calloc((size_t)rounds, 8);
	uint64_t *bpf_cpu = calloc((size_t)rounds, 8), *fs_cpu = calloc((size_t)rounds, 8);
	uint64_t t0, c0, sum = 0, visited = 0;
	char err[2048], probe[64];
	bool mem;
	int r;

	if (!bpf_ns || !walk_ns || !read_ns || !fs_ns || !bpf_cpu || !fs_cpu) {
		r = -ENOMEM;
		goto out;
	}
	r = make_cgroups(mount, &d, n);
	if (r < 0) {
		fprintf(stderr, "drover-bpfbench: cannot create %d cgroups under '%s': %s\n", n,
			d.path, strerror(-r));
		goto out;
	}
	snprintf(probe, sizeof(probe), "c0/memory.current");
	mem = faccessat(d.fd, probe, R_OK, 0) == 0;
	r = bpf_cgstat_open(d.fd, (unsigned)n + 64, &c, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "drover-bpfbench: %s\n", err);
		goto out;
	}
	for (int i = 0; i < rounds; i++) {
		c0 = cpu_ns();
		t0 = now_ns();
		r = bpf_cgstat_collect(c);
		bpf_ns[i] = now_ns() - t0;
		bpf_cpu[i] = cpu_ns() - c0;
		if (r < 0) {
			fprintf(stderr, "drover-bpfbench: collect: %s\n", strerror(-r));
			goto out;
		}
		bpf_cgstat_timing(c, &tm);
		walk_ns[i] = tm.walk_ns;
		read_ns[i] = tm.read_ns;
		visited = tm.visited;
		c0 = cpu_ns();
		t0 = now_ns();
		r = cgroupfs_pass(&d, mem, &sum);
		fs_ns[i] = now_ns() - t0;
		fs_cpu[i] = cpu_ns() - c0;
		if (r < 0) {
			fprintf(stderr, "drover-bpfbench: cgroupfs: %s\n", strerror(-r));
			goto out;
		}
	}
	r = verify_collect(c, &d);
	if (r < 0)
		goto out;
	{
		uint64_t b = median(bpf_ns, rounds), f = median(fs_ns, rounds);
		printf("%7d cgroups  bpf %8.3f ms (walk %.3f + index %.3f, %llu records)  "
		       "cgroupfs %8.3f ms (%s)  ratio %.1fx\n",
		       n, b / 1e6, median(walk_ns, rounds) / 1e6, median(read_ns, rounds) / 1e6,
		       (unsigned long long)visited, f / 1e6,
		       mem ? "cpu.stat+memory.current+memory.peak+memory.events" :
			     "cpu.stat only: no memory controller on this cgroup2",
		       (double)f / (double)b);
		b = median(bpf_cpu, rounds);
		f = median(fs_cpu, rounds);
		printf("%7d cgroups  CPU time of this thread (no waiting for a CPU): bpf %.3f ms  "
		       "cgroupfs %.3f ms  ratio %.1fx\n",
		       n, b / 1e6, f / 1e6, (double)f / (double)b);
	}
	walk_profile(c, n);
	r = 0;
out:
	bpf_cgstat_close(c);
	remove_cgroups(&d);
	free(bpf_ns);
	free(walk_ns);
	free(read_ns);
	free(fs_ns);
	free(bpf_cpu);
	free(fs_cpu);
	return r;
}

/* ------------------------------------------------------------------ events */

/* Two processes on one CPU passing a byte back and forth: a wakeup and a switch each way. */
static int ping_pong(double seconds, uint64_t *ret_rounds)
{
	int a[2], b[2], status;
	uint64_t rounds = 0, end = now_ns() + (uint64_t)(seconds * 1e9);
	cpu_set_t set;
	char ch = 'x';
	pid_t pid;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (pipe(a) < 0 || pipe(b) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sched_setaffinity(0, sizeof(set), &set);
		close(a[1]);
		close(b[0]);
		while (read(a[0], &ch, 1) == 1 && write(b[1], &ch, 1) == 1)
			;
		_exit(0);
	}
	sched_setaffinity(0, sizeof(set), &set);
	close(a[0]);
	close(b[1]);
	while (now_ns() < end) {
		for (int i = 0; i < 1000; i++)
			if (write(a[1], &ch, 1) != 1 || read(b[0], &ch, 1) != 1)
				break;
		rounds += 1000;
	}
	close(a[1]);
	close(b[0]);
	waitpid(pid, &status, 0);
	*ret_rounds = rounds;
	return 0;
}

struct prog_stat {
	const char *name;
	int fd;
	uint64_t cnt, ns;
};

static void stats_mark(struct prog_stat *p, int n)
{
	for (int i = 0; i < n; i++)
		if (bpf_prog_run_stats(p[i].fd, &p[i].cnt, &p[i].ns) < 0)
			p[i].cnt = p[i].ns = 0;
}

static void stats_print(const struct prog_stat *p, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t cnt, ns;

		if (bpf_prog_run_stats(p[i].fd, &cnt, &ns) < 0) {
			printf("  %-22s (no stats)\n", p[i].name);
			continue;
		}
		cnt -= p[i].cnt;
		ns -= p[i].ns;
		printf("  %-22s run_cnt %10llu  run_time_ns %12llu  %6.1f ns/event\n", p[i].name,
		       (unsigned long long)cnt, (unsigned long long)ns,
		       cnt ? (double)ns / (double)cnt : 0.0);
	}
}

/* Join the cgroup (cg_fd >= 0) in a child, ping-pong there; the parent waits. */
static int ping_pong_in(int cg_fd, double seconds, uint64_t *ret_rounds)
{
	int p[2], status;
	pid_t pid;

	if (cg_fd < 0)
		return ping_pong(seconds, ret_rounds);
	if (pipe(p) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int procs = openat(cg_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		uint64_t rounds = 0;

		close(p[0]);
		if (procs < 0 || write(procs, "0", 1) != 1)
			_exit(1);
		close(procs);
		if (ping_pong(seconds, &rounds) < 0)
			_exit(1);
		if (write(p[1], &rounds, sizeof(rounds)) != sizeof(rounds))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], ret_rounds, sizeof(*ret_rounds)) != sizeof(*ret_rounds))
		*ret_rounds = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/*
 * The agent's run-queue program (tracked mode: only the scratch cgroup has a histogram) for
 * one way of timing the wait, with the empty floor programs attached beside it: ping-pong
 * inside the tracked cgroup, then outside it (what every other task of the host pays).
 */
static int runq_phases(int cg_fd, uint64_t cgid, bool sched_info_ok, struct floor_bpf *fl,
		       double seconds)
{
	struct bpf_runqlat *rq = NULL;
	struct prog_stat ps[8];
	const char *names[8];
	char err[2048];
	int fds[8], n, r;

	r = bpf_runqlat_open_opts(false, sched_info_ok, &rq, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "drover-bpfbench: %s\n", err);
		return r;
	}
	r = bpf_runqlat_track(rq, cg_fd, cgid);
	if (r < 0)
		goto out;
	n = bpf_runqlat_prog_fds(rq, fds, names, 5);
	for (int i = 0; i < n; i++)
		ps[i] = (struct prog_stat){.name = names[i], .fd = fds[i]};
	ps[n++] = (struct prog_stat){.name = "floor_switch (empty)",
				     .fd = bpf_program__fd(fl->progs.floor_switch)};
	ps[n++] = (struct prog_stat){.name = "floor_wakeup (empty)",
				     .fd = bpf_program__fd(fl->progs.floor_wakeup)};
	ps[n++] = (struct prog_stat){.name = "floor_switch_clock",
				     .fd = bpf_program__fd(fl->progs.floor_switch_clock)};
	for (int phase = 0; phase < 2; phase++) {
		uint64_t rounds = 0;

		stats_mark(ps, n);
		r = ping_pong_in(phase == 0 ? cg_fd : -1, seconds, &rounds);
		if (r < 0)
			goto out;
		printf("runqlat, wait from %s; %.1f s of pipe ping-pong on CPU 0 %s (%llu round "
		       "trips):\n",
		       bpf_runqlat_clock(rq), seconds,
		       phase == 0 ? "in a tracked cgroup (a Drover task)" :
				    "outside any tracked cgroup (any other task)",
		       (unsigned long long)rounds);
		stats_print(ps, n);
	}
out:
	bpf_runqlat_close(rq);
	return r;
}

/*
 * In a child moved into the scratch cgroup (the port and device programs see it): opens, then
 * binds to each kind of port, with the programs' figures for each part (the child prints).
 */
static int binds_and_opens(int cg_fd, struct prog_stat *ps, int n)
{
	static const struct {
		const char *what;
		int count, port_a, port_b;
	} binds[] = {
		{"binds, port 0 and a denied port (31001) in turn", 20000, 0, 31001},
		{"binds to port 0 (any port: returns at once)", 10000, 0, 0},
		{"binds to a port outside the managed ranges (40000)", 10000, 40000, 40000},
		{"binds to an allowed port (31002)", 10000, 31002, 31002},
		{"binds to a denied port (31001)", 10000, 31001, 31001},
	};
	int status, procs;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		if (waitpid(pid, &status, 0) < 0)
			return -errno;
		return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
	}
	procs = openat(cg_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (procs < 0 || write(procs, "0", 1) != 1)
		_exit(1);
	close(procs);
	stats_mark(ps, n);
	for (int i = 0; i < 100000; i++) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
	printf("100000 opens of /dev/null in the scratch cgroup:\n");
	stats_print(ps, n);
	for (size_t k = 0; k < sizeof(binds) / sizeof(binds[0]); k++) {
		stats_mark(ps, n);
		for (int i = 0; i < binds[k].count; i++)
			bpf_ports_try_bind(i % 2 ? binds[k].port_b : binds[k].port_a);
		printf("%d %s:\n", binds[k].count, binds[k].what);
		stats_print(ps, n);
	}
	fflush(stdout);
	_exit(0);
}

static int bench_events(const char *mount, double seconds)
{
	struct bpf_ports *ports = NULL;
	struct bpf_devices *devs = NULL;
	struct floor_bpf *fl = NULL;
	struct bpf_port_range range = {.begin = 31000, .end = 31999};
	struct bpf_port_range allowed = {.begin = 31002, .end = 31002};
	struct bpf_link *floor_links[2] = {NULL, NULL};
	char cgpath[4200], err[2048];
	int stats_fd, cg_fd = -1, r;
	struct prog_stat ps[8];
	const char *names[8];
	uint64_t cgid;
	int fds[8];
	int nprogs = 0;

	stats_fd = bpf_stats_enable();
	if (stats_fd < 0) {
		fprintf(stderr, "drover-bpfbench: BPF_ENABLE_STATS: %s\n", strerror(-stats_fd));
		return stats_fd;
	}
	snprintf(cgpath, sizeof(cgpath), "%s/drover-bpfbench-%d", mount, (int)getpid());
	if (mkdir(cgpath, 0755) < 0 ||
	    (cg_fd = open(cgpath, O_DIRECTORY | O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		fprintf(stderr, "drover-bpfbench: cgroup '%s': %s\n", cgpath, strerror(errno));
		goto out;
	}
	r = bpf_cgroup_id_of_fd(cg_fd, &cgid);
	if (r < 0)
		goto out;
	fl = floor_bpf__open_and_load();
	if (!fl || floor_bpf__attach(fl)) {
		r = -errno;
		fprintf(stderr, "drover-bpfbench: the floor programs: %s\n", strerror(errno));
		goto out;
	}
	r = runq_phases(cg_fd, cgid, true, fl, seconds);
	if (r == 0)
		r = runq_phases(cg_fd, cgid, false, fl, seconds);
	if (r < 0)
		goto out;

	/* the empty cgroup programs alone first, then the agent's alone: each runs first after
	 * the system call's entry, as the agent's do in production */
	floor_links[0] = bpf_program__attach_cgroup(fl->progs.floor_bind4, cg_fd);
	floor_links[1] = bpf_program__attach_cgroup(fl->progs.floor_dev, cg_fd);
	if (!floor_links[0] || !floor_links[1]) {
		r = -errno;
		fprintf(stderr, "drover-bpfbench: attaching the cgroup floors: %s\n",
			strerror(errno));
		goto out;
	}
	ps[0] = (struct prog_stat){.name = "floor_bind4 (empty)",
				   .fd = bpf_program__fd(fl->progs.floor_bind4)};
	ps[1] = (struct prog_stat){.name = "floor_dev (empty)",
				   .fd = bpf_program__fd(fl->progs.floor_dev)};
	printf("The same system calls with only empty cgroup/bind4 and cgroup/dev programs attached:\n");
	r = binds_and_opens(cg_fd, ps, 2);
	if (r < 0)
		goto out;
	bpf_link__destroy(floor_links[0]);
	bpf_link__destroy(floor_links[1]);
	floor_links[0] = floor_links[1] = NULL;

	r = bpf_ports_open(cg_fd, &range, 1, &ports, err, sizeof(err));
	if (r == 0)
		r = bpf_devices_open(cg_fd, &devs, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "drover-bpfbench: %s\n", err);
		goto out;
	}
	nprogs = bpf_ports_prog_fds(ports, fds, names, 8);
	nprogs += bpf_devices_prog_fds(devs, fds + nprogs, names + nprogs, 8 - nprogs);
	for (int i = 0; i < nprogs; i++)
		ps[i] = (struct prog_stat){.name = names[i], .fd = fds[i]};
	r = bpf_ports_allow(ports, cgid, &allowed, 1);
	if (r < 0) {
		fprintf(stderr, "drover-bpfbench: allowing port %u: %s\n", allowed.begin,
			strerror(-r));
		goto out;
	}
	printf("The agent's port and device programs:\n");
	r = binds_and_opens(cg_fd, ps, nprogs);
out:
	bpf_devices_close(devs);
	bpf_ports_close(ports);
	bpf_link__destroy(floor_links[0]);
	bpf_link__destroy(floor_links[1]);
	floor_bpf__destroy(fl);
	if (cg_fd >= 0)
		close(cg_fd);
	rmdir(cgpath);
	close(stats_fd);
	return r;
}

/* ------------------------------------------------------------------ main */

struct bpfbench_flags {
	char *cgroups;
	int64_t rounds;
	double seconds;
	char *log_level;
};

#define F(field) offsetof(struct bpfbench_flags, field)
static const struct conf_opt bpfbench_flag_table[] = {
	{"cgroups", CONF_STRING, F(cgroups), "1000,10000", "N[,N...]",
	 "collect: the cgroup counts to measure, in turn"},
	{"rounds", CONF_INT, F(rounds), "5", "R", "collect: rounds each way per count", 1, 100000},
	{"seconds", CONF_DOUBLE, F(seconds), "2", "S", "events: seconds of each ping-pong phase", 0,
	 3600},
	{"log-level", CONF_STRING, F(log_level), "warn", "LEVEL", "error, warn, info or debug"},
	CONF_END,
};
#undef F

static const struct daemon_desc bpfbench_desc = {
	.prog = "drover-bpfbench",
	.synopsis = "collect|events [OPTIONS]",
	.env_prefix = "DROVER_BPFBENCH",
	.table = bpfbench_flag_table,
	.log_level_offset = offsetof(struct bpfbench_flags, log_level),
};

/* "1000,10000": each count a whole number of cgroups, 1 to 1,000,000. */
static int parse_counts(const char *list, int *counts, int max, int *ret_n)
{
	const char *p = list;
	int n = 0;

	for (;;) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v < 1 || v > 1000000 || (*end && *end != ',') || n == max)
			return -EINVAL;
		counts[n++] = (int)v;
		if (!*end)
			break;
		p = end + 1;
	}
	*ret_n = n;
	return 0;
}

int main(int argc, char **argv)
{
	struct bpfbench_flags fl = {0};
	const char *mode = NULL;
	char *mount = NULL;
	int counts[16], ncounts = 0, fd, r;

	/* the mode comes first; the options after it are parsed as a daemon's argv */
	if (argc >= 2 && argv[1][0] != '-') {
		mode = argv[1];
		argc--;
		argv++;
	}
	r = daemon_parse_args(&bpfbench_desc, &fl, argc, argv);
	if (r >= 0)
		goto out_flags;
	r = 2;
	if (!mode || (strcmp(mode, "collect") != 0 && strcmp(mode, "events") != 0)) {
		fprintf(stderr, "drover-bpfbench: %s (see --help)\n",
			mode ? "the mode is collect or events" : "no mode: collect or events");
		goto out_flags;
	}
	if (parse_counts(fl.cgroups, counts, (int)ARRAY_SIZE(counts), &ncounts) < 0) {
		fprintf(stderr,
			"drover-bpfbench: option '--cgroups': '%s' is not a list of up to %d "
			"counts from 1 to 1000000\n",
			fl.cgroups, (int)ARRAY_SIZE(counts));
		goto out_flags;
	}
	if (fl.seconds <= 0) {
		fprintf(stderr, "drover-bpfbench: option '--seconds': must be more than 0\n");
		goto out_flags;
	}
	bpf_common_log_setup();
	r = agent_cgroup_mount_open(&mount, &fd);
	if (r < 0) {
		fprintf(stderr, "drover-bpfbench: no cgroup2 mount: %s\n", strerror(-r));
		r = 1;
		goto out_flags;
	}
	close(fd);
	r = 0;
	if (strcmp(mode, "collect") == 0) {
		for (int i = 0; i < ncounts && r == 0; i++)
			r = bench_collect(mount, counts[i], (int)fl.rounds);
	} else {
		r = bench_events(mount, fl.seconds);
	}
	free(mount);
	r = r < 0 ? 1 : 0;
out_flags:
	conf_free(bpfbench_flag_table, &fl);
	return r;
}
