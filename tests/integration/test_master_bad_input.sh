# SPDX-License-Identifier: Apache-2.0
# Every bad call gets a 4xx whose message names the field, and changes
# nothing (GET_STATE before and after are equal). A framework and an agent written in shell
# (curl + jq) drive a real master; no cgroups needed.
. "$(dirname "$0")/lib.sh"
master_begin --max-body-size 4KiB

fake_agent a1 "$(res_json 2 1024)" || { fail setup-agent; exit 1; }
fw_subscribe f1 '{"name":"f1","role":"eng","failover_timeout":3600}' || { fail setup-fw1; exit 1; }
F1=$FW_ID S1=$FW_SID OUT1=$FW_OUT
fw_subscribe f2 '{"name":"f2","role":"eng"}' || { fail setup-fw2; exit 1; }
F2=$FW_ID S2=$FW_SID F2_PID=$FW_PID
OFFER=$(wait_json "$OUT1" 'select(.type == "OFFERS") | .offers.offers[0].id.value') ||
	{ fail setup-offer; exit 1; }

state() { op GET_STATE | jq -S . ; }
BASE=$(state)

# bad NAME CODE PATTERN PATH BODY [CURL ARGS...]: the call is refused with CODE, the reply
# matches PATTERN (a fixed string), and GET_STATE is what it was.
bad() {
	_name=$1 _code=$2 _pat=$3
	shift 3
	_got=$(api_post "$@")
	_now=$(state)
	if [ "$_got" != "$_code" ]; then
		fail "$_name" "expected $_code, got $_got: $(head -c 300 "$WORK/reply")"
	elif ! grep -qF -- "$_pat" "$WORK/reply"; then
		fail "$_name" "reply does not say '$_pat': $(head -c 300 "$WORK/reply")"
	elif [ "$_now" != "$BASE" ]; then
		fail "$_name" "state changed"
		echo "$BASE" >"$WORK/before.json"
		echo "$_now" >"$WORK/after.json"
		diff "$WORK/before.json" "$WORK/after.json" | head -20
		BASE=$_now
	else
		pass "$_name"
	fi
}
SCHED=/api/v1/scheduler
H1="Mesos-Stream-Id: $S1"
R21=$(res_json 2 1024)
# accept_body OFFER TASK_INFOS_JSON
accept_body() {
	echo "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$F1\"},\"accept\":{\"offer_ids\":[{\"value\":\"$1\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":$2}}]}}"
}
# ti TASK_ID_JSON_STRING RESOURCES_JSON
ti() {
	echo "{\"name\":\"t\",\"task_id\":{\"value\":$1},\"agent_id\":{\"value\":\"$AG_ID\"},\"command\":{\"value\":\"true\"},\"resources\":$2}"
}
decline_f1="{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"$F1\"},\"decline\":{\"offer_ids\":[{\"value\":\"$OFFER\"}]}}"

# ---- envelope
bad malformed-json 400 "Failed to parse body into JSON" $SCHED '{"type":' -H "$H1"
bad body-not-object 400 "must be a JSON object" $SCHED '[1,2]' -H "$H1"
bad type-not-string 400 "'type' must be a string" $SCHED '{"type":5}' -H "$H1"
bad type-missing 400 "'type'" $SCHED '{"framework_id":{"value":"x"}}' -H "$H1"
bad unknown-call-type 400 "'FROBNICATE' is not supported" $SCHED \
	"{\"type\":\"FROBNICATE\",\"framework_id\":{\"value\":\"$F1\"}}" -H "$H1"
CT=text/plain bad content-type 415 "Content-Type" $SCHED "$decline_f1" -H "$H1"
bad wrong-method 405 "POST" $SCHED "" -X GET
bad no-endpoint 404 "/api/v1/nothing" /api/v1/nothing '{"type":"X"}'
big=$(head -c 8000 /dev/zero | tr '\0' 'x')
bad body-over-limit 413 "over the limit" $SCHED "{\"type\":\"DECLINE\",\"pad\":\"$big\"}" -H "$H1"
bad body-over-limit-chunked 413 "over the limit" $SCHED "{\"type\":\"DECLINE\",\"pad\":\"$big\"}" \
	-H "$H1" -H 'Transfer-Encoding: chunked'

