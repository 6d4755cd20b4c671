# SPDX-License-Identifier: Apache-2.0
# Mesos's agent removal path: an agent that restarts without its state registers as a new
# agent at the address of the old one, which is disconnected; as Mesos, the old one is
# removed: its task is TASK_LOST with REASON_AGENT_REMOVED (also for a partition-aware
# framework), operator subscribers get AGENT_REMOVED (JSON, and protobuf read by Mesos's own
# schema when protoc and python3-protobuf are here), it leaves GET_AGENTS, and the registry
# forgets it (not recovered after a restart).
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
SRC=$(cd "$(dirname "$0")/../.." && pwd)
start_cluster || exit 1
PYPID=
trap 'kill $STREAM_PID $PYPID 2>/dev/null; stop_cluster' EXIT
D="$BIN/drover --master $MASTER"
OLD=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')

curl -s -N -X POST -H 'Content-Type: application/json' -d '{"type":"SUBSCRIBE"}' \
	"http://$MASTER/api/v1" >"$WORK/op.stream" 2>/dev/null &
STREAM_PID=$!
protobuf_python
if [ -n "$PY" ] && command -v protoc >/dev/null; then
	mkdir -p "$WORK/py"
	protoc -I"$SRC/tests/mesos-proto" -I"$SRC/proto" --python_out="$WORK/py" \
		mesos/v1/mesos.proto mesos/v1/scheduler/scheduler.proto \
		mesos/v1/master/master.proto mesos/v1/allocator/allocator.proto \
		mesos/v1/maintenance/maintenance.proto mesos/v1/quota/quota.proto &&
		"$PY" "$SRC/tests/integration/mesos_operator_check.py" stream "$MASTER" "$WORK/py" \
			protobuf 15 "$WORK/ev-pb" >"$WORK/stream-pb.out" 2>&1 &
	PYPID=$!
fi
wait_json "$WORK/op.stream" 'select(.type == "SUBSCRIBED") | .type' >/dev/null

$D -j task run --detach --name old -- 'sleep 60' >"$WORK/run.json" 2>&1
TID=$(jq -r '.task_id // empty' "$WORK/run.json" 2>/dev/null)
[ -n "$TID" ] || TID=$(op GET_TASKS | jq -r '.get_tasks.tasks[0].task_id.value')
check task-launched [ -n "$TID" ]

# the agent restarts without its state: a new registration at the same address
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
rm -rf "$WORK/agent"
restart_agent
new_agent() { [ "$(op GET_AGENTS | jq -r '[.get_agents.agents[].agent_info.id.value] | join(",")')" != "$OLD" ] &&
	[ "$(op GET_AGENTS | jq '.get_agents.agents | length')" = 1 ]; }
WAIT_S=20 wait_for new_agent
check old-agent-replaced new_agent
NEW=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')
differs() { [ -n "$NEW" ] && [ "$NEW" != "$OLD" ]; }
check new-agent-id-differs differs
state=$(op GET_TASKS | jq -r --arg t "$TID" '[.get_tasks.tasks[], .get_tasks.completed_tasks[] | select(.task_id.value == $t)][0] | .state + " " + .statuses[-1].reason')
check task-lost-agent-removed [ "$state" = "TASK_LOST REASON_AGENT_REMOVED" ]
check agent-removed-event [ "$(wait_json "$WORK/op.stream" 'select(.type == "AGENT_REMOVED") | .agent_removed.agent_id.value')" = "$OLD" ]
check agent-added-event [ "$(wait_json "$WORK/op.stream" "select(.type == \"AGENT_ADDED\") | .agent_added.agent.agent_info.id.value | select(. == \"$NEW\")")" = "$NEW" ]
grep -q "removing agent $OLD (.*): a new agent registered at the same address" "$WORK/master.log"
check master-says-why [ $? -eq 0 ]
if [ -n "$PYPID" ]; then
	wait "$PYPID"
	check stream-protobuf-mesos-events sh -c "cat '$WORK/stream-pb.out'; grep -qx OK '$WORK/stream-pb.out'"
	check stream-protobuf-has-AGENT_REMOVED grep -qx AGENT_REMOVED "$WORK/ev-pb"
	PYPID=
else
	skip stream-protobuf "needs protoc and python3-protobuf"
fi

# the registry forgot it: a restarted master recovers the new agent only
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
start_master || exit 1
check old-not-recovered [ "$(op GET_AGENTS | jq -r '[.get_agents.agents[].agent_info.id.value, .get_agents.recovered_agents[].id.value] | join(",")')" = "$NEW" ]

# with --credentials, only a registration of the principal that registered an agent
# removes it (shell agents declaring one port, from one address)
cat >"$WORK/creds.json" <<'J'
{"credentials": [{"principal": "agent1", "secret": "s1"}, {"principal": "agent2", "secret": "s2"},
 {"principal": "op", "secret": "s3"}]}
J
echo '{"register_agents": [{"principals": ["agent1", "agent2"], "agents": "ANY"}]}' >"$WORK/acls.json"
chmod 600 "$WORK/creds.json" "$WORK/acls.json"
kill "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
start_master --credentials "$WORK/creds.json" --acls "$WORK/acls.json" || exit 1
sub() { # USER:SECRET NAME: a new agent on port 41000 in the background; AG_PID, AG_ID
	: >"$WORK/sub-$2"
	curl -s -N -u "$1" -X POST -H 'Content-Type: application/json' \
		-d '{"type":"SUBSCRIBE","subscribe":{"agent_info":{"hostname":"shared","port":41000,"resources":[]}}}' \
		"http://$MASTER/api/v1/agent" >"$WORK/sub-$2" 2>/dev/null &
	AG_PID=$!
	AG_ID=$(wait_json "$WORK/sub-$2" 'select(.type == "SUBSCRIBED") | .subscribed.agent_id.value')
}
has_agent() { # ID: listed in GET_AGENTS (asked as the operator principal)
	curl -s -u op:s3 -X POST -H 'Content-Type: application/json' -d '{"type":"GET_AGENTS"}' \
		"http://$MASTER/api/v1" | jq -r '.get_agents.agents[].agent_info.id.value' | grep -qx "$1"
}
gone_from_list() { ! has_agent "$1"; }
disconnected() { # ID: listed, not active
	curl -s -u op:s3 -X POST -H 'Content-Type: application/json' -d '{"type":"GET_AGENTS"}' \
		"http://$MASTER/api/v1" |
		jq -r --arg a "$1" '.get_agents.agents[] | select(.agent_info.id.value == $a) | .active' |
		grep -qx false
}
sub agent1:s1 a
A1=$AG_ID
kill "$AG_PID"
check cred-agent-registered has_agent "$A1"
check cred-agent-disconnected wait_for disconnected "$A1"
sub agent2:s2 b
B1=$AG_ID
kill "$AG_PID"
check other-principal-does-not-remove has_agent "$A1"
check other-agent-disconnected wait_for disconnected "$B1"
sub agent1:s1 c
kill "$AG_PID"
WAIT_S=5 wait_for gone_from_list "$A1"
check same-principal-removes gone_from_list "$A1"
finish
