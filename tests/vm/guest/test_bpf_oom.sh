# SPDX-License-Identifier: Apache-2.0
# bpf/oomkill.bpf.c (kprobe/oom_kill_process + ring buffer) reports the OOM kill of a process
# in a cgroup limited to 32M: the event names its pid, comm and cgroup, and the agent's text
# "OOM killed: pid N (memhog) at X MiB, limit 32 MiB" comes out of it.
# vm-timeout: 40
. "$(dirname "$0")/lib.sh"

[ -r /sys/kernel/btf/vmlinux ] || fail "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)"
cg=$CG/vm-bpf-oom
cg_create "$cg"
echo 32M >"$cg/memory.max" || fail "cannot set memory.max"
[ -e "$cg/memory.swap.max" ] && echo 0 >"$cg/memory.swap.max"
out=$(bpf_check oom "$cg" memhog 256)
rc=$?
echo "$out"
[ $rc -eq 0 ] || fail "bpf_check oom failed (exit status $rc)"
echo "$out" | grep -q 'OOM killed: pid [0-9]* (memhog) at [0-9][0-9.]* MiB, limit 32 MiB' ||
	fail "no 'OOM killed: pid N (memhog) at X MiB, limit 32 MiB' line"
