# SPDX-License-Identifier: Apache-2.0
# ACCEPT as Mesos answers it: a call that parses is 202 and each task's fate is a status
# update from the master. Invalid offers: TASK_LOST (TASK_DROPPED for PARTITION_AWARE) with
# REASON_INVALID_OFFERS, the framework's offers named going back to the pool at once. Valid
# offers but a bad task: TASK_ERROR with REASON_TASK_INVALID (REASON_TASK_UNAUTHORIZED for
# ACLs) and a message naming the field; the other tasks of the call still launch. TaskInfo
# fields Drover does not carry out (executor, container of another type, check...) are
# refused so, never accepted and ignored. Only a call that does not parse is 400.
# A framework and an agent in shell (curl + jq) drive a real master.
. "$(dirname "$0")/lib.sh"
echo '{"run_tasks": [{"principals": "ANY", "users": ["forbidden"], "allow": false}]}' \
	>"/tmp/sem-acls.$$.json"
master_begin --acls "/tmp/sem-acls.$$.json"
rm -f "/tmp/sem-acls.$$.json"

fake_agent a1 "$(res_json 4 4096)" || { fail setup-agent; exit 1; }
AGENT=$AG_ID AGENT_OUT=$AG_OUT
fw_subscribe lost '{"name":"lost"}' || { fail setup-fw; exit 1; }
F1=$FW_ID H1="Mesos-Stream-Id: $FW_SID" OUT1=$FW_OUT
fw_subscribe aware '{"name":"aware","capabilities":[{"type":"PARTITION_AWARE"}]}' ||
	{ fail setup-fw2; exit 1; }
