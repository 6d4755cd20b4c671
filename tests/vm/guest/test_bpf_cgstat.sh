# SPDX-License-Identifier: Apache-2.0
# bpf/cgstat.bpf.c loads on this kernel (the rstat flush kfunc picked through BTF) and its
# cgroup-iterator record of an idle cgroup equals the kernel's files: cpu.stat usage_usec
# (exactly, in ns), memory.current, memory.peak, memory.events oom_kill and, under cpu.max,
# nr_periods and throttled_usec.
# vm-timeout: 40
. "$(dirname "$0")/lib.sh"

[ -r /sys/kernel/btf/vmlinux ] || fail "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)"
cg=$CG/vm-bpf-cgstat
cg_create "$cg"
echo "20000 100000" >"$cg/cpu.max" || fail "cannot set cpu.max"
# CPU (throttled to 20 %), then 8 MiB of file pages charged to the cgroup, then idle
cg_run "$cg" sh -c 'bpf_try burn 0.5; dd if=/dev/zero of=/tmp/bpf-cgstat bs=1M count=8 2>/dev/null' ||
	fail "the load in the cgroup failed"
# the cpu.max period timer counts a period or two after the load ends before it stops: let
# it stop, so that the record and the files see the same counters
sleep 0.5
bpf_check cgstat "$cg"
rc=$?
rm -f /tmp/bpf-cgstat
[ $rc -eq 0 ] || fail "bpf_check cgstat: the BPF record differs from the cgroup's files"
[ "$(cg_stat "$cg" cpu.stat nr_throttled)" -gt 0 ] || fail "cpu.max did not throttle (nothing compared)"
