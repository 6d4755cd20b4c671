# SPDX-License-Identifier: Apache-2.0
# Sourced by test_agent_bpf_oom*.sh after agent_lib.sh: bpf_agent_oom MODE EXPECTED_SOURCE
# starts the strict agent with BPF on and --bpf-oom MODE, checks that its log names the OOM
# source (a pattern), runs a task of mem 32 that touches 256 MiB, and checks that the
# terminal update is TASK_FAILED with the BPF text "OOM killed: pid N (memhog) at X MiB,
# limit 32 MiB".
bpf_agent_oom() {
	agent_start --bpf auto --bpf-pin-dir '' --bpf-oom "$1"
	src=$(sed -n 's/.*bpf: OOM events from \(.*\)/\1/p' "$AWORK/agent.log" | head -1)
	echo "OOM source: $src"
	echo "$src" | grep -q "$2" || { cat "$AWORK/agent.log"; fail "OOM source '$src', want '$2'"; }
	$D -j task run --mem 32 -- /drover/helpers/memhog 256 >"$AWORK/run.out" 2>&1
	rc=$?
	term=$(grep '"TASK_FAILED"\|"TASK_FINISHED"' "$AWORK/run.out" | tail -1)
	echo "drover task run exit status $rc; terminal update:"
	echo "$term"
	echo "$term" | grep -q 'OOM killed: pid [0-9]* (memhog) at [0-9][0-9.]* MiB, limit 32 MiB' || {
		cat "$AWORK/agent.log"
		fail "the terminal update lacks 'OOM killed: pid N (memhog) at X MiB, limit 32 MiB'"
	}
	[ $rc -eq 121 ] || fail "drover task run exited $rc, want 121 (OOM)"
	agent_no_leftovers
}
