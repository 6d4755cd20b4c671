# SPDX-License-Identifier: Apache-2.0
# MARK_AGENT_GONE as Mesos does it: a bad body is 400, an unknown agent 404, an agent the
# mark_agents_gone ACL denies 403; marked gone, the agent's tasks are TASK_GONE_BY_OPERATOR
# (REASON_AGENT_REMOVED_BY_OPERATOR) for a partition-aware framework and TASK_LOST
# (REASON_AGENT_REMOVED) for another, every framework gets FAILURE, the agent leaves
# GET_AGENTS and is refused when it comes back, also after a master restart (the registry
# keeps it gone); asking again is 200; reconciling a task on it answers
# TASK_GONE_BY_OPERATOR; a new agent still registers.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
ACLS=$(mktemp /tmp/drover-acls.XXXXXX)
printf '%s\n' '{"mark_agents_gone": [{"principals": "ANY", "agents": ["denied-host"], "allow": false}]}' >"$ACLS"
FLAGS="--acls $ACLS"
start_cluster $FLAGS || exit 1
BG_PIDS=
trap 'kill $BG_PIDS 2>/dev/null; stop_cluster; rm -f "$ACLS"' EXIT
AID=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')

fw_subscribe aware '{"name":"aware","capabilities":[{"type":"PARTITION_AWARE"}]}' ||
	{ fail setup-fw-aware; exit 1; }
