# SPDX-License-Identifier: Apache-2.0
# The agent's operator API (POST /api/v1 on the agent) in both codecs: every call Drover
# answers, with a running task, a finished one and their framework, read by Mesos's own
# schema (classes protoc generates from tests/mesos-proto), with the ended task in the
# completed_* lists and each task's statuses: the protobuf answer complete
# (every required field) and inside Mesos's schema, the JSON one the same message once
# Drover's documented extension members are out (agent_operator_check.py). Then what each
# call holds, checked against the agent's own account.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
need_mesos_proto
start_cluster || exit 1
trap stop_cluster EXIT
D="$BIN/drover --master $MASTER"
A="http://127.0.0.1:$APORT"
acall() {
	curl -s -X POST -H 'Content-Type: application/json' -d "{\"type\":\"$1\"}" "$A/api/v1"
}

mkdir -p "$WORK/py"
check protoc-generates protoc -I"$SRC/tests/mesos-proto" -I"$SRC/proto" --python_out="$WORK/py" \
	mesos/v1/mesos.proto mesos/v1/agent/agent.proto

$D task run --name done -- echo finished-output >/dev/null 2>&1
$D -j task run --name long --detach -- 'echo hello-stdout; sleep 60' >"$WORK/long.json" 2>&1
running() { acall GET_TASKS | jq -e '.get_tasks.launched_tasks | length == 1'; }
check task-running wait_for running
acall GET_TASKS >"$WORK/tasks.json"
FID=$(jq -r '.get_tasks.launched_tasks[0].framework_id.value' "$WORK/tasks.json")
TID=$(jq -r '.get_tasks.launched_tasks[0].task_id.value' "$WORK/tasks.json")

"$PY" "$SRC/tests/integration/agent_operator_check.py" "127.0.0.1:$APORT" "$WORK/py" \
	"$FID" "$TID" >"$WORK/check.out" 2>&1
rc=$?
cat "$WORK/check.out"
check every-call-both-codecs [ "$rc" -eq 0 ]
check every-call-checked grep -qx OK "$WORK/check.out"

# what the answers hold: the agent's own tables
acall GET_STATE >"$WORK/state.json"
check state-task jq -e --arg t "$TID" --arg a "$(jq -r .get_state.agent_id "$WORK/state.json")" \
	'[.get_state.get_tasks.launched_tasks[] | select(.task_id.value == $t and
	  .state == "TASK_RUNNING" and .agent_id.value == $a and .name == "long" and
	  .executor_id.value == $t)] | length == 1' "$WORK/state.json"
check state-framework jq -e --arg f "$FID" '[.get_state.get_frameworks.frameworks[] |
	select(.framework_info.id.value == $f and (.framework_info.user | length) > 0)] |
	length == 1' "$WORK/state.json"
check state-command-executor jq -e --arg t "$TID" '[.get_state.get_executors.executors[] |
	select(.executor_info.executor_id.value == $t and .executor_info.command.value != null)] |
	length == 1' "$WORK/state.json"
check state-drover-members jq -e '.get_state | has("enforcement") and has("tasks") and has("cgroup_root")' "$WORK/state.json"
# the ended task ("done", its own framework): completed task, executor and framework
DONE=$(jq -r '.get_state.get_tasks.completed_tasks[] | select(.name == "done") | .task_id.value' "$WORK/state.json")
DFID=$(jq -r '.get_state.get_tasks.completed_tasks[] | select(.name == "done") | .framework_id.value' "$WORK/state.json")
check completed-task jq -e --arg t "$DONE" '[.get_state.get_tasks.completed_tasks[] |
	select(.task_id.value == $t and .state == "TASK_FINISHED" and .executor_id.value == $t and
	       ([.statuses[].state] == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]) and
	       ([.statuses[] | select(.task_id.value == $t and (.uuid | length) == 24 and
	                              .source == "SOURCE_EXECUTOR" and .timestamp > 0)] | length) == 3 and
	       .statuses[2].message == "exited with status 0")] | length == 1' "$WORK/state.json"
check completed-task-not-elsewhere jq -e --arg t "$DONE" '[.get_state.get_tasks |
	(.launched_tasks, .terminated_tasks, .queued_tasks)[] | select(.task_id.value == $t)] | length == 0' "$WORK/state.json"
check running-task-statuses jq -e --arg t "$TID" '[.get_state.get_tasks.launched_tasks[] |
	select(.task_id.value == $t and [.statuses[].state] == ["TASK_STARTING", "TASK_RUNNING"])] |
	length == 1' "$WORK/state.json"
check completed-executor jq -e --arg t "$DONE" --arg f "$DFID" '[.get_state.get_executors.completed_executors[] |
	select(.executor_info.executor_id.value == $t and .executor_info.framework_id.value == $f and
	       .executor_info.command.value != null)] | length == 1' "$WORK/state.json"
check completed-executor-not-live jq -e --arg t "$DONE" '[.get_state.get_executors.executors[] |
	select(.executor_info.executor_id.value == $t)] | length == 0' "$WORK/state.json"
