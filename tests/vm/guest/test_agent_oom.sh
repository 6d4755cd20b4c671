# SPDX-License-Identifier: Apache-2.0
# Strict mode, memory.max: a task given mem 32 (MiB) that touches 256 MiB is OOM-killed;
# the agent reports TASK_FAILED with REASON_CONTAINER_LIMITATION_MEMORY (drover task run
# exits 121), the terminal update carries the OOM kill and the peak, and the task's leaf
# is gone afterwards.
# vm-timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_start
$D -j task run --mem 32 -- /drover/helpers/memhog 256 >"$AWORK/run.out" 2>&1
rc=$?
term=$(grep '"TASK_FAILED"\|"TASK_FINISHED"' "$AWORK/run.out" | tail -1)
echo "drover task run exit status $rc; terminal update:"
echo "$term"
[ $rc -eq 121 ] || { cat "$AWORK/run.out" "$AWORK/agent.log"; fail "drover task run exited $rc, want 121 (OOM)"; }
echo "$term" | grep -q '"reason":"REASON_CONTAINER_LIMITATION_MEMORY"' ||
	fail "the terminal update lacks REASON_CONTAINER_LIMITATION_MEMORY"
echo "$term" | grep -q '"oom_kills":[1-9]' || fail "the terminal update counts no OOM kill"
echo "$term" | grep -q '"mem_peak_bytes":[1-9]' || fail "the terminal update has no peak memory"
agent_no_leftovers
