// SPDX-License-Identifier: Apache-2.0
/* The tasks' default seccomp filter: see seccomp.h. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <seccomp.h>

#include "seccomp.h"
#include "util.h"

static const char *const denied[] = {
	"setns",	     "keyctl",		 "add_key",	   "request_key",
	"bpf",		     "perf_event_open",	 "userfaultfd",	   "io_uring_setup",
	"io_uring_enter",    "io_uring_register", "mount",	   "umount2",
	"pivot_root",	     "fsopen",		 "fsconfig",	   "fsmount",
	"fspick",	     "move_mount",	 "open_tree",	   "mount_setattr",
	"init_module",	     "finit_module",	 "delete_module",  "kexec_load",
	"kexec_file_load",   "reboot",		 "swapon",	   "swapoff",
	"acct",		     "quotactl",	 "syslog",	   "settimeofday",
	"clock_settime",     "adjtimex",	 "ptrace",	   "process_vm_readv",
	"process_vm_writev", "kcmp",		 "open_by_handle_at", "name_to_handle_at",
};

static int add_rules(scmp_filter_ctx ctx)
{
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);

		if (nr == __NR_SCMP_ERROR)
			continue; /* unknown to this libseccomp: nothing to deny */
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0)
			return r;
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
	if (r < 0)
		return r;
	/* clone's flags are its first argument on x86-64, arm64 and the others libseccomp knows */
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
	if (r < 0)
		return r;
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

int agent_seccomp_build(struct sock_fprog *ret)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	_cleanup_close_ int fd = -1;
	struct stat st;
	void *buf;
	int r;

	if (!ctx)
		return -ENOMEM;
	/* the child sets no_new_privs itself, before this filter */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = add_rules(ctx);
	if (r < 0)
		goto out_release;
	fd = memfd_create("drover-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out_release;
	}
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		goto out_release;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size % (off_t)sizeof(struct sock_filter) ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > 4096) {
		r = -EIO;
		goto out_release;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		r = -ENOMEM;
		goto out_release;
	}
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		r = -EIO;
		goto out_release;
	}
	ret->filter = buf;
	ret->len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	r = 0;
out_release:
	seccomp_release(ctx);
	return r;
}

void agent_seccomp_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}
