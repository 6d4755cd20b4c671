# SPDX-License-Identifier: Apache-2.0
# A ZooKeeper outage. Three masters (--zk), two agents (--master zk://...) and a
# framework with a running task; kill -9 ZooKeeper: the leader steps down within the session
# timeout and no master leads; start ZooKeeper again on its data: a leader is elected, the
# agents reregister, the framework resubscribes, and the task is still known and running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zk_lib.sh"
ha_begin

no_leader() { ! leader >/dev/null; }

for i in 1 2 3; do start_ha_master $i; done
WAIT_S=30 wait_for leader
L=$(leader)
check one_leader [ -n "$L" ]
start_ha_agent 1
start_ha_agent 2
check agents_registered wait_op GET_AGENTS '.get_agents.agents | length == 2 and all(.active)'
DROVER_MASTER=$ZK "$BIN/drover" -j task run --name out1 -- sleep 300 >"$WORK/fw1.out" \
	2>"$WORK/fw1.err" &
BG_PIDS="$BG_PIDS $!"
check task_running wait_op GET_TASKS \
	'[.get_tasks.tasks[] | select(.state == "TASK_RUNNING")] | length == 1' 30
sleep 1
op GET_TASKS | jq -r '.get_tasks.tasks[].task_id.value' | sort >"$WORK/tasks.before"

# ---- ZooKeeper goes away: the leader steps down within the session timeout (4 s)
kill -9 "$ZK_PID"
wait "$ZK_PID" 2>/dev/null
t0=$(date +%s%N)
WAIT_S=10 wait_for no_leader
down_ms=$((($(date +%s%N) - t0) / 1000000))
echo "leader stepped down ${down_ms} ms after ZooKeeper died"
check leader_steps_down [ "$down_ms" -lt 8000 ]
eval "_lp=\$MPORT_$L"
check stepped_down_logged grep -q 'stepping down as the leading master' "$WORK/master$L.log"
# (it restarts as a candidate on the same port: a moment without a listener, then 503)
answers_503() {
	[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d '{"type":"GET_TASKS"}' "http://127.0.0.1:$_lp/api/v1")" = 503 ]
}
WAIT_S=5 wait_for answers_503
check old_leader_answers_503 [ $? -eq 0 ]
sleep 2
check still_no_leader no_leader

# ---- ZooKeeper comes back on its data: the cluster resumes
t0=$(date +%s%N)
start_zk || exit 1
WAIT_S=40 wait_for leader
up_ms=$((($(date +%s%N) - t0) / 1000000))
echo "a leader ${up_ms} ms after ZooKeeper was started again"
check leader_after_outage [ -n "$(leader)" ]
check agents_reregistered wait_op GET_AGENTS \
	'.get_agents.agents | length == 2 and all(.active and (.recovered | not))' 40
check framework_resubscribed wait_op GET_FRAMEWORKS \
	'.get_frameworks.frameworks | length == 1 and all(.connected and (.recovered | not))' 40
op GET_TASKS | jq -r '.get_tasks.tasks[].task_id.value' | sort >"$WORK/tasks.after"
check task_known cmp -s "$WORK/tasks.before" "$WORK/tasks.after"
check task_still_running wait_op GET_TASKS \
	'[.get_tasks.tasks[] | select(.state == "TASK_RUNNING")] | length == 1' 5
dup=$(jq -r 'select(.event == "UPDATE") | .status.uuid // empty' "$WORK/fw1.out" | sort | uniq -d)
check no_duplicate_update [ -z "$dup" ]
finish
