// SPDX-License-Identifier: Apache-2.0
/*
 * bpf_check: prove in a guest kernel (and on the host) that the agent's BPF programs load,
 * attach and tell the truth. Each subcommand loads one skeleton of bpf/ the way its agent
 * loader does (agentd/bpf_<feat>.c), acts, checks, and exits 0 only when everything holds.
 *
 *   bpf_check cgstat CGROUP       walk CGROUP with the cgroup iterator; its record must equal
 *                                 cpu.stat usage_usec, memory.current, memory.peak and
 *                                 memory.events oom_kill (the cgroup must be idle)
 *   bpf_check oom CGROUP CMD...   run CMD in CGROUP; an OOM-kill ring-buffer event must name
 *                                 CMD's pid and CGROUP, and its text is printed
 *                                 (kprobe/oom_kill_process)
 *   bpf_check oom-tp CGROUP CMD...  the same through raw_tp/mark_victim, its argument's type
 *                                 (task or pid) read from kernel BTF as the agent does
 *   bpf_check oom-tp-run CGROUP   no OOM needed: BPF_PROG_TEST_RUN of raw_tp/mark_victim as it
 *                                 runs on kernels whose tracepoint passes a pid, from a child
 *                                 in CGROUP: with the child's own pid the event names it, its
 *                                 comm and CGROUP; with pid 1 it is marked pid-only
 *   bpf_check ports CGROUP        bind4/bind6 on CGROUP, range 31000-31009, 31005 allowed:
 *                                 31005 binds, 31006 fails with EACCES (v4 and v6), 40000
 *                                 and port 0 bind, the denial counter says 2 (1 without v6)
 *   bpf_check dev CGROUP          cgroup/dev on CGROUP: /dev/null opens, /dev/kmsg fails with
 *                                 EPERM until c 1:11 r is allowed, mknod c 1:1 fails
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/cgstat.h"
#include "bpf/devices.h"
#include "bpf/oomkill.h"
#include "bpf/ports.h"
#include "cgstat.skel.h"
#include "devices.skel.h"
#include "oomkill.skel.h"
#include "ports.skel.h"

#define say(...) printf("bpf_check: " __VA_ARGS__)

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static bool has_func(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return found;
}

/* raw_tp/mark_victim's first argument is a pointer (struct task_struct *), not an int pid */
static int mark_victim_has_task(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, r = -1;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, "btf_trace_mark_victim", BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, btf__resolve_type(btf, (__u32)id)) : NULL;
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (t && btf_is_func_proto(t) && btf_vlen(t) >= 2) {
		t = btf__type_by_id(btf, btf__resolve_type(btf, btf_params(t)[1].type));
		r = t && btf_is_ptr(t);
	}
	btf__free(btf);
	return r;
}

static void prctl_comm(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

static int open_cgroup(const char *path, uint64_t *ret_id)
{
	struct stat st;
	int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "bpf_check: cgroup '%s': %s\n", path, strerror(errno));
		return -1;
	}
	*ret_id = (uint64_t)st.st_ino;
	return fd;
}

