# SPDX-License-Identifier: Apache-2.0
# The operator event stream (POST /api/v1 SUBSCRIBE): SUBSCRIBED with the state and a 15 s
# heartbeat, AGENT_ADDED, FRAMEWORK_ADDED, a task's life (TASK_ADDED, TASK_UPDATED with
# framework_id, status and state), FRAMEWORK_UPDATED on a failover, FRAMEWORK_REMOVED on
# TEARDOWN; an agent that goes
# unreachable is not AGENT_REMOVED (as Mesos) and is AGENT_ADDED again when it comes back;
# HEARTBEAT; the subscriber count metric. Agents and frameworks are curl: no root needed.
. "$(dirname "$0")/lib.sh"
master_begin --agent-ping-timeout 1s --max-agent-ping-timeouts 2

OP_OUT=$WORK/op.stream
curl -s -N -X POST -H 'Content-Type: application/json' -d '{"type":"SUBSCRIBE"}' \
	"http://$MASTER/api/v1" >"$OP_OUT" 2>/dev/null &
OP_PID=$!
BG_PIDS="$BG_PIDS $OP_PID"
# ev JQ: wait for a record of the operator stream for which JQ prints something
ev() { wait_json "$OP_OUT" "$1" 200; }

check subscribed ev 'select(.type == "SUBSCRIBED") | .subscribed.heartbeat_interval_seconds == 15 or empty'
check subscribed-state ev 'select(.type == "SUBSCRIBED") | .subscribed.get_state | (.get_agents.agents and .get_frameworks.frameworks and .get_tasks.tasks and .get_executors.executors) or empty'
subs() { op GET_METRICS | jq -e '.get_metrics.metrics[] | select(.name == "master/operator_event_stream_subscribers") | .value == 1'; }
check subscriber-metric wait_for subs

fake_agent a1 "$(res_json 2 1024)" || exit 1
A1=$AG_ID A1_SID=$AG_SID A1_PID=$AG_PID
# its heartbeats (--agent-ping-timeout 1s), until the agent goes silent below
while :; do
	curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -H "Mesos-Stream-Id: $A1_SID" \
		-d "{\"type\":\"HEARTBEAT\",\"agent_id\":{\"value\":\"$A1\"}}" "http://$MASTER/api/v1/agent"
	sleep 0.3
done &
HB_PID=$!
BG_PIDS="$BG_PIDS $HB_PID"
check agent-added ev "select(.type == \"AGENT_ADDED\") | .agent_added.agent | select(.agent_info.id.value == \"$A1\") | (.active and .agent_info.hostname == \"a1\" and (.version | type) == \"string\") or empty"

fw_subscribe f1 '{"name":"f1","user":"nobody","role":"eng"}' || exit 1
check framework-added ev "select(.type == \"FRAMEWORK_ADDED\") | .framework_added.framework | select(.framework_info.id.value == \"$FW_ID\") | (.connected and .active and .recovered == false) or empty"

TI="{\"name\":\"t1\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"$A1\"},\"resources\":$(res_json 1 128),\"command\":{\"value\":\"true\"}}"
check launch fw_launch "$FW_OUT" "$FW_ID" "$FW_SID" "$A1" "$TI"
check task-added ev 'select(.type == "TASK_ADDED") | .task_added.task | select(.task_id.value == "t1") | (.state == "TASK_STAGING" and .framework_id.value and .agent_id.value and .name == "t1") or empty'

# update STATE UUID: the agent's STATUS_UPDATE of t1; prints the code
update() {
	api_post /api/v1/agent "{\"type\":\"STATUS_UPDATE\",\"agent_id\":{\"value\":\"$A1\"},\"status_update\":{\"framework_id\":{\"value\":\"$FW_ID\"},\"status\":{\"task_id\":{\"value\":\"t1\"},\"state\":\"$1\",\"source\":\"SOURCE_EXECUTOR\",\"uuid\":\"$2\",\"agent_id\":{\"value\":\"$A1\"}},\"latest_state\":\"$1\"}}" \
		-H "Mesos-Stream-Id: $A1_SID"
}
check running-202 [ "$(update TASK_RUNNING 11111111-2222-4333-8444-555555555501)" = 202 ]
# a second update in the same state (another uuid): no second TASK_UPDATED
check running-again-202 [ "$(update TASK_RUNNING 11111111-2222-4333-8444-555555555503)" = 202 ]
check task-updated-running ev "select(.type == \"TASK_UPDATED\") | .task_updated | select(.state == \"TASK_RUNNING\") | (.framework_id.value == \"$FW_ID\" and .status.task_id.value == \"t1\" and .status.state == \"TASK_RUNNING\") or empty"
n_running() { recordio_json "$OP_OUT" | jq -r 'select(.type == "TASK_UPDATED") | .task_updated.state' | grep -c TASK_RUNNING; }
check finished-202 [ "$(update TASK_FINISHED 11111111-2222-4333-8444-555555555502)" = 202 ]
check task-updated-finished ev 'select(.type == "TASK_UPDATED") | .task_updated | select(.state == "TASK_FINISHED") | .status.state == "TASK_FINISHED" or empty'
check one-update-per-state [ "$(n_running)" = 1 ]