check completed-framework jq -e --arg f "$DFID" --arg live "$FID" '.get_state.get_frameworks |
	([.completed_frameworks[] | select(.framework_info.id.value == $f and
	  .framework_info.name == "drover-task-run")] | length) == 1 and
	([.completed_frameworks[] | select(.framework_info.id.value == $live)] | length) == 0 and
	([.frameworks[] | select(.framework_info.id.value == $f)] | length) == 0' "$WORK/state.json"
for c in GET_TASKS GET_EXECUTORS GET_FRAMEWORKS; do
	acall $c >"$WORK/$c.json"
done
check calls-as-state sh -c "jq -S '.get_state.get_tasks.completed_tasks' '$WORK/state.json' >'$WORK/a' &&
	jq -S '.get_tasks.completed_tasks' '$WORK/GET_TASKS.json' >'$WORK/b' && cmp -s '$WORK/a' '$WORK/b' &&
	jq -S '.get_state.get_executors.completed_executors' '$WORK/state.json' >'$WORK/a' &&
	jq -S '.get_executors.completed_executors' '$WORK/GET_EXECUTORS.json' >'$WORK/b' && cmp -s '$WORK/a' '$WORK/b' &&
	jq -S '.get_state.get_frameworks.completed_frameworks' '$WORK/state.json' >'$WORK/a' &&
	jq -S '.get_frameworks.completed_frameworks' '$WORK/GET_FRAMEWORKS.json' >'$WORK/b' && cmp -s '$WORK/a' '$WORK/b'"
# the legacy /state: the ended framework with its executor and task
curl -s "$A/state" >"$WORK/legacy.json"
check legacy-completed-framework jq -e --arg f "$DFID" --arg t "$DONE" '[.completed_frameworks[] |
	select(.id == $f and .executors == [] and
	       ([.completed_executors[] | select(.id == $t and (.directory | length) > 0 and
	         .resources.mem == 32 and .tasks == [] and
	         ([.completed_tasks[] | select(.id == $t and .state == "TASK_FINISHED" and
	           [.statuses[].state] == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"])] | length) == 1)] |
	        length) == 1)] | length == 1' "$WORK/legacy.json"
check legacy-live-framework jq -e --arg f "$FID" --arg t "$TID" '[.frameworks[] | select(.id == $f and
	.completed_executors == [] and ([.executors[].tasks[] | select(.id == $t and
	[.statuses[].state] == ["TASK_STARTING", "TASK_RUNNING"])] | length) == 1)] | length == 1' "$WORK/legacy.json"
acall GET_CONTAINERS >"$WORK/containers.json"
check container-ids jq -e --arg t "$TID" '[.get_containers.containers[] | select(.task_id.value == $t) |
	select((.container_id.value | length) == 36 and .executor_id.value == $t and
	       .container_status.container_id == .container_id and
	       .container_status.executor_pid > 0 and .resource_statistics.timestamp > 0 and
	       (.container_id.value as $c | .sandbox | endswith($c)))] | length == 1' "$WORK/containers.json"
acall GET_AGENT >"$WORK/agent.json"
check agent-info jq -e --argjson p "$APORT" '.get_agent.agent_info | .port == $p and
	(.hostname | length) > 0 and (.id.value | length) > 0 and (.resources | length) > 0' "$WORK/agent.json"
acall GET_METRICS >"$WORK/metrics.json"
check metrics-mesos-names jq -e '[.get_metrics.metrics[] | {(.name): .value}] | add |
	.["slave/registered"] == 1 and .["slave/cpus_total"] == 2 and .["slave/mem_total"] == 1024 and
	.["slave/tasks_running"] == 1' "$WORK/metrics.json"
acall GET_FLAGS >"$WORK/flags.json"
check flags-listen jq -e --arg l "127.0.0.1:$APORT" '[.get_flags.flags[] | select(.name == "listen" and .value == $l)] | length == 1' "$WORK/flags.json"
check logging-level jq -e '.get_logging_level.level == 0' <<EOF2
$(acall GET_LOGGING_LEVEL)
EOF2
check version-git-sha jq -e '.get_version.version_info | (.version | length) > 0 and has("git_sha")' <<EOF2
$(acall GET_VERSION)
EOF2

# the agent restarted: the frameworks of its recovered tasks are still known
kill "$AGENT_PID" && wait "$AGENT_PID" 2>/dev/null
restart_agent
WAIT_S=20 wait_for sh -c "grep -c 'subscribed to the master' '$WORK/agent.log' | grep -q 2"
check restart-framework-known sh -c "curl -s -X POST -H 'Content-Type: application/json' \
	-d '{\"type\":\"GET_FRAMEWORKS\"}' '$A/api/v1' | jq -e --arg f '$FID' \
	'[.get_frameworks.frameworks[] | select(.framework_info.id.value == \$f)] | length == 1'"
"$PY" "$SRC/tests/integration/agent_operator_check.py" "127.0.0.1:$APORT" "$WORK/py" \
	"$FID" "$TID" GET_STATE GET_FRAMEWORKS >"$WORK/check2.out" 2>&1
rc=$?
cat "$WORK/check2.out"
check restart-both-codecs [ "$rc" -eq 0 ]
finish
