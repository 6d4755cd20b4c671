# SPDX-License-Identifier: Apache-2.0
# The operator event stream against hostile or careless subscribers: a subscriber whose
# view_roles rules leave a role out never hears of its frameworks and tasks (neither in
# SUBSCRIBED's state nor in events, nor in GET_FRAMEWORKS, nor in /master/state), nor of a
# framework in several roles one of which it may not view, but still of agents; one that
# does not read is disconnected at --max-stream-queue while the master and the readers go
# on; past --max-operator-subscribers a new subscriber closes the oldest. Frameworks and
# agents are curl: no root needed.
. "$(dirname "$0")/lib.sh"
need_jq
command -v bash >/dev/null || skip_all "needs bash (the subscriber that does not read)"
WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
cat >"$WORK/creds.json" <<'J'
{"credentials": [{"principal": "fw", "secret": "s-fw"}, {"principal": "agent", "secret": "s-agent"},
 {"principal": "ops", "secret": "s-ops"}, {"principal": "spy", "secret": "s-spy"}]}
J
cat >"$WORK/acls.json" <<'J'
{"permissive": true,
 "register_agents": [{"principals": ["agent"], "agents": "ANY"}],
 "view_roles": [{"principals": ["ops"], "roles": "ANY"},
                {"principals": ["spy"], "roles": ["other"]},
                {"principals": "ANY", "roles": "NONE"}]}
J
BG_PIDS=
trap master_cleanup EXIT
start_master --credentials "$WORK/creds.json" --acls "$WORK/acls.json" \
	--max-stream-queue 65536 --max-body-size 2MiB --max-operator-subscribers 3 || exit 1

# subscribe NAME USER:SECRET: an operator subscriber reading into $WORK/NAME.stream
subscribe() {
	curl -s -N -u "$2" -X POST -H 'Content-Type: application/json' -d '{"type":"SUBSCRIBE"}' \
		"http://$MASTER/api/v1" >"$WORK/$1.stream" 2>/dev/null &
	BG_PIDS="$BG_PIDS $!"
	eval "${1}_PID=$!"
	wait_json "$WORK/$1.stream" 'select(.type == "SUBSCRIBED") | .type' >/dev/null
}
check ops-subscribed subscribe ops ops:s-ops
check spy-subscribed subscribe spy spy:s-spy

agent_sub h1 agent:s-agent
A1=$(wait_json "$AG_OUT" 'select(.type == "SUBSCRIBED") | .subscribed.agent_id.value')
check agent-up [ -n "$A1" ]
FW_OUT=$WORK/fw.stream
curl -s -N -u fw:s-fw -D "$WORK/fw.hdrs" -X POST -H 'Content-Type: application/json' \
	-d '{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"secret-fw","user":"nobody","role":"eng"}}}' \
	"http://$MASTER/api/v1/scheduler" >"$FW_OUT" 2>/dev/null &
BG_PIDS="$BG_PIDS $!"
FW_ID=$(wait_json "$FW_OUT" 'select(.type == "SUBSCRIBED") | .subscribed.framework_id.value')
FW_SID=$(header_value "$WORK/fw.hdrs" Mesos-Stream-Id)
check framework-up [ -n "$FW_ID" ]

