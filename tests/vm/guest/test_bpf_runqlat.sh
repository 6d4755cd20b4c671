# SPDX-License-Identifier: Apache-2.0
# The runqlat skeleton from bpf/ loads and attaches on this kernel and counts run-queue waits
# for the cgroup they happen in, both ways: bpf_ktime_get_ns() stamps (tp_btf sched_wakeup,
# sched_wakeup_new, sched_switch) and the scheduler's own stamps (sched_switch alone), whose
# sum must equal schedstat's run_delay of the processes.
# vm-timeout: 30
. "$(dirname "$0")/lib.sh"

[ -r /sys/kernel/btf/vmlinux ] || fail "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)"
cg=$CG/vm-runqlat
cg_create "$cg"
cg_run "$cg" runqlat_check -n 2000 || fail "runqlat_check failed (exit status $?)"
cg_run "$cg" runqlat_check -s -n 2000
rc=$?
[ $rc -eq 3 ] && skip "no sched_info.last_queued or cfs_rq->rq in this kernel's BTF"
[ $rc -eq 0 ] || fail "runqlat_check -s failed (exit status $rc)"
