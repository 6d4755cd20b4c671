# SPDX-License-Identifier: Apache-2.0
# The executor API in protobuf (docs/api.md "Executors and task groups"): an executor built
# from the classes protoc generates from Mesos's own .proto files (pb_executor.py, both
# Content-Type and Accept application/x-protobuf) runs two tasks, answers a framework
# MESSAGE and shuts down; every event of its RecordIO stream is a complete
# mesos.v1.executor.Event inside Mesos's schema. Its executor ID has a space and an '@'
# (disk names for its sandbox and cgroup). While one runs, the agent's operator calls that
# show executors answer in both codecs. Hostile protobuf: 400/406/415.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
need_mesos_proto
start_cluster || exit 1
# the executor runs as the framework's own uid: its script and classes where it can read them
chmod 711 "$WORK" "$WORK/agent"
PUB=$(mktemp -d /tmp/drover-exec.XXXXXX)
trap 'rm -rf "$PUB"; stop_cluster' EXIT
mkdir -p "$PUB/py"
check protoc-generates protoc -I"$SRC/tests/mesos-proto" -I"$SRC/proto" --python_out="$PUB/py" \
	mesos/v1/mesos.proto mesos/v1/executor/executor.proto mesos/v1/agent/agent.proto
cp "$SRC/tests/integration/pb_executor.py" "$PUB/"
chmod -R a+rX "$PUB"
FW="python3 $SRC/tests/integration/mesos_framework.py --master $MASTER --events $WORK/events.jsonl"
EXEC="PYTHONPATH=$PUB/py $PY $PUB/pb_executor.py"
AGENT=127.0.0.1:$APORT

# ---- two tasks, a MESSAGE each way, SHUTDOWN, FAILURE: all in protobuf
timeout 90 $FW --command "$EXEC" --exec-id 'my exec@1' executor >"$WORK/exec.json" 2>"$WORK/exec.err"
cat "$WORK/exec.json" "$WORK/exec.err"
EV=$(find "$WORK/agent/sandboxes" -name executor-events.txt | head -1)
echo "---- its events"; cat "$EV"
echo "---- its stderr"; cat "$(dirname "$EV")/stderr"
e() { jq -r "$1" "$WORK/exec.json"; }
check pb-executor-ran-two-tasks [ "$(e '.running | join(",")')" = "t1,t2" ]
check pb-executor-message-back [ "$(e .reply)" = "got: hello executor" ]
check pb-executor-failure-id [ "$(e .failure.executor_id.value)" = 'my exec@1' ]
check pb-executor-exit-0 [ "$(e .failure.status)" = 0 ]
check pb-events-subscribed grep -q '^type: SUBSCRIBED subscribed {' "$EV"
check pb-events-launch-2 [ "$(grep -c '^type: LAUNCH ' "$EV")" = 2 ]
check pb-events-message grep -q '^type: MESSAGE message { data: "hello executor" }' "$EV"
check pb-events-shutdown grep -qx 'type: SHUTDOWN' "$EV"
check pb-calls-202 [ "$(grep -c '^call UPDATE: 202' "$EV")" = 4 ]
check pb-events-in-schema sh -c "! grep -q \"outside Mesos's schema\" '$(dirname "$EV")/stderr'"
# its protobuf UPDATEs reached the tasks, and the framework
check pb-tasks-killed [ "$(grep -c "task 't[12]' of framework .*: TASK_KILLED (from its executor)" "$WORK/agent.log")" = 2 ]
check pb-framework-got-killed [ "$(e '.killed | join(",")')" = "t1,t2" ]

# ---- a live one: the agent's operator calls that show it, in both codecs
$FW --command "$EXEC" --eid 'pb exec@2' --go "$WORK/go" executor-pause >"$WORK/pause.out" 2>"$WORK/pause.err" &
FWP=$!
WAIT_S=60 wait_for grep -q running "$WORK/pause.out"
FID=$(head -1 "$WORK/pause.out" | jq -r .framework_id)
"$PY" "$SRC/tests/integration/agent_operator_check.py" "$AGENT" "$PUB/py" "$FID" u1 \
	GET_STATE GET_EXECUTORS GET_CONTAINERS GET_TASKS GET_FRAMEWORKS >"$WORK/op.out" 2>&1
rc=$?
cat "$WORK/op.out"
check live-executor-operator-both-codecs [ "$rc" -eq 0 ]
curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"GET_EXECUTORS"}' \
	"http://$AGENT/api/v1" >"$WORK/execs.json"
check live-executor-listed jq -e '[.get_executors.executors[].executor_info |
	select(.executor_id.value == "pb exec@2" and .type == "CUSTOM")] | length == 1' "$WORK/execs.json"

# ---- hostile protobuf against the live executor
TOKEN=$(cat "$WORK"/agent/meta/executors/*/*/executor.json |
	jq -r 'select(.info.executor_id.value == "pb exec@2") | .token')
check token-found [ ${#TOKEN} -eq 64 ]
pbcall() { # pbcall TEXTPB [CURL ARGS]: the status code of that Call in protobuf
	_t=$1
	shift
	echo "$_t" | protoc -I"$SRC/proto" --encode=mesos.v1.executor.Call \
		mesos/v1/executor/executor.proto >"$WORK/call.bin"
	curl -s -o "$WORK/reply" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
		"$@" --data-binary @"$WORK/call.bin" "http://$AGENT/api/v1/executor"
}
IDS="framework_id { value: \"$FID\" } executor_id { value: \"pb exec@2\" }"
P='-H Content-Type:application/x-protobuf'
check pb-heartbeat-202 [ "$(pbcall "$IDS type: HEARTBEAT" $P)" = 202 ]
check pb-subscribe-accept-406 [ "$(pbcall "$IDS type: SUBSCRIBE" $P -H 'Accept: text/html')" = 406 ]
check pb-content-type-415 [ "$(pbcall "$IDS type: HEARTBEAT" -H 'Content-Type: application/protobuf')" = 415 ]
check pb-update-staging-400 [ "$(pbcall "$IDS type: UPDATE update { status { task_id { value: \"u1\" } state: TASK_STAGING source: SOURCE_EXECUTOR uuid: \"0123456789abcdef\" } }" $P)" = 400 ]
check pb-update-no-uuid-400 [ "$(pbcall "$IDS type: UPDATE update { status { task_id { value: \"u1\" } state: TASK_FAILED source: SOURCE_EXECUTOR } }" $P)" = 400 ]
printf '\n\003\n\001' >"$WORK/trunc.bin"
check pb-truncated-400 [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST $P -H "Authorization: Bearer $TOKEN" \
	--data-binary @"$WORK/trunc.bin" "http://$AGENT/api/v1/executor")" = 400 ]
check live-task-unharmed sh -c "! grep -q '\"state\": \"TASK_FAILED\"' '$WORK/events.jsonl'"
touch "$WORK/go"
wait "$FWP"
cat "$WORK/pause.out" "$WORK/pause.err"
check pause-failure [ "$(tail -1 "$WORK/pause.out" | jq -r .failure.executor_id.value)" = 'pb exec@2' ]
finish