# ---- who is calling
bad missing-stream-id 400 "Mesos-Stream-Id" $SCHED "$decline_f1"
bad unknown-stream-id 400 "stream ID" $SCHED "$decline_f1" -H "Mesos-Stream-Id: 00000000-0000-4000-8000-000000000000"
bad other-frameworks-stream-id 400 "stream ID" $SCHED "$decline_f1" -H "Mesos-Stream-Id: $S2"
bad missing-framework-id 400 "'framework_id'" $SCHED '{"type":"DECLINE","decline":{}}' -H "$H1"
bad framework-id-wrong-type 400 "'framework_id' must be" $SCHED '{"type":"DECLINE","framework_id":"x"}' -H "$H1"
bad framework-id-unsafe 400 "'framework_id.value' contains '/'" $SCHED \
	'{"type":"DECLINE","framework_id":{"value":"../x"}}' -H "$H1"
bad call-before-subscribe 403 "not subscribed" $SCHED \
	'{"type":"REVIVE","framework_id":{"value":"nobody"}}' -H "$H1"
bad offer-of-another-framework 400 "no longer valid" $SCHED \
	"{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"$F2\"},\"decline\":{\"offer_ids\":[{\"value\":\"$OFFER\"}]}}" \
	-H "Mesos-Stream-Id: $S2"

# ---- SUBSCRIBE
bad subscribe-no-info 400 "'framework_info'" $SCHED '{"type":"SUBSCRIBE","subscribe":{}}'
bad subscribe-info-not-object 400 "'framework_info' must be an object" $SCHED \
	'{"type":"SUBSCRIBE","subscribe":{"framework_info":[]}}'
bad subscribe-name-wrong-type 400 "'name' must be a string" $SCHED \
	'{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":7}}}'
bad subscribe-role-unsafe 400 "framework_info.role" $SCHED \
	'{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"x","role":"eng/../x"}}}'
bad subscribe-failover-wrong-type 400 "'failover_timeout' must be a number" $SCHED \
	'{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"x","failover_timeout":"1h"}}}'
# jansson refuses "\u0000" unless asked (JSON_ALLOW_NUL), so a NUL never reaches a field;
# the ID checks count bytes with json_string_length anyway (tests/unit/test_master_validate.c)
bad subscribe-id-nul 400 "\u0000 is not allowed" $SCHED \
	'{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"x","id":{"value":"a\u0000b"}}}}'
bad subscribe-id-mismatch 400 "differs" $SCHED \
	'{"type":"SUBSCRIBE","framework_id":{"value":"a"},"subscribe":{"framework_info":{"name":"x","id":{"value":"b"}}}}'
bad subscribe-role-change 400 "cannot change its role" $SCHED \
	"{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"name\":\"f1\",\"role\":\"ops\",\"id\":{\"value\":\"$F1\"}}}}"

# ---- ACCEPT
bad accept-not-object 400 "'accept' must be an object" $SCHED \
	"{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$F1\"},\"accept\":5}" -H "$H1"
bad accept-offer-ids-not-array 400 "'accept.offer_ids' must be a non-empty array" $SCHED \
	"{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$F1\"},\"accept\":{\"offer_ids\":{}}}" -H "$H1"
bad accept-unknown-offer 400 "accept.offer_ids[0]': offer nope is no longer valid" $SCHED \
	"$(accept_body nope "[$(ti '"t1"' "$R21")]")" -H "$H1"
bad accept-operation-unsupported 400 "accept.operations[0].type" $SCHED \
	"{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$F1\"},\"accept\":{\"offer_ids\":[{\"value\":\"$OFFER\"}],\"operations\":[{\"type\":\"RESERVE\"}]}}" -H "$H1"
