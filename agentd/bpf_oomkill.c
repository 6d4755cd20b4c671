// SPDX-License-Identifier: Apache-2.0
/* Loader of bpf/oomkill.bpf.c: see bpf_oomkill.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_common.h"
#include "bpf_oomkill.h"
#include "oomkill.skel.h"

struct bpf_oomkill {
	struct oomkill_bpf *skel;
	struct ring_buffer *rb;
	bpf_oomkill_cb cb;
	void *data;
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct bpf_oomkill *o = ctx;
	struct oom_event e;

	memset(&e, 0, sizeof(e));
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	e.comm[OOM_COMM_LEN - 1] = '\0';
	o->cb(&e, o->data);
	return 0;
}

int bpf_oomkill_open(bpf_oomkill_cb cb, void *data, struct bpf_oomkill **ret, char *err,
		     size_t errlen)
{
	struct bpf_oomkill *o = calloc(1, sizeof(*o));
	int r;

	if (!o)
		return -ENOMEM;
	o->cb = cb;
	o->data = data;
	o->skel = oomkill_bpf__open();
	if (!o->skel) {
		r = bpf_common_fail(-errno, "oomkill: open", err, errlen);
		goto out_free;
	}
	o->skel->rodata->page_size = (__u64)sysconf(_SC_PAGESIZE);
	r = oomkill_bpf__load(o->skel);
	if (r) {
		r = bpf_common_fail(r, "oomkill: load", err, errlen);
		goto out_destroy_skel;
	}
	r = oomkill_bpf__attach(o->skel);
	if (r) {
		r = bpf_common_fail(r, "oomkill: attach kprobe/oom_kill_process", err, errlen);
		goto out_destroy_skel;
	}
	o->rb = ring_buffer__new(bpf_map__fd(o->skel->maps.oom_events), on_sample, o, NULL);
	if (!o->rb) {
		r = bpf_common_fail(-errno, "oomkill: ring buffer", err, errlen);
		goto out_destroy_skel;
	}
	*ret = o;
	return 0;

out_destroy_skel:
	oomkill_bpf__destroy(o->skel);
out_free:
	free(o);
	return r;
}

int bpf_oomkill_fd(struct bpf_oomkill *o)
{
	return ring_buffer__epoll_fd(o->rb);
}

int bpf_oomkill_consume(struct bpf_oomkill *o)
{
	return ring_buffer__consume(o->rb);
}

int bpf_oomkill_poll(struct bpf_oomkill *o, int timeout_ms)
{
	return ring_buffer__poll(o->rb, timeout_ms);
}

int bpf_oomkill_prog_fds(struct bpf_oomkill *o, int *fds, const char **names, int max)
{
	if (max < 1)
		return 0;
	fds[0] = bpf_program__fd(o->skel->progs.oom_kill_process);
	names[0] = "oom_kill_process";
	return 1;
}

int bpf_oomkill_pin(struct bpf_oomkill *o, const char *dir)
{
	int r = bpf_pin_prog(dir, "oom_kill_process", o->skel->progs.oom_kill_process);

	return r < 0 ? r : bpf_pin_map(dir, "oom_events", o->skel->maps.oom_events);
}

void bpf_oomkill_unpin(const char *dir)
{
	bpf_unpin(dir, "oom_kill_process");
	bpf_unpin(dir, "oom_events");
}

void bpf_oomkill_close(struct bpf_oomkill *o)
{
	if (!o)
		return;
	ring_buffer__free(o->rb);
	oomkill_bpf__destroy(o->skel);
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
	else
		snprintf(buf, len, "OOM killed: pid %u (%s) by the system OOM killer", e->pid,
			 e->comm);
}
