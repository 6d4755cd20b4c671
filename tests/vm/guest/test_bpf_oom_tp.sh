# SPDX-License-Identifier: Apache-2.0
# The OOM fallback of bpf/oomkill.bpf.c, raw_tp/mark_victim (what the agent uses where
# kprobe/oom_kill_process cannot attach): the OOM kill of a process in a cgroup limited to 32M
# gives an event with its pid, comm and cgroup, and the nearest limited memcg (32 MiB).
# vm-timeout: 40
. "$(dirname "$0")/lib.sh"

[ -r /sys/kernel/btf/vmlinux ] || fail "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)"
cg=$CG/vm-bpf-oom-tp
cg_create "$cg"
echo 32M >"$cg/memory.max" || fail "cannot set memory.max"
[ -e "$cg/memory.swap.max" ] && echo 0 >"$cg/memory.swap.max"
out=$(bpf_check oom-tp "$cg" memhog 256)
rc=$?
echo "$out"
[ $rc -eq 0 ] || fail "bpf_check oom-tp failed (exit status $rc)"
echo "$out" | grep -q 'OOM killed: pid [0-9]* (memhog) at [0-9][0-9.]* MiB, limit 32 MiB' ||
	fail "no 'OOM killed: pid N (memhog) at X MiB, limit 32 MiB' line"
# the variant for kernels whose tracepoint passes only a pid, with BPF_PROG_TEST_RUN
cg2=$CG/vm-bpf-oom-tp-run
cg_create "$cg2"
bpf_check oom-tp-run "$cg2" || fail "bpf_check oom-tp-run failed (exit status $?)"