bad accept-task-infos-not-array 400 "launch.task_infos' must be an array" $SCHED \
	"$(accept_body "$OFFER" '{}')" -H "$H1"
bad accept-beyond-offer 400 "task_infos[0].resources': cpus:3;mem:1024 is beyond the offered" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' "$(res_json 3 1024)")]")" -H "$H1"
bad accept-beyond-offer-sum 400 "task_infos[1].resources'" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' "$(res_json 1.5 100)"),$(ti '"t2"' "$(res_json 1 100)")]")" -H "$H1"
bad accept-negative-resource 400 "negative value" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' "$(res_json -1 100)")]")" -H "$H1"
bad accept-nan-literal 400 "Failed to parse body into JSON" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' "$(res_json NaN 100)")]")" -H "$H1"
bad accept-nan-string 400 "task_infos[0].resources'" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' "$(res_json '"NaN"' 100)")]")" -H "$H1"
bad accept-infinite 400 "Failed to parse body into JSON" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' "$(res_json 1e999 100)")]")" -H "$H1"
bad accept-resources-not-array 400 "task_infos[0].resources'" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' '{"cpus":1}')]")" -H "$H1"
bad accept-empty-resources 400 "task_infos[0].resources' is empty" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' '[]')]")" -H "$H1"
bad task-id-dotdot 400 "task_id.value' is '.' or '..'" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '".."' "$R21")]")" -H "$H1"
bad task-id-slash 400 "task_id.value' contains '/'" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"a/b"' "$R21")]")" -H "$H1"
bad task-id-nul 400 "\u0000 is not allowed" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"a\u0000b"' "$R21")]")" -H "$H1"
bad task-id-empty 400 "task_id.value' is empty" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '""' "$R21")]")" -H "$H1"
long=$(head -c 256 /dev/zero | tr '\0' 'a')
bad task-id-256-bytes 400 "task_id.value' is longer than 255 bytes" $SCHED \
	"$(accept_body "$OFFER" "[$(ti "\"$long\"" "$R21")]")" -H "$H1"
bad task-id-wrong-type 400 "task_id' must be an object" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '7' "$R21")]")" -H "$H1"
bad task-id-twice-in-call 400 "task 'dup' appears twice" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"dup"' "$(res_json 1 100)"),$(ti '"dup"' "$(res_json 1 100)")]")" -H "$H1"
bad task-agent-mismatch 400 "task_infos[0].agent_id'" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' "$R21" | sed "s/$AG_ID/other-agent/")]")" -H "$H1"
bad task-shell-wrong-type 400 "command.shell' must be a boolean" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' "$R21" | sed 's/"value":"true"}/"value":"true","shell":"yes"}/')]")" -H "$H1"
bad task-no-command 400 "one of 'command' and 'executor' must be set" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' "$R21" | sed 's/"command":{"value":"true"},//')]")" -H "$H1"
bad task-limits-negative 400 "limits.cpus' must be a positive number" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t1"' "$R21" | sed 's/}$/,"limits":{"cpus":-2}}/')]")" -H "$H1"

# ---- other calls
bad kill-task-id-nul 400 "\u0000 is not allowed" $SCHED \
	"{\"type\":\"KILL\",\"framework_id\":{\"value\":\"$F1\"},\"kill\":{\"task_id\":{\"value\":\"a\\u0000\"}}}" -H "$H1"
bad kill-missing 400 "missing field 'kill'" $SCHED \
	"{\"type\":\"KILL\",\"framework_id\":{\"value\":\"$F1\"}}" -H "$H1"
bad ack-uuid-wrong-type 400 "'uuid' must be a string" $SCHED \
	"{\"type\":\"ACKNOWLEDGE\",\"framework_id\":{\"value\":\"$F1\"},\"acknowledge\":{\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"$AG_ID\"},\"uuid\":1}}" -H "$H1"
bad reconcile-tasks-not-array 400 "'reconcile.tasks' must be an array" $SCHED \
	"{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"$F1\"},\"reconcile\":{\"tasks\":{}}}" -H "$H1"
