# SPDX-License-Identifier: Apache-2.0
# The agent forced to its OOM fallback (--bpf-oom tracepoint: raw_tp/mark_victim, what it
# picks where the kprobe cannot attach) gives the same terminal text as the kprobe.
# vm-timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
. "$(dirname "$0")/bpf_agent_oom.sh"
[ -r /sys/kernel/btf/vmlinux ] || fail "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)"
bpf_agent_oom tracepoint '^raw_tp/mark_victim'
