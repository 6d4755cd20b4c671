# SPDX-License-Identifier: Apache-2.0
# The runqlat skeleton from bpf/ loads and attaches on this kernel (tp_btf sched_wakeup,
# sched_wakeup_new, sched_switch) and counts run-queue waits for the cgroup they happen in.
# vm-timeout: 30
. "$(dirname "$0")/lib.sh"

[ -r /sys/kernel/btf/vmlinux ] || fail "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)"
cg=$CG/vm-runqlat
cg_create "$cg"
cg_run "$cg" runqlat_check -n 2000 || fail "runqlat_check failed (exit status $?)"