bad reconcile-task-id-unsafe 400 "reconcile.tasks[0].task_id.value' contains '/'" $SCHED \
	"{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"$F1\"},\"reconcile\":{\"tasks\":[{\"task_id\":{\"value\":\"a/b\"}}]}}" -H "$H1"

# ---- agent API
AGP=/api/v1/agent
bad agent-unknown-call 400 "'LAUNCH' is not supported" $AGP \
	"{\"type\":\"LAUNCH\",\"agent_id\":{\"value\":\"$AG_ID\"}}" -H "Mesos-Stream-Id: $AG_SID"
bad agent-missing-stream-id 400 "Mesos-Stream-Id" $AGP \
	"{\"type\":\"HEARTBEAT\",\"agent_id\":{\"value\":\"$AG_ID\"}}"
bad agent-unknown 403 "not subscribed" $AGP \
	'{"type":"HEARTBEAT","agent_id":{"value":"nobody"}}' -H "Mesos-Stream-Id: $AG_SID"
bad agent-heartbeat-other-stream 400 "does not match the agent's stream" $AGP \
	"{\"type\":\"HEARTBEAT\",\"agent_id\":{\"value\":\"$AG_ID\"}}" -H "Mesos-Stream-Id: 00000000-0000-0000-0000-000000000000"
bad agent-heartbeat-agent-id-not-string 400 "agent_id" $AGP \
	'{"type":"HEARTBEAT","agent_id":{"value":7}}' -H "Mesos-Stream-Id: $AG_SID"
