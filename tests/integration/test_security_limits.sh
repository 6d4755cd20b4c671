# SPDX-License-Identifier: Apache-2.0
# Caps on the master itself (docs/security.md, "Limits"): frameworks, agents, tasks per
# framework, outstanding offers, header size, connections per peer, slow clients. Each is
# answered with a clear error naming its flag. No root, no agent (fake ones over curl).
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

command -v bash >/dev/null || skip_all "needs bash (/dev/tcp)"
run_master "$WORK/m1.log" --max-frameworks 1 --max-agents 2 --max-header-size 4KiB \
	--max-connections-per-peer 6 --http-idle-timeout 2s --max-offers-per-framework 1 \
	--max-tasks-per-framework 1 || { cat "$WORK/m1.log"; exit 1; }

# ---- frameworks
fw_subscribe a '{"name":"a"}'
check framework-1-admitted [ -n "$FW_ID" ]
PIDS="$PIDS $FW_PID"
FWA=$FW_ID FWA_SID=$FW_SID FWA_OUT=$FW_OUT
code=$(api_post /api/v1/scheduler '{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"b"}}}' --max-time 5)
check framework-2-gets-429 [ "$code" = 429 ]
check framework-429-names-flag grep -q -- '--max-frameworks' "$WORK/reply"

# ---- agents
fake_agent h1 "$(res_json 1 512)"
check agent-1-admitted [ -n "$AG_ID" ]
PIDS="$PIDS $AG_PID"
AG1=$AG_ID
fake_agent h2 "$(res_json 1 512)"
check agent-2-admitted [ -n "$AG_ID" ]
PIDS="$PIDS $AG_PID"
code=$(api_post /api/v1/agent "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_info\":{\"hostname\":\"h3\",\"resources\":$(res_json 1 512)}}}" --max-time 5)
check agent-3-gets-429 [ "$code" = 429 ]
check agent-429-names-flag grep -q -- '--max-agents' "$WORK/reply"

# ---- outstanding offers: two agents, but one offer while it is held
OFFER=$(wait_json "$FWA_OUT" 'select(.type == "OFFERS") | .offers.offers[] | select(.agent_id.value == "'"$AG1"'") | .id.value')
check offer-received [ -n "$OFFER" ]
sleep 1
n=$(recordio_json "$FWA_OUT" | jq -s '[.[] | select(.type == "OFFERS") | .offers.offers[]] | length')
check offers-capped-at-1 [ "$n" = 1 ]
noffers=$(operator GET_METRICS | jq '.get_metrics.metrics[] | select(.name == "master/outstanding_offers") | .value')
check one-outstanding-offer [ "$noffers" = 1 ]

# ---- tasks per framework: an ACCEPT launching 2 gets 429 and leaves the offer alone
task() {
	echo "{\"name\":\"$1\",\"task_id\":{\"value\":\"$1\"},\"agent_id\":{\"value\":\"$AG1\"},\"resources\":$(res_json 0.1 32),\"command\":{\"value\":\"true\"}}"
}
body="{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$FWA\"},\"accept\":{\"offer_ids\":[{\"value\":\"$OFFER\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$(task t1),$(task t2)]}}]}}"
code=$(api_post /api/v1/scheduler "$body" -H "Mesos-Stream-Id: $FWA_SID")
check tasks-over-cap-429 [ "$code" = 429 ]
check tasks-429-names-flag grep -q -- '--max-tasks-per-framework' "$WORK/reply"
body="{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$FWA\"},\"accept\":{\"offer_ids\":[{\"value\":\"$OFFER\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$(task t1)]}}]}}"
code=$(api_post /api/v1/scheduler "$body" -H "Mesos-Stream-Id: $FWA_SID")
check tasks-at-cap-accepted [ "$code" = 202 ]
# the offer was used: the framework may be offered again (what is left of the agent)
OFFER2=$(wait_json "$FWA_OUT" 'select(.type == "OFFERS") | .offers.offers[] | select(.id.value != "'"$OFFER"'") | .id.value' 60)
noffers=$(operator GET_METRICS | jq '.get_metrics.metrics[] | select(.name == "master/outstanding_offers") | .value')
check still-one-outstanding-offer [ "$noffers" = 1 ]
check offers-resume-after-answer [ -n "$OFFER2" ]

# ---- headers: larger than --max-header-size is refused, not buffered
big=$(head -c 6000 /dev/zero | tr '\0' a)
code=$(status_of -H "X-Big: $big" "http://$MASTER/health")
check big-header-refused is_one_of "$code" 431 413 || echo "got $code"
code=$(status_of "http://$MASTER/health")
check small-header-ok [ "$code" = 200 ]

# ---- connections per peer: 6 allowed: 3 streams + 3 idle connections, one more gets 429
# (the framework's and the fake agents' streams come from 127.0.0.1 too: 3 more)
port=${MASTER#*:}
PORT=$port M=$MASTER bash -c '
	exec 5<>/dev/tcp/127.0.0.1/$PORT 6<>/dev/tcp/127.0.0.1/$PORT 7<>/dev/tcp/127.0.0.1/$PORT
	curl -s -o "$0/reply" -w "%{http_code}" --max-time 10 "http://$M/health" >"$0/code"' "$WORK"
check peer-over-cap-429 [ "$(cat "$WORK/code")" = 429 ]
check peer-429-names-flag grep -q -- '--max-connections-per-peer' "$WORK/reply"

# ---- slow clients: a half-sent request is dropped after --http-idle-timeout (2s):
# reading the socket ends (EOF) instead of waiting for an answer
PORT=$port bash -c '
	exec 8<>/dev/tcp/127.0.0.1/$PORT
	printf "GET /health HTTP/1.1\r\nHost: x\r\n" >&8
	sleep 3.5
	timeout 3 cat <&8 >/dev/null'
check slow-client-dropped [ $? -eq 0 ]
code=$(status_of "http://$MASTER/health")
check peer-under-cap-ok [ "$code" = 200 ]

kill $PIDS 2>/dev/null
finish
