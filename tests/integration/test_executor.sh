# SPDX-License-Identifier: Apache-2.0
# Custom executors and the executor HTTP API: a third-party executor (python_executor.py,
# Python 3 standard library, written from Mesos's documentation, nothing of Drover's) runs
# two tasks, answers a framework MESSAGE and shuts down on SHUTDOWN (FAILURE event with its
# wait status), and runs a task group (LAUNCH_GROUP to it); its MESOS_* environment; hostile calls (no token, a wrong token, a task
# posing as the executor, malformed calls: 400/403/405/415); an executor that never
# subscribes is destroyed after --executor-registration-timeout and its task ends TASK_GONE.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
command -v python3 >/dev/null || skip_all "needs python3"
start_cluster || exit 1
trap stop_cluster EXIT
kill "$AGENT_PID" && wait "$AGENT_PID" 2>/dev/null
run_agent --executor-registration-timeout 2s --executor-shutdown-grace-period 3s
WAIT_S=20 wait_for sh -c "grep -c 'subscribed to the master' '$WORK/agent.log' | grep -q 2"
# the executor runs as the framework's own uid: its script where that uid can read it, and
# its sandbox by its absolute path (MESOS_SANDBOX) through the work dir (mktemp's is 0700)
chmod 711 "$WORK" "$WORK/agent"
PUB=$(mktemp -d /tmp/drover-exec.XXXXXX)
chmod 755 "$PUB"
cp "$(dirname "$0")/python_executor.py" "$PUB/"
chmod 644 "$PUB/python_executor.py"
trap 'rm -rf "$PUB"; stop_cluster' EXIT
FW="python3 $(dirname "$0")/mesos_framework.py --master $MASTER --events $WORK/events.jsonl"
EXEC="python3 $PUB/python_executor.py"
AGENT=127.0.0.1:$APORT

# ---- the third-party executor: two tasks, a MESSAGE each way, SHUTDOWN, FAILURE
timeout 90 $FW --command "$EXEC" executor >"$WORK/exec.json" 2>"$WORK/exec.err"
cat "$WORK/exec.json" "$WORK/exec.err"
echo "---- the executor's stderr"; cat "$WORK"/agent/sandboxes/*/pyexec/*/stderr
e() { jq -r "$1" "$WORK/exec.json"; }
check executor-ran-two-tasks [ "$(e '.running | join(",")')" = "t1,t2" ]
check executor-message-202 [ "$(e .message_code)" = 202 ]
check executor-message-back [ "$(e .reply)" = "got: hello executor" ]
check executor-shutdown-202 [ "$(e .shutdown_code)" = 202 ]
check executor-failure-id [ "$(e .failure.executor_id.value)" = pyexec ]
check executor-failure-status-0 [ "$(e .failure.status)" = 0 ]
check executor-failure-agent [ "$(e '.failure.agent_id.value | length > 0')" = true ]
envf=$(find "$WORK/agent/sandboxes" -path '*/pyexec/*' -name executor-env.json | head -1)
for v in MESOS_FRAMEWORK_ID MESOS_EXECUTOR_ID MESOS_DIRECTORY MESOS_SANDBOX \
	MESOS_AGENT_ENDPOINT MESOS_SLAVE_ID MESOS_CHECKPOINT MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD \
	MESOS_EXECUTOR_AUTHENTICATION_TOKEN; do
	check "executor-env-$v" sh -c "jq -e '.$v | length > 0' '$envf' >/dev/null"
done
check executor-env-grace [ "$(jq -r .MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD "$envf")" = 3secs ]
check executor-env-id [ "$(jq -r .MESOS_EXECUTOR_ID "$envf")" = pyexec ]
# its tasks ended TASK_KILLED (the executor said so before it exited)
check executor-tasks-killed sh -c "grep -c '\"TASK_KILLED\"' '$WORK/events.jsonl' | grep -qx 2"

