# SPDX-License-Identifier: Apache-2.0
# Authorization (docs/security.md): --acls with --credentials. Who may register frameworks
# in which roles, run tasks as which users, register and drain agents, read and change
# operator state, kill and tear down; 403 naming the rule; the default without a file
# (everything but tasks as root); a bad file stops the master with the field named.
# Frameworks and agents are curl: no root needed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
need_jq
WORK=$(mktemp -d /tmp/drover-sec.XXXXXX)
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	stop_pid "$MASTER_PID"
	rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/creds.json" <<'J'
{"credentials": [{"principal": "fw1", "secret": "s-fw1"}, {"principal": "fw2", "secret": "s-fw2"},
 {"principal": "agent", "secret": "s-agent"}, {"principal": "ops", "secret": "s-ops"}]}
J
cat >"$WORK/acls.json" <<'J'
{"permissive": false,
 "register_frameworks": [{"principals": ["fw1"], "roles": ["eng"]},
                         {"principals": ["fw2"], "roles": ["eng", "prod"]}],
 "run_tasks": [{"principals": ["fw1"], "users": ["nobody"]}],
 "register_agents": [{"principals": ["agent"], "agents": "ANY"}],
 "view": [{"principals": ["ops"], "calls": "ANY"}],
 "update_weights": [{"principals": ["ops"], "roles": ["eng"]}],
 "drain_agents": [{"principals": ["ops"], "agents": ["h1"]}],
 "kill_tasks": [{"principals": "ANY", "framework_principals": ["fw1"]}],
 "teardown_frameworks": [{"principals": ["fw2"], "framework_principals": ["fw2"]}]}
J

# ---- a bad ACL file stops the master, naming the field
echo '{"run_tasks": [{"principals": "ANY", "user": ["x"]}]}' >"$WORK/bad.json"
"$BIN/drover-master" --listen 127.0.0.1:$(free_port) --work-dir "$WORK/mbad" \
	--acls "$WORK/bad.json" >"$WORK/bad.log" 2>&1
check bad-acls-refused [ $? -ne 0 ]
check bad-acls-names-field grep -q "run_tasks\[0\]: unknown field 'user'" "$WORK/bad.log"

run_master "$WORK/m.log" --credentials "$WORK/creds.json" --acls "$WORK/acls.json" ||
	{ cat "$WORK/m.log"; exit 1; }

post() { # PRINCIPAL PATH BODY [curl args]: the status; the body in $WORK/reply
	_u=$1 _p=$2 _b=$3
	shift 3
	status_of -u "$_u:s-$_u" -X POST -H 'Content-Type: application/json' "$@" -d "$_b" \
		"http://$MASTER$_p"
}
subscribe() { # PRINCIPAL NAME ROLE: stream in $WORK/NAME.stream; FW_ID, FW_SID
	: >"$WORK/$2.stream"
	curl -s -N -u "$1:s-$1" -D "$WORK/$2.hdrs" -X POST -H 'Content-Type: application/json' \
		-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"name\":\"$2\",\"role\":\"$3\"}}}" \
		"http://$MASTER/api/v1/scheduler" >"$WORK/$2.stream" 2>/dev/null &
	PIDS="$PIDS $!"
	FW_ID=$(wait_json "$WORK/$2.stream" 'select(.type == "SUBSCRIBED") | .subscribed.framework_id.value') ||
		return 1
	FW_SID=$(header_value "$WORK/$2.hdrs" Mesos-Stream-Id)
}
agent() { # PRINCIPAL HOSTNAME: AG_ID
	: >"$WORK/ag-$2.stream"
	curl -s -N -u "$1:s-$1" -X POST -H 'Content-Type: application/json' \
		-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_info\":{\"hostname\":\"$2\",\"resources\":$(res_json 2 1024)}}}" \
		"http://$MASTER/api/v1/agent" >"$WORK/ag-$2.stream" 2>/dev/null &
	PIDS="$PIDS $!"
	AG_ID=$(wait_json "$WORK/ag-$2.stream" 'select(.type == "SUBSCRIBED") | .subscribed.agent_id.value')
}

# ---- agents
code=$(post fw1 /api/v1/agent "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_info\":{\"hostname\":\"h9\",\"resources\":$(res_json 1 64)}}}")
check register-agent-denied-403 [ "$code" = 403 ]
check register-agent-403-names-rule grep -q "register_agents.*explicit rule" "$WORK/reply"
agent agent h1
H1=$AG_ID
check register-agent-allowed [ -n "$H1" ]
agent agent h2
H2=$AG_ID

