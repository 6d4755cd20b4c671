# SPDX-License-Identifier: Apache-2.0
# The agent with BPF on (--bpf-oom auto) sees OOM kills through kprobe/oom_kill_process where
# it attaches (these guest kernels) and names the victim in the terminal update.
# vm-timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
. "$(dirname "$0")/bpf_agent_oom.sh"
[ -r /sys/kernel/btf/vmlinux ] || fail "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)"
bpf_agent_oom auto '^kprobe/oom_kill_process$'
