# SPDX-License-Identifier: Apache-2.0
# A MULTI_ROLE framework in several roles, as Mesos has it: offers for each role (each offer
# and each of its resources carry allocation_info.role), one ACCEPT may not mix roles, a task
# launched from an offer is allocated to (and charged to) that offer's role, SUPPRESS and
# REVIVE act per role, a decline filters the agent in the offer's role only,
# UPDATE_FRAMEWORK changes the role set (a role left: its offers rescinded, its tasks still
# charged to it; a role joined: offered), suppressed_roles at SUBSCRIBE. A framework and two
# agents in shell (curl + jq) drive a real master.
. "$(dirname "$0")/lib.sh"
ACLS=/tmp/multi-role-acls.$$.json
echo '{"register_frameworks": [{"principals": "ANY", "roles": ["secret"], "allow": false}]}' >"$ACLS"
master_begin --agent-ping-timeout 1h --acls "$ACLS" # (the agents in shell answer no pings)

fake_agent a1 "$(res_json 4 4096)" || { fail setup-agent-1; exit 1; }
A1=$AG_ID A1_OUT=$AG_OUT
fake_agent a2 "$(res_json 4 4096)" || { fail setup-agent-2; exit 1; }
A2=$AG_ID
SCHED=/api/v1/scheduler
MULTI='"capabilities":[{"type":"MULTI_ROLE"}]'

# ---- register_frameworks is checked for every role
sub_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST -H 'Content-Type: application/json' \
	-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":$1}}" "http://$MASTER/api/v1/scheduler"; }