# ---- the view_roles filter
check ops-sees-framework wait_json "$WORK/ops.stream" "select(.type == \"FRAMEWORK_ADDED\") | .framework_added.framework.framework_info.id.value == \"$FW_ID\" or empty"
check spy-sees-agent wait_json "$WORK/spy.stream" "select(.type == \"AGENT_ADDED\") | .agent_added.agent.agent_info.id.value == \"$A1\" or empty"
check spy-no-framework-event [ -z "$(recordio_json "$WORK/spy.stream" | jq -r 'select(.type | startswith("FRAMEWORK") or startswith("TASK")) | .type')" ]
spy_get() { curl -s -u spy:s-spy -H 'Content-Type: application/json' -d "{\"type\":\"$1\"}" "http://$MASTER/api/v1"; }
check spy-get-frameworks-filtered [ "$(spy_get GET_FRAMEWORKS | jq '.get_frameworks.frameworks | length')" = 0 ]
check spy-get-state-filtered [ "$(spy_get GET_STATE | jq '.get_state.get_frameworks.frameworks | length')" = 0 ]
check ops-get-frameworks [ "$(curl -s -u ops:s-ops -H 'Content-Type: application/json' -d '{"type":"GET_FRAMEWORKS"}' "http://$MASTER/api/v1" | jq '.get_frameworks.frameworks | length')" = 1 ]
# a late subscriber that may not view the role: its SUBSCRIBED state leaves the framework out
check spy2-subscribed subscribe spy2 spy:s-spy
check spy-state-filtered [ "$(recordio_json "$WORK/spy2.stream" | jq 'select(.type == "SUBSCRIBED") | .subscribed.get_state.get_frameworks.frameworks | length')" = 0 ]
kill "$spy2_PID" 2>/dev/null
gone_spy2() { [ "$(curl -s -u ops:s-ops -H 'Content-Type: application/json' -d '{"type":"GET_METRICS"}' "http://$MASTER/api/v1" | jq '.get_metrics.metrics[] | select(.name == "master/operator_event_stream_subscribers") | .value')" = 2 ]; }
check closed-subscriber-forgotten wait_for gone_spy2

# a task, whose updates are the traffic below
TI="{\"name\":\"t1\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"$A1\"},\"resources\":$(res_json 1 128),\"command\":{\"value\":\"true\"}}"
OFFER=$(wait_json "$FW_OUT" "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$A1\") | .id.value")
code=$(api_post /api/v1/scheduler "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$FW_ID\"},\"accept\":{\"offer_ids\":[{\"value\":\"$OFFER\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$TI]}}]}}" \
	-u fw:s-fw -H "Mesos-Stream-Id: $FW_SID")
check launch-202 [ "$code" = 202 ]
check spy-no-task-event [ -z "$(recordio_json "$WORK/spy.stream" | jq -r 'select(.type | startswith("TASK")) | .type')" ]

# ---- the legacy endpoints filter as GET_STATE does; a framework in several roles is shown
# only to whoever may view every one of them
check spy-legacy-state-filtered [ "$(curl -s -u spy:s-spy "http://$MASTER/master/state" | jq '.frameworks | length')" = 0 ]
check spy-legacy-summary-filtered [ "$(curl -s -u spy:s-spy "http://$MASTER/master/state-summary" | jq '.frameworks | length')" = 0 ]
check ops-legacy-state [ "$(curl -s -u ops:s-ops "http://$MASTER/master/state" | jq '.frameworks | length')" = 1 ]
curl -s -N -u fw:s-fw -X POST -H 'Content-Type: application/json' \
	-d '{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"mr-fw","user":"nobody","roles":["other","eng"],"capabilities":[{"type":"MULTI_ROLE"}]}}}' \
	"http://$MASTER/api/v1/scheduler" >"$WORK/mr.stream" 2>/dev/null &
BG_PIDS="$BG_PIDS $!"
MR_ID=$(wait_json "$WORK/mr.stream" 'select(.type == "SUBSCRIBED") | .subscribed.framework_id.value')
check multi-role-framework-up [ -n "$MR_ID" ]
check ops-sees-multi-role wait_json "$WORK/ops.stream" "select(.type == \"FRAMEWORK_ADDED\") | .framework_added.framework.framework_info.id.value == \"$MR_ID\" or empty"
check spy-no-multi-role-event [ -z "$(recordio_json "$WORK/spy.stream" | jq -r 'select(.type | startswith("FRAMEWORK")) | .type')" ]
check spy-no-multi-role-framework [ "$(spy_get GET_FRAMEWORKS | jq '.get_frameworks.frameworks | length')" = 0 ]
check spy-no-multi-role-legacy [ "$(curl -s -u spy:s-spy "http://$MASTER/master/state" | jq '.frameworks | length')" = 0 ]
check ops-sees-both [ "$(curl -s -u ops:s-ops "http://$MASTER/master/state" | jq '.frameworks | length')" = 2 ]

# ---- a subscriber that does not read: cut, the master goes on
# shellcheck disable=SC2016
bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf "POST /api/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"type\":\"SUBSCRIBE\"}" "$2" >&3
	exec sleep 600' deaf "${MASTER##*:}" "$(printf ops:s-ops | base64)" &
DEAF_PID=$!
BG_PIDS="$BG_PIDS $DEAF_PID"
three() { [ "$(curl -s -u ops:s-ops -H 'Content-Type: application/json' -d '{"type":"GET_METRICS"}' "http://$MASTER/api/v1" | jq '.get_metrics.metrics[] | select(.name == "master/operator_event_stream_subscribers") | .value')" = 3 ]; }
check deaf-subscribed wait_for three
# health-check updates of t1 (each one a TASK_UPDATED, as Mesos sends for them), ~30 KiB each:
# an event smaller than the queue, so that only a subscriber that does not read falls behind
head -c 30000 /dev/zero | tr '\0' x >"$WORK/big"
sent=0
for i in $(seq 600); do
	{
		printf '{"type":"STATUS_UPDATE","agent_id":{"value":"%s"},"status_update":{"framework_id":{"value":"%s"},"status":{"task_id":{"value":"t1"},"state":"TASK_RUNNING","reason":"REASON_TASK_HEALTH_CHECK_STATUS_UPDATED","healthy":true,"uuid":"11111111-2222-4333-8444-555555%06d","agent_id":{"value":"%s"},"message":"' "$A1" "$FW_ID" "$i" "$A1"
		cat "$WORK/big"
		printf '"},"latest_state":"TASK_RUNNING"}}'
	} >"$WORK/update.json"
	code=$(curl -s -o /dev/null -w '%{http_code}' -u agent:s-agent -H 'Content-Type: application/json' \
		-H "Mesos-Stream-Id: $AG_SID" --data-binary @"$WORK/update.json" "http://$MASTER/api/v1/agent")
	[ "$code" = 202 ] || break
	sent=$((sent + 1))
	grep -q 'does not read its event stream' "$WORK/master.log" && break
done
check updates-accepted [ "$sent" -gt 0 ]
check deaf-cut-logged grep -q 'does not read its event stream' "$WORK/master.log"
two() { [ "$(curl -s -u ops:s-ops -H 'Content-Type: application/json' -d '{"type":"GET_METRICS"}' "http://$MASTER/api/v1" | jq '.get_metrics.metrics[] | select(.name == "master/operator_event_stream_subscribers") | .value')" = 2 ]; }
check deaf-disconnected wait_for two
check master-answers [ "$(curl -s -o /dev/null -w '%{http_code}' -u ops:s-ops -H 'Content-Type: application/json' -d '{"type":"GET_HEALTH"}' "http://$MASTER/api/v1")" = 200 ]
check reader-still-reading kill -0 "$ops_PID"
check reader-got-updates wait_json "$WORK/ops.stream" 'select(.type == "TASK_UPDATED") | .task_updated.status.healthy == true or empty'
kill "$DEAF_PID" 2>/dev/null

# ---- over --max-operator-subscribers (3): the oldest (ops) is closed
check sub3 subscribe s3 ops:s-ops
check sub4 subscribe s4 ops:s-ops
ops_gone() { ! kill -0 "$ops_PID" 2>/dev/null; }
check oldest-closed wait_for ops_gone
check cap-logged grep -q 'the oldest is disconnected' "$WORK/master.log"
finish
