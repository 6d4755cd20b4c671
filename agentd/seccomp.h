/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp filter every task starts under (--task-seccomp default; docs/security.md).
 * Built once in the agent with libseccomp and exported to a classic BPF program, which the
 * task's child installs with a raw seccomp(2) just before exec (launch.c: no allocation
 * there), after the uid switch and PR_SET_NO_NEW_PRIVS.
 *
 * Everything is allowed but these, which fail with EPERM:
 *	new user namespaces     unshare(CLONE_NEWUSER), clone(CLONE_NEWUSER); clone3 fails
 *	                        with ENOSYS (its flags are in memory a filter cannot read),
 *	                        so libc falls back to clone, whose flags are checked; setns
 *	kernel keyrings         keyctl, add_key, request_key
 *	kernel attack surface   bpf, perf_event_open, userfaultfd, io_uring_setup/enter/
 *	                        register (io_uring's operations bypass this filter)
 *	mounts                  mount, umount2, pivot_root, fsopen, fsconfig, fsmount,
 *	                        fspick, move_mount, open_tree, mount_setattr
 *	modules, kexec, host    init_module, finit_module, delete_module, kexec_load,
 *	                        kexec_file_load, reboot, swapon, swapoff, acct, quotactl,
 *	                        syslog, settimeofday, clock_settime, adjtimex
 *	other processes         ptrace, process_vm_readv, process_vm_writev, kcmp
 *	file handles            open_by_handle_at (bypasses path permissions), name_to_handle_at
 * System calls of another architecture (32-bit int 0x80 on x86-64) kill the calling thread.
 */
#ifndef DROVER_AGENT_SECCOMP_H
#define DROVER_AGENT_SECCOMP_H

#include <linux/filter.h>

/* Build the default filter into *ret (ret->filter malloc'ed). -errno. */
int agent_seccomp_build(struct sock_fprog *ret);
void agent_seccomp_free(struct sock_fprog *prog);

#endif