# ---- frameworks and roles
sub='{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"x","role":"prod"}}}'
code=$(post fw1 /api/v1/scheduler "$sub" --max-time 3)
check role-denied-403 [ "$code" = 403 ]
check role-403-names-action grep -q "may not register_frameworks with roles 'prod'" "$WORK/reply"
code=$(post ops /api/v1/scheduler "$sub" --max-time 3)
check unlisted-principal-403 [ "$code" = 403 ]
subscribe fw1 f1 eng
check role-allowed [ -n "$FW_ID" ]
F1=$FW_ID F1_SID=$FW_SID

# ---- run_tasks: as whom
OFFER=$(wait_json "$WORK/f1.stream" 'select(.type == "OFFERS") | .offers.offers[0].id.value')
AGENT_OF=$(recordio_json "$WORK/f1.stream" | jq -r 'select(.type == "OFFERS") | .offers.offers[] | select(.id.value == "'"$OFFER"'") | .agent_id.value' | head -1)
task() { # USER TASK: a TaskInfo running as USER
	_cmd="{\"value\":\"true\"${1:+,\"user\":\"$1\"}}"
	echo "{\"name\":\"$2\",\"task_id\":{\"value\":\"$2\"},\"agent_id\":{\"value\":\"$AGENT_OF\"},\"resources\":$(res_json 0.1 32),\"command\":$_cmd}"
}
# a task of the framework's own executor runs as the executor's command's user: that is the
# user authorized (not the framework's)
exec_task() { # USER TASK
	echo "{\"name\":\"$2\",\"task_id\":{\"value\":\"$2\"},\"agent_id\":{\"value\":\"$AGENT_OF\"},\"resources\":$(res_json 0.1 32),\"executor\":{\"executor_id\":{\"value\":\"e-$2\"},\"command\":{\"value\":\"true\",\"user\":\"$1\"}}}"
}
# one ACCEPT: the tasks not allowed get TASK_ERROR (REASON_TASK_UNAUTHORIZED, as Mesos), the
# allowed one launches
code=$(post fw1 /api/v1/scheduler "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$F1\"},\"accept\":{\"offer_ids\":[{\"value\":\"$OFFER\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$(task root t-root),$(task daemon t-daemon),$(exec_task root t-exec-root),$(task nobody t-nobody)]}}]}}" \
	-H "Mesos-Stream-Id: $F1_SID")
check run-tasks-accept-202 [ "$code" = 202 ]
refusal() { # TASK FIELD
	wait_json "$WORK/f1.stream" "select(.type == \"UPDATE\") | .update.status | select(.task_id.value == \"$1\") | .$2"
}
check run-as-root-unauthorized [ "$(refusal t-root reason)" = REASON_TASK_UNAUTHORIZED ]
check run-as-root-task-error [ "$(refusal t-root state)" = TASK_ERROR ]
check run-as-root-says-root sh -c "grep -q \"run_tasks with users 'root'\" '$WORK/f1.stream'"
check run-as-other-user-unauthorized [ "$(refusal t-daemon reason)" = REASON_TASK_UNAUTHORIZED ]
check run-executor-as-root-unauthorized [ "$(refusal t-exec-root reason)" = REASON_TASK_UNAUTHORIZED ]
post ops /api/v1 '{"type":"GET_TASKS"}' >/dev/null
check run-as-allowed-user-launched [ "$(jq -r '.get_tasks.tasks[].task_id.value' "$WORK/reply" | tr '\n' ' ')" = "t-nobody " ]

# ---- kill (allowed for fw1's tasks), teardown (only fw2 its own)
code=$(post fw1 /api/v1/scheduler "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"$F1\"},\"kill\":{\"task_id\":{\"value\":\"t-nobody\"}}}" -H "Mesos-Stream-Id: $F1_SID")
check kill-allowed-202 [ "$code" = 202 ]
code=$(post fw1 /api/v1/scheduler "{\"type\":\"TEARDOWN\",\"framework_id\":{\"value\":\"$F1\"}}" -H "Mesos-Stream-Id: $F1_SID")
check teardown-denied-403 [ "$code" = 403 ]
check teardown-403-names-action grep -q "teardown_frameworks" "$WORK/reply"
# another principal cannot use fw1's stream id
code=$(post fw2 /api/v1/scheduler "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"$F1\"},\"kill\":{\"task_id\":{\"value\":\"t-nobody\"}}}" -H "Mesos-Stream-Id: $F1_SID")
check other-principal-call-403 [ "$code" = 403 ]

