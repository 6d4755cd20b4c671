// SPDX-License-Identifier: Apache-2.0
/*
 * runqlat_check: prove in a guest kernel that bpf/runqlat.bpf.c loads, attaches and counts.
 *
 * Opens, loads and attaches the runqlat skeleton, makes this process and a child ping-pong
 * over pipes (every round trip is a wakeup and a context switch in our own cgroup), detaches,
 * and checks that runq_hists holds a histogram for our cgroup with non-zero counts whose
 * buckets agree with its sum. Exit 0 when all of that holds, 1 otherwise.
 *
 * With -s, the waits are timed from the scheduler's own stamps (use_sched_info, as the agent
 * does where the kernel has them; exit 3 when it has not) and their sum must equal what the
 * kernel adds to schedstat's run_delay of the processes over the same run, while a third
 * process keeps moving the child between CPU 0 and 1 (waits split by migrations) (within our own
 * waits while the map was read, which fall on one side of a window edge only, + 2 % + 0.5 ms).
 *
 * With -x, the sum comparison is printed but not enforced.
 *
 * With -t, in the agent's mode: no histogram but the one this program makes for its own
 * cgroup (and the map must hold only that one). The programs are the ones the agent would
 * load here: runq_switch_cg (cgroup local storage marks the tracked cgroups) where the kernel
 * has that map type, runq_switch (every id probed in the table) otherwise or with -H.
 *
 *   runqlat_check [-v] [-s] [-t] [-H] [-n ROUNDS]
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lib/runq.h"
#include "runqlat.skel.h"

static bool verbose;
/* -s: waits over the run from schedstat (run_delay of both processes), for the comparison */
static bool sched_info;
static bool sum_report_only; /* -x: print the sum comparison, do not fail on it */
/* -t: the agent's mode (track_all off): only our cgroup has a histogram, made by the loader */
static bool tracked;
static uint64_t schedstat_ns, bpf_window_ns;
/* our own waits while reading the map at either end: they fall into one window, not both */
static uint64_t slack_ns;
static struct runqlat_bpf *g_skel;
static uint64_t g_cgid;

/* total_ns of our cgroup's histogram now (0 before its first wait) */
static uint64_t bpf_total(void)
{
	struct runq_hist h;

	if (runq_lookup(bpf_map__fd(g_skel->maps.runq_hists), g_cgid, &h) < 0)
		return 0;
	return h.total_ns;
}

static bool has_member(const struct btf *btf, const char *type, const char *member)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (unsigned i = 0; t && i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(btf, m[i].name_off), member) == 0)
			return true;
	return false;
}

/* The kernel has sched_info.last_queued and cfs_rq->rq in BTF (what the agent probes). */
static bool kernel_has_sched_info(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool r;

	if (!btf)
		return false;
	r = has_member(btf, "sched_info", "last_queued") &&
	    has_member(btf, "sched_entity", "cfs_rq") && has_member(btf, "cfs_rq", "rq");
	btf__free(btf);
	return r;
}

/* run_delay (ns waiting on a run queue) of a task: /proc/PID/schedstat's second field. */
static uint64_t run_delay(pid_t pid)
{
	unsigned long long run = 0, wait = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	fclose(f);
	return wait;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

/* The cgroup2 mount point, from /proc/self/mountinfo ("... mnt ... - cgroup2 src opts"). */
static int cgroup2_mount(char *buf, size_t size)
{
	char line[4096], mnt[4096], *sep;
	int r = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep, " - cgroup2 ", 11))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if ((size_t)snprintf(buf, size, "%s", mnt) >= size) {
			r = -ENAMETOOLONG;
			break;
		}
		r = 0;
		break;
	}
	fclose(f);
	return r;
}

/* This process's cgroup2 path relative to the mount, from /proc/self/cgroup ("0::/path"). */
static int own_cgroup(char *buf, size_t size)
{
	char line[4096];
	int r = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if ((size_t)snprintf(buf, size, "%s", line + 3) >= size) {
			r = -ENAMETOOLONG;
			break;
		}
		r = 0;
		break;
	}
	fclose(f);
	return r;
}

/* A cgroup's id is its kernfs node id, which is what its file handle carries. */
static int cgroup_id(const char *path, uint64_t *ret_id)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h = {.fh.handle_bytes = sizeof(uint64_t)};
	int mount_id;
	uint64_t id;

	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) < 0)
		return -errno;
	if (h.fh.handle_bytes != sizeof(uint64_t))
		return -EINVAL;
	memcpy(&id, h.fh.f_handle, sizeof(id));
	*ret_id = id;
	return 0;
}

/* Until killed: move `pid` between CPU 0 and CPU 1, so that it is often migrated while it
 * waits on a run queue (the kernel then books its wait in parts). */
static void mover(pid_t pid)
{
	cpu_set_t set;

	for (int cpu = 0;; cpu ^= 1) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(pid, sizeof(set), &set);
		sched_yield();
	}
}

