# SPDX-License-Identifier: Apache-2.0
# Events as Mesos sends them, by what a framework said it understands: an agent with GPUs is
# offered only to frameworks with GPU_RESOURCES; TASK_KILLING reaches only frameworks with
# TASK_KILLING_STATE (the master answers the agent for the others, and their next update
# still comes); FAILURE with the agent's ID goes to every connected framework when an agent
# becomes unreachable. A framework and agents in shell (curl + jq) drive a real master.
. "$(dirname "$0")/lib.sh"
master_begin --agent-ping-timeout 2s --max-agent-ping-timeouts 2

# the agents stay reachable while their heartbeats run
beat() { # AGENT SID
	while :; do
		curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -H "Mesos-Stream-Id: $2" \
			-d "{\"type\":\"HEARTBEAT\",\"agent_id\":{\"value\":\"$1\"}}" "http://$MASTER/api/v1/agent"
		sleep 0.3
	done
}
fake_agent gpu '[{"name":"cpus","type":"SCALAR","scalar":{"value":2}},{"name":"mem","type":"SCALAR","scalar":{"value":512}},{"name":"gpus","type":"SCALAR","scalar":{"value":1}}]' ||
	{ fail setup-gpu-agent; exit 1; }
GPU=$AG_ID GPU_SID=$AG_SID GPU_OUT=$AG_OUT
beat "$GPU" "$GPU_SID" &
BEAT_GPU=$!
BG_PIDS="$BG_PIDS $BEAT_GPU"
fake_agent plain "$(res_json 2 512)" || { fail setup-agent; exit 1; }
PLAIN=$AG_ID PLAIN_SID=$AG_SID PLAIN_OUT=$AG_OUT
beat "$PLAIN" "$PLAIN_SID" &
BG_PIDS="$BG_PIDS $!"

fw_subscribe plainfw '{"name":"plainfw"}' || { fail setup-fw; exit 1; }
F1=$FW_ID S1=$FW_SID OUT1=$FW_OUT
fw_subscribe gpufw '{"name":"gpufw","capabilities":[{"type":"GPU_RESOURCES"},{"type":"TASK_KILLING_STATE"}]}' ||
	{ fail setup-fw2; exit 1; }
F2=$FW_ID S2=$FW_SID OUT2=$FW_OUT

# ---- GPU agents only to GPU_RESOURCES frameworks
offered() { # OUT AGENT
	[ -n "$(recordio_json "$1" | jq -r "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$2\") | .id.value")" ]
}
check gpu-agent-offered-to-gpu-framework wait_for offered "$OUT2" "$GPU"
check plain-agent-offered-to-plain-framework wait_for offered "$OUT1" "$PLAIN"
sleep 1 # a few more cycles (200 ms each)
check gpu-agent-not-offered-without-capability [ -z "$(recordio_json "$OUT1" | jq -r "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$GPU\") | .id.value")" ]

# ---- TASK_KILLING only with TASK_KILLING_STATE
task() { # ID AGENT
	echo "{\"name\":\"t\",\"task_id\":{\"value\":\"$1\"},\"agent_id\":{\"value\":\"$2\"},\"command\":{\"value\":\"true\"},\"resources\":$(res_json 0.1 32)}"
}
fw_launch "$OUT1" "$F1" "$S1" "$PLAIN" "$(task k1 "$PLAIN")" ||
	{ fail setup-launch1; exit 1; }
fw_launch "$OUT2" "$F2" "$S2" "$GPU" "$(task k2 "$GPU")" ||
	{ fail setup-launch2; exit 1; }
update() { # AGENT SID FW TASK STATE UUID
	api_post /api/v1/agent "{\"type\":\"STATUS_UPDATE\",\"agent_id\":{\"value\":\"$1\"},\"status_update\":{\"framework_id\":{\"value\":\"$3\"},\"status\":{\"task_id\":{\"value\":\"$4\"},\"state\":\"$5\",\"uuid\":\"$6\",\"agent_id\":{\"value\":\"$1\"}}}}" \
		-H "Mesos-Stream-Id: $2"
}
acked() { # AGENT_OUT UUID: the master acknowledged it to the agent (the uuid's 16 bytes in
	# base64, as the master forwards every status uuid)
	_b64=$(python3 -c 'import base64, sys, uuid; print(base64.b64encode(uuid.UUID(sys.argv[1]).bytes).decode())' "$2")
	recordio_json "$1" | jq -r 'select(.type == "ACKNOWLEDGE") | .. | strings' | grep -qx "$_b64"
}
check killing-plain-202 [ "$(update "$PLAIN" "$PLAIN_SID" "$F1" k1 TASK_KILLING 11111111-2222-4333-8444-000000000001)" = 202 ]
check killing-gpu-202 [ "$(update "$GPU" "$GPU_SID" "$F2" k2 TASK_KILLING 11111111-2222-4333-8444-000000000002)" = 202 ]
states() { # OUT TASK
	recordio_json "$1" | jq -r "select(.type == \"UPDATE\") | .update.status | select(.task_id.value == \"$2\") | .state" | tr '\n' ' '
}
check killing-reaches-capable-framework wait_json "$OUT2" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "k2" and .state == "TASK_KILLING") | .state'
check killing-answered-by-master wait_for acked "$PLAIN_OUT" 11111111-2222-4333-8444-000000000001
check killed-after-killing-202 [ "$(update "$PLAIN" "$PLAIN_SID" "$F1" k1 TASK_KILLED 11111111-2222-4333-8444-000000000003)" = 202 ]
check killed-reaches-plain-framework wait_json "$OUT1" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "k1" and .state == "TASK_KILLED") | .state'
check killing-never-reaches-plain-framework [ "$(states "$OUT1" k1)" = "TASK_KILLED " ]

# ---- FAILURE to every connected framework when an agent becomes unreachable
kill "$BEAT_GPU"
failure() { # OUT
	wait_json "$1" "select(.type == \"FAILURE\") | .failure.agent_id.value | select(. == \"$GPU\")" 300
}
check failure-to-gpu-framework failure "$OUT2"
check failure-to-plain-framework failure "$OUT1"
check failure-only-agent-id [ "$(recordio_json "$OUT1" | jq -c 'select(.type == "FAILURE") | .failure | keys')" = '["agent_id"]' ]
finish
