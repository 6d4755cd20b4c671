# SPDX-License-Identifier: Apache-2.0
# The operator fields a master failover must keep true, read as a Mesos client reads them
# (GET_AGENTS and GET_FRAMEWORKS decoded by Mesos's own schema, tests/mesos-proto; the
# legacy /master/state): the capabilities the agent reports (Agent.capabilities,
# slaves[].capabilities), a framework's registered_time, reregistered_time and
# unregistered_time, and, after a restart on the same registry, an agent that has not yet
# reregistered listed under recovered_agents (AgentInfo alone) and not under agents, then
# under agents once it is back.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
need_mesos_proto

start_cluster || exit 1
BG_PIDS=
cleanup() {
	kill -CONT "$AGENT_PID" 2>/dev/null
	kill $BG_PIDS 2>/dev/null
	stop_cluster
}
trap cleanup EXIT
mkdir -p "$WORK/py"
check protoc-generates protoc -I"$SRC/tests/mesos-proto" -I"$SRC/proto" --python_out="$WORK/py" \
	mesos/v1/mesos.proto mesos/v1/scheduler/scheduler.proto mesos/v1/master/master.proto \
	mesos/v1/allocator/allocator.proto mesos/v1/maintenance/maintenance.proto \
	mesos/v1/quota/quota.proto
# mesos CALL: the call's Response decoded by Mesos's schema, as JSON (int64 as strings)
mesos() { "$PY" "$SRC/tests/integration/mesos_operator_check.py" decode "$MASTER" "$WORK/py" "$1"; }
state() { curl -s "http://$MASTER/master/state"; }
now_ns() { date +%s%N; }
# within NS LO HI (strings of nanoseconds, a second of slack each side)
within() { [ -n "$1" ] && [ "$1" -ge $(($2 - 1000000000)) ] && [ "$1" -le $(($3 + 1000000000)) ]; }

AID=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')
CAPS='["MULTI_ROLE","HIERARCHICAL_ROLE","AGENT_DRAINING","TASK_RESOURCE_LIMITS"]'

# 1. the agent's capabilities, in v1 and in the legacy JSON
mesos GET_AGENTS >"$WORK/agents.json"
check agent-capabilities-v1 [ "$(jq -c '[.get_agents.agents[0].capabilities[].type]' "$WORK/agents.json")" = "$CAPS" ]
check agent-capabilities-legacy [ "$(state | jq -c '.slaves[0].capabilities')" = "$CAPS" ]
check agent-registered-time-legacy [ "$(state | jq '.slaves[0].registered_time > 0')" = true ]

