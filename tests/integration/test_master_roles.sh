# SPDX-License-Identifier: Apache-2.0
# Roles as Mesos has them on the scheduler API: "role" without MULTI_ROLE, "roles" with it
# (several roles: test_master_multi_role.sh); a FrameworkInfo that breaks the rules is answered 200, one ERROR event
# and the stream closed; MULTI_ROLE frameworks get allocation_info on each offer and each of
# its resources, the others on neither; ACCEPT fills in allocation_info where a task's
# resource lacks it and refuses another role's; SUPPRESS/REVIVE by role, suppressed_roles on
# SUBSCRIBE and UPDATE_FRAMEWORK; UPDATE_FRAMEWORK answers 200, or 400 for what it may not
# change. A framework and an agent in shell (curl + jq) drive a real master.
. "$(dirname "$0")/lib.sh"
master_begin

fake_agent a1 "$(res_json 4 4096)" || { fail setup-agent; exit 1; }
AGENT=$AG_ID AGENT_OUT=$AG_OUT
SCHED=/api/v1/scheduler

# ---- invalid FrameworkInfo: 200, ERROR, closed
sub_once() { # FRAMEWORK_INFO [SUBSCRIBE EXTRA]: the whole reply (the stream ends) in $WORK/reply
	api_post $SCHED "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":$1${2:+,$2}}}" --max-time 5
}
error_says() { # TEXT: the reply is one ERROR event saying TEXT
	[ "$(recordio_json "$WORK/reply" | jq -r .type | tr '\n' ' ')" = "ERROR " ] &&
		recordio_json "$WORK/reply" | jq -r .error.message | grep -qF -- "$1"
}
check roles-without-multi-role-200 [ "$(sub_once '{"name":"x","roles":["eng"]}')" = 200 ]
check roles-without-multi-role-error error_says "needs the MULTI_ROLE capability"
check role-with-multi-role-200 [ "$(sub_once '{"name":"x","role":"eng","roles":["eng"],"capabilities":[{"type":"MULTI_ROLE"}]}')" = 200 ]
check role-with-multi-role-error error_says "must not be set with the MULTI_ROLE capability"
sub_once '{"name":"x","roles":["a","b/../c"],"capabilities":[{"type":"MULTI_ROLE"}]}' >/dev/null
check several-roles-each-valid-error error_says "field 'framework_info.roles[1]'"
sub_once '{"name":"x","roles":[],"capabilities":[{"type":"MULTI_ROLE"}]}' >/dev/null
check no-roles-error error_says "must name at least one role"
sub_once '{"name":"x","role":"eng"}' '"suppressed_roles":["ops"]' >/dev/null
check suppressed-role-not-its-own-error error_says "'ops' is not one of the framework's roles"
sub_once '{"name":"x","id":{"value":"never-given-out"}}' >/dev/null
check unknown-framework-id-error error_says "unknown or has been removed"
check no-framework-from-errors [ "$(op GET_FRAMEWORKS | jq '.get_frameworks.frameworks | length')" = 0 ]
check wrong-type-still-400 [ "$(sub_once '{"name":"x","roles":"eng"}')" = 400 ]

# ---- allocation_info: MULTI_ROLE frameworks only
fw_subscribe multi '{"name":"multi","roles":["eng"],"capabilities":[{"type":"MULTI_ROLE"}]}' ||
	{ fail setup-multi; exit 1; }
FM=$FW_ID HM="Mesos-Stream-Id: $FW_SID" OUTM=$FW_OUT
OFFER=$(wait_json "$OUTM" 'select(.type == "OFFERS") | .offers.offers[0].id.value') ||
	{ fail setup-offer; exit 1; }
offer_json() { recordio_json "$OUTM" | jq -c "select(.type == \"OFFERS\") | .offers.offers[] | select(.id.value == \"$OFFER\")"; }
check multi-role-offer-role [ "$(offer_json | jq -r .allocation_info.role)" = eng ]
check multi-role-every-resource-role [ "$(offer_json | jq '[.resources[] | .allocation_info.role == "eng"] | all')" = true ]

# ACCEPT: a resource without allocation_info gets the offer's; another role's is TASK_ERROR
task() { # ID EXTRA_RESOURCE_FIELDS
	echo "{\"name\":\"t\",\"task_id\":{\"value\":\"$1\"},\"agent_id\":{\"value\":\"$AGENT\"},\"command\":{\"value\":\"true\"},\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.5}$2}]}"
}
code=$(api_post $SCHED "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$FM\"},\"accept\":{\"offer_ids\":[{\"value\":\"$OFFER\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$(task m1),$(task m2 ',"allocation_info":{"role":"ops"}')]}}],\"filters\":{\"refuse_seconds\":0}}}" -H "$HM")
check multi-role-accept-202 [ "$code" = 202 ]
check allocation-info-filled-in wait_json "$AGENT_OUT" 'select(.type == "LAUNCH") | .launch.task | select(.task_id.value == "m1") | .resources[0].allocation_info.role'
check allocation-info-filled-in-is-eng [ "$(wait_json "$AGENT_OUT" 'select(.type == "LAUNCH") | .launch.task | select(.task_id.value == "m1") | .resources[0].allocation_info.role')" = eng ]
check other-role-task-error [ "$(wait_json "$OUTM" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "m2") | .state')" = TASK_ERROR ]
check other-role-says-field sh -c "grep -q \"resources\\[0\\].allocation_info.role'\" '$OUTM'"