/* A key's value in a flat-keyed file, or a single-number file when key is NULL. */
static int read_value(const char *dir, const char *file, const char *key, uint64_t *ret)
{
	char path[4200], line[256], k[128];
	unsigned long long v;
	int r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!key && sscanf(line, "%llu", &v) == 1) {
			*ret = v;
			r = 0;
			break;
		}
		if (key && sscanf(line, "%127s %llu", k, &v) == 2 && strcmp(k, key) == 0) {
			*ret = v;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/* Fork a child that joins the cgroup (fd) and runs fn; its exit status. */
static int in_cgroup(int cg_fd, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int procs = openat(cg_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (procs < 0 || write(procs, "0", 1) != 1)
			_exit(126);
		close(procs);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ------------------------------------------------------------------ cgstat */

static int check_cgstat(const char *path)
{
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo;
	struct cgstat_bpf *skel;
	struct bpf_link *link = NULL;
	struct cgstat_rec rec;
	struct cgstat s;
	uint32_t slot;
	uint64_t id, v;
	char buf[64];
	int cg, fd, bad = 0, r = 1;

	cg = open_cgroup(path, &id);
	if (cg < 0)
		return 1;
	skel = cgstat_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->use_css_rstat_flush = !has_func("cgroup_rstat_flush");
	skel->rodata->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	say("flush kfunc: %s\n", skel->rodata->use_css_rstat_flush ? "css_rstat_flush" : "cgroup_rstat_flush");
	if (cgstat_bpf__load(skel)) {
		fprintf(stderr, "bpf_check: cgstat load failed\n");
		goto out;
	}
	memset(&linfo, 0, sizeof(linfo));
	linfo.cgroup.cgroup_fd = (uint32_t)cg;
	linfo.cgroup.order = BPF_CGROUP_ITER_DESCENDANTS_PRE;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	link = bpf_program__attach_iter(skel->progs.cgstat_walk, &opts);
	if (!link) {
		fprintf(stderr, "bpf_check: attach iterator: %s\n", strerror(errno));
		goto out;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		goto out;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	/* the walk wrote slots 0 .. walk_visited-1, each naming its cgroup */
	for (slot = 0; slot < skel->bss->walk_visited; slot++) {
		if (bpf_map__lookup_elem(skel->maps.cgstats, &slot, sizeof(slot), &rec, sizeof(rec),
					 0) == 0 && rec.id == id)
			break;
	}
	if (slot == skel->bss->walk_visited) {
		fprintf(stderr, "bpf_check: no record for cgroup %llu\n", (unsigned long long)id);
		goto out;
	}
	s = rec.s;
	say("walked %llu cgroups\n", (unsigned long long)skel->bss->walk_visited);
	if (read_value(path, "cpu.stat", "usage_usec", &v) == 0) {
		say("cpu: bpf %llu ns, cpu.stat usage_usec %llu\n", (unsigned long long)s.cpu_ns,
		    (unsigned long long)v);
		if (s.cpu_ns / 1000 != v || !v) {
			fprintf(stderr, "bpf_check: FAIL cpu differs (or is 0)\n");
			bad++;
		}
	}
	if (read_value(path, "memory.current", NULL, &v) == 0) {
		say("memory.current: bpf %llu, file %llu\n", (unsigned long long)s.mem_current,
		    (unsigned long long)v);
		if (!(s.flags & CGSTAT_F_MEM) || s.mem_current != v) {
			fprintf(stderr, "bpf_check: FAIL memory.current differs\n");
			bad++;
		}
		if (read_value(path, "memory.peak", NULL, &v) == 0) {
			say("memory.peak: bpf %llu, file %llu\n", (unsigned long long)s.mem_peak,
			    (unsigned long long)v);
			if (s.mem_peak != v) {
				fprintf(stderr, "bpf_check: FAIL memory.peak differs\n");
				bad++;
			}
		}
		if (read_value(path, "memory.events", "oom_kill", &v) == 0) {
			say("oom_kill: bpf %llu, file %llu\n", (unsigned long long)s.oom_kill,
			    (unsigned long long)v);
			if (s.oom_kill != v) {
				fprintf(stderr, "bpf_check: FAIL oom_kill differs\n");
				bad++;
			}
		}
	} else {
		say("no memory controller on '%s': memory not compared\n", path);
	}
	if (read_value(path, "cpu.stat", "nr_periods", &v) == 0) {
		uint64_t thr = 0;
		read_value(path, "cpu.stat", "throttled_usec", &thr);
		say("throttling: bpf nr_periods %llu throttled %llu ns, file nr_periods %llu throttled_usec %llu\n",
		    (unsigned long long)s.nr_periods, (unsigned long long)s.throttled_ns,
		    (unsigned long long)v, (unsigned long long)thr);
		if (s.nr_periods != v || s.throttled_ns / 1000 != thr) {
			fprintf(stderr, "bpf_check: FAIL throttling differs\n");
			bad++;
		}
	}
	r = bad ? 1 : 0;
out:
	bpf_link__destroy(link);
	cgstat_bpf__destroy(skel);
	close(cg);
	return r;
}

/* ------------------------------------------------------------------ oom */

struct oom_ctx {
	uint64_t cgid;
	pid_t pid;
	bool seen;
};

static int on_oom(void *ctx, void *data, size_t size)
{
	struct oom_ctx *c = ctx;
	const struct oom_event *e = data;

	say("event: pid %u (%.16s) cgroup %llu, memcg %llu at %llu bytes, limit %llu, flags %#x\n",
	    e->pid, e->comm, (unsigned long long)e->victim_cgid, (unsigned long long)e->memcg_cgid,
	    (unsigned long long)e->memcg_usage, (unsigned long long)e->memcg_limit, e->flags);
	if (e->victim_cgid == c->cgid && (pid_t)e->pid == c->pid) {
		say("OOM killed: pid %u (%.16s) at %llu MiB, limit %llu MiB\n", e->pid, e->comm,
		    (unsigned long long)((e->memcg_usage + (1 << 19)) >> 20),
		    (unsigned long long)(e->memcg_limit >> 20));
		c->seen = true;
	}
	return 0;
}

static int check_oom(const char *path, char **cmd, bool tp)
{
	struct oom_ctx c = {0};
	struct oomkill_bpf *skel;
	struct ring_buffer *rb = NULL;
	int cg, status, r = 1;

	cg = open_cgroup(path, &c.cgid);
	if (cg < 0)
		return 1;
	skel = oomkill_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	if (tp) {
		int has_task = mark_victim_has_task();

		if (has_task < 0) {
			fprintf(stderr, "bpf_check: no btf_trace_mark_victim in kernel BTF\n");
			goto out;
		}
		skel->rodata->mark_victim_has_task = has_task;
		say("raw_tp/mark_victim: the first argument is %s\n",
		    has_task ? "the victim task" : "the victim pid");
	}
	bpf_program__set_autoload(tp ? skel->progs.oom_kill_process : skel->progs.mark_victim,
				  false);
	if (oomkill_bpf__load(skel) || oomkill_bpf__attach(skel)) {
		fprintf(stderr, "bpf_check: oomkill (%s) load/attach failed\n",
			tp ? "raw_tp/mark_victim" : "kprobe/oom_kill_process");
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.oom_events), on_oom, &c, NULL);
	if (!rb)
		goto out;
	c.pid = fork();
	if (c.pid == 0) {
		int procs = openat(cg, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (procs < 0 || write(procs, "0", 1) != 1)
			_exit(126);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	waitpid(c.pid, &status, 0);
	say("child exit: %s %d\n", WIFSIGNALED(status) ? "signal" : "status",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	for (int i = 0; i < 20 && !c.seen; i++)
		ring_buffer__poll(rb, 100);
	if (!c.seen)
		fprintf(stderr, "bpf_check: FAIL no OOM event for pid %d in cgroup %llu\n", c.pid,
			(unsigned long long)c.cgid);
	r = c.seen ? 0 : 1;
out:
	ring_buffer__free(rb);
	oomkill_bpf__destroy(skel);
	close(cg);
	return r;
}

struct tp_run_ctx {
	struct oom_event e[4];
	int n;
};

static int on_tp_event(void *ctx, void *data, size_t size)
{
	struct tp_run_ctx *c = ctx;

	if (c->n < 4)
		memcpy(&c->e[c->n++], data, size < sizeof(c->e[0]) ? size : sizeof(c->e[0]));
	return 0;
}

/* In the child: test-run the program with args[0] = pid, twice: self, then 1. */
static int tp_run_child(int prog_fd)
{
	__u64 args[2] = {(uint64_t)getpid(), 0};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	prctl_comm("oomtp-self");
	if (bpf_prog_test_run_opts(prog_fd, &opts) < 0)
		return 2;
	args[0] = 1;
	if (bpf_prog_test_run_opts(prog_fd, &opts) < 0)
		return 3;
	return 0;
}

static int check_oom_tp_run(const char *path)
{
	struct tp_run_ctx c = {0};
	struct oomkill_bpf *skel;
	struct ring_buffer *rb = NULL;
	uint64_t cgid;
	int cg, status, r = 1;
	pid_t pid;

	cg = open_cgroup(path, &cgid);
	if (cg < 0)
		return 1;
	skel = oomkill_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	skel->rodata->mark_victim_has_task = false;
	bpf_program__set_autoload(skel->progs.oom_kill_process, false);
	if (oomkill_bpf__load(skel)) {
		fprintf(stderr, "bpf_check: mark_victim load failed\n");
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.oom_events), on_tp_event, &c, NULL);
	if (!rb)
		goto out;
	pid = fork();
	if (pid == 0) {
		int procs = openat(cg, "cgroup.procs", O_WRONLY | O_CLOEXEC);

		if (procs < 0 || write(procs, "0", 1) != 1)
			_exit(126);
		_exit(tp_run_child(bpf_program__fd(skel->progs.mark_victim)));
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bpf_check: test run failed in the child (status %#x): %s\n", status,
			WEXITSTATUS(status) == 2 || WEXITSTATUS(status) == 3
				? "BPF_PROG_TEST_RUN refused"
				: "cannot join the cgroup");
		goto out;
	}
	ring_buffer__consume(rb);
	for (int i = 0; i < c.n; i++)
		say("event %d: pid %u (%.16s) cgroup %llu flags %#x\n", i, c.e[i].pid, c.e[i].comm,
		    (unsigned long long)c.e[i].victim_cgid, c.e[i].flags);
	if (c.n != 2) {
		fprintf(stderr, "bpf_check: FAIL %d events, want 2\n", c.n);
		goto out;
	}
	if (c.e[0].pid != (uint32_t)pid || strcmp(c.e[0].comm, "oomtp-self") ||
	    c.e[0].victim_cgid != cgid || (c.e[0].flags & OOM_F_PID_ONLY) ||
	    !(c.e[0].flags & OOM_F_TRACEPOINT)) {
		fprintf(stderr, "bpf_check: FAIL the self event does not name pid %d, "
				"'oomtp-self' and cgroup %llu\n",
			pid, (unsigned long long)cgid);
		goto out;
	}
	if (c.e[1].pid != 1 || !(c.e[1].flags & OOM_F_PID_ONLY) || c.e[1].victim_cgid) {
		fprintf(stderr, "bpf_check: FAIL the pid-1 event is not pid-only\n");
		goto out;
	}
	say("mark_victim (pid argument): the victim named from the current task, others pid-only\n");
	r = 0;
out:
	ring_buffer__free(rb);
	oomkill_bpf__destroy(skel);
	close(cg);
	return r;
}

/* ------------------------------------------------------------------ ports */

static int try_bind(int port, int family)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	if (family == AF_INET6 ? bind(fd, (struct sockaddr *)&s6, sizeof(s6))
			       : bind(fd, (struct sockaddr *)&s4, sizeof(s4)))
		r = -errno;
	close(fd);
	return r;
}

static int expect_bind(int port, int family, int want)
{
	int r = try_bind(port, family);

	printf("bpf_check: bind %s:%d -> %s (want %s)\n", family == AF_INET6 ? "[::1]" : "127.0.0.1",
	       port, r ? strerror(-r) : "ok", want ? strerror(-want) : "ok");
	return r == want ? 0 : 1;
}

static int ports_child(void *arg)
{
	bool v6 = try_bind(0, AF_INET6) == 0;
	int bad = 0;

	bad += expect_bind(31005, AF_INET, 0);
	bad += expect_bind(31006, AF_INET, -EACCES);
	bad += expect_bind(40000, AF_INET, 0);
	bad += expect_bind(0, AF_INET, 0);
	if (v6) {
		bad += expect_bind(31005, AF_INET6, 0);
		bad += expect_bind(31006, AF_INET6, -EACCES);
	} else {
		say("no IPv6 loopback: bind6 not exercised\n");
	}
	return bad ? 1 : v6 ? 0 : 3;
}

static int check_ports(const char *path)
{
	struct ports_bpf *skel;
	struct bpf_link *l4 = NULL, *l6 = NULL;
	uint64_t cgid, denied = 0, want, owner;
	int cg, rc, r = 1;

	cg = open_cgroup(path, &cgid);
	if (cg < 0)
		return 1;
	skel = ports_bpf__open();
	if (!skel)
		return 1;
	if (ports_bpf__load(skel)) {
		fprintf(stderr, "bpf_check: ports load failed\n");
		goto out;
	}
	l4 = bpf_program__attach_cgroup(skel->progs.drover_bind4, cg);
	l6 = bpf_program__attach_cgroup(skel->progs.drover_bind6, cg);
	if (!l4 || !l6) {
		fprintf(stderr, "bpf_check: attach bind4/bind6: %s\n", strerror(errno));
		goto out;
	}
	/* managed 31000-31009, of which the cgroup holds 31005 */
	for (uint32_t port = 31000; port <= 31009; port++) {
		owner = port == 31005 ? cgid : PORT_FREE;
		if (bpf_map__update_elem(skel->maps.port_owner, &port, sizeof(port), &owner,
					 sizeof(owner), 0) < 0) {
			fprintf(stderr, "bpf_check: port_owner[%u]: %s\n", port, strerror(errno));
			goto out;
		}
	}
	rc = in_cgroup(cg, ports_child, NULL);
	want = rc == 3 ? 1 : 2;
	bpf_map__lookup_elem(skel->maps.port_denied, &cgid, sizeof(cgid), &denied, sizeof(denied), 0);
	say("denied binds counted: %llu (want %llu)\n", (unsigned long long)denied,
	    (unsigned long long)want);
	r = (rc == 0 || rc == 3) && denied == want ? 0 : 1;
out:
	bpf_link__destroy(l6);
	bpf_link__destroy(l4);
	ports_bpf__destroy(skel);
	close(cg);
	return r;
}

/* ------------------------------------------------------------------ devices */

static int expect_open(const char *path, int want)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), r = fd < 0 ? -errno : 0;

	if (fd >= 0)
		close(fd);
	say("open %s -> %s (want %s)\n", path, r ? strerror(-r) : "ok", want ? strerror(-want) : "ok");
	return r == want ? 0 : 1;
}

static int dev_child_denied(void *arg)
{
	int bad = 0, r;

	bad += expect_open("/dev/null", 0);
	bad += expect_open("/dev/kmsg", -EPERM);
	r = mknod("/tmp/bpf_check_mem", S_IFCHR | 0600, makedev(1, 1)) ? -errno : 0;
	if (!r)
		unlink("/tmp/bpf_check_mem");
	say("mknod c 1:1 -> %s (want %s)\n", r ? strerror(-r) : "ok", strerror(EPERM));
	bad += r != -EPERM;
	return bad ? 1 : 0;
}

static int dev_child_allowed(void *arg)
{
	return expect_open("/dev/kmsg", 0);
}

static int check_dev(const char *path)
{
	struct dev_key key = {0};
	struct devices_bpf *skel;
	struct bpf_link *link = NULL;
	uint64_t cgid, denied = 0;
	uint32_t mask = DEV_ACC_READ;
	int cg, r = 1, rc1, rc2;

	cg = open_cgroup(path, &cgid);
	if (cg < 0)
		return 1;
	skel = devices_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "bpf_check: devices load failed\n");
		close(cg);
		return 1;
	}
	link = bpf_program__attach_cgroup(skel->progs.drover_dev, cg);
	if (!link) {
		fprintf(stderr, "bpf_check: attach cgroup/dev: %s\n", strerror(errno));
		goto out;
	}
	rc1 = in_cgroup(cg, dev_child_denied, NULL);
	key.cgid = cgid;
	key.type = DEV_TYPE_CHAR;
	key.major = 1;
	key.minor = 11;
	bpf_map__update_elem(skel->maps.dev_allow, &key, sizeof(key), &mask, sizeof(mask), 0);
	rc2 = in_cgroup(cg, dev_child_allowed, NULL);
	bpf_map__lookup_elem(skel->maps.dev_denied, &cgid, sizeof(cgid), &denied, sizeof(denied), 0);
	say("denied device accesses counted: %llu (want >= 2)\n", (unsigned long long)denied);
	r = rc1 == 0 && rc2 == 0 && denied >= 2 ? 0 : 1;
out:
	bpf_link__destroy(link);
	devices_bpf__destroy(skel);
	close(cg);
	return r;
}

int main(int argc, char **argv)
{
	int r = 2;

	libbpf_set_print(print_libbpf);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "cgstat") == 0)
		r = check_cgstat(argv[2]);
	else if (argc >= 4 && strcmp(argv[1], "oom") == 0)
		r = check_oom(argv[2], argv + 3, false);
	else if (argc == 3 && strcmp(argv[1], "oom-tp-run") == 0)
		r = check_oom_tp_run(argv[2]);
	else if (argc >= 4 && strcmp(argv[1], "oom-tp") == 0)
		r = check_oom(argv[2], argv + 3, true);
	else if (argc == 3 && strcmp(argv[1], "ports") == 0)
		r = check_ports(argv[2]);
	else if (argc == 3 && strcmp(argv[1], "dev") == 0)
		r = check_dev(argv[2]);
	else
		fprintf(stderr, "usage: bpf_check cgstat|ports|dev CGROUP | oom|oom-tp CGROUP CMD... | oom-tp-run CGROUP\n");
	return r;
}
