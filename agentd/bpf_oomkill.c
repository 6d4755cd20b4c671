// SPDX-License-Identifier: Apache-2.0
/* Loader of bpf/oomkill.bpf.c: see bpf_oomkill.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_common.h"
#include "bpf_oomkill.h"
#include "cgroup.h"
#include "oomkill.skel.h"

struct bpf_oomkill {
	struct oomkill_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_program *prog; /* the one attached */
	char source[64];
	char *cg_mount;           /* the cgroup2 mount, for events with only a pid */
	bpf_oomkill_cb cb;
	void *data;
};

/* comm and cgroup of a pid-only event from /proc/<pid> (best effort: it may be gone). */
static void complete_from_proc(const struct bpf_oomkill *o, struct oom_event *e)
{
	char path[64], buf[4096], full[4352], *rel;
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/comm", e->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, e->comm, sizeof(e->comm) - 1);
		close(fd);
		if (n > 0 && e->comm[n - 1] == '\n')
			n--;
		e->comm[n > 0 ? n : 0] = '\0';
	}
	snprintf(path, sizeof(path), "/proc/%u/cgroup", e->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || !o->cg_mount)
		return;
	buf[n] = '\0';
	rel = strstr(buf, "0::/"); /* the cgroup2 line; v1 lines have a non-zero id */
	if (!rel || (rel != buf && rel[-1] != '\n'))
		return;
	rel += 3;
	rel[strcspn(rel, "\n")] = '\0';
	if (snprintf(full, sizeof(full), "%s%s", o->cg_mount, rel) >= (int)sizeof(full))
		return;
	if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
		e->victim_cgid = (uint64_t)st.st_ino;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct bpf_oomkill *o = ctx;
	struct oom_event e;

	memset(&e, 0, sizeof(e));
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	e.comm[OOM_COMM_LEN - 1] = '\0';
	if (e.flags & OOM_F_PID_ONLY)
		complete_from_proc(o, &e);
	o->cb(&e, o->data);
	return 0;
}

/* Load and attach one of the two programs; the other is not loaded. */
static int load_one(struct bpf_oomkill *o, bool tracepoint, char *err, size_t errlen)
{
	struct bpf_link *link;
	int has_task = 0, r;

	o->skel = oomkill_bpf__open();
	if (!o->skel)
		return bpf_common_fail(-errno, "oomkill: open", err, errlen);
	o->skel->rodata->page_size = (__u64)sysconf(_SC_PAGESIZE);
	if (tracepoint) {
		has_task = bpf_kernel_tp_arg_is_ptr("mark_victim", 0);
		if (has_task < 0) {
			r = has_task;
			snprintf(err, errlen, "oomkill: no oom:mark_victim tracepoint in kernel BTF");
			goto out_destroy_skel;
		}
		o->skel->rodata->mark_victim_has_task = has_task;
	}
	o->prog = tracepoint ? o->skel->progs.mark_victim : o->skel->progs.oom_kill_process;
	bpf_program__set_autoload(tracepoint ? o->skel->progs.oom_kill_process
					     : o->skel->progs.mark_victim,
				  false);
	r = oomkill_bpf__load(o->skel);
	if (r) {
		r = bpf_common_fail(r, "oomkill: load", err, errlen);
		goto out_destroy_skel;
	}
	link = bpf_program__attach(o->prog);
	if (!link) {
		r = bpf_common_fail(-errno,
				    tracepoint ? "oomkill: attach raw_tp/mark_victim"
					       : "oomkill: attach kprobe/oom_kill_process",
				    err, errlen);
		goto out_destroy_skel;
	}
	/* the skeleton owns it from here (oomkill_bpf__destroy) */
	if (tracepoint)
		o->skel->links.mark_victim = link;
	else
		o->skel->links.oom_kill_process = link;
	snprintf(o->source, sizeof(o->source), "%s",
		 !tracepoint ? "kprobe/oom_kill_process"
		 : has_task  ? "raw_tp/mark_victim (victim task)"
			     : "raw_tp/mark_victim (victim pid)");
	return 0;

out_destroy_skel:
	oomkill_bpf__destroy(o->skel);
	o->skel = NULL;
	return r;
}

