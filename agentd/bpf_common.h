/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every BPF loader of the agent shares: libbpf's messages routed to our logger (and the
 * last warnings kept, so a load error can carry the verifier's log), kernel feature probes
 * through BTF, cgroup ids, and pinning under a bpffs directory.
 *
 * Like the rest of agentd/, functions return 0/positive or -errno and do not log (except the
 * libbpf print callback, which is the logger's by design).
 */
#ifndef DROVER_AGENT_BPF_COMMON_H
#define DROVER_AGENT_BPF_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_program;
struct bpf_map;
struct bpf_link;

#define BPF_PIN_DIR_DEFAULT "/sys/fs/bpf/drover"

/* Route libbpf's messages to the logger (debug -> debug, info -> debug, warn -> warn). */
void bpf_common_log_setup(void);
/* err = "<what>: <strerror(-r)>[; libbpf: <last warnings>]". Returns r. */
int bpf_common_fail(int r, const char *what, char *err, size_t errlen);

/* Kernel BTF (/sys/kernel/btf/vmlinux) is there. */
bool bpf_kernel_has_btf(void);
/* A function of that name exists in the kernel's BTF (a kfunc candidate). */
bool bpf_kernel_has_func(const char *name);

/* struct `type` of kernel BTF has a direct member `member`. */
bool bpf_kernel_has_member(const char *type, const char *member);
/*
 * Whether argument idx (0: the first after the tracepoint's own data pointer) of tracepoint
 * tp (its btf_trace_<tp> typedef in kernel BTF) is a pointer: 1 yes, 0 no, -ENOENT no such
 * tracepoint or argument, -errno no kernel BTF.
 */
int bpf_kernel_tp_arg_is_ptr(const char *tp, unsigned idx);

/* A cgroup's id (the kernfs node id, the same as its directory's inode number). */
int bpf_cgroup_id_of_fd(int dirfd, uint64_t *ret_id);

/*
 * Make dir (and its parents) on a bpffs. When the parent of dir is not a bpffs and is
 * /sys/fs/bpf, mount one there (what bpftool and systemd do). -ENOTSUP: not on bpffs.
 */
int bpf_pin_dir_prepare(const char *dir);
/* Pin prog/map at <dir>/<name>, replacing a stale pin of the same name. */
int bpf_pin_prog(const char *dir, const char *name, struct bpf_program *prog);
int bpf_pin_map(const char *dir, const char *name, struct bpf_map *map);
/*
 * Before load: make map the one pinned at <dir>/<name> when that one has the same type,
 * sizes and flags (its contents survive an agent restart). 1 reused, 0 none (or another
 * shape; dir NULL or ""), -errno.
 */
int bpf_map_reuse_pinned(const char *dir, const char *name, struct bpf_map *map);
/*
 * Enforcement that outlives the agent: *link (prog attached to cgroup_fd) is pinned at
 * <dir>/<name>, so it stays attached when the agent exits or is killed. When a link a
 * previous agent pinned there is still attached to the same cgroup, it is adopted instead:
 * it gets prog (BPF_LINK_UPDATE, atomic), *link is detached and replaced by it — no moment
 * without the program. 1 adopted, 0 pinned, -errno.
 */
int bpf_link_keep(const char *dir, const char *name, int cgroup_fd, struct bpf_program *prog,
		  struct bpf_link **link);
/* Remove <dir>/<name> (no error when absent). */
void bpf_unpin(const char *dir, const char *name);

/* Turn on run_time_ns/run_cnt accounting for every program (BPF_ENABLE_STATS): an fd that
 * keeps it on until closed. */
int bpf_stats_enable(void);

/* The run counters of a program fd. */
int bpf_prog_run_stats(int prog_fd, uint64_t *ret_run_cnt, uint64_t *ret_run_time_ns);

#endif
