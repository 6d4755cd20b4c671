# SPDX-License-Identifier: Apache-2.0
# Every operator call that has a response, and the operator event stream, read by Mesos's
# own schema (classes protoc generates from tests/mesos-proto) in both codecs, against a
# master in the states whose fields differ: a running task and a framework removed, a
# drained agent, an unreachable agent with its task, and after a restart (agent and
# framework recovered from the registry). Every answer must be 200, a Response of the
# call's type with every required field Mesos always sets, and nothing outside Mesos's
# schema but Drover's documented extensions (tests/integration/mesos_operator_check.py).
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
need_mesos_proto
FLAGS="--agent-ping-timeout 1s --max-agent-ping-timeouts 2"

start_cluster $FLAGS || exit 1
trap stop_cluster EXIT
D="$BIN/drover --master $MASTER"
mkdir -p "$WORK/py"
check protoc-generates protoc -I"$SRC/tests/mesos-proto" -I"$SRC/proto" --python_out="$WORK/py" \
	mesos/v1/mesos.proto mesos/v1/scheduler/scheduler.proto mesos/v1/master/master.proto \
	mesos/v1/allocator/allocator.proto mesos/v1/maintenance/maintenance.proto \
	mesos/v1/quota/quota.proto
CHECK="$SRC/tests/integration/mesos_operator_check.py"
CALLS="GET_HEALTH GET_FLAGS GET_VERSION GET_METRICS GET_LOGGING_LEVEL GET_STATE GET_AGENTS
GET_FRAMEWORKS GET_EXECUTORS GET_OPERATIONS GET_TASKS GET_ROLES GET_WEIGHTS GET_MASTER GET_QUOTA"
calls_ok() { # NAME: every call, both codecs
	"$PY" "$CHECK" calls "$MASTER" "$WORK/py" $CALLS >"$WORK/calls-$1.out" 2>&1
	_rc=$?
	cat "$WORK/calls-$1.out"
	return $_rc
}

# the event stream, in both codecs, while things happen
"$PY" "$CHECK" stream "$MASTER" "$WORK/py" protobuf 25 "$WORK/ev-pb" >"$WORK/stream-pb.out" 2>&1 &
SPB=$!
"$PY" "$CHECK" stream "$MASTER" "$WORK/py" json 25 "$WORK/ev-json" >"$WORK/stream-json.out" 2>&1 &
SJS=$!
sleep 1

# a running task, a framework without user that ran one to the end (removed), weights and
# quota
api_post /api/v1 '{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"eng","weight":2}]}}' >/dev/null
api_post /api/v1 '{"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[{"role":"eng","guarantees":{"cpus":{"value":0.1}}}]}}' >/dev/null
$D task run --detach --role eng --name live -- 'sleep 60' >/dev/null 2>&1
$D task run --name done -- true >/dev/null 2>&1
check calls-with-tasks calls_ok tasks
completed() { op GET_FRAMEWORKS | jq '.get_frameworks.completed_frameworks | length >= 1' | grep -qx true; }
check completed-framework-listed completed

# a drained agent (drain_info), then active again
AID=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')
code=$(api_post /api/v1 "{\"type\":\"DRAIN_AGENT\",\"drain_agent\":{\"agent_id\":{\"value\":\"$AID\"},\"max_grace_period\":{\"seconds\":1,\"nanos\":0},\"kill_tasks\":false}}")
check drain-takes-mesos-duration [ "$code" = 200 ]
check calls-drained calls_ok drained
api_post /api/v1 "{\"type\":\"REACTIVATE_AGENT\",\"reactivate_agent\":{\"agent_id\":{\"value\":\"$AID\"}}}" >/dev/null

# an unreachable agent and its task, then back
$D task run --detach --name part -- 'sleep 60' >/dev/null 2>&1
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
unreach() { op GET_AGENTS | jq '.get_agents.agents[0].reachable == false' | grep -qx true; }
WAIT_S=10 wait_for unreach
check calls-unreachable calls_ok unreachable
restart_agent
back() { op GET_AGENTS | jq '.get_agents.agents[0].active == true' | grep -qx true; }
WAIT_S=15 wait_for back
check agent-back back

wait "$SPB"
check stream-protobuf-mesos-events sh -c "cat '$WORK/stream-pb.out'; grep -qx OK '$WORK/stream-pb.out'"
wait "$SJS"
check stream-json-mesos-events sh -c "cat '$WORK/stream-json.out'; grep -qx OK '$WORK/stream-json.out'"
for ev in SUBSCRIBED TASK_ADDED TASK_UPDATED FRAMEWORK_ADDED FRAMEWORK_REMOVED AGENT_ADDED; do
	check "stream-protobuf-has-$ev" grep -qx "$ev" "$WORK/ev-pb"
	check "stream-json-has-$ev" grep -qx "$ev" "$WORK/ev-json"
done

# after a restart: the agent and the frameworks come back from the registry
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
kill -STOP "$AGENT_PID" # not back before the calls below
start_master $FLAGS || exit 1
check calls-recovered calls_ok recovered
kill -CONT "$AGENT_PID"
finish
