# SPDX-License-Identifier: Apache-2.0
# An agent speaks only for the tasks the master placed on it. Two shell
# agents; a framework launches t1 and t2 on the first. The second agent
#  - reregisters claiming t1: t1 is not filed under it (GET_AGENTS counts no task there) and
#    it is told to KILL its copy; t1 then ends on its real agent and is acknowledged (freed),
#    and DRAIN_AGENT of the claimant must not touch it (it was a heap-use-after-free in
#    master_agent_kill_tasks: ASan reports it, a plain build crashes);
#  - posts TASK_FAILED for t2: the framework never sees it, t2 stays where it was, and the
#    forged update is counted (drover_master_agent_claims_refused_total).
. "$(dirname "$0")/lib.sh"
master_begin
SCHED=/api/v1/scheduler

fake_agent a1 "$(res_json 4 1024)" || exit 1
A1_ID=$AG_ID A1_SID=$AG_SID A1_OUT=$AG_OUT
BG_PIDS="$BG_PIDS $AG_PID"
fake_agent a2 "$(res_json 4 1024)" || exit 1
A2_ID=$AG_ID A2_SID=$AG_SID
BG_PIDS="$BG_PIDS $AG_PID"
fw_subscribe f1 '{"user":"nobody","name":"f1","role":"*"}' || exit 1
BG_PIDS="$BG_PIDS $FW_PID"

# agent_post AGENT_ID SID STATE TASK UUID: a STATUS_UPDATE from that agent; prints the code
agent_post() {
	api_post /api/v1/agent "{\"type\":\"STATUS_UPDATE\",\"agent_id\":{\"value\":\"$1\"},\"status_update\":{\"framework_id\":{\"value\":\"$FW_ID\"},\"status\":{\"task_id\":{\"value\":\"$4\"},\"state\":\"$3\",\"source\":\"SOURCE_EXECUTOR\",\"uuid\":\"$5\",\"agent_id\":{\"value\":\"$1\"}},\"latest_state\":\"$3\"}}" \
		-H "Mesos-Stream-Id: $2"
}
task_state() { operator GET_TASKS | jq -r ".get_tasks.tasks[] | select(.task_id.value == \"$1\") | .state"; }
agent_tasks() { operator GET_AGENTS | jq -r ".get_agents.agents[] | select(.agent_info.id.value == \"$1\") | .tasks"; }

offer=$(wait_json "$FW_OUT" "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$A1_ID\") | .id.value")
ti() { echo "{\"name\":\"$1\",\"task_id\":{\"value\":\"$1\"},\"agent_id\":{\"value\":\"$A1_ID\"},\"command\":{\"value\":\"sleep 60\"},\"resources\":$(res_json 1 64)}"; }
code=$(api_post $SCHED "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$FW_ID\"},\"accept\":{\"offer_ids\":[{\"value\":\"$offer\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$(ti t1),$(ti t2)]}}]}}" \
	-H "Mesos-Stream-Id: $FW_SID")
check "launch-accepted" [ "$code" = 202 ]
check "launch-reaches-a1" wait_json "$A1_OUT" 'select(.type == "LAUNCH" and .launch.task.task_id.value == "t2") | .type'
check "a1-files-both" [ "$(agent_tasks "$A1_ID")" = 2 ]

# -- a2 reregisters (its own ID, its own stream) claiming t1
A2_OUT="$WORK/agent-a2b.stream"
curl -s -N -D "$WORK/agent-a2b.hdrs" -X POST -H 'Content-Type: application/json' \
	-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_id\":{\"value\":\"$A2_ID\"},\"agent_info\":{\"hostname\":\"a2\",\"resources\":$(res_json 4 1024)},\"tasks\":[{\"task_id\":{\"value\":\"t1\"},\"framework_id\":{\"value\":\"$FW_ID\"},\"state\":\"TASK_RUNNING\",\"resources\":$(res_json 1 64)}]}}" \
	"http://$MASTER/api/v1/agent" >"$A2_OUT" 2>/dev/null &
BG_PIDS="$BG_PIDS $!"
wait_json "$A2_OUT" 'select(.type == "SUBSCRIBED") | .type' >/dev/null
A2_SID=$(header_value "$WORK/agent-a2b.hdrs" Mesos-Stream-Id)
check "claim-not-filed" [ "$(agent_tasks "$A2_ID")" = 0 ]
check "claim-killed-on-claimant" wait_json "$A2_OUT" 'select(.type == "KILL" and .kill.task_id.value == "t1") | .type'
check "claim-not-moved" [ "$(operator GET_TASKS | jq -r '.get_tasks.tasks[] | select(.task_id.value == "t1") | .agent_id.value')" = "$A1_ID" ]

# t1 ends on a1, the framework acknowledges it: the task is freed
# (status uuids are 16 bytes, base64 as Mesos's JSON has them)
U1=ERERESIiQzOERFVVVVVVAQ==
check "a1-update" [ "$(agent_post "$A1_ID" "$A1_SID" TASK_FINISHED t1 $U1)" = 202 ]
check "fw-gets-a1-update" wait_json "$FW_OUT" "select(.type == \"UPDATE\" and .update.status.uuid == \"$U1\") | .type"
code=$(api_post $SCHED "{\"type\":\"ACKNOWLEDGE\",\"framework_id\":{\"value\":\"$FW_ID\"},\"acknowledge\":{\"agent_id\":{\"value\":\"$A1_ID\"},\"task_id\":{\"value\":\"t1\"},\"uuid\":\"$U1\"}}" \
	-H "Mesos-Stream-Id: $FW_SID")
check "ack" [ "$code" = 202 ]
check "t1-gone" wait_for sh -c "[ -z \"\$(curl -s -X POST -H 'Content-Type: application/json' -d '{\"type\":\"GET_TASKS\"}' http://$MASTER/api/v1 | jq -r '.get_tasks.tasks[] | select(.task_id.value == \"t1\") | .state')\" ]"
# draining the claimant walks its tasks: a stray entry there would be t1, freed
code=$(api_post /api/v1 "{\"type\":\"DRAIN_AGENT\",\"drain_agent\":{\"agent_id\":{\"value\":\"$A2_ID\"},\"kill_tasks\":true}}")
check "drain-claimant" [ "$code" = 200 ]
check "master-alive-after-drain" curl -sf -o /dev/null "http://$MASTER/health"

# -- a2 forges an end of t2 (which runs on a1)
U2=ERERESIiQzOERFVVVVVVAg==
check "forged-update-answered" [ "$(agent_post "$A2_ID" "$A2_SID" TASK_FAILED t2 $U2)" = 202 ]
check "forged-update-acknowledged-to-a2" wait_json "$A2_OUT" "select(.type == \"ACKNOWLEDGE\" and .acknowledge.uuid == \"$U2\") | .type"
check "t2-state-kept" [ "$(task_state t2)" = TASK_STAGING ]
check "t2-agent-kept" [ "$(operator GET_TASKS | jq -r '.get_tasks.tasks[] | select(.task_id.value == "t2") | .agent_id.value')" = "$A1_ID" ]
sleep 0.3
check "fw-never-sees-forgery" [ -z "$(recordio_json "$FW_OUT" | jq -r "select(.type == \"UPDATE\" and .update.status.uuid == \"$U2\") | .type")" ]
refused=$(curl -s "http://$MASTER/metrics" | awk '$1 == "drover_master_agent_claims_refused_total" { print $2 }')
check "claims-counted" [ "${refused:-0}" -ge 2 ]
check "master-alive" kill -0 "$MASTER_PID"
finish
