# SPDX-License-Identifier: Apache-2.0
# kill -9 the agent mid-launch, mid-kill (also between the kill's checkpoint and its signal)
# and with updates unacknowledged, then restart it
# on the same work dir. Every task ends up running (one process) or ended with its real
# state, and the framework acknowledges every update once: none lost, none duplicated.
. "$(dirname "$0")/lib.sh"
fault_begin

# 1. mid-launch: the agent dies right after the master accepted three tasks
c=$(launch "$(task_json l1 "sleep 301$TAG")" "$(task_json l2 "sleep 302$TAG")" \
	"$(task_json l3 "sleep 303$TAG")")
check launch-accepted [ "$c" = 202 ]
kill9_agent
restart_agent
check launch-agent-back wait_for agent_registered
for t in l1 l2 l3; do
	check "launch-$t-settled" wait_for settled "$t"
done
check_no_loss launch-no-loss l1:"sleep_301$TAG" l2:"sleep_302$TAG" l3:"sleep_303$TAG"

# 1b. the same window made certain: the agent died after checkpointing a task's STARTING
#     update and starting it, before checkpointing RUNNING (its update queue is rewound to
#     that moment while the agent is down; the framework has acknowledged nothing of it)
acker_stop
c=$(launch "$(task_json l4 "sleep 304$TAG")")
check window-accepted [ "$c" = 202 ]
UPD="$WORK/agent/meta/tasks/$FW_ID/l4/updates.json"
two_queued() { [ "$(jq length "$UPD")" = 2 ]; }
check window-queued wait_for two_queued
kill9_agent
jq -c '[.[0]]' "$UPD" >"$UPD.tmp" && mv "$UPD.tmp" "$UPD"
check window-rewound [ "$(jq -r '.[0].state' "$UPD")" = TASK_STARTING ]
restart_agent
check window-agent-back wait_for agent_registered
fw_resubscribe || fail resubscribe
check window-l4-running wait_for acked_is l4 TASK_RUNNING
[ -n "${FAULT_DEBUG:-}" ] && exit 0
# 2. mid-kill: the agent dies right after the master forwarded a KILL of a running task
c=$(launch "$(task_json k1 "sleep 306$TAG")")
check kill-launched [ "$c" = 202 ]
check kill-k1-running wait_for acked_is k1 TASK_RUNNING
c=$(kill_task k1)
check kill-accepted [ "$c" = 202 ]
kill9_agent
restart_agent
check kill-agent-back wait_for agent_registered
check kill-k1-killed wait_for acked_is k1 TASK_KILLED
check kill-k1-gone wait_for no_procs "sleep 306$TAG"

# 2b. the same window made certain: the agent died after checkpointing the kill request,
#     before its signal went out (the checkpoint says kill_requested while the task runs):
#     the restarted agent finishes the kill
c=$(launch "$(task_json k2 "sleep 307$TAG")")
check killwin-launched [ "$c" = 202 ]
check killwin-k2-running wait_for acked_is k2 TASK_RUNNING
kill9_agent
TJ="$WORK/agent/meta/tasks/$FW_ID/k2/task.json"
jq -c '.kill_requested = true' "$TJ" >"$TJ.tmp" && mv "$TJ.tmp" "$TJ"
check killwin-checkpoint-says-kill jq -e '.kill_requested == true' "$TJ"
check killwin-k2-still-runs [ "$(procs_of "sleep 307$TAG")" = 1 ]
restart_agent
check killwin-agent-back wait_for agent_registered
check killwin-k2-killed wait_for acked_is k2 TASK_KILLED
check killwin-k2-gone wait_for no_procs "sleep 307$TAG"
# 2c. the KILL itself lost, made certain: the agent is stopped (SIGSTOP) when the master
#     forwards it, so it dies without having read it; the master sends the KILL again when
#     the agent resubscribes
c=$(launch "$(task_json k3 "sleep 308$TAG")")
check killlost-launched [ "$c" = 202 ]
check killlost-k3-running wait_for acked_is k3 TASK_RUNNING
kill -STOP "$AGENT_PID"
c=$(kill_task k3)
check killlost-accepted [ "$c" = 202 ]
sleep 0.5 # the KILL waits on the stopped agent's stream
kill9_agent
check killlost-k3-still-runs [ "$(procs_of "sleep 308$TAG")" = 1 ]
restart_agent
check killlost-agent-back wait_for agent_registered
check killlost-k3-killed wait_for acked_is k3 TASK_KILLED
check killlost-k3-gone wait_for no_procs "sleep 308$TAG"
check_no_loss kill-no-loss l1:"sleep_301$TAG" l2:"sleep_302$TAG" l3:"sleep_303$TAG" \
	l4:"sleep_304$TAG" k1:"sleep_306$TAG" k2:"sleep_307$TAG" k3:"sleep_308$TAG"

# 3. updates unacknowledged: two running tasks, the framework stops acknowledging, one
#    finishes and the other is killed, the agent dies with both terminal updates pending,
#    comes back, and the framework acknowledges again on a new stream
c=$(launch "$(task_json u1 "sleep 2.5$TAG")" "$(task_json u2 "sleep 305$TAG")")
check unacked-accepted [ "$c" = 202 ]
check unacked-running wait_for acked_is u1 TASK_RUNNING
wait_for acked_is u2 TASK_RUNNING
acker_stop
kill_task u2 >/dev/null
check unacked-ended wait_for no_procs "sleep 2.5$TAG"
check unacked-killed wait_for no_procs "sleep 305$TAG"
sleep 1
both_pending() { [ "$(acked_state u1)" = TASK_RUNNING ] && [ "$(acked_state u2)" = TASK_RUNNING ]; }
check unacked-pending both_pending
kill9_agent
restart_agent
check unacked-agent-back wait_for agent_registered
fw_resubscribe || fail resubscribe
check unacked-u1-finished wait_for acked_is u1 TASK_FINISHED
check unacked-u2-killed wait_for acked_is u2 TASK_KILLED
sleep 2 # retries that would duplicate an acknowledged update come within this
check_no_loss unacked-no-loss l1:"sleep_301$TAG" l2:"sleep_302$TAG" l3:"sleep_303$TAG" \
	l4:"sleep_304$TAG" k1:"sleep_306$TAG" k2:"sleep_307$TAG" u1:"sleep_2.5$TAG" \
	u2:"sleep_305$TAG"
for t in l1 l2 l3 l4; do
	[ "$(task_state $t)" = TASK_RUNNING ] && kill_task $t >/dev/null && wait_for settled $t
done
finish
