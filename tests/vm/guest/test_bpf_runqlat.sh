# SPDX-License-Identifier: Apache-2.0
# The runqlat skeleton from bpf/ loads and attaches on this kernel and counts run-queue waits
# for the cgroup they happen in, both ways: bpf_ktime_get_ns() stamps (tp_btf sched_wakeup,
# sched_wakeup_new, sched_switch) and the scheduler's own stamps (sched_switch alone), whose
# sum must equal schedstat's run_delay of the processes; the latter twice more in the agent's
# mode (-t: only our cgroup tracked), with the switch program the agent would load here (the
# cgroup-storage mark where the kernel has it) and without it (-H: what kernels without
# cgroup local storage run).
# vm-timeout: 60
. "$(dirname "$0")/lib.sh"

[ -r /sys/kernel/btf/vmlinux ] || fail "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)"
cg=$CG/vm-runqlat
cg_create "$cg"
cg_run "$cg" runqlat_check -n 2000 || fail "runqlat_check failed (exit status $?)"
cg_run "$cg" runqlat_check -s -n 2000
rc=$?
[ $rc -eq 3 ] && skip "no sched_info.last_queued or cfs_rq->rq in this kernel's BTF"
[ $rc -eq 0 ] || fail "runqlat_check -s failed (exit status $rc)"
cg_run "$cg" runqlat_check -s -t -n 2000 || fail "runqlat_check -s -t failed (exit status $?)"
cg_run "$cg" runqlat_check -s -t -H -n 2000 || fail "runqlat_check -s -t -H failed (exit status $?)"