# ---- LAUNCH_GROUP to a custom executor: the group as one LAUNCH_GROUP event, both tasks run
timeout 90 $FW --command "$EXEC" executor-group >"$WORK/xgroup.json" 2>"$WORK/xgroup.err"
cat "$WORK/xgroup.json" "$WORK/xgroup.err"
check executor-group-ran [ "$(jq -r '.running | join(",")' "$WORK/xgroup.json")" = "g1,g2" ]
xev=$(find "$WORK/agent/sandboxes" -path '*/gexec/*' -name executor-events.jsonl | head -1)
check executor-group-one-event [ "$(grep -c '"LAUNCH_GROUP"' "$xev")" = 1 ]
check executor-group-no-launch [ "$(grep -c '"type": "LAUNCH"' "$xev")" = 0 ]
check executor-group-failure [ "$(jq -r .failure.executor_id.value "$WORK/xgroup.json")" = gexec ]

# ---- hostile calls against a live executor
$FW --command "$EXEC" --go "$WORK/go" executor-pause >"$WORK/pause.out" 2>"$WORK/pause.err" &
FWP=$!
WAIT_S=60 wait_for grep -q running "$WORK/pause.out"
FID=$(head -1 "$WORK/pause.out" | jq -r .framework_id)
TOKEN=$(jq -r .token "$WORK/agent/meta/executors/$FID/pyexec2/executor.json")
call() { # call BODY [CURL ARGS]: the status code
	_b=$1
	shift
	curl -s -o "$WORK/reply" -w '%{http_code}' -X POST "$@" --data-binary "$_b" \
		"http://$AGENT/api/v1/executor"
}
ids="\"framework_id\":{\"value\":\"$FID\"},\"executor_id\":{\"value\":\"pyexec2\"}"
st() { echo "{\"type\":\"UPDATE\",$ids,\"update\":{\"status\":{\"task_id\":{\"value\":\"u1\"},\"state\":\"$1\",\"source\":\"$2\",\"uuid\":\"$3\"}}}"; }
U=$(python3 -c 'import base64,uuid; print(base64.b64encode(uuid.uuid4().bytes).decode())')
J='-H Content-Type:application/json'
AUTH="Authorization: Bearer $TOKEN"
check hostile-no-token [ "$(call "$(st TASK_FAILED SOURCE_EXECUTOR "$U")" $J)" = 403 ]
check hostile-wrong-token [ "$(call "$(st TASK_FAILED SOURCE_EXECUTOR "$U")" $J \
	-H 'Authorization: Bearer 00000000')" = 403 ]
