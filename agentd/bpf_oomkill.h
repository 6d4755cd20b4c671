/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loader of bpf/oomkill.bpf.c: OOM kills as ring-buffer events. bpf_oomkill_fd() is an epoll
 * fd for the agent's loop; when readable, bpf_oomkill_consume() calls cb once per event.
 */
#ifndef DROVER_AGENT_BPF_OOMKILL_H
#define DROVER_AGENT_BPF_OOMKILL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/oomkill.h"

struct bpf_oomkill;
typedef void (*bpf_oomkill_cb)(const struct oom_event *e, void *data);

/* Which program reports OOM kills (bpf/oomkill.h): the kprobe, falling back to the
 * tracepoint when it cannot load or attach (auto), or only one of them. */
enum bpf_oom_mode { BPF_OOM_AUTO, BPF_OOM_KPROBE, BPF_OOM_TRACEPOINT };

/*
 * Open, load and attach. In auto mode, when the tracepoint is used, err says why the kprobe
 * was not (the caller logs it) and the call succeeds.
 */
int bpf_oomkill_open(enum bpf_oom_mode mode, bpf_oomkill_cb cb, void *data,
		     struct bpf_oomkill **ret, char *err, size_t errlen);
/* "kprobe/oom_kill_process", "raw_tp/mark_victim (victim task)" or "... (victim pid)",
 * with ", kprobe failed" when auto fell back. */
const char *bpf_oomkill_source(const struct bpf_oomkill *o);
int bpf_oomkill_fd(struct bpf_oomkill *o);
/* Handle what is in the ring buffer (no waiting); returns the number of events or -errno. */
int bpf_oomkill_consume(struct bpf_oomkill *o);
/* oom_kill_process or mark_victim (the attached program), and oom_events. */
int bpf_oomkill_pin(struct bpf_oomkill *o, const char *dir);
void bpf_oomkill_unpin(const char *dir);
void bpf_oomkill_close(struct bpf_oomkill *o);

/*
 * The terminal message of a task whose process the event killed (pure):
 * "OOM killed: pid 123 (python) at 256 MiB, limit 256 MiB" (", limit none" without a limit).
 */
void bpf_oomkill_format(const struct oom_event *e, char *buf, size_t len);

#endif
