# SPDX-License-Identifier: Apache-2.0
# An agent's identity and a KILL across a failover (the ZooKeeper registry): two masters with
# --credentials; a shell agent registers with principal agent1 on the leader, a framework
# launches a task there and KILLs it (202). The leader is killed (-9); on the next leader
#  - another allowed principal reregistering agent1's ID first is refused (403), the real
#    agent is not;
#  - the KILL is sent again to the agent when it reregisters with the task.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zk_lib.sh"
need_jq
need_zookeeper
WORK=$(mktemp -d /tmp/drover-ha.XXXXXX)
BG_PIDS=
cleanup() {
	kill $BG_PIDS 2>/dev/null
	wait $BG_PIDS 2>/dev/null
	stop_ha
}
trap cleanup EXIT
start_zk || exit 1
cat >"$WORK/creds.json" <<'J'
{"credentials": [{"principal": "agent1", "secret": "s1"}, {"principal": "agent2", "secret": "s2"},
 {"principal": "fw1", "secret": "s3"}]}
J
echo '{"register_agents": [{"principals": ["agent1", "agent2"], "agents": "ANY"}]}' >"$WORK/acls.json"
chmod 600 "$WORK/creds.json" "$WORK/acls.json"
SEC="--credentials $WORK/creds.json --acls $WORK/acls.json"
# zk_lib's, with a credential (GET_HEALTH is authenticated like every call but /health)
master_status() {
	eval "_p=\$MPORT_$1"
	curl -s -o /dev/null -m 2 -w '%{http_code}' -u agent1:s1 -X POST \
		-H 'Content-Type: application/json' -d '{"type":"GET_HEALTH"}' "http://127.0.0.1:$_p/api/v1"
}
ZK_SESSION=2s
start_ha_master 1 $SEC
start_ha_master 2 $SEC
L=
for _ in $(seq 200); do L=$(leader) && break; sleep 0.1; done
check first-leader [ -n "$L" ]
eval "MASTER=127.0.0.1:\$MPORT_$L"
SCHED=/api/v1/scheduler

agent_sub h1 agent1:s1
check agent1-registers [ "$AG_CODE" = 200 ]
A1_ID=$(wait_json "$AG_OUT" 'select(.type == "SUBSCRIBED") | .subscribed.agent_id.value')
A1_OUT=$AG_OUT
FW_OUT="$WORK/fw.stream"
curl -s -N -u fw1:s3 -D "$WORK/fw.hdrs" -X POST -H 'Content-Type: application/json' \
	-d '{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"nobody","name":"f1","failover_timeout":3600}}}' \
	"http://$MASTER$SCHED" >"$FW_OUT" 2>/dev/null &
BG_PIDS="$BG_PIDS $!"
FW_ID=$(wait_json "$FW_OUT" 'select(.type == "SUBSCRIBED") | .subscribed.framework_id.value')
FW_SID=$(header_value "$WORK/fw.hdrs" Mesos-Stream-Id)
offer=$(wait_json "$FW_OUT" "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$A1_ID\") | .id.value")
ti="{\"name\":\"t1\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"$A1_ID\"},\"command\":{\"value\":\"sleep 60\"},\"resources\":$(res_json 1 64)}"
code=$(api_post $SCHED "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$FW_ID\"},\"accept\":{\"offer_ids\":[{\"value\":\"$offer\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$ti]}}]}}" \
	-u fw1:s3 -H "Mesos-Stream-Id: $FW_SID")
check launch-accepted [ "$code" = 202 ]
check launch-reaches-agent1 wait_json "$A1_OUT" 'select(.type == "LAUNCH") | .type'
code=$(api_post $SCHED "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"$FW_ID\"},\"kill\":{\"task_id\":{\"value\":\"t1\"}}}" \
	-u fw1:s3 -H "Mesos-Stream-Id: $FW_SID")
check kill-answered-202 [ "$code" = 202 ]

# ---- failover
eval "kill -9 \$MPID_$L"
eval "wait \$MPID_$L" 2>/dev/null
eval "MPID_$L="
L2=
for _ in $(seq 300); do L2=$(leader) && break; sleep 0.1; done
check next-leader [ -n "$L2" -a "$L2" != "$L" ]
eval "MASTER=127.0.0.1:\$MPORT_$L2"

agent_sub thief agent2:s2 "$A1_ID"
check claim-by-agent2-refused [ "$AG_CODE" = 403 ]
check claim-names-owner wait_for grep -q "registered by principal 'agent1'" "$AG_OUT"
agent_sub h1b agent1:s1 "$A1_ID" "[{\"task_id\":{\"value\":\"t1\"},\"framework_id\":{\"value\":\"$FW_ID\"},\"state\":\"TASK_RUNNING\",\"resources\":$(res_json 1 64)}]"
check agent1-reregisters [ "$AG_CODE" = 200 ]
check kill-sent-again-after-failover wait_json "$AG_OUT" 'select(.type == "KILL" and .kill.task_id.value == "t1") | .type'
finish
