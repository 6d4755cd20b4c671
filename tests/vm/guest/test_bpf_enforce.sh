# SPDX-License-Identifier: Apache-2.0
# The enforcement programs load and attach to a cgroup2 leaf on this kernel and judge as the
# agent relies on: cgroup/bind4 + bind6 (an allocated port in range binds, another one fails
# with EACCES, ports outside the range are untouched, denials are counted) and cgroup/dev
# (the default allowlist opens, /dev/kmsg and mknod fail with EPERM until allowed).
# vm-timeout: 40
. "$(dirname "$0")/lib.sh"

[ -r /sys/kernel/btf/vmlinux ] || fail "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)"
cg=$CG/vm-bpf-enforce
cg_create "$cg"
bpf_check ports "$cg" || fail "bpf_check ports failed (exit status $?)"
bpf_check dev "$cg" || fail "bpf_check dev failed (exit status $?)"