int bpf_oomkill_open(enum bpf_oom_mode mode, bpf_oomkill_cb cb, void *data,
		     struct bpf_oomkill **ret, char *err, size_t errlen)
{
	struct bpf_oomkill *o = calloc(1, sizeof(*o));
	char kerr[512] = "";
	int fd, r;

	if (!o)
		return -ENOMEM;
	o->cb = cb;
	o->data = data;
	if (mode == BPF_OOM_TRACEPOINT) {
		r = load_one(o, true, err, errlen);
	} else {
		r = load_one(o, false, mode == BPF_OOM_AUTO ? kerr : err,
			     mode == BPF_OOM_AUTO ? sizeof(kerr) : errlen);
		if (r < 0 && mode == BPF_OOM_AUTO) {
			r = load_one(o, true, err, errlen);
			if (r < 0) {
				size_t n = strlen(err);

				snprintf(err + n, errlen - n, "; and %s", kerr);
			} else {
				snprintf(o->source + strlen(o->source),
					 sizeof(o->source) - strlen(o->source), ", kprobe failed");
				snprintf(err, errlen, "%s", kerr); /* why not the kprobe */
			}
		}
	}
	if (r < 0)
		goto out_free;
	if (agent_cgroup_mount_open(&o->cg_mount, &fd) == 0)
		close(fd);
	o->rb = ring_buffer__new(bpf_map__fd(o->skel->maps.oom_events), on_sample, o, NULL);
	if (!o->rb) {
		r = bpf_common_fail(-errno, "oomkill: ring buffer", err, errlen);
		goto out_destroy_skel;
	}
	*ret = o;
	return 0;

out_destroy_skel:
	oomkill_bpf__destroy(o->skel);
	free(o->cg_mount);
out_free:
	free(o);
	return r;
}

const char *bpf_oomkill_source(const struct bpf_oomkill *o)
{
	return o->source;
}

int bpf_oomkill_fd(struct bpf_oomkill *o)
{
	return ring_buffer__epoll_fd(o->rb);
}

int bpf_oomkill_consume(struct bpf_oomkill *o)
{
	return ring_buffer__consume(o->rb);
}

int bpf_oomkill_pin(struct bpf_oomkill *o, const char *dir)
{
	int r = bpf_pin_prog(dir, bpf_program__name(o->prog), o->prog);

	return r < 0 ? r : bpf_pin_map(dir, "oom_events", o->skel->maps.oom_events);
}

void bpf_oomkill_unpin(const char *dir)
{
	bpf_unpin(dir, "oom_kill_process");
	bpf_unpin(dir, "mark_victim");
	bpf_unpin(dir, "oom_events");
}

void bpf_oomkill_close(struct bpf_oomkill *o)
{
	if (!o)
		return;
	ring_buffer__free(o->rb);
	oomkill_bpf__destroy(o->skel);
	free(o->cg_mount);
	free(o);
}

static void mib(uint64_t bytes, char *buf, size_t len)
{
	if (bytes % (1024 * 1024) == 0 || bytes >= 100ULL * 1024 * 1024)
		snprintf(buf, len, "%" PRIu64 " MiB", (bytes + 512 * 1024) / (1024 * 1024));
	else
		snprintf(buf, len, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
}

void bpf_oomkill_format(const struct oom_event *e, char *buf, size_t len)
{
	char at[32], lim[32];

	mib(e->memcg_usage, at, sizeof(at));
	if (!e->memcg_cgid || e->memcg_limit == ~0ULL)
		snprintf(lim, sizeof(lim), "none");
	else
		mib(e->memcg_limit, lim, sizeof(lim));
	if (e->memcg_cgid)
		snprintf(buf, len, "OOM killed: pid %u (%s) at %s, limit %s", e->pid, e->comm, at, lim);
	else if (e->flags & OOM_F_TRACEPOINT) /* no limited memcg found: nothing to name */
		snprintf(buf, len, "OOM killed: pid %u (%s)", e->pid, e->comm);
	else
		snprintf(buf, len, "OOM killed: pid %u (%s) by the system OOM killer", e->pid,
			 e->comm);
}