check secret-second-role-403 [ "$(sub_code "{\"name\":\"x\",\"roles\":[\"a\",\"secret\"],$MULTI}")" = 403 ]

# ---- two roles, offers for each
fw_subscribe multi "{\"name\":\"multi\",\"roles\":[\"a\",\"b\"],$MULTI}" || { fail setup-subscribe; exit 1; }
FM=$FW_ID H="Mesos-Stream-Id: $FW_SID" OUT=$FW_OUT
call() { # TYPE BODY_FIELD_JSON: a call of the framework, prints the status code
	_t=$(echo "$1" | tr 'A-Z' 'a-z')
	api_post $SCHED "{\"type\":\"$1\",\"framework_id\":{\"value\":\"$FM\"},\"$_t\":$2}" -H "$H"
}
fwstate() { op GET_FRAMEWORKS | jq -c ".get_frameworks.frameworks[] | select(.framework_info.id.value == \"$FM\") | $1"; }
# the framework's outstanding offers' roles, sorted and unique ("a b")
held_roles() { fwstate '[.offers[].allocation_info.role] | unique | join(" ")' | tr -d '"'; }
# an outstanding offer of ROLE (its id)
offer_of() { fwstate ".offers[] | select(.allocation_info.role == \"$1\") | .id.value" | tr -d '"' | head -1; }
decline_all() { # REFUSE_SECONDS
	for _o in $(fwstate '.offers[].id.value' | tr -d '"'); do
		call DECLINE "{\"offer_ids\":[{\"value\":\"$_o\"}],\"filters\":{\"refuse_seconds\":$1}}" >/dev/null
	done
}
roles_are() { [ "$(held_roles)" = "$1" ]; }

check state-lists-both-roles [ "$(fwstate '.framework_info.roles | join(",")' | tr -d '"')" = "a,b" ]
WAIT_S=10 wait_for roles_are "a b"
check offered-in-both-roles [ "$(held_roles)" = "a b" ]
for r in a b; do
	check "offer-$r-every-resource-role" [ "$(recordio_json "$OUT" | jq -c "select(.type == \"OFFERS\") | .offers.offers[] | select(.allocation_info.role == \"$r\") | [.resources[].allocation_info.role == \"$r\"] | all" | sort -u)" = true ]
done
check get-roles-lists-framework-in-a [ "$(op GET_ROLES | jq -r ".get_roles.roles[] | select(.name == \"a\") | .frameworks[].value")" = "$FM" ]
check get-roles-lists-framework-in-b [ "$(op GET_ROLES | jq -r ".get_roles.roles[] | select(.name == \"b\") | .frameworks[].value")" = "$FM" ]

# ---- one ACCEPT of offers of two roles: refused as Mesos does (TASK_LOST, invalid offers)
task() { # ID AGENT CPUS
	echo "{\"name\":\"t\",\"task_id\":{\"value\":\"$1\"},\"agent_id\":{\"value\":\"$2\"},\"command\":{\"value\":\"true\"},\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":$3}}]}"
}
OA=$(offer_of a) OB=$(offer_of b)
AG_A=$(fwstate ".offers[] | select(.id.value == \"$OA\") | .agent_id.value" | tr -d '"')
code=$(call ACCEPT "{\"offer_ids\":[{\"value\":\"$OA\"},{\"value\":\"$OB\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$(task mixed "$AG_A" 0.5)]}}]}")
check mixed-roles-accept-202 [ "$code" = 202 ]
check mixed-roles-task-lost [ "$(wait_json "$OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "mixed") | .state + " " + .reason')" = "TASK_LOST REASON_INVALID_OFFERS" ]
check mixed-roles-says-role sh -c "grep -q 'allocated to one role' '$OUT'"

# ---- a task in each role: allocated to the offer's role
WAIT_S=10 wait_for roles_are "a b"
for r in a b; do
	o=$(offer_of $r)
	ag=$(fwstate ".offers[] | select(.id.value == \"$o\") | .agent_id.value" | tr -d '"')
	code=$(call ACCEPT "{\"offer_ids\":[{\"value\":\"$o\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$(task "t$r" "$ag" 0.5)]}}],\"filters\":{\"refuse_seconds\":0}}")
	check "accept-in-$r-202" [ "$code" = 202 ]
	eval "AGENT_OF_$r=$ag"
done
launched_role() { # TASK: the role of the LAUNCH its agent got
	cat "$WORK"/agent-a*.stream >"$WORK/agents.all"
	wait_json "$WORK/agents.all" "select(.type == \"LAUNCH\") | .launch.task | select(.task_id.value == \"$1\") | .resources[0].allocation_info.role"
}
check task-a-allocated-to-a [ "$(launched_role ta)" = a ]
check task-b-allocated-to-b [ "$(launched_role tb)" = b ]

# ---- SUPPRESS role a: only b offered; REVIVE a: a again
code=$(call SUPPRESS '{"roles":["c"]}')
check suppress-unknown-role-400 [ "$code" = 400 ]
code=$(call SUPPRESS '{"roles":["a"]}')
check suppress-a-202 [ "$code" = 202 ]
decline_all 0
WAIT_S=10 wait_for roles_are "b"
sleep 1 # (five allocation intervals)
check suppressed-a-offers-only-b [ "$(held_roles)" = "b" ]
check one-role-suppressed-is-not-suppressed [ "$(fwstate .suppressed)" = false ]
# both suppressed: what each role holds is its task (0.5 cpus), charged to it
code=$(call SUPPRESS '{"roles":["b"]}')
decline_all 0
WAIT_S=5 wait_for roles_are ""
check both-suppressed [ "$(fwstate .suppressed)" = true ]
role_cpus() { op GET_ROLES | jq -r ".get_roles.roles[] | select(.name == \"$1\") | .allocated[] | select(.name == \"cpus\") | .scalar.value"; }
check role-a-charged-its-task [ "$(role_cpus a)" = 0.5 ]
check role-b-charged-its-task [ "$(role_cpus b)" = 0.5 ]
# quota consumption per role: a's tasks hold 0.5 cpus (tb is b's), so a limit of 0.75 fits
quota() { api_post /api/v1 "{\"type\":\"UPDATE_QUOTA\",\"update_quota\":{\"quota_configs\":[{\"role\":\"a\"$1}]}}"; }
check quota-a-below-its-task-400 [ "$(quota ',"limits":{"cpus":{"value":0.25}}')" = 400 ]
check quota-a-above-its-task-200 [ "$(quota ',"limits":{"cpus":{"value":0.75}}')" = 200 ]
check quota-a-removed-200 [ "$(quota '')" = 200 ]
code=$(call REVIVE '{"roles":["a"]}')
check revive-a-202 [ "$code" = 202 ]
WAIT_S=10 wait_for roles_are "a"
check revived-a-offered [ "$(held_roles)" = "a" ]

# ---- a decline filters the agent in the offer's role only
code=$(call REVIVE '{"roles":["b"]}')
WAIT_S=10 wait_for roles_are "a b"
decline_all 0
sleep 0.5
# decline every role-a offer for a long time: b may take those agents, a gets nothing
for i in 1 2 3 4 5 6; do
	for o in $(fwstate '.offers[] | select(.allocation_info.role == "a") | .id.value' | tr -d '"'); do
		call DECLINE "{\"offer_ids\":[{\"value\":\"$o\"}],\"filters\":{\"refuse_seconds\":600}}" >/dev/null
	done
	sleep 0.3
done
check filter-in-a-not-in-b [ "$(held_roles)" = "b" ]
check b-holds-both-agents [ "$(fwstate '[.offers[].agent_id.value] | unique | length')" = 2 ]
code=$(call REVIVE '{"roles":["a"]}') # clears a's filters
decline_all 0
WAIT_S=10 wait_for roles_are "a b"
check revive-clears-a-filters [ "$(held_roles)" = "a b" ]

# ---- UPDATE_FRAMEWORK: leave a (its offers rescinded, its task still charged), join c
upd() { # ROLES_JSON [EXTRA]
	call UPDATE_FRAMEWORK "{\"framework_info\":{\"name\":\"multi\",\"id\":{\"value\":\"$FM\"},\"roles\":$1,$MULTI}${2:+,$2}}"
}
OA=$(offer_of a)
code=$(upd '["b"]')
check update-leave-a-200 [ "$code" = 200 ] || cat "$WORK/reply"
check left-a-offer-rescinded [ "$(wait_json "$OUT" "select(.type == \"RESCIND\") | .rescind.offer_id.value | select(. == \"$OA\")")" = "$OA" ]
check left-a-state-roles [ "$(fwstate '.framework_info.roles | join(",")' | tr -d '"')" = b ]
check left-a-no-a-offers [ "$(fwstate '[.offers[] | select(.allocation_info.role == "a")] | length')" = 0 ]
check left-a-task-still-charged [ "$(role_cpus a)" = 0.5 ]
check left-a-task-still-there [ "$(op GET_TASKS | jq -r "[.get_tasks.tasks[] | select(.framework_id.value == \"$FM\") | .task_id.value] | sort | join(\",\")")" = "ta,tb" ]
decline_all 0
sleep 1
check left-a-offers-only-b [ "$(held_roles)" = "b" ]
code=$(upd '["b","c"]' '"suppressed_roles":["b"]')
check update-join-c-200 [ "$code" = 200 ]
decline_all 0
WAIT_S=10 wait_for roles_are "c"
check joined-c-offered-b-suppressed [ "$(held_roles)" = "c" ]
check joined-c-in-get-roles [ "$(op GET_ROLES | jq -r ".get_roles.roles[] | select(.name == \"c\") | .frameworks[].value")" = "$FM" ]
code=$(upd '["b","c","secret"]')
check update-join-secret-403 [ "$code" = 403 ]
check update-join-secret-changes-nothing [ "$(fwstate '.framework_info.roles | join(",")' | tr -d '"')" = "b,c" ]
code=$(upd '"b"')
check update-roles-not-array-400 [ "$code" = 400 ]
code=$(upd '["b","b"]')
check update-roles-twice-400 [ "$code" = 400 ]

# ---- SUBSCRIBE with suppressed_roles: those roles start suppressed
: >"$WORK/quiet.stream"
curl -s -N -X POST -H 'Content-Type: application/json' \
	-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"name\":\"quiet\",\"roles\":[\"x\",\"y\"],$MULTI},\"suppressed_roles\":[\"x\"]}}" \
	"http://$MASTER/api/v1/scheduler" >"$WORK/quiet.stream" 2>/dev/null &
BG_PIDS="$BG_PIDS $!"
QID=$(wait_json "$WORK/quiet.stream" 'select(.type == "SUBSCRIBED") | .subscribed.framework_id.value')
# (the agents are the other framework's until it answers: it declines them for a while)
for o in $(fwstate '.offers[].id.value' | tr -d '"'); do
	call DECLINE "{\"offer_ids\":[{\"value\":\"$o\"}],\"filters\":{\"refuse_seconds\":600}}" >/dev/null
done
check quiet-offered-in-y [ "$(wait_json "$WORK/quiet.stream" 'select(.type == "OFFERS") | .offers.offers[0].allocation_info.role')" = y ]
check quiet-never-offered-x [ "$(recordio_json "$WORK/quiet.stream" | jq -r 'select(.type == "OFFERS") | .offers.offers[].allocation_info.role' | sort -u)" = y ]

# ---- a restart keeps the roles (from the registry); a failover may change them
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
echo "---- restart" >>"$WORK/master.log"
"$BIN/drover-master" --listen "$MASTER" --work-dir "$WORK/master" --allocation-interval 200ms \
	--agent-ping-timeout 1h --acls "$ACLS" >>"$WORK/master.log" 2>&1 &
MASTER_PID=$!
WAIT_S=10 wait_for curl -sf -o /dev/null "http://$MASTER/health"
not_in_role_a() { ! in_role a; }
in_role() { op GET_ROLES | jq -r ".get_roles.roles[] | select(.name == \"$1\") | .frameworks[].value" | grep -qx "$FM"; }
check restart-roles-kept [ "$(fwstate '.framework_info.roles | join(",")' | tr -d '"')" = "b,c" ]
check restart-in-role-b in_role b
check restart-in-role-c in_role c
# the agent of task ta (role a, which the framework has left) comes back with it: the task is
# charged to role a again, where the framework is offered nothing
if [ "$AGENT_OF_a" = "$A1" ]; then AG_A_NAME=a1; else AG_A_NAME=a2; fi
reported="[{\"task_id\":{\"value\":\"ta\"},\"framework_id\":{\"value\":\"$FM\"},\"agent_id\":{\"value\":\"$AGENT_OF_a\"},\"name\":\"t\",\"state\":\"TASK_RUNNING\",\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.5},\"allocation_info\":{\"role\":\"a\"}}]}]"
: >"$WORK/back.stream"
curl -s -N -X POST -H 'Content-Type: application/json' \
	-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_info\":{\"hostname\":\"$AG_A_NAME\",\"resources\":$(res_json 4 4096)},\"agent_id\":{\"value\":\"$AGENT_OF_a\"},\"tasks\":$reported}}" \
	"http://$MASTER/api/v1/agent" >"$WORK/back.stream" 2>/dev/null &
BG_PIDS="$BG_PIDS $!"
wait_json "$WORK/back.stream" 'select(.type == "SUBSCRIBED") | .subscribed.agent_id.value' >/dev/null
a_charged() { [ "$(role_cpus a)" = 0.5 ]; }
check restart-left-role-task-charged-to-it wait_for a_charged
check restart-left-role-not-listed not_in_role_a
fw_subscribe again "{\"name\":\"multi\",\"id\":{\"value\":\"$FM\"},\"roles\":[\"c\",\"d\"],$MULTI}" ||
	fail failover-subscribe
check failover-same-id [ "$FW_ID" = "$FM" ]
check failover-roles-changed [ "$(fwstate '.framework_info.roles | join(",")' | tr -d '"')" = "c,d" ]
check failover-in-role-d in_role d
not_in_role() { ! in_role "$1"; }
check failover-left-b not_in_role b
rm -f "$ACLS"
finish