A_OUT=$FW_OUT A_ID=$FW_ID A_SID=$FW_SID
fw_subscribe plain '{"name":"plain"}' || { fail setup-fw-plain; exit 1; }
P_OUT=$FW_OUT P_ID=$FW_ID P_SID=$FW_SID
task() { # ID
	echo "{\"name\":\"t\",\"task_id\":{\"value\":\"$1\"},\"agent_id\":{\"value\":\"$AID\"},\"command\":{\"value\":\"sleep 300\"},\"resources\":$(res_json 0.1 32)}"
}
fw_launch "$A_OUT" "$A_ID" "$A_SID" "$AID" "$(task ga)" || { fail setup-launch-aware; exit 1; }
fw_launch "$P_OUT" "$P_ID" "$P_SID" "$AID" "$(task gp)" || { fail setup-launch-plain; exit 1; }
# (the shell frameworks do not acknowledge: TASK_STARTING is the last update they see)
running() { recordio_json "$1" | jq -e "select(.type == \"UPDATE\") | .update.status | select(.task_id.value == \"$2\" and .state == \"TASK_STARTING\")" | grep -q .; }
listed() { # AGENT_ID COUNT: GET_AGENTS lists it COUNT times
	[ "$(op GET_AGENTS | jq "[.get_agents.agents[] | select(.agent_info.id.value == \"$1\")] | length")" = "$2" ]
}
check aware-task-running wait_for running "$A_OUT" ga
check plain-task-running wait_for running "$P_OUT" gp

# hostile bodies: nothing changes
code=$(api_post /api/v1 '{"type":"MARK_AGENT_GONE"}')
check missing-body-400 [ "$code" = 400 ]
code=$(api_post /api/v1 '{"type":"MARK_AGENT_GONE","mark_agent_gone":{}}')
check missing-agent-id-400 [ "$code" = 400 ]
code=$(api_post /api/v1 '{"type":"MARK_AGENT_GONE","mark_agent_gone":{"agent_id":{"value":"../x"}}}')
check bad-agent-id-400 [ "$code" = 400 ]
code=$(api_post /api/v1 '{"type":"MARK_AGENT_GONE","mark_agent_gone":{"agent_id":"x"}}')
check agent-id-not-object-400 [ "$code" = 400 ]
code=$(api_post /api/v1 '{"type":"MARK_AGENT_GONE","mark_agent_gone":{"agent_id":{"value":"no-such-agent"}}}')
check unknown-agent-404 [ "$code" = 404 ]
fake_agent denied-host "$(res_json 1 64)" || { fail setup-fake-agent; exit 1; }
DENIED=$AG_ID
code=$(api_post /api/v1 "{\"type\":\"MARK_AGENT_GONE\",\"mark_agent_gone\":{\"agent_id\":{\"value\":\"$DENIED\"}}}")
check unauthorized-403 [ "$code" = 403 ]
check denied-agent-still-listed listed "$DENIED" 1
check agent-still-listed listed "$AID" 1

# marked gone (through the CLI: drover agent gone ID, which takes no prefix)
D="$BIN/drover --master $MASTER"
$D agent gone no-such-agent >"$WORK/cli-unknown" 2>&1
check cli-gone-unknown-fails [ $? -ne 0 ]
$D agent gone "$(echo "$AID" | cut -c1-8)" >/dev/null 2>&1
check cli-gone-no-prefix [ $? -ne 0 ]
check cli-gone-unknown-says-why grep -q "not found" "$WORK/cli-unknown"
$D -j agent gone "$AID" >"$WORK/cli-gone.json" 2>&1
check mark-gone-200 jq -e --arg a "$AID" '.agent_id == $a and .done == "MARK_AGENT_GONE"' "$WORK/cli-gone.json"
st=$(wait_json "$A_OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "ga" and .state != "TASK_RUNNING" and .state != "TASK_STAGING" and .state != "TASK_STARTING") | .state + " " + .reason + " " + .source')
check aware-task-gone-by-operator [ "$st" = "TASK_GONE_BY_OPERATOR REASON_AGENT_REMOVED_BY_OPERATOR SOURCE_MASTER" ]
st=$(wait_json "$P_OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "gp" and .state != "TASK_RUNNING" and .state != "TASK_STAGING" and .state != "TASK_STARTING") | .state + " " + .reason')
check plain-task-lost [ "$st" = "TASK_LOST REASON_AGENT_REMOVED" ]
check aware-failure [ "$(wait_json "$A_OUT" 'select(.type == "FAILURE") | .failure.agent_id.value')" = "$AID" ]
check plain-failure [ "$(wait_json "$P_OUT" 'select(.type == "FAILURE") | .failure.agent_id.value')" = "$AID" ]
check not-in-get-agents listed "$AID" 0
killed() { grep -q "task '$1' of framework .*: TASK_KILLED" "$WORK/agent.log"; }
check aware-task-killed-on-agent wait_for killed ga
check plain-task-killed-on-agent wait_for killed gp
refused() { [ "$(grep -c "agent $AID (.*) was marked gone: its subscription is refused" "$WORK/master.log")" -ge "$1" ]; }
WAIT_S=20 wait_for refused 1
check comes-back-refused refused 1
code=$(api_post /api/v1 "{\"type\":\"MARK_AGENT_GONE\",\"mark_agent_gone\":{\"agent_id\":{\"value\":\"$AID\"}}}")
check mark-gone-again-200 [ "$code" = 200 ]
api_post /api/v1/scheduler "{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"$A_ID\"},\"reconcile\":{\"tasks\":[{\"task_id\":{\"value\":\"nope\"},\"agent_id\":{\"value\":\"$AID\"}}]}}" -H "Mesos-Stream-Id: $A_SID" >/dev/null
st=$(wait_json "$A_OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "nope") | .state')
check reconcile-gone-by-operator [ "$st" = TASK_GONE_BY_OPERATOR ]

# a restart: still gone (the registry), a new agent registers
refusals=$(grep -c "agent $AID (.*) was marked gone: its subscription is refused" "$WORK/master.log")
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
start_master $FLAGS || exit 1
check still-not-listed-after-restart listed "$AID" 0
WAIT_S=20 wait_for refused $((refusals + 1))
check still-refused-after-restart refused $((refusals + 1))
fake_agent newcomer "$(res_json 1 64)"
check new-agent-registers [ -n "$AG_ID" ]
finish