# ---- an update that says the task has already ended (latest_state), then the ending one:
# TASK_UPDATED follows the statuses (RUNNING, then FINISHED), not the latest state alone
# (an offer after t1's: what t1 left of the agent, or all of it back)
two_offers() { [ "$(recordio_json "$FW_OUT" | jq -r 'select(.type == "OFFERS") | .offers.offers[].id.value' | wc -l)" -ge 2 ]; }
check new-offer wait_for two_offers
TI2=$(echo "$TI" | sed 's/"t1"/"t2"/g')
check launch-t2 fw_launch "$FW_OUT" "$FW_ID" "$FW_SID" "$A1" "$TI2"
upd2() {
	api_post /api/v1/agent "{\"type\":\"STATUS_UPDATE\",\"agent_id\":{\"value\":\"$A1\"},\"status_update\":{\"framework_id\":{\"value\":\"$FW_ID\"},\"status\":{\"task_id\":{\"value\":\"t2\"},\"state\":\"$1\",\"source\":\"SOURCE_EXECUTOR\",\"uuid\":\"$2\",\"agent_id\":{\"value\":\"$A1\"}},\"latest_state\":\"TASK_FINISHED\"}}" \
		-H "Mesos-Stream-Id: $A1_SID"
}
check t2-running-202 [ "$(upd2 TASK_RUNNING 11111111-2222-4333-8444-555555555511)" = 202 ]
check t2-finished-202 [ "$(upd2 TASK_FINISHED 11111111-2222-4333-8444-555555555512)" = 202 ]
check t2-updated-finished ev 'select(.type == "TASK_UPDATED") | .task_updated | select(.status.task_id.value == "t2" and .status.state == "TASK_FINISHED") | .state == "TASK_FINISHED" or empty'

# ---- the framework fails over (resubscribes with its ID): FRAMEWORK_UPDATED
OLD_FW=$FW_ID
fw_subscribe f1b "{\"name\":\"f1\",\"user\":\"nobody\",\"role\":\"eng\",\"id\":{\"value\":\"$OLD_FW\"}}" || exit 1
check resubscribed-same-id [ "$FW_ID" = "$OLD_FW" ]
check framework-updated ev "select(.type == \"FRAMEWORK_UPDATED\") | .framework_updated.framework | select(.framework_info.id.value == \"$FW_ID\") | .connected or empty"

# ---- teardown: FRAMEWORK_REMOVED with its FrameworkInfo
code=$(api_post /api/v1/scheduler "{\"type\":\"TEARDOWN\",\"framework_id\":{\"value\":\"$FW_ID\"}}" -H "Mesos-Stream-Id: $FW_SID")
check teardown-202 [ "$code" = 202 ]
check framework-removed ev "select(.type == \"FRAMEWORK_REMOVED\") | .framework_removed.framework_info | select(.id.value == \"$FW_ID\") | .name == \"f1\" or empty"

# ---- the agent goes silent: unreachable, not removed (Mesos sends AGENT_REMOVED only when
# an agent is removed); back again, it is AGENT_ADDED once more
kill "$HB_PID" "$A1_PID" 2>/dev/null
unreachable() { op GET_AGENTS | jq -e ".get_agents.agents[] | select(.agent_info.id.value == \"$A1\") | .reachable == false"; }
WAIT_S=20 check agent-unreachable wait_for unreachable
check no-agent-removed-when-unreachable [ -z "$(recordio_json "$OP_OUT" | jq -r 'select(.type == "AGENT_REMOVED") | .type')" ]
fake_agent a1 "$(res_json 2 1024)" "$A1" || exit 1
n_added() { recordio_json "$OP_OUT" | jq -r "select(.type == \"AGENT_ADDED\") | .agent_added.agent.agent_info.id.value" | grep -c "$A1"; }
two_added() { [ "$(n_added)" = 2 ]; }
check agent-added-again wait_for two_added

# ---- every record is an Event with its type's payload (the shape Mesos's decoders need)
bad=$(recordio_json "$OP_OUT" | jq -r 'select((.type | IN("SUBSCRIBED","HEARTBEAT","TASK_ADDED","TASK_UPDATED","AGENT_ADDED","AGENT_REMOVED","FRAMEWORK_ADDED","FRAMEWORK_UPDATED","FRAMEWORK_REMOVED") | not) or (.type != "HEARTBEAT" and .[.type | ascii_downcase] == null)) | .type')
check events-well-formed [ -z "$bad" ]

# ---- HEARTBEAT every 15 s
hb() { recordio_json "$OP_OUT" | grep -q '"HEARTBEAT"'; }
WAIT_S=20 check heartbeat wait_for hb

# ---- the subscriber goes: the metric follows
kill "$OP_PID" 2>/dev/null
nosubs() { op GET_METRICS | jq -e '.get_metrics.metrics[] | select(.name == "master/operator_event_stream_subscribers") | .value == 0'; }
check subscriber-metric-drops wait_for nosubs
finish
