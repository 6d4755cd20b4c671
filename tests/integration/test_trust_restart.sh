# SPDX-License-Identifier: Apache-2.0
# What binds an agent and a KILL survives a master restart
# (kill -9, same work dir and registry). Shell agents and a shell framework, --credentials:
#  - an agent registers only where a register_agents rule allows its principal ("permissive"
#    does not count with --credentials);
#  - after the restart the agent's ID still belongs to the principal that registered it:
#    another allowed principal reregistering that ID first is refused (403) and the real
#    agent is not;
#  - a KILL answered 202 before the restart is sent again to the agent when it reregisters.
. "$(dirname "$0")/lib.sh"
need_jq
WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
cat >"$WORK/creds.json" <<'J'
{"credentials": [{"principal": "agent1", "secret": "s1"}, {"principal": "agent2", "secret": "s2"},
 {"principal": "fw1", "secret": "s3"}]}
J
echo '{"register_agents": [{"principals": ["agent1", "agent2"], "agents": "ANY"}]}' >"$WORK/acls.json"
chmod 600 "$WORK/creds.json" "$WORK/acls.json"
SEC="--credentials $WORK/creds.json --acls $WORK/acls.json"
start_master $SEC || exit 1
cleanup() {
	kill $BG_PIDS 2>/dev/null
	kill "$MASTER_PID" 2>/dev/null
	wait 2>/dev/null
	echo "---- master.log"
	cat "$WORK/master.log"
	rm -rf "$WORK"
}
trap cleanup EXIT
BG_PIDS=
SCHED=/api/v1/scheduler

# ---- registration needs a rule once there are credentials
agent_sub rogue fw1:s3
check unlisted-principal-refused [ "$AG_CODE" = 403 ]
check refusal-says-explicit-rule wait_for grep -q "register_agents.*explicit rule" "$AG_OUT"
agent_sub h1 agent1:s1
check agent1-registers [ "$AG_CODE" = 200 ]
A1_ID=$(wait_json "$AG_OUT" 'select(.type == "SUBSCRIBED") | .subscribed.agent_id.value')
A1_OUT=$AG_OUT
check agent1-has-id [ -n "$A1_ID" ]

# ---- a task on it, and a KILL for it that the agent (a shell that only listens) ignores
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
code=$(api_post $SCHED "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"$FW_ID\"},\"kill\":{\"task_id\":{\"value\":\"t1\"},\"kill_policy\":{\"grace_period\":{\"nanoseconds\":3000000000}}}}" \
	-u fw1:s3 -H "Mesos-Stream-Id: $FW_SID")
check kill-answered-202 [ "$code" = 202 ]
check kill-reaches-agent1 wait_json "$A1_OUT" 'select(.type == "KILL") | .type'

# ---- restart
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
echo "---- restart" >>"$WORK/master.log"
start_master $SEC || exit 1

# another allowed principal claims agent1's ID first: refused, it gets nothing
agent_sub thief agent2:s2 "$A1_ID"
check claim-by-agent2-refused [ "$AG_CODE" = 403 ]
check claim-names-owner wait_for grep -q "registered by principal 'agent1'" "$AG_OUT"
# the real agent reregisters with its task: the KILL asked before the restart comes again
agent_sub h1b agent1:s1 "$A1_ID" "[{\"task_id\":{\"value\":\"t1\"},\"framework_id\":{\"value\":\"$FW_ID\"},\"state\":\"TASK_RUNNING\",\"resources\":$(res_json 1 64)}]"
check agent1-reregisters [ "$AG_CODE" = 200 ]
check kill-sent-again-after-restart wait_json "$AG_OUT" 'select(.type == "KILL" and .kill.task_id.value == "t1") | .kill.kill_policy.grace_period.nanoseconds'
check kill-policy-kept [ "$(wait_json "$AG_OUT" 'select(.type == "KILL") | .kill.kill_policy.grace_period.nanoseconds')" = 3000000000 ]
finish