/* Snapshot at either end of the window: schedstat of us (and the dead children), the map. */
static void window_edge(int sign, pid_t child, pid_t mov)
{
	uint64_t before = run_delay(getpid()), others = 0;

	if (child > 0)
		others += run_delay(child);
	if (mov > 0)
		others += run_delay(mov);
	schedstat_ns += sign > 0 ? before + others : -before;
	bpf_window_ns += sign > 0 ? bpf_total() : -bpf_total();
	slack_ns += run_delay(getpid()) - before;
}

/* Parent and child pass a byte back and forth ROUNDS times: wakeups and switches galore. */
static int ping_pong(int rounds)
{
	int to_child[2], to_parent[2], status, i;
	pid_t pid, mov = -1;
	siginfo_t si;
	char c = 'x';

	if (sched_info) /* before the forks: all of the children's waits fall in the window */
		window_edge(-1, -1, -1);
	if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(to_parent, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		for (;;) {
			if (read(to_child[0], &c, 1) != 1)
				_exit(0);
			if (write(to_parent[1], &c, 1) != 1)
				_exit(1);
		}
	}
	if (sched_info && sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		mov = fork();
		if (mov == 0)
			mover(pid);
	}
	close(to_child[0]);
	close(to_parent[1]);
	for (i = 0; i < rounds; i++) {
		if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1)
			break;
	}
	close(to_child[1]);
	close(to_parent[0]);
	if (mov > 0) {
		kill(mov, SIGKILL);
		waitid(P_PID, mov, &si, WEXITED | WNOWAIT);
	}
	if (sched_info) { /* the children's whole lives, read while they are zombies */
		if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0)
			return -errno;
		window_edge(1, pid, mov);
	}
	if (mov > 0)
		waitpid(mov, NULL, 0);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (i < rounds || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO;
	return 0;
}

/*
 * Fail unless our cgroup's histogram is non-empty and its buckets agree with its sum and its
 * maximum: a wait of d ns goes to bucket log2(d / 1000), [2^i, 2^(i+1)) us (i = 0 also below).
 */
static int check_hist(struct runqlat_bpf *skel, uint64_t cgid)
{
	int fd = bpf_map__fd(skel->maps.runq_hists);
	uint64_t n, lo = 0, hi = 0, top = 0;
	struct runq_hist h;
	unsigned int entries = 0;
	int i;

	for (__u32 k = 0; k < RUNQ_MAX_CGROUPS; k++)
		if (bpf_map_lookup_elem(fd, &k, &h) == 0 && h.cgid && h.cgid != RUNQ_TOMB)
			entries++;
	if (runq_lookup(fd, cgid, &h) < 0) {
		fprintf(stderr,
			"runqlat_check: no histogram for cgroup %llu (%u cgroups in the map)\n",
			(unsigned long long)cgid, entries);
		return -ENOENT;
	}
	if (tracked && entries != 1) {
		fprintf(stderr, "runqlat_check: tracking only our cgroup, the map holds %u\n", entries);
		return -EINVAL;
	}
	n = runq_count(&h);
	printf("runqlat_check: cgroup %llu: %llu waits, avg %llu us, max %llu us; %u cgroups in the map\n",
	       (unsigned long long)cgid, (unsigned long long)n,
	       (unsigned long long)(n ? h.total_ns / n / 1000 : 0),
	       (unsigned long long)(h.max_ns / 1000), entries);
	for (i = 0; i < RUNQ_SLOTS; i++) {
		if (!h.slots[i])
			continue;
		printf("  [%llu, %llu) us: %llu\n", i ? 1ULL << i : 0ULL, 1ULL << (i + 1),
		       (unsigned long long)h.slots[i]);
		lo += h.slots[i] * (i ? (1ULL << i) * 1000 : 0);
		hi += h.slots[i] * (1ULL << (i + 1)) * 1000;
		top = (uint64_t)i;
	}
	/* (the maximum is kept without an atomic: it may lag, never lead) */
	if (!n || h.total_ns < lo || h.total_ns >= hi || h.max_ns >= (1ULL << (top + 1)) * 1000) {
		fprintf(stderr, "runqlat_check: bad histogram: %llu waits, sum %llu ns (buckets say "
				"[%llu, %llu)), max %llu ns (top bucket %llu)\n",
			(unsigned long long)n, (unsigned long long)h.total_ns, (unsigned long long)lo,
			(unsigned long long)hi, (unsigned long long)h.max_ns, (unsigned long long)top);
		return -EINVAL;
	}
	if (sched_info) {
		uint64_t d = bpf_window_ns > schedstat_ns ? bpf_window_ns - schedstat_ns
							  : schedstat_ns - bpf_window_ns;

		printf("runqlat_check: waits over the ping-pong: %llu ns from BPF, %llu ns from "
		       "schedstat run_delay (our waits while reading the map: %llu ns)\n",
		       (unsigned long long)bpf_window_ns, (unsigned long long)schedstat_ns,
		       (unsigned long long)slack_ns);
		if (d > slack_ns + schedstat_ns / 50 + 500000) {
			fprintf(stderr, "runqlat_check: BPF and schedstat differ by %llu ns%s\n",
				(unsigned long long)d, sum_report_only ? " (reported only: -x)" : "");
			if (!sum_report_only)
				return -EINVAL;
		}
	}
	return 0;
}