fw_subscribe plain '{"name":"plain","role":"eng"}' || { fail setup-plain; exit 1; }
FP=$FW_ID HP="Mesos-Stream-Id: $FW_SID" OUTP=$FW_OUT
# ---- per-role SUPPRESS: multi stops, plain gets the agent
code=$(api_post $SCHED "{\"type\":\"SUPPRESS\",\"framework_id\":{\"value\":\"$FM\"},\"suppress\":{\"roles\":[\"ops\"]}}" -H "$HM")
check suppress-other-role-400 [ "$code" = 400 ]
code=$(api_post $SCHED "{\"type\":\"SUPPRESS\",\"framework_id\":{\"value\":\"$FM\"},\"suppress\":{\"roles\":[\"eng\"]}}" -H "$HM")
check suppress-role-202 [ "$code" = 202 ]
check suppressed-in-state [ "$(op GET_FRAMEWORKS | jq -r ".get_frameworks.frameworks[] | select(.framework_info.id.value == \"$FM\") | .suppressed")" = true ]
# what multi holds goes back (suppressed, it is not offered again)
for o in $(op GET_FRAMEWORKS | jq -r ".get_frameworks.frameworks[] | select(.framework_info.id.value == \"$FM\") | .offers[].id.value"); do
	api_post $SCHED "{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"$FM\"},\"decline\":{\"offer_ids\":[{\"value\":\"$o\"}],\"filters\":{\"refuse_seconds\":0}}}" -H "$HM" >/dev/null
done
PLAIN_OFFER=$(wait_json "$OUTP" 'select(.type == "OFFERS") | .offers.offers[0].id.value')
check plain-offered [ -n "$PLAIN_OFFER" ]
check plain-offer-no-allocation-info [ "$(recordio_json "$OUTP" | jq -c 'select(.type == "OFFERS") | .offers.offers[] | [.allocation_info, .resources[].allocation_info] | map(select(. != null)) | length' | sort -u)" = 0 ]
code=$(api_post $SCHED "{\"type\":\"REVIVE\",\"framework_id\":{\"value\":\"$FM\"},\"revive\":{\"roles\":[\"eng\"]}}" -H "$HM")
check revive-role-202 [ "$code" = 202 ]
check revived-in-state [ "$(op GET_FRAMEWORKS | jq -r ".get_frameworks.frameworks[] | select(.framework_info.id.value == \"$FM\") | .suppressed")" = false ]

# ---- UPDATE_FRAMEWORK
upd() { # FRAMEWORK_INFO [EXTRA]
	api_post $SCHED "{\"type\":\"UPDATE_FRAMEWORK\",\"framework_id\":{\"value\":\"$FP\"},\"update_framework\":{\"framework_info\":$1${2:+,$2}}}" -H "$HP"
}
code=$(upd "{\"name\":\"renamed\",\"role\":\"eng\",\"id\":{\"value\":\"$FP\"}}" '"suppressed_roles":["eng"]')
check update-framework-200 [ "$code" = 200 ] || cat "$WORK/reply"
fwinfo() { op GET_FRAMEWORKS | jq -r ".get_frameworks.frameworks[] | select(.framework_info.id.value == \"$FP\") | $1"; }
check update-framework-renamed [ "$(fwinfo .framework_info.name)" = renamed ]
check update-framework-suppressed [ "$(fwinfo .suppressed)" = true ]
code=$(upd "{\"name\":\"renamed\",\"role\":\"eng\",\"id\":{\"value\":\"$FP\"}}")
check update-framework-no-suppressed-roles-revives [ "$(fwinfo .suppressed)" = false ]
code=$(upd "{\"name\":\"x\",\"role\":\"ops\",\"id\":{\"value\":\"$FP\"}}")
check update-framework-role-change-400 [ "$code" = 400 ]
code=$(upd "{\"name\":\"x\",\"role\":\"eng\",\"id\":{\"value\":\"$FM\"}}")
check update-framework-id-mismatch-400 [ "$code" = 400 ]
code=$(upd "{\"name\":\"x\",\"role\":\"eng\",\"id\":{\"value\":\"$FP\"}}" '"suppressed_roles":["ops"]')
check update-framework-suppressed-other-role-400 [ "$code" = 400 ]
check update-framework-refusals-change-nothing [ "$(fwinfo .framework_info.name)" = renamed ]

# ---- suppressed_roles on SUBSCRIBE: the framework starts suppressed
: >"$WORK/quiet.stream"
curl -s -N -X POST -H 'Content-Type: application/json' \
	-d '{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"quiet","role":"eng"},"suppressed_roles":["eng"]}}' \
	"http://$MASTER/api/v1/scheduler" >"$WORK/quiet.stream" 2>/dev/null &
BG_PIDS="$BG_PIDS $!"
QID=$(wait_json "$WORK/quiet.stream" 'select(.type == "SUBSCRIBED") | .subscribed.framework_id.value')
check subscribe-suppressed [ "$(op GET_FRAMEWORKS | jq -r ".get_frameworks.frameworks[] | select(.framework_info.id.value == \"$QID\") | .suppressed")" = true ]
finish