check agent-heartbeat-ok [ "$(api_post $AGP "{\"type\":\"HEARTBEAT\",\"agent_id\":{\"value\":\"$AG_ID\"}}" -H "Mesos-Stream-Id: $AG_SID")" = 202 ]
bad agent-update-task-id-unsafe 400 "status_update.status.task_id.value' contains '/'" $AGP \
	"{\"type\":\"STATUS_UPDATE\",\"agent_id\":{\"value\":\"$AG_ID\"},\"status_update\":{\"framework_id\":{\"value\":\"$F1\"},\"status\":{\"task_id\":{\"value\":\"x/y\"},\"state\":\"TASK_RUNNING\",\"uuid\":\"u\"}}}" \
	-H "Mesos-Stream-Id: $AG_SID"
bad agent-update-bad-state 400 "unknown state 'TASK_SLEEPING'" $AGP \
	"{\"type\":\"STATUS_UPDATE\",\"agent_id\":{\"value\":\"$AG_ID\"},\"status_update\":{\"framework_id\":{\"value\":\"$F1\"},\"status\":{\"task_id\":{\"value\":\"x\"},\"state\":\"TASK_SLEEPING\",\"uuid\":\"u\"}}}" \
	-H "Mesos-Stream-Id: $AG_SID"
bad agent-subscribe-bad-resources 400 "agent_info.resources" $AGP \
	'{"type":"SUBSCRIBE","subscribe":{"agent_info":{"hostname":"h","resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":-4}}]}}}'
bad agent-subscribe-id-unsafe 400 "subscribe.agent_id.value' is '.' or '..'" $AGP \
	'{"type":"SUBSCRIBE","subscribe":{"agent_id":{"value":".."},"agent_info":{"hostname":"h","resources":[]}}}'

# ---- operator API
bad operator-unknown-call 400 "'GET_NOTHING' is not supported" /api/v1 '{"type":"GET_NOTHING"}'
bad weights-not-array 400 "'update_weights.weight_infos' must be an array" /api/v1 \
	'{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":{}}}'
bad weights-negative 400 "weight_infos[1].weight' must be a number" /api/v1 \
	'{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"eng","weight":2},{"role":"ops","weight":-1}]}}'
bad weights-bad-role 400 "weight_infos[0].role'" /api/v1 \
	'{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"../x","weight":2}]}}'
bad weights-role-twice 400 "appears twice" /api/v1 \
	'{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"eng","weight":2},{"role":"eng","weight":3}]}}'
bad drain-unknown-agent 404 "agent 'nobody' is not known" /api/v1 \
	'{"type":"DRAIN_AGENT","drain_agent":{"agent_id":{"value":"nobody"}}}'
bad drain-agent-id-unsafe 400 "drain_agent.agent_id.value' contains '/'" /api/v1 \
	'{"type":"DRAIN_AGENT","drain_agent":{"agent_id":{"value":"a/b"}}}'

# ---- a task that exists: its ID cannot be used again, even after it ended unacknowledged
# (f2 leaves first, so what f1 does not use comes back to f1)
code=$(api_post $SCHED "{\"type\":\"TEARDOWN\",\"framework_id\":{\"value\":\"$F2\"}}" \
	-H "Mesos-Stream-Id: $S2")
check teardown-202 [ "$code" = 202 ]
code=$(api_post $SCHED "$(accept_body "$OFFER" "[$(ti '"live"' "$(res_json 1 100)")]" |
	sed 's/}]}}$/}],"filters":{"refuse_seconds":0}}}/')" -H "$H1")
check accept-valid-202 [ "$code" = 202 ]
wait_json "$AG_OUT" 'select(.type == "LAUNCH") | .launch.task.task_id.value' >/dev/null
OFFER2=$(wait_json "$OUT1" "select(.type == \"OFFERS\") | .offers.offers[0].id.value | select(. != \"$OFFER\")") ||
	fail second-offer
BASE=$(state)
OFFER=$OFFER2
bad task-id-in-use 400 "task 'live' already exists" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"live"' "$(res_json 0.5 10)")]")" -H "$H1"
bad accept-used-offer 400 "is no longer valid" $SCHED \
	"$(accept_body "$(echo "$BASE" | jq -r '.. | .offers? // empty | .[]?.id.value' | grep -v "$OFFER2" | head -1)X" "[$(ti '"t9"' "$(res_json 0.1 10)")]")" -H "$H1"

# ---- a rescinded offer: the operator deactivates the agent, its offers are rescinded
code=$(api_post /api/v1 "{\"type\":\"DEACTIVATE_AGENT\",\"deactivate_agent\":{\"agent_id\":{\"value\":\"$AG_ID\"}}}")
check deactivate-agent-200 [ "$code" = 200 ]
wait_json "$OUT1" "select(.type == \"RESCIND\") | .rescind.offer_id.value | select(. == \"$OFFER\")" >/dev/null
check offer-rescinded-on-deactivate [ $? -eq 0 ]
BASE=$(state)
bad accept-rescinded-offer 400 "offer $OFFER is no longer valid" $SCHED \
	"$(accept_body "$OFFER" "[$(ti '"t3"' "$(res_json 0.5 10)")]")" -H "$H1"

# ---- an expired offer (--offer-timeout): its own master
kill "$MASTER_PID" $BG_PIDS; wait 2>/dev/null
MPORT=$(free_port) BG_PIDS=
start_master --offer-timeout 300ms --allocation-interval 10s --registry "sqlite:$WORK/m2.db" ||
	exit 1
fake_agent a2 "$(res_json 1 512)"
fw_subscribe f3 '{"name":"f3"}'
F1=$FW_ID H1="Mesos-Stream-Id: $FW_SID"
OFFER=$(wait_json "$FW_OUT" 'select(.type == "OFFERS") | .offers.offers[0].id.value')
wait_json "$FW_OUT" "select(.type == \"RESCIND\") | .rescind.offer_id.value | select(. == \"$OFFER\")" >/dev/null
check offer-expired [ $? -eq 0 ]
tasks_before=$(op GET_TASKS)
code=$(api_post $SCHED "$(accept_body "$OFFER" "[$(ti '"t4"' "$(res_json 0.5 10)")]")" -H "$H1")
check accept-expired-offer-400 [ "$code" = 400 ]
check accept-expired-offer-names-field grep -qF "accept.offer_ids[0]'" "$WORK/reply"
check accept-expired-offer-no-task [ "$(op GET_TASKS)" = "$tasks_before" ]
finish