/* What bpf_runqlat_track() does for the agent: our entry, then the mark (with cg). The
 * table is empty (track_all off), so our entry is the first we would probe. */
static int track_own(struct runqlat_bpf *skel, const char *path, uint64_t cgid, bool cg)
{
	struct runq_hist zero;
	__u32 one = 1, k = runq_entry(cgid, 0);
	int fd, r = 0;

	memset(&zero, 0, sizeof(zero));
	zero.cgid = cgid;
	if (bpf_map__update_elem(skel->maps.runq_hists, &k, sizeof(k), &zero, sizeof(zero), 0))
		return -errno;
	if (!cg)
		return 0;
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (bpf_map__update_elem(skel->maps.runq_tracked, &fd, sizeof(fd), &one, sizeof(one), 0))
		r = -errno;
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	char mnt[2048], rel[2048], path[4200];
	struct runqlat_bpf *skel;
	int rounds = 2000, opt, r;
	bool plain_only = false, cg;
	uint64_t cgid = 0;

	while ((opt = getopt(argc, argv, "vstxHn:")) != -1) {
		switch (opt) {
		case 'H':
			plain_only = true;
			break;
		case 't':
			tracked = true;
			break;
		case 's':
			sched_info = true;
			break;
		case 'x':
			sum_report_only = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'n':
			rounds = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: runqlat_check [-v] [-s] [-t] [-H] [-n ROUNDS]\n");
			return 1;
		}
	}
	libbpf_set_print(print_libbpf);
	setvbuf(stdout, NULL, _IOLBF, 0); /* a console log reads best in order */

	r = cgroup2_mount(mnt, sizeof(mnt));
	if (r < 0) {
		fprintf(stderr, "runqlat_check: no cgroup2 mount: %s\n", strerror(-r));
		return 1;
	}
	r = own_cgroup(rel, sizeof(rel));
	if (r < 0) {
		fprintf(stderr, "runqlat_check: own cgroup: %s\n", strerror(-r));
		return 1;
	}
	snprintf(path, sizeof(path), "%s%s", mnt, rel);
	r = cgroup_id(path, &cgid);
	if (r < 0) {
		fprintf(stderr, "runqlat_check: id of '%s': %s\n", path, strerror(-r));
		return 1;
	}
	printf("runqlat_check: running in '%s', cgroup id %llu\n", path, (unsigned long long)cgid);

	if (sched_info && !kernel_has_sched_info()) {
		printf("runqlat_check: no sched_info.last_queued or cfs_rq->rq in kernel BTF\n");
		return 3;
	}
	skel = runqlat_bpf__open();
	if (!skel) {
		fprintf(stderr, "runqlat_check: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->use_sched_info = sched_info;
	skel->rodata->track_all = !tracked;
	if (sched_info) {
		bpf_program__set_autoload(skel->progs.runq_wakeup, false);
		bpf_program__set_autoload(skel->progs.runq_wakeup_new, false);
	}
	cg = !plain_only &&
	     libbpf_probe_bpf_map_type(bpf_map__type(skel->maps.runq_tracked), NULL) == 1;
	bpf_program__set_autoload(skel->progs.runq_switch, !cg);
	bpf_program__set_autoload(skel->progs.runq_switch_cg, cg);
	bpf_map__set_autocreate(skel->maps.runq_tracked, cg);
	g_skel = skel;
	g_cgid = cgid;
	r = runqlat_bpf__load(skel);
	if (r) {
		fprintf(stderr, "runqlat_check: load: %s\n", strerror(-r));
		goto out_destroy_skel;
	}
	if (tracked) {
		r = track_own(skel, path, cgid, cg);
		if (r < 0) {
			fprintf(stderr, "runqlat_check: tracking '%s': %s\n", path, strerror(-r));
			goto out_destroy_skel;
		}
	}
	printf("runqlat_check: waits timed from %s; %s\n",
	       sched_info ? "the scheduler's stamps (sched_info.last_queued, rq->clock)"
			  : "bpf_ktime_get_ns() stamps in task storage",
	       cg ? "runq_switch_cg (tracked cgroups marked in cgroup storage)"
		  : "runq_switch (every cgroup id probed in the table)");
	r = runqlat_bpf__attach(skel);
	if (r) {
		fprintf(stderr, "runqlat_check: attach: %s\n", strerror(-r));
		goto out_destroy_skel;
	}
	printf("runqlat_check: loaded and attached\n");

	r = ping_pong(rounds);
	runqlat_bpf__detach(skel);
	if (r < 0) {
		fprintf(stderr, "runqlat_check: ping-pong: %s\n", strerror(-r));
		goto out_destroy_skel;
	}
	r = check_hist(skel, cgid);

out_destroy_skel:
	runqlat_bpf__destroy(skel);
	return r ? 1 : 0;
}
