# SPDX-License-Identifier: Apache-2.0
# Trust boundaries between frameworks (docs/security.md, "Framework IDs, tiers and
# streams"): a framework cannot choose its ID (long IDs once collided after 68 characters),
# nor reuse a removed framework's, nor name a task or itself with a leading '.'; it cannot
# pick a strict-priority tier above its role's without an ACL grant; it cannot grow the
# master by not reading its stream (back-pressure), by long lists in a call, or by holding
# a 1 MiB buffer per stream; its failover timeout is capped. Shell frameworks (curl).
. "$(dirname "$0")/lib.sh"
need_jq
WORK=$(mktemp -d /tmp/drover-trust.XXXXXX)
STREAM_PIDS=
cleanup() {
	kill $STREAM_PIDS 2>/dev/null
	[ -n "${MASTER_PID:-}" ] && kill "$MASTER_PID" 2>/dev/null && wait "$MASTER_PID" 2>/dev/null
	echo "---- master log"; tail -n 60 "$WORK/master.log"
	rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/roles.json" <<'J'
{"roles": [{"role": "eng", "tier": 2}]}
J
cat >"$WORK/acls.json" <<'J'
{"request_tiers": [{"principals": "ANY", "tiers": [5, "7"]}]}
J
start_master --roles "$WORK/roles.json" --acls "$WORK/acls.json" --max-call-list 100 \
	--max-stream-queue 256KiB --max-failover-timeout 2s --http-idle-timeout 600s || exit 1
SCHED=/api/v1/scheduler

# subscribe_code FRAMEWORK_INFO [CALL_FRAMEWORK_ID]: the status a SUBSCRIBE gets (its stream
# is dropped after 2 s); the reply's body in $WORK/reply
subscribe_code() {
	curl -s -m 2 -o "$WORK/reply" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":$1}}" "http://$MASTER$SCHED"
}
fw_tier() { operator GET_FRAMEWORKS | jq -r --arg f "$1" '.get_frameworks.frameworks[] | select(.framework_info.id.value == $f) | .tier'; }
fw_connected() { operator GET_FRAMEWORKS | jq -r --arg f "$1" '.get_frameworks.frameworks[] | select(.framework_info.id.value == $f) | .connected'; }
fw_count() { operator GET_FRAMEWORKS | jq '.get_frameworks.frameworks | length'; }

# ---- safe defaults: frameworks held are capped without any flag (the others are set above)
flag() { operator GET_FLAGS | jq -r --arg n "$1" '.get_flags.flags[] | select(.name == $n) | .value'; }
check default-max-frameworks [ "$(flag max-frameworks)" = 1000 ]
check max-stream-queue-flag [ "$(flag max-stream-queue)" = 256KiB ]

# ---- IDs: issued by the master, full length, never reused (item 3)
L1=$(printf 'a%.0s' $(seq 100))1
L2=$(printf 'a%.0s' $(seq 100))2
# (as Mesos: 200, one ERROR event, the stream closed)
refused() { [ "$1" = 200 ] && recordio_json "$WORK/reply" | jq -r 'select(.type == "ERROR") | .error.message' | grep -q "unknown or has been removed"; }
c1=$(subscribe_code "{\"name\":\"l1\",\"id\":{\"value\":\"$L1\"},\"failover_timeout\":60}")
check self-chosen-long-id-refused refused "$c1"
c2=$(subscribe_code "{\"name\":\"l2\",\"id\":{\"value\":\"$L2\"},\"failover_timeout\":60}")
check self-chosen-long-id-refused-2 refused "$c2"
check unknown-id-message grep -q 'unknown or has been removed' "$WORK/reply"
check no-framework-from-chosen-ids [ "$(fw_count)" = 0 ]

fw_subscribe gone '{"name":"gone"}' || { echo "cannot subscribe"; exit 1; }
GONE=$FW_ID
check issued-id-is-uuid sh -c "echo '$GONE' | grep -Eq '^[0-9a-f-]{36}\$'"
code=$(api_post $SCHED '{"type":"TEARDOWN","framework_id":{"value":"'"$GONE"'"}}' -H "Mesos-Stream-Id: $FW_SID")
check teardown-202 [ "$code" = 202 ]
kill "$FW_PID" 2>/dev/null
c=$(subscribe_code "{\"name\":\"again\",\"id\":{\"value\":\"$GONE\"}}")
check removed-id-not-reused refused "$c"
check removed-id-not-listed [ "$(fw_count)" = 0 ]

# ---- IDs Mesos refuses: "..", and the like (a leading '.' is valid, as in Mesos)
c=$(subscribe_code '{"name":"dot","id":{"value":".."}}')
check dot-framework-id-400 [ "$c" = 400 ]
check dot-framework-id-says-why grep -q "is '.' or '..'" "$WORK/reply"

# ---- tiers (item 4): the role's from --roles; above it only with a request_tiers grant
c=$(subscribe_code '{"name":"greedy","tier":1000}')
check tier-1000-refused [ "$c" = 403 ]
check tier-refusal-names-acl grep -q 'request_tiers' "$WORK/reply"
c=$(subscribe_code '{"name":"greedy6","tier":6}')
check tier-not-granted-refused [ "$c" = 403 ]
fw_subscribe t5 '{"name":"t5","tier":5,"failover_timeout":60}' && STREAM_PIDS="$STREAM_PIDS $FW_PID"
check tier-granted-5 [ "$(fw_tier "$FW_ID")" = 5 ]
fw_subscribe t7 '{"name":"t7","tier":7,"failover_timeout":60}' && STREAM_PIDS="$STREAM_PIDS $FW_PID"
check tier-granted-7-as-string [ "$(fw_tier "$FW_ID")" = 7 ]
fw_subscribe eng '{"name":"eng","role":"eng","failover_timeout":60}' && STREAM_PIDS="$STREAM_PIDS $FW_PID"
check tier-from-roles-file [ "$(fw_tier "$FW_ID")" = 2 ]
fw_subscribe low '{"name":"low","tier":-3,"failover_timeout":60}' && STREAM_PIDS="$STREAM_PIDS $FW_PID"
check tier-below-role-free [ "$(fw_tier "$FW_ID")" = -3 ]
LOW=$FW_ID LOW_SID=$FW_SID

# ---- lists in a call are capped (item 5): --max-call-list 100
tasks=$(seq 101 | sed 's/.*/{"task_id":{"value":"t&"}}/' | paste -sd, -)
code=$(api_post $SCHED '{"type":"RECONCILE","framework_id":{"value":"'"$LOW"'"},"reconcile":{"tasks":['"$tasks"']}}' -H "Mesos-Stream-Id: $LOW_SID")
check reconcile-over-cap-400 [ "$code" = 400 ]
check reconcile-cap-names-flag grep -q -- '--max-call-list' "$WORK/reply"
check reconcile-cap-names-field grep -q 'reconcile.tasks' "$WORK/reply"
tasks=$(seq 100 | sed 's/.*/{"task_id":{"value":"t&"}}/' | paste -sd, -)
code=$(api_post $SCHED '{"type":"RECONCILE","framework_id":{"value":"'"$LOW"'"},"reconcile":{"tasks":['"$tasks"']}}' -H "Mesos-Stream-Id: $LOW_SID")
check reconcile-at-cap-202 [ "$code" = 202 ]
code=$(api_post /api/v1 '{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":['"$(seq 101 | sed 's/.*/{"role":"r&","weight":1}/' | paste -sd, -)"']}}')
check operator-list-over-cap-400 [ "$code" = 400 ]

# ---- the failover timeout is capped (item 18): --max-failover-timeout 2s
fw_subscribe decade '{"name":"decade","failover_timeout":315360000}' || exit 1
DEC=$FW_ID
fo=$(operator GET_FRAMEWORKS | jq -r --arg f "$DEC" '.get_frameworks.frameworks[] | select(.framework_info.id.value == $f) | .framework_info.failover_timeout')
check failover-timeout-reported-capped [ "$fo" = 2 ]
kill "$FW_PID"
gone() { [ "$(operator GET_FRAMEWORKS | jq --arg f "$DEC" '[.get_frameworks.frameworks[] | select(.framework_info.id.value == $f)] | length')" = 0 ]; }
WAIT_S=10 wait_for gone
check failover-timeout-capped gone

# ---- back-pressure (item 5): a framework that never reads its stream is disconnected
# once the master holds --max-stream-queue (256 KiB) for it. Its stream is a raw socket
# whose headers are read and nothing after.
command -v bash >/dev/null || skip_all "needs bash (its /dev/tcp)"
body='{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"deaf","failover_timeout":60}}}'
# shellcheck disable=SC2016
bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" \
		"$2" "${#3}" "$3" >&3
	while IFS= read -r -t 5 line <&3; do
		line=${line%$(printf "\r")}
		case $line in [Mm]esos-[Ss]tream-[Ii]d:*) echo "${line#*: }" >"$4" ;; esac
		[ -z "$line" ] && break
	done
	exec sleep 600' deaf "${MASTER##*:}" "$SCHED" "$body" "$WORK/deaf.sid" &
DEAF_PID=$!
STREAM_PIDS="$STREAM_PIDS $DEAF_PID"
WAIT_S=5 wait_for test -s "$WORK/deaf.sid"
DEAF_SID=$(cat "$WORK/deaf.sid" 2>/dev/null)
DEAF=$(operator GET_FRAMEWORKS | jq -r '.get_frameworks.frameworks[] | select(.framework_info.name == "deaf") | .framework_info.id.value')
check deaf-subscribed [ -n "$DEAF" -a -n "$DEAF_SID" ]
# 100 unknown tasks per call: 100 updates (~45 KiB); the socket's buffers take some MiB
# first. (--http-idle-timeout is 600 s: what cuts the stream is not a stalled connection.)
long=$(printf 'x%.0s' $(seq 150))
tasks=$(seq 100 | sed "s/.*/{\"task_id\":{\"value\":\"$long-&\"}}/" | paste -sd, -)
rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$MASTER_PID/status")
sent=0
for i in $(seq 500); do
	code=$(api_post $SCHED '{"type":"RECONCILE","framework_id":{"value":"'"$DEAF"'"},"reconcile":{"tasks":['"$tasks"']}}' -H "Mesos-Stream-Id: $DEAF_SID")
	[ "$code" = 202 ] || break
	sent=$((sent + 1))
done
rss1=$(awk '/VmRSS/ { print $2 }' "/proc/$MASTER_PID/status")
echo "RECONCILE calls answered 202 before the cut: $sent; master RSS ${rss0} -> ${rss1} KiB"
check deaf-cut-before-500-calls [ "$sent" -lt 500 ]
check deaf-disconnected [ "$(fw_connected "$DEAF")" = false ]
check deaf-cut-logged grep -q 'does not read its event stream' "$WORK/master.log"
if grep -qa __asan_init "$BIN/drover-master"; then
	skip deaf-master-rss-bounded "an ASan build's quarantine keeps freed memory resident"
else
	check deaf-master-rss-bounded [ $((rss1 - rss0)) -lt 8192 ]
fi
kill "$DEAF_PID" 2>/dev/null
# a framework that reads is not cut
check reader-still-connected [ "$(fw_connected "$LOW")" = true ]

# ---- no buffer reserved per stream: 40 more streams grow the master's address space by
# far less than the 40 MiB a 1 MiB reservation each took
vm0=$(awk '/VmSize/ { print $2 }' "/proc/$MASTER_PID/status")
for i in $(seq 40); do
	curl -s -N -X POST -H 'Content-Type: application/json' \
		-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"name\":\"many$i\",\"failover_timeout\":60}}}" \
		"http://$MASTER$SCHED" >/dev/null 2>&1 &
	STREAM_PIDS="$STREAM_PIDS $!"
done
many() { [ "$(operator GET_FRAMEWORKS | jq '[.get_frameworks.frameworks[] | select(.framework_info.name | startswith("many")) | select(.connected)] | length')" = 40 ]; }
WAIT_S=20 wait_for many
check forty-streams-open many
vm1=$(awk '/VmSize/ { print $2 }' "/proc/$MASTER_PID/status")
echo "VmSize ${vm0} -> ${vm1} KiB for 40 streams"
check streams-reserve-little [ $((vm1 - vm0)) -lt 20480 ]

finish
