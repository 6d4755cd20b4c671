# SPDX-License-Identifier: Apache-2.0
# Tasks launched by an agent from before run IDs (docs/security.md, "A task against its
# agent") are still recovered: their sandbox is sandboxes/<fw>/<task>/ with the supervisor's
# records in it and their checkpoint has no "run". The layout is rebuilt by hand from a
# running and an ended task while the agent is down (a running process keeps its cwd
# through the renames); the restarted agent finds the supervisor of the one, reports the
# real status of the other, and kills the first with its update delivered.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
start_cluster --agent-reregister-timeout 30s || exit 1
trap fault_cleanup EXIT
AGENT_ID=$(operator GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')
fault_fw fault || { fail subscribe; exit 1; }
TAG=$$
WAIT_S=30

c=$(launch "$(task_json o1 "sleep 801$TAG")" "$(task_json o2 "sleep 2; exit 7")")
check old-accepted [ "$c" = 202 ]
check o1-running wait_for acked_is o1 TASK_RUNNING
check o2-running wait_for acked_is o2 TASK_RUNNING
acker_stop # o2's end stays unacknowledged: the restarted agent must report it
kill9_agent
sleep 3 # o2 ends while the agent is down

# to the layout before run IDs
to_legacy() {
	_t=$1
	_meta="$WORK/agent/meta/tasks/$FW_ID/$_t"
	_sbx="$WORK/agent/sandboxes/$FW_ID/$_t"
	_run=$(jq -r '.run' "$_meta/task.json")
	[ -n "$_run" ] && [ "$_run" != null ] && [ -d "$_sbx/$_run" ] || return 1
	# (an agent before run IDs made no runs/latest link either)
	rm -f "$_sbx/latest"
	mv "$_sbx/$_run" "$_sbx.moving" && rmdir "$_sbx" && mv "$_sbx.moving" "$_sbx" || return 1
	for f in supervisor exit_status; do
		[ ! -e "$_meta/$f" ] || mv "$_meta/$f" "$_sbx/$f" || return 1
	done
	jq -c --arg s "$_sbx" 'del(.run) | .sandbox = $s' "$_meta/task.json" >"$_meta/t.tmp" &&
		mv "$_meta/t.tmp" "$_meta/task.json"
}
check o1-made-legacy to_legacy o1
check o2-made-legacy to_legacy o2
check o2-status-in-sandbox [ -f "$WORK/agent/sandboxes/$FW_ID/o2/exit_status" ]

restart_agent
check agent-back wait_for agent_registered
check legacy-logged grep -q "launched before run IDs" "$WORK/agent.log"
acker_start
check o2-real-status wait_for acked_is o2 TASK_FAILED
msg=$(recordio_json "$FW_OUT" | jq -r 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "o2" and .state == "TASK_FAILED") | .message' | tail -1)
echo "o2: $msg"
check o2-exit-code [ "$msg" = "exited with status 7" ]
check o1-still-running [ "$(task_state o1)" = TASK_RUNNING ]
kill_task o1 >/dev/null
check o1-killed wait_for acked_is o1 TASK_KILLED
check o1-gone wait_for no_procs "sleep 801$TAG"
check_no_loss legacy-no-loss o1:"sleep_801$TAG"
finish