# 2. a framework's times: registered_time = reregistered_time at its first subscription
T0=$(now_ns)
fw_subscribe ft '{"name":"ft","failover_timeout":3600}' || { fail subscribe; exit 1; }
T1=$(now_ns)
FID=$FW_ID
fwsel=".get_frameworks.frameworks[] | select(.framework_info.id.value == \"$FID\")"
mesos GET_FRAMEWORKS >"$WORK/fw1.json"
REG=$(jq -r "$fwsel | .registered_time.nanoseconds" "$WORK/fw1.json")
check framework-registered-time within "$REG" "$T0" "$T1"
check framework-reregistered-time-first [ "$(jq -r "$fwsel | .reregistered_time.nanoseconds" "$WORK/fw1.json")" = "$REG" ]
check framework-not-unregistered [ "$(jq -r "$fwsel | .unregistered_time" "$WORK/fw1.json")" = null ]
lfw=".frameworks[] | select(.id == \"$FID\")"
state >"$WORK/state1.json"
check legacy-registered-time [ "$(jq "$lfw | .registered_time * 1e9 - $REG | fabs < 1e4" "$WORK/state1.json")" = true ]
check legacy-unregistered-time-zero [ "$(jq "$lfw | .unregistered_time" "$WORK/state1.json")" = 0 ]
check legacy-no-reregistered-time [ "$(jq "$lfw | has(\"reregistered_time\")" "$WORK/state1.json")" = false ]

# ... and a resubscription moves reregistered_time only
kill "$FW_PID"
sleep 0.2
T2=$(now_ns)
fw_subscribe ft2 "{\"name\":\"ft\",\"failover_timeout\":3600,\"id\":{\"value\":\"$FID\"}}" ||
	fail resubscribe
T3=$(now_ns)
mesos GET_FRAMEWORKS >"$WORK/fw2.json"
check resubscribe-keeps-registered-time [ "$(jq -r "$fwsel | .registered_time.nanoseconds" "$WORK/fw2.json")" = "$REG" ]
check resubscribe-reregistered-time within "$(jq -r "$fwsel | .reregistered_time.nanoseconds" "$WORK/fw2.json")" "$T2" "$T3"
check legacy-reregistered-time [ "$(state | jq "$lfw | .reregistered_time > .registered_time")" = true ]

# 3. a failover: the master restarts on its registry while the agent is stopped
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
kill "$FW_PID"
kill -STOP "$AGENT_PID" # not back before the calls below
start_master || exit 1
mesos GET_AGENTS >"$WORK/agents-rec.json"
cat "$WORK/agents-rec.json"
check recovered-agent-listed-recovered [ "$(jq -r '[.get_agents.recovered_agents[].id.value] | join(",")' "$WORK/agents-rec.json")" = "$AID" ]
check recovered-agent-has-agent-info [ "$(jq -r '.get_agents.recovered_agents[0].hostname | length > 0' "$WORK/agents-rec.json")" = true ]
check recovered-agent-not-in-agents [ "$(jq '.get_agents.agents // [] | length' "$WORK/agents-rec.json")" = 0 ]
check recovered-agent-legacy [ "$(state | jq -r '[.recovered_slaves[].id] | join(",")')" = "$AID" ]
check recovered-agent-cli sh -c "'$BIN/drover' --master '$MASTER' agent list | grep -q '^$AID .* recovered '"
# the recovered framework keeps its registered_time (the registry has it)
mesos GET_FRAMEWORKS >"$WORK/fw3.json"
check recovered-framework-flag [ "$(jq -r "$fwsel | .recovered" "$WORK/fw3.json")" = true ]
check recovered-framework-registered-time [ "$(jq -r "$fwsel | .registered_time.nanoseconds" "$WORK/fw3.json")" = "$REG" ]
check recovered-framework-legacy-no-reregistered [ "$(state | jq "$lfw | has(\"reregistered_time\")")" = false ]

# the agent comes back: under agents, with its capabilities, recovered_agents empty
kill -CONT "$AGENT_PID"
back() { op GET_AGENTS | jq -e '.get_agents.agents[0].active == true' >/dev/null; }
WAIT_S=20 wait_for back
mesos GET_AGENTS >"$WORK/agents-back.json"
check reregistered-agent-in-agents [ "$(jq -r '[.get_agents.agents[].agent_info.id.value] | join(",")' "$WORK/agents-back.json")" = "$AID" ]
check reregistered-agent-not-recovered [ "$(jq '.get_agents.recovered_agents // [] | length' "$WORK/agents-back.json")" = 0 ]
check reregistered-agent-capabilities [ "$(jq -c '[.get_agents.agents[0].capabilities[].type]' "$WORK/agents-back.json")" = "$CAPS" ]

# the framework resubscribes to the new master: its first registration kept, a new
# reregistration; torn down: unregistered_time
T4=$(now_ns)
fw_subscribe ft3 "{\"name\":\"ft\",\"failover_timeout\":3600,\"id\":{\"value\":\"$FID\"}}" ||
	fail resubscribe-after-failover
T5=$(now_ns)
mesos GET_FRAMEWORKS >"$WORK/fw4.json"
check failover-keeps-registered-time [ "$(jq -r "$fwsel | .registered_time.nanoseconds" "$WORK/fw4.json")" = "$REG" ]
check failover-reregistered-time within "$(jq -r "$fwsel | .reregistered_time.nanoseconds" "$WORK/fw4.json")" "$T4" "$T5"
code=$(api_post /api/v1/scheduler "{\"type\":\"TEARDOWN\",\"framework_id\":{\"value\":\"$FID\"}}" -H "Mesos-Stream-Id: $FW_SID")
check teardown [ "$code" = 202 ]
T6=$(now_ns)
csel=".get_frameworks.completed_frameworks[] | select(.framework_info.id.value == \"$FID\")"
mesos GET_FRAMEWORKS >"$WORK/fw5.json"
check completed-unregistered-time within "$(jq -r "$csel | .unregistered_time.nanoseconds" "$WORK/fw5.json")" "$T5" "$T6"
check completed-registered-time [ "$(jq -r "$csel | .registered_time.nanoseconds" "$WORK/fw5.json")" = "$REG" ]
check legacy-completed-times [ "$(state | jq ".completed_frameworks[] | select(.id == \"$FID\") | (.unregistered_time > .registered_time) and (.registered_time * 1e9 - $REG | fabs < 1e4)")" = true ]
finish
