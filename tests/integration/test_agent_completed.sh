# SPDX-License-Identifier: Apache-2.0
# What the agent remembers of what ended (its operator API's completed_* lists, /state's):
# a task group's default executor once its tasks are acknowledged (its three tasks under it,
# each with its statuses), and --max-completed-executors-per-framework: a framework whose
# three command tasks ended and were acknowledged keeps the last two (as Mesos's agent
# bounds its completed executors). Both codecs through Mesos's schema when protoc and
# python3-protobuf are here.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
command -v python3 >/dev/null || skip_all "needs python3"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
start_cluster || exit 1
BG_PIDS=
trap 'kill $BG_PIDS 2>/dev/null; stop_cluster' EXIT
kill "$AGENT_PID" && wait "$AGENT_PID" 2>/dev/null
restart_agent --max-completed-executors-per-framework 2
WAIT_S=20 wait_for sh -c "grep -c 'subscribed to the master' '$WORK/agent.log' | grep -q 2"
A="http://127.0.0.1:$APORT"
acall() {
	curl -s -X POST -H 'Content-Type: application/json' -d "{\"type\":\"$1\"}" "$A/api/v1"
}
AID=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')

# a task group (tests/integration/mesos_framework.py acknowledges every update): a fails,
# b and c are killed; then the executor ends
FW="python3 $SRC/tests/integration/mesos_framework.py --master $MASTER --events $WORK/events.jsonl"
timeout 60 $FW group >"$WORK/group.json" 2>"$WORK/group.err"
check group-ran [ "$(jq -r .final.a "$WORK/group.json")" = TASK_FAILED ]
group_done() { acall GET_EXECUTORS | jq -e '[.get_executors.completed_executors[] |
	select(.executor_info.executor_id.value == "group" and .executor_info.type == "DEFAULT")] | length == 1'; }
WAIT_S=20 wait_for group_done
check group-completed-executor group_done
acall GET_TASKS >"$WORK/tasks.json"
check group-completed-tasks jq -e '[.get_tasks.completed_tasks[] | select(.executor_id.value == "group") |
	{(.task_id.value): (.state + " " + .statuses[-1].state)}] | add ==
	{"a": "TASK_FAILED TASK_FAILED", "b": "TASK_KILLED TASK_KILLED", "c": "TASK_KILLED TASK_KILLED"}' "$WORK/tasks.json"
check group-task-statuses jq -e '[.get_tasks.completed_tasks[] | select(.task_id.value == "b") |
	[.statuses[].state]] == [["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]]' "$WORK/tasks.json"
check group-not-live jq -e '[.get_tasks | (.launched_tasks, .terminated_tasks)[] |
	select(.executor_id.value == "group")] | length == 0' "$WORK/tasks.json"
curl -s "$A/state" >"$WORK/legacy.json"
check legacy-group-executor jq -e '[.completed_frameworks[].completed_executors[] |
	select(.id == "group") | [.completed_tasks[].id] | sort] == [["a", "b", "c"]]' "$WORK/legacy.json"

# three command tasks of one framework, each acknowledged: the last two executors stay
fw_subscribe capped '{"name":"capped"}' || { fail setup-fw; exit 1; }
task() { echo "{\"name\":\"$1\",\"task_id\":{\"value\":\"$1\"},\"agent_id\":{\"value\":\"$AID\"},\"command\":{\"value\":\"true\"},\"resources\":$(res_json 0.1 16)}"; }
fw_launch "$FW_OUT" "$FW_ID" "$FW_SID" "$AID" "$(task k1),$(task k2),$(task k3)" ||
	{ fail setup-launch; exit 1; }
: >"$WORK/acked"
ack_all() { # acknowledge every update not yet acknowledged
	recordio_json "$FW_OUT" | jq -r 'select(.type == "UPDATE") | .update.status | .task_id.value + " " + .uuid' |
		while read -r t u; do
			grep -qxF "$u" "$WORK/acked" && continue
			echo "$u" >>"$WORK/acked"
			api_post /api/v1/scheduler "{\"type\":\"ACKNOWLEDGE\",\"framework_id\":{\"value\":\"$FW_ID\"},\"acknowledge\":{\"agent_id\":{\"value\":\"$AID\"},\"task_id\":{\"value\":\"$t\"},\"uuid\":\"$u\"}}" \
				-H "Mesos-Stream-Id: $FW_SID" >/dev/null
		done
}
forgotten() { # every task of the framework left the agent's table
	ack_all
	acall GET_TASKS | jq -e --arg f "$FW_ID" '[.get_tasks | (.launched_tasks, .terminated_tasks, .queued_tasks)[] |
		select(.framework_id.value == $f)] | length == 0' >/dev/null &&
		[ "$(acall GET_TASKS | jq --arg f "$FW_ID" '[.get_tasks.completed_tasks[] | select(.framework_id.value == $f)] | length')" -ge 2 ]
}
WAIT_S=30 wait_for forgotten
check capped-tasks-forgotten forgotten
acall GET_STATE >"$WORK/state.json"
check capped-two-executors jq -e --arg f "$FW_ID" '[.get_state.get_executors.completed_executors[] |
	select(.executor_info.framework_id.value == $f)] | length == 2' "$WORK/state.json"
check capped-two-tasks jq -e --arg f "$FW_ID" '[.get_state.get_tasks.completed_tasks[] |
	select(.framework_id.value == $f and .state == "TASK_FINISHED" and
	       .statuses[-1].state == "TASK_FINISHED")] | length == 2' "$WORK/state.json"
check capped-framework-completed jq -e --arg f "$FW_ID" '[.get_state.get_frameworks.completed_frameworks[] |
	select(.framework_info.id.value == $f and .framework_info.name == "capped" and
	       (.framework_info.user | type) == "string")] | length == 1' "$WORK/state.json"
check group-still-there jq -e '[.get_state.get_executors.completed_executors[] |
	select(.executor_info.executor_id.value == "group")] | length == 1' "$WORK/state.json"

protobuf_python
if [ -n "$PY" ] && command -v protoc >/dev/null; then
	mkdir -p "$WORK/py"
	protoc -I"$SRC/tests/mesos-proto" -I"$SRC/proto" --python_out="$WORK/py" \
		mesos/v1/mesos.proto mesos/v1/agent/agent.proto
	"$PY" "$SRC/tests/integration/agent_operator_check.py" "127.0.0.1:$APORT" "$WORK/py" \
		"$FW_ID" k1 GET_STATE GET_TASKS GET_EXECUTORS GET_FRAMEWORKS >"$WORK/check.out" 2>&1
	cat "$WORK/check.out"
	check completed-both-codecs grep -qx OK "$WORK/check.out"
else
	skip completed-both-codecs "needs protoc and python3-protobuf"
fi
finish
