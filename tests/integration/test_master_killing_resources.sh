# SPDX-License-Identifier: Apache-2.0
# Resources of a task being killed are not offered until the agent says
# the task ended. A shell agent (cpus:2) runs a framework's task using all of it; the
# framework is torn down, so the master sends KILL; the agent has not answered yet:
#  - its resources are not available and a second framework gets no offer of them (before,
#    they were offered at once, and the task launched there was refused by the agent:
#    "Task needs more than this agent has free");
#  - the agent reregisters still running the task: still held, KILL sent again;
#  - the agent reports TASK_KILLED: they are offered again.
. "$(dirname "$0")/lib.sh"
master_begin
SCHED=/api/v1/scheduler

fake_agent a1 "$(res_json 2 512)" || exit 1
A1_ID=$AG_ID A1_SID=$AG_SID A1_OUT=$AG_OUT
BG_PIDS="$BG_PIDS $AG_PID"
fw_subscribe f1 '{"user":"nobody","name":"f1","role":"*"}' || exit 1
F1_ID=$FW_ID F1_SID=$FW_SID F1_PID=$FW_PID
BG_PIDS="$BG_PIDS $FW_PID"

avail_cpus() { operator GET_AGENTS | jq -r ".get_agents.agents[] | select(.agent_info.id.value == \"$A1_ID\") | [.available_resources[]? | select(.name == \"cpus\") | .scalar.value] | add // 0"; }

offer=$(wait_json "$FW_OUT" "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$A1_ID\") | .id.value")
ti="{\"name\":\"t1\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"$A1_ID\"},\"command\":{\"value\":\"sleep 60\"},\"resources\":$(res_json 2 512)}"
code=$(api_post $SCHED "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$F1_ID\"},\"accept\":{\"offer_ids\":[{\"value\":\"$offer\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$ti]}}]}}" \
	-H "Mesos-Stream-Id: $F1_SID")
check launch-accepted [ "$code" = 202 ]
check launch-reaches-agent wait_json "$A1_OUT" 'select(.type == "LAUNCH") | .type'
check all-in-use [ "$(avail_cpus)" = 0 ]

code=$(api_post $SCHED "{\"type\":\"TEARDOWN\",\"framework_id\":{\"value\":\"$F1_ID\"}}" -H "Mesos-Stream-Id: $F1_SID")
check teardown [ "$code" = 202 ]
check kill-sent wait_json "$A1_OUT" 'select(.type == "KILL" and .kill.task_id.value == "t1") | .type'

fw_subscribe f2 '{"user":"nobody","name":"f2","role":"*"}' || exit 1
F2_OUT=$FW_OUT
BG_PIDS="$BG_PIDS $FW_PID"
sleep 1 # five allocation cycles
check held-while-killing [ "$(avail_cpus)" = 0 ]
check no-offer-while-killing [ -z "$(recordio_json "$F2_OUT" | jq -r "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$A1_ID\") | .id.value")" ]

# the agent reregisters (new stream) with the task still running: still held, KILL again
kill "$AG_PID"
A1_OUT="$WORK/agent-a1b.stream"
curl -s -N -D "$WORK/agent-a1b.hdrs" -X POST -H 'Content-Type: application/json' \
	-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_id\":{\"value\":\"$A1_ID\"},\"agent_info\":{\"hostname\":\"a1\",\"resources\":$(res_json 2 512)},\"tasks\":[{\"task_id\":{\"value\":\"t1\"},\"framework_id\":{\"value\":\"$F1_ID\"},\"state\":\"TASK_RUNNING\",\"resources\":$(res_json 2 512)}]}}" \
	"http://$MASTER/api/v1/agent" >"$A1_OUT" 2>/dev/null &
BG_PIDS="$BG_PIDS $!"
check reregistered wait_json "$A1_OUT" 'select(.type == "SUBSCRIBED") | .type'
A1_SID=$(header_value "$WORK/agent-a1b.hdrs" Mesos-Stream-Id)
check kill-sent-again wait_json "$A1_OUT" 'select(.type == "KILL" and .kill.task_id.value == "t1") | .type'
sleep 0.5
check held-after-reregistration [ "$(avail_cpus)" = 0 ]
check no-offer-after-reregistration [ -z "$(recordio_json "$F2_OUT" | jq -r "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$A1_ID\") | .id.value")" ]

# the agent says the task is gone: offered again
code=$(api_post /api/v1/agent "{\"type\":\"STATUS_UPDATE\",\"agent_id\":{\"value\":\"$A1_ID\"},\"status_update\":{\"framework_id\":{\"value\":\"$F1_ID\"},\"status\":{\"task_id\":{\"value\":\"t1\"},\"state\":\"TASK_KILLED\",\"uuid\":\"11111111-2222-4333-8444-555555555509\",\"agent_id\":{\"value\":\"$A1_ID\"}},\"latest_state\":\"TASK_KILLED\"}}" \
	-H "Mesos-Stream-Id: $A1_SID")
check killed-update [ "$code" = 202 ]
check offered-after-killed wait_json "$F2_OUT" "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$A1_ID\") | .resources[] | select(.name == \"cpus\") | .scalar.value"
finish