F2=$FW_ID H2="Mesos-Stream-Id: $FW_SID" OUT2=$FW_OUT
# offers go to f1 only: what this test expects to be offered again is offered to it
[ "$(api_post /api/v1/scheduler "{\"type\":\"SUPPRESS\",\"framework_id\":{\"value\":\"$F2\"}}" -H "$H2")" = 202 ] ||
	{ fail setup-suppress; exit 1; }

# ti TASK_ID [EXTRA_JSON_FIELDS] [CPUS]: a TaskInfo for the agent
ti() {
	echo "{\"name\":\"t\",\"task_id\":{\"value\":\"$1\"},\"agent_id\":{\"value\":\"$AGENT\"},\"command\":{\"value\":\"true\"},\"resources\":$(res_json "${3:-0.1}" 32)${2:+,$2}}"
}
ids() { printf '{"value":"%s"},' "$@" | sed 's/,$//'; }
# accept FW HEADER TASK_INFOS OFFER...: prints the HTTP code
accept() {
	_f=$1 _h=$2 _t=$3
	shift 3
	api_post /api/v1/scheduler "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$_f\"},\"accept\":{\"offer_ids\":[$(ids "$@")],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$_t]}}],\"filters\":{\"refuse_seconds\":0}}}" -H "$_h"
}
# status OUT TASK_ID FIELD: FIELD of the last update about TASK_ID on stream OUT
status() {
	wait_json "$1" "select(.type == \"UPDATE\") | .update.status | select(.task_id.value == \"$2\") | .$3"
}
# offer OUT: an offer of the agent on stream OUT not yet used here (in $WORK/used)
offer() {
	_n=100
	while [ $_n -gt 0 ]; do
		for _o in $(recordio_json "$1" | jq -r "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$AGENT\") | .id.value"); do
			grep -qx -- "$_o" "$WORK/used" 2>/dev/null && continue
			echo "$_o" >>"$WORK/used"
			echo "$_o"
			return 0
		done
		sleep 0.05
		_n=$((_n - 1))
	done
	return 1
}
outstanding() { # FW_NAME: that framework's offers the master holds
	op GET_STATE | jq "[.get_state.get_frameworks.frameworks[] | select(.framework_info.name == \"$1\") | .offers[]] | length"
}
launched() { grep -q "\"value\":\"$1\"" "$AGENT_OUT"; }

# ---- KILL and explicit reconciliation of unknown tasks (Mesos's table)
agent_part() { [ -z "${1:-}" ] || printf ',"agent_id":{"value":"%s"}' "$1"; }
kill_unknown() { # FW HEADER TASK [AGENT]
	api_post /api/v1/scheduler "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"$1\"},\"kill\":{\"task_id\":{\"value\":\"$3\"}$(agent_part "${4:-}")}}" -H "$2"
}
reconcile() { # FW HEADER TASK [AGENT]
	api_post /api/v1/scheduler "{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"$1\"},\"reconcile\":{\"tasks\":[{\"task_id\":{\"value\":\"$3\"}$(agent_part "${4:-}")}]}}" -H "$2"
}
code=$(kill_unknown "$F2" "$H2" nobody-1)
check kill-unknown-202 [ "$code" = 202 ]
check kill-unknown-task-unknown [ "$(status "$OUT2" nobody-1 state)" = TASK_UNKNOWN ]
check kill-unknown-reason [ "$(status "$OUT2" nobody-1 reason)" = REASON_RECONCILIATION ]
reconcile "$F2" "$H2" nobody-2 "$AGENT" >/dev/null
check reconcile-registered-agent-gone [ "$(status "$OUT2" nobody-2 state)" = TASK_GONE ]
reconcile "$F2" "$H2" nobody-3 no-such-agent >/dev/null
check reconcile-unknown-agent-unknown [ "$(status "$OUT2" nobody-3 state)" = TASK_UNKNOWN ]
reconcile "$F1" "$H1" nobody-4 "$AGENT" >/dev/null
check reconcile-not-partition-aware-lost [ "$(status "$OUT1" nobody-4 state)" = TASK_LOST ]
# ---- invalid offers: 202, TASK_LOST / TASK_DROPPED, REASON_INVALID_OFFERS, SOURCE_MASTER
code=$(accept "$F1" "$H1" "$(ti gone-1)" 00000000-dead-O1)
check unknown-offer-202 [ "$code" = 202 ]
check unknown-offer-task-lost [ "$(status "$OUT1" gone-1 state)" = TASK_LOST ]
check unknown-offer-reason [ "$(status "$OUT1" gone-1 reason)" = REASON_INVALID_OFFERS ]
check unknown-offer-source [ "$(status "$OUT1" gone-1 source)" = SOURCE_MASTER ]
check unknown-offer-no-uuid [ "$(status "$OUT1" gone-1 'uuid // "none"')" = none ]
code=$(accept "$F2" "$H2" "$(ti gone-2)" 00000000-dead-O2)
check unknown-offer-aware-202 [ "$code" = 202 ]
check unknown-offer-aware-dropped [ "$(status "$OUT2" gone-2 state)" = TASK_DROPPED ]
code=$(accept "$F2" "$H2" "$(ti gone-3)")
check offer-list-empty-202 [ "$code" = 202 ]
check offer-list-empty-reason [ "$(status "$OUT2" gone-3 reason)" = REASON_INVALID_OFFERS ]

# a valid offer named with an unknown one: the valid one goes back at once, no filter
O=$(offer "$OUT1") || { fail setup-offer "f1 got no offer"; exit 1; }
code=$(accept "$F1" "$H1" "$(ti mixed-1)" "$O" 00000000-dead-O3)
check mixed-offers-202 [ "$code" = 202 ]
check mixed-offers-task-lost [ "$(status "$OUT1" mixed-1 reason)" = REASON_INVALID_OFFERS ]
check mixed-offers-not-launched sh -c "! grep -q mixed-1 '$AGENT_OUT'"
check mixed-offers-offer-gone [ "$(op GET_STATE | jq "[.. | objects | select(.id.value? == \"$O\")] | length")" = 0 ]
O=$(offer "$OUT1")
check mixed-offers-offered-again-at-once [ -n "$O" ]
# the same offer twice
code=$(accept "$F1" "$H1" "$(ti twice-1)" "$O" "$O")
check offer-twice-202 [ "$code" = 202 ]
check offer-twice-reason [ "$(status "$OUT1" twice-1 reason)" = REASON_INVALID_OFFERS ]
check offer-twice-says-so sh -c "grep -q 'appears twice' '$OUT1'"

# another framework's offer: invalid for the caller, left alone for its owner
O=$(offer "$OUT1") || { fail setup-offer2; exit 1; }
code=$(accept "$F2" "$H2" "$(ti other-1)" "$O")
check other-frameworks-offer-202 [ "$code" = 202 ]
check other-frameworks-offer-dropped [ "$(status "$OUT2" other-1 reason)" = REASON_INVALID_OFFERS ]
check other-frameworks-offer-kept [ "$(outstanding lost)" -ge 1 ]

# ---- valid offer, bad tasks: TASK_ERROR naming the field; the good task still launches
bad_tasks="$(ti ok-1),$(ti big-1 '' 64),$(ti exec-1 '"executor":{"executor_id":{"value":"e"},"command":{"value":"x"}}'),$(ti docker-1 '"container":{"type":"DOCKER","docker":{"image":"x"}}'),$(ti check-1 '"check":{"type":"COMMAND"}'),$(ti mct-1 '"max_completion_time":{"nanoseconds":1}'),$(ti uris-1 | sed 's/"command":{"value":"true"}/"command":{"value":"true","uris":[{"value":"http:\/\/x"}]}/'),$(ti resv-1 | sed 's/"name":"cpus"/"name":"cpus","reservations":[{"type":"STATIC","role":"eng"}]/'),$(ti gpu-1 | sed 's/{"value":32}}\]/{"value":32}},{"name":"gpus","type":"SCALAR","scalar":{"value":0.5}}]/'),$(ti 'a\/b'),$(ti ok-1),$(ti other-agent-1 | sed "s/$AGENT/not-$AGENT/"),$(ti root-1 | sed 's/"value":"true"}/"value":"true","user":"forbidden"}/'),$(ti labelled-1 '"labels":{"labels":[{"key":"k","value":"v"}]},"discovery":{"visibility":"FRAMEWORK"},"data":"eA=="')"
code=$(accept "$F1" "$H1" "$bad_tasks" "$O") # the offer f2 could not use
check bad-tasks-202 [ "$code" = 202 ] || cat "$WORK/reply"
err_says() { # TASK_ID WORDS: TASK_ERROR, REASON_TASK_INVALID, message holds WORDS
	[ "$(status "$OUT1" "$1" state)" = TASK_ERROR ] &&
		[ "$(status "$OUT1" "$1" reason)" = REASON_TASK_INVALID ] &&
		status "$OUT1" "$1" message | grep -qF -- "$2"
}
check good-task-launched wait_for launched ok-1
check labelled-task-launched wait_for launched labelled-1
check labels-kept-for-the-agent sh -c "grep -q '\"key\":\"k\"' '$AGENT_OUT'"
check beyond-offer-task-error err_says big-1 "task_infos[1].resources'"
check executor-and-command-task-error err_says exec-1 "task_infos[2]: exactly one of 'command' and 'executor'"
check docker-task-error err_says docker-1 "task_infos[3].container.type'"
check check-task-error err_says check-1 "task_infos[4].check'"
check max-completion-time-task-error err_says mct-1 "task_infos[5].max_completion_time'"
check uris-task-error err_says uris-1 "task_infos[6].command.uris'"
check reservation-task-error err_says resv-1 "task_infos[7].resources[0].reservations'"
check fractional-gpus-task-error err_says gpu-1 "'gpus' must be an unsigned integer"
check bad-task-id-task-error err_says 'a/b' "task_infos[9].task_id.value'"
check duplicate-task-id-task-error err_says ok-1 "task 'ok-1' already exists"
check wrong-agent-task-error err_says other-agent-1 "task_infos[11].agent_id'"
check unauthorized-task-error [ "$(status "$OUT1" root-1 reason)" = REASON_TASK_UNAUTHORIZED ]
check unauthorized-says-user sh -c "grep -q \"users 'forbidden'\" '$OUT1'"
check bad-tasks-not-launched sh -c "! grep -q 'big-1\|exec-1\|docker-1\|root-1' '$AGENT_OUT'"
check offer-used [ "$(op GET_STATE | jq "[.. | objects | select(.id.value? == \"$O\")] | length")" = 0 ]
# what the refused tasks would have used is offered again (refuse_seconds 0)
O=$(offer "$OUT1")
check rest-offered-again [ -n "$O" ]
# what validate.c refused with a 400 before: now each a TASK_ERROR naming the field
more="$(ti neg-1 '' -1),$(ti nan-1 '' '"NaN"'),$(ti notarray-1 | sed 's/"resources":\[.*\]}$/"resources":{"cpus":1}}/'),$(ti empty-1 | sed 's/"resources":\[.*\]}$/"resources":[]}/'),$(ti '..'),$(ti "$(head -c 256 /dev/zero | tr '\0' a)"),$(ti shell-1 | sed 's/"value":"true"}/"value":"true","shell":"yes"}/'),$(ti nocmd-1 | sed 's/"command":{"value":"true"},//'),$(ti limits-1 '"limits":{"cpus":-2}'),$(ti ok-1)"
code=$(accept "$F1" "$H1" "$more" "$O")
check more-bad-tasks-202 [ "$code" = 202 ] || cat "$WORK/reply"
check negative-resource-task-error err_says neg-1 "negative value"
check nan-string-task-error err_says nan-1 "task_infos[1].resources'"
check resources-not-array-task-error err_says notarray-1 "task_infos[2].resources'"
check empty-resources-task-error err_says empty-1 "task_infos[3].resources' is empty"
check task-id-dotdot-task-error err_says '..' "task_id.value' is '.' or '..'"
check task-id-long-task-error err_says "$(head -c 256 /dev/zero | tr '\0' a)" "longer than 255 bytes"
check shell-wrong-type-task-error err_says shell-1 "command.shell' must be a boolean"
check no-command-task-error err_says nocmd-1 "one of 'command' and 'executor' must be set"
check limits-negative-task-error err_says limits-1 "limits.cpus' must be a positive number"
check task-id-of-another-call-task-error [ "$(status "$OUT1" ok-1 'message' | grep -c "task_infos\[9\].task_id': task 'ok-1' already exists")" = 1 ]
O=$(offer "$OUT1")
check offered-again-after-all-refused [ -n "$O" ]
check tasks-running-count [ "$(op GET_TASKS | jq '[.get_tasks.tasks[] | select(.framework_id.value == "'"$F1"'")] | length')" = 2 ]

# an operation ID on a LAUNCH: its tasks get TASK_ERROR (Mesos)
code=$(api_post /api/v1/scheduler "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$F1\"},\"accept\":{\"offer_ids\":[{\"value\":\"$O\"}],\"operations\":[{\"type\":\"LAUNCH\",\"id\":{\"value\":\"op1\"},\"launch\":{\"task_infos\":[$(ti opid-1)]}}],\"filters\":{\"refuse_seconds\":0}}}" -H "$H1")
check launch-with-operation-id-202 [ "$code" = 202 ]
check launch-with-operation-id-task-error err_says opid-1 "operations[0].id'"
O=$(offer "$OUT1")
check offered-again-after-operation-id [ -n "$O" ]

# ---- what does not parse is still 400, and changes nothing
before=$(op GET_STATE | jq -S .)
code=$(api_post /api/v1/scheduler "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$F1\"},\"accept\":{\"offer_ids\":[{\"value\":\"$O\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[{\"name\":\"t\",\"task_id\":7,\"agent_id\":{\"value\":\"$AGENT\"}}]}}]}}" -H "$H1")
check task-id-not-an-object-400 [ "$code" = 400 ]
check task-id-not-an-object-says grep -qF "task_infos[0].task_id' must be an object" "$WORK/reply"
code=$(api_post /api/v1/scheduler "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$F1\"},\"accept\":{\"offer_ids\":{}}}" -H "$H1")
check offer-ids-not-array-400 [ "$code" = 400 ]
check bad-calls-change-nothing [ "$(op GET_STATE | jq -S .)" = "$before" ]

# ---- REQUEST is accepted and ignored
code=$(api_post /api/v1/scheduler "{\"type\":\"REQUEST\",\"framework_id\":{\"value\":\"$F1\"},\"request\":{\"requests\":[]}}" -H "$H1")
check request-202 [ "$code" = 202 ]

finish