check hostile-unknown-executor [ "$(call "{\"type\":\"UPDATE\",\"framework_id\":{\"value\":\"$FID\"},\"executor_id\":{\"value\":\"nobody\"}}" $J -H "$AUTH")" = 400 ]
check hostile-bad-json [ "$(call '{"type":' $J -H "$AUTH")" = 400 ]
check hostile-no-type [ "$(call '{}' $J -H "$AUTH")" = 400 ]
check hostile-content-type [ "$(call "$(st TASK_FAILED SOURCE_EXECUTOR "$U")" \
	-H 'Content-Type: text/plain' -H "$AUTH")" = 415 ]
check hostile-get [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "http://$AGENT/api/v1/executor")" = 405 ]
check hostile-heartbeat-202 [ "$(call "{\"type\":\"HEARTBEAT\",$ids}" $J)" = 202 ]
check update-no-uuid-400 [ "$(call "$(st TASK_FAILED SOURCE_EXECUTOR '')" $J -H "$AUTH")" = 400 ]
check update-bad-uuid-400 [ "$(call "$(st TASK_FAILED SOURCE_EXECUTOR 'eA==')" $J -H "$AUTH")" = 400 ]
check update-source-agent-400 [ "$(call "$(st TASK_FAILED SOURCE_AGENT "$U")" $J -H "$AUTH")" = 400 ]
check update-staging-400 [ "$(call "$(st TASK_STAGING SOURCE_EXECUTOR "$U")" $J -H "$AUTH")" = 400 ]
check update-other-task-400 [ "$(call "{\"type\":\"UPDATE\",$ids,\"update\":{\"status\":{\"task_id\":{\"value\":\"t1\"},\"state\":\"TASK_FAILED\",\"source\":\"SOURCE_EXECUTOR\",\"uuid\":\"$U\"}}}" $J -H "$AUTH")" = 400 ]
# a task of another framework posing as the executor: it has no token (the executor's
# environment and the agent's checkpoint are not its to read)
D="$BIN/drover --master $MASTER"
$D task run -- sh -c "cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c MESOS_EXECUTOR_AUTHENTICATION_TOKEN; cat '$WORK/agent/meta/executors/$FID/pyexec2/executor.json'" >"$WORK/pose.out" 2>"$WORK/pose.err"
cat "$WORK/pose.out" "$WORK/pose.err"
# task run streams the task's stdout to its own, its stderr to its own
check hostile-task-cannot-read-token sh -c "[ -s '$WORK/pose.out' ] && ! grep -q '$TOKEN' '$WORK/pose.out' '$WORK/pose.err'"
check hostile-task-sees-no-env [ "$(head -1 "$WORK/pose.out")" = 0 ]
# the executor's own task is unharmed by all of it
check hostile-task-still-running sh -c "! grep -q '\"task_id\": {\"value\": \"u1\"}, \"state\": \"TASK_FAILED\"' '$WORK/events.jsonl'"
# the master's GET_EXECUTORS and /master/state show the live executor where it runs, as Mesos
# does (with Mesos's own schema, when protoc and python3-protobuf are here)
mexec() { curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"GET_EXECUTORS"}' \
	"http://$MASTER/api/v1" | jq -r "$1"; }
sel=".get_executors.executors[] | select(.executor_info.executor_id.value == \"pyexec2\")"
check master-executors-listed [ "$(mexec "[$sel] | length")" = 1 ]
check master-executors-framework [ "$(mexec "$sel | .executor_info.framework_id.value")" = "$FID" ]
check master-executors-agent [ "$(mexec "$sel | .agent_id.value | length > 0")" = true ]
check master-executors-command [ "$(mexec "$sel | .executor_info.command.value | length > 0")" = true ]
check master-state-executor [ "$(curl -s "http://$MASTER/master/state" | jq -r ".frameworks[] |
	select(.id == \"$FID\") | .executors[] | select(.executor_id == \"pyexec2\") |
	(.slave_id | length > 0) and (.framework_id == \"$FID\")")" = true ]
protobuf_python
if command -v protoc >/dev/null && [ -n "$PY" ]; then
	mkdir -p "$WORK/py"
	protoc -I"$SRC/tests/mesos-proto" -I"$SRC/proto" --python_out="$WORK/py" \
		mesos/v1/mesos.proto mesos/v1/scheduler/scheduler.proto mesos/v1/master/master.proto \
		mesos/v1/allocator/allocator.proto \
		mesos/v1/maintenance/maintenance.proto mesos/v1/quota/quota.proto
	check master-executors-mesos-schema "$PY" "$SRC/tests/integration/mesos_operator_check.py" \
		calls "$MASTER" "$WORK/py" GET_EXECUTORS GET_STATE
else
	skip master-executors-mesos-schema "needs protoc and python3-protobuf"
fi
touch "$WORK/go"
wait "$FWP"
cat "$WORK/pause.out" "$WORK/pause.err"
check pause-failure [ "$(tail -1 "$WORK/pause.out" | jq -r .failure.executor_id.value)" = pyexec2 ]

# ---- an executor whose only task was killed (and acknowledged) is shut down, not left idle
touch "$WORK/go4"
timeout 90 $FW --command "$EXEC" --eid pyexec4 --kill u1 --go "$WORK/go4" executor-pause \
	>"$WORK/idle.out" 2>"$WORK/idle.err"
cat "$WORK/idle.out" "$WORK/idle.err"
check idle-executor-shut-down [ "$(tail -1 "$WORK/idle.out" | jq -r .failure.executor_id.value)" = pyexec4 ]

# ---- an executor that never subscribes: destroyed after the registration timeout
timeout 90 $FW --command "sleep 600" executor-silent >"$WORK/silent.json" 2>"$WORK/silent.err"
cat "$WORK/silent.json" "$WORK/silent.err"
check silent-task-gone [ "$(jq -r '.states[-1]' "$WORK/silent.json")" = TASK_GONE ]
check silent-failure [ "$(jq -r .failure.executor_id.value "$WORK/silent.json")" = silent ]
check silent-failure-signal [ "$(jq -r .failure.status "$WORK/silent.json")" = 9 ]
check silent-timeout-logged grep -q 'did not subscribe in time' "$WORK/agent.log"
CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
WAIT_S=10 wait_for sh -c "! ls -d '$CGMOUNT/$CGROOT'/executors/*/silent"
check silent-container-gone sh -c "! ls -d '$CGMOUNT/$CGROOT'/executors/*/silent 2>/dev/null"
finish
