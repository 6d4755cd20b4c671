/* SPDX-License-Identifier: Apache-2.0 */
/* The BPF objects pinned under --bpf-dir (default /sys/fs/bpf/drover): what `prog` and `map` call ours. */
#ifndef DROVER_CLI_BPF_PINS_H
#define DROVER_CLI_BPF_PINS_H

#include <stdint.h>

enum pin_kind { PIN_PROG, PIN_MAP, PIN_LINK, PIN_OTHER };

struct pin {
	char *path;	    /* absolute */
	const char *name;   /* path relative to the pin directory */
	enum pin_kind kind;
	uint32_t id;	    /* the object's ID */
	uint32_t prog_id;   /* a link's program */
};

/*
 * Walk the pin directory (recursively). *ret_n may be 0 (the directory is missing or empty);
 * -errno only on allocation failure.
 */
int pins_collect(struct pin **ret, size_t *ret_n);
void pins_free(struct pin *p, size_t n);
/* "a BPF syscall failed" hint: needs root (CAP_BPF/CAP_SYS_ADMIN) or bpffs not mounted. */
const char *bpf_hint(int err);

#endif
