/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loader of bpf/devices.bpf.c: one cgroup/dev program attached (bpf_link) at one cgroup,
 * normally <cgroup-root>/tasks. Every task gets the container default allowlist (devices.h);
 * bpf_devices_allow() adds a device for one task cgroup.
 */
#ifndef DROVER_AGENT_BPF_DEVICES_H
#define DROVER_AGENT_BPF_DEVICES_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/devices.h"

struct bpf_devices;

int bpf_devices_open(int cgroup_fd, struct bpf_devices **ret, char *err, size_t errlen);
/* The same, taking over dev_allow and dev_denied pinned in pin_dir by a previous agent. */
int bpf_devices_open_pinned(int cgroup_fd, const char *pin_dir, struct bpf_devices **ret, char *err,
			    size_t errlen);
/* Keep the program attached after the agent exits (link_dev in dir; bpf_link_keep). */
int bpf_devices_keep_link(struct bpf_devices *d, const char *dir, int cgroup_fd);
/* type 'c' or 'b'; minor DEV_ANY_MINOR for all; access "rwm" subset. */
int bpf_devices_allow(struct bpf_devices *d, uint64_t cgid, char type, uint32_t major,
		      uint32_t minor, const char *access);
/* Remove every rule and the denial counter of the cgroup. */
void bpf_devices_forget(struct bpf_devices *d, uint64_t cgid);
uint64_t bpf_devices_denied(struct bpf_devices *d, uint64_t cgid);
int bpf_devices_prog_fds(struct bpf_devices *d, int *fds, const char **names, int max);
/* dev, dev_allow, dev_denied. */
int bpf_devices_pin(struct bpf_devices *d, const char *dir);
void bpf_devices_unpin(const char *dir);
void bpf_devices_close(struct bpf_devices *d);

/*
 * Parse one device rule as the agent takes them: "c 10:200 rwm", "b 8:* r" (pure; type
 * 'c'/'b', minor DEV_ANY_MINOR for '*', access mask of DEV_ACC_*). -EINVAL with err.
 */
/*
 * Is the rule (type, major, minor or DEV_ANY_MINOR, access mask) within one rule of
 * allowlist ("c 10:200 rwm; c 195:* rw": same type and major, the same minor or '*', no
 * access beyond it)? 1 yes, 0 no ("" or NULL allows nothing), -EINVAL for a bad allowlist.
 */
int bpf_devices_rule_covered(const char *allowlist, char type, uint32_t major, uint32_t minor,
			     uint32_t access);
int bpf_devices_rule_parse(const char *text, char *ret_type, uint32_t *ret_major,
			   uint32_t *ret_minor, uint32_t *ret_access);

#endif
