# SPDX-License-Identifier: Apache-2.0
# kill -9 the agent under a running task group and under a running custom executor, then
# restart it on the same work dir: the group's tasks are found again (their supervisors),
# the kill-all rule still holds after the restart, and the executor (a checkpointing
# framework's: MESOS_CHECKPOINT=1) subscribes again within the reregistration timeout,
# then obeys SHUTDOWN and its exit reaches the framework as FAILURE. Its ID has a space and
# an '@': its sandbox, checkpoint and cgroup are by the ID's disk name (lib/diskname.h), and
# the restarted agent finds them there. Nothing is orphaned: no executor cgroup is left once
# they are gone. The executor's resources are charged to its framework by the master from
# its launch, again from the agent's report after the restart, and given back when it exits.
. "$(dirname "$0")/../integration/lib.sh"
need_root
need_cgroup2
need_jq
command -v python3 >/dev/null || skip_all "needs python3"
start_cluster --agent-reregister-timeout 30s || exit 1
PUB=$(mktemp -d /tmp/drover-exec.XXXXXX)
trap 'rm -rf "$PUB"; stop_cluster' EXIT
chmod 711 "$WORK" "$WORK/agent"
chmod 755 "$PUB"
cp "$(dirname "$0")/../integration/python_executor.py" "$PUB/"
chmod 644 "$PUB/python_executor.py"
IT="$(dirname "$0")/../integration"
FW="python3 $IT/mesos_framework.py --master $MASTER --events $WORK/events.jsonl"
CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
cg="$CGMOUNT/$CGROOT/executors"
subscribed_n() { [ "$(grep -c 'subscribed to the master' "$WORK/agent.log")" -ge "$1" ]; }
restart9() {
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	run_agent "$@"
}

# ---- a task group survives the agent's kill -9; the kill-all rule holds after it
$FW --kill p --go "$WORK/go1" group-pause >"$WORK/group.out" 2>"$WORK/group.err" &
G=$!
WAIT_S=30 wait_for grep -q running "$WORK/group.out"
restart9
WAIT_S=30 wait_for subscribed_n 2
check group-p-alive sh -c "cat '$cg'/*/pause/p/cgroup.procs | grep -q ."
check group-q-alive sh -c "cat '$cg'/*/pause/q/cgroup.procs | grep -q ."
touch "$WORK/go1"
WAIT_S=30 wait_for grep -q final "$WORK/group.out"
cat "$WORK/group.out" "$WORK/group.err"
fin=$(grep final "$WORK/group.out")
check group-restart-p-killed [ "$(echo "$fin" | jq -r .final.p)" = TASK_KILLED ]
check group-restart-q-killed [ "$(echo "$fin" | jq -r .final.q)" = TASK_KILLED ]
wait "$G"

# ---- a custom executor subscribes again after the agent's kill -9
EID='my exec@3' EDN='my%20exec%403' # the ID and its disk name
$FW --checkpoint --eid "$EID" --command "python3 $PUB/python_executor.py" --go "$WORK/go2" \
	--hold "$WORK/hold2" executor-pause >"$WORK/exec.out" 2>"$WORK/exec.err" &
X=$!
WAIT_S=60 wait_for grep -q running "$WORK/exec.out"
check executor-disk-names sh -c "ls -d '$cg'/*/'$EDN' '$WORK'/agent/sandboxes/*/'$EDN'/* \
	'$WORK'/agent/meta/executors/*/'$EDN'/executor.json"
check executor-no-raw-paths sh -c "! ls -d '$cg'/*/'$EID' '$WORK'/agent/sandboxes/*/'$EID' 2>/dev/null"
XFID=$(head -1 "$WORK/exec.out" | jq -r .framework_id)
# the framework's allocation (Mesos's: tasks and executors, not offers): cpus, 3 decimals
fw_cpus() {
	op GET_FRAMEWORKS | jq -r --arg f "$XFID" '[.get_frameworks.frameworks[]
		| select(.framework_info.id.value == $f) | .allocated_resources[]
		| select(.name == "cpus") | .scalar.value] | add // 0 | . * 1000 | round'
}
fw_cpus_is() { [ "$(fw_cpus)" = "$1" ]; }
# the agent's own count of what is in use (its legacy /state, Mesos's field), the same way
agent_cpus_is() {
	[ "$(curl -s "http://127.0.0.1:$APORT/state" |
		jq -r '.unreserved_resources_allocated.cpus * 1000 | round')" = "$1" ]
}
# its task (0.1 cpus) and its executor (0.1 cpus, mesos_framework.py)
check executor-resources-charged fw_cpus_is 200
check executor-resources-agent-used agent_cpus_is 200
restart9 --executor-reregistration-timeout 10s
WAIT_S=30 wait_for subscribed_n 3
# the agent reports the executor in its SUBSCRIBE: still charged to the framework
check executor-resources-reported wait_for fw_cpus_is 200
check executor-resources-agent-recovered wait_for agent_cpus_is 200
check executor-recovered wait_for grep -q "executor '$EID' of framework .* recovered" "$WORK/agent.log"
resub() { [ "$(grep -c "executor '$EID' of framework .* subscribed" "$WORK/agent.log")" -ge 2 ]; }
check executor-resubscribed wait_for resub
# its task's sandbox is still the executor's (as before the restart), a directory that is there
sb=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"GET_CONTAINERS"}' \
	"http://127.0.0.1:$APORT/api/v1" | jq -r '.get_containers.containers[] | select(.task_id.value == "u1") | .sandbox')
echo "u1's sandbox after the restart: $sb"
check executor-task-sandbox-recovered sh -c "[ -d '$sb' ] && [ -f '$sb/executor-env.json' ]"
touch "$WORK/go2"
WAIT_S=30 wait_for grep -q failure "$WORK/exec.out"
# its exit (EXECUTOR_EXITED) gives the executor's resources back, as its task's end did
check executor-resources-released wait_for fw_cpus_is 0
check executor-resources-agent-released wait_for agent_cpus_is 0
touch "$WORK/hold2"
wait "$X"
cat "$WORK/exec.out" "$WORK/exec.err"
echo "---- the executor's stderr"; cat "$WORK"/agent/sandboxes/*/"$EDN"/*/stderr
check executor-restart-failure [ "$(tail -1 "$WORK/exec.out" | jq -r .failure.executor_id.value)" = "$EID" ]
check executor-restart-status-0 [ "$(tail -1 "$WORK/exec.out" | jq -r .failure.status)" = 0 ]
WAIT_S=10 wait_for sh -c "! ls -d '$cg'/*/'$EDN'"
check executor-restart-no-orphan sh -c "! ls -d '$cg'/*/'$EDN' '$cg'/*/pause 2>/dev/null"
check executor-meta-gone sh -c "! ls -d '$WORK'/agent/meta/executors/*/'$EDN' 2>/dev/null"
finish
