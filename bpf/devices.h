/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Device control: layouts shared by devices.bpf.c and its loader (agentd/bpf_devices.c).
 *
 * One cgroup/dev program attached once at <cgroup-root>/tasks. Every task may use the usual
 * container allowlist (char 1:3 null, 1:5 zero, 1:7 full, 1:8 random, 1:9 urandom, 5:0 tty,
 * 5:2 ptmx, 136:* pts) for read, write and mknod; beyond that only what dev_allow holds for
 * the task's cgroup id (minor DEV_ANY_MINOR matches every minor). Everything else is denied
 * (EPERM on open and mknod) and counted in dev_denied[cgroup id].
 */
#ifndef DROVER_BPF_DEVICES_H
#define DROVER_BPF_DEVICES_H

#define DEV_MAX_RULES 16384
#define DEV_MAX_CGROUPS 16384
#define DEV_ANY_MINOR 0xffffffffu

/* The uapi values (linux/bpf.h defines, so not in vmlinux.h). */
#define DEV_TYPE_BLOCK 1
#define DEV_TYPE_CHAR 2
#define DEV_ACC_MKNOD 1
#define DEV_ACC_READ 2
#define DEV_ACC_WRITE 4

/* dev_key.type: BPF_DEVCG_DEV_BLOCK (1) or BPF_DEVCG_DEV_CHAR (2). The value is a mask of
 * BPF_DEVCG_ACC_MKNOD (1), _READ (2), _WRITE (4). */
struct dev_key {
	__u64 cgid;
	__u32 type;
	__u32 major;
	__u32 minor;
	__u32 pad;
};

#endif