# ---- operator: view, weights, drain
code=$(post fw1 /api/v1 '{"type":"GET_STATE"}')
check view-denied-403 [ "$code" = 403 ]
check view-403-names-call grep -q "view with calls 'GET_STATE'" "$WORK/reply"
code=$(post ops /api/v1 '{"type":"GET_STATE"}')
check view-allowed-200 [ "$code" = 200 ]
check metrics-denied-for-fw1 [ "$(status_of -u fw1:s-fw1 "http://$MASTER/metrics")" = 403 ]
check metrics-allowed-for-ops [ "$(status_of -u ops:s-ops "http://$MASTER/metrics")" = 200 ]
w='{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"eng","weight":2},{"role":"prod","weight":3}]}}'
code=$(post ops /api/v1 "$w")
check weights-partly-denied-403 [ "$code" = 403 ]
code=$(post ops /api/v1 '{"type":"GET_WEIGHTS"}')
check weights-read-200 [ "$code" = 200 ]
check weights-unchanged-after-403 jq -e '.type == "GET_WEIGHTS" and (.get_weights.weight_infos | type == "array" and all(.[]; .weight != 2 and .weight != 3))' "$WORK/reply"
code=$(post ops /api/v1 '{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"eng","weight":2}]}}')
check weights-allowed-200 [ "$code" = 200 ]
post ops /api/v1 '{"type":"GET_WEIGHTS"}' >/dev/null
check weights-read-shows-update jq -e 'any(.get_weights.weight_infos[]; .role == "eng" and .weight == 2)' "$WORK/reply"
code=$(post ops /api/v1 "{\"type\":\"DEACTIVATE_AGENT\",\"deactivate_agent\":{\"agent_id\":{\"value\":\"$H2\"}}}")
check drain-h2-denied-403 [ "$code" = 403 ]
code=$(post ops /api/v1 "{\"type\":\"DEACTIVATE_AGENT\",\"deactivate_agent\":{\"agent_id\":{\"value\":\"$H1\"}}}")
check drain-h1-allowed-200 [ "$code" = 200 ]
code=$(post fw2 /api/v1 "{\"type\":\"REACTIVATE_AGENT\",\"reactivate_agent\":{\"agent_id\":{\"value\":\"$H1\"}}}")
check drain-by-other-403 [ "$code" = 403 ]

for p in $PIDS; do kill "$p" 2>/dev/null; done
PIDS=
stop_pid "$MASTER_PID"

# ---- no ACL file, no credentials: everything is allowed but tasks as root
run_master "$WORK/m2.log" || { cat "$WORK/m2.log"; exit 1; }
fake_agent h1 "$(res_json 2 1024)"
PIDS="$PIDS $AG_PID"
fw_subscribe d '{"name":"d","user":"root"}'
PIDS="$PIDS $FW_PID"
OFFER=$(wait_json "$FW_OUT" 'select(.type == "OFFERS") | .offers.offers[0].id.value')
task='{"name":"r","task_id":{"value":"r"},"agent_id":{"value":"'"$AG_ID"'"},"resources":'"$(res_json 0.1 32)"',"command":{"value":"true"}}'
task2='{"name":"n","task_id":{"value":"n"},"agent_id":{"value":"'"$AG_ID"'"},"resources":'"$(res_json 0.1 32)"',"command":{"value":"true","user":"nobody"}}'
code=$(api_post /api/v1/scheduler "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$FW_ID\"},\"accept\":{\"offer_ids\":[{\"value\":\"$OFFER\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$task,$task2]}}]}}" -H "Mesos-Stream-Id: $FW_SID")
check default-accept-202 [ "$code" = 202 ]
check default-framework-user-root-unauthorized [ "$(wait_json "$FW_OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "r") | .reason')" = REASON_TASK_UNAUTHORIZED ]
check default-root-says-default sh -c "grep -q 'never allowed by default' '$FW_OUT'"
check default-other-user-launched [ "$(operator GET_TASKS | jq -r '.get_tasks.tasks[].task_id.value')" = n ]
check default-operator-open [ "$(operator GET_STATE | jq -r 'has("get_state")')" = true ]
finish
