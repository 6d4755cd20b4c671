# SPDX-License-Identifier: Apache-2.0
# The agent's runtime on this host (best-effort mode): kill with a grace period,
# double-forked daemons taken by cgroup.kill, run-as-user, unknown users, and recovery
# after kill -9 of the agent (running tasks survive, a task that ends during the outage
# is reported with its real exit code), and --recover cleanup.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
command -v jq >/dev/null || skip_all "needs jq"
start_cluster || exit 1
trap stop_cluster EXIT
D="$BIN/drover --master $MASTER"
# task_in_state PREFIX STATE: the task whose id starts with PREFIX is in STATE
task_in_state() {
	master_call GET_TASKS | jq -e --arg p "$1" --arg s "$2" \
		'[.get_tasks.tasks[], (.get_tasks.completed_tasks // [])[]] |
		 map(select(.task_id.value | startswith($p))) | .[0].state == $s' >/dev/null
}
CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)


# --- run as another user
$D task run -v --user nobody -- 'id -u' >"$WORK/user.out" 2>&1
sandbox=$(sed -n 's/.* output: \(.*\)\/stdout and .*/\1/p' "$WORK/user.out" | head -1)
check run-as-nobody grep -qx "$(id -u nobody)" "$sandbox/stdout"

$D -j task run --user no-such-user-xyz -- true >"$WORK/nouser.out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q 'TASK_FAILED' "$WORK/nouser.out" && grep -qi 'no-such-user-xyz' "$WORK/nouser.out"; then
	pass unknown-user-fails-with-reason
else
	fail unknown-user-fails-with-reason "rc=$rc $(cat "$WORK/nouser.out")"
fi

# --- kill: SIGTERM ignored, a double-forked daemon, grace 1 s, then cgroup.kill
marker=drover-kill-$$
$D task run --grace 1 -- "trap '' TERM; (setsid sh -c 'trap \"\" TERM; exec sleep 1000 # $marker' &); exec sleep 999" \
	>"$WORK/kill.out" 2>&1 &
cli=$!
WAIT_S=10 wait_for grep -q TASK_RUNNING "$WORK/kill.out"
sleep 0.3
check daemon-started pgrep -f "[s]leep 1000 # $marker"
t0=$(date +%s%N)
kill -INT $cli
wait $cli
rc=$?
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
check kill-exit-124 [ "$rc" -eq 124 ]
check kill-state-killed grep -q TASK_KILLED "$WORK/kill.out"
check kill-honours-grace [ "$ms" -ge 900 ]
WAIT_S=5 wait_for sh -c "! pgrep -f '[s]leep 1000 # $marker'"
check double-forked-daemon-gone sh -c "! pgrep -f '[s]leep 1000 # $marker'"

# --- recovery after kill -9 of the agent
$D task run --detach --name survivor -- 'sleep 30' >/dev/null 2>&1
$D task run --detach --name ender -- 'sleep 2; exit 7' >/dev/null 2>&1
# exactly the task's sleep (-x): a substring would also match e.g. another test's 'sleep 300'
WAIT_S=10 wait_for pgrep -xf 'sleep 30'
spid=$(pgrep -xf 'sleep 30' | head -1)
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
sleep 3 # "ender" exits while the agent is down
check task-survives-agent-death kill -0 "$spid"
restart_agent
WAIT_S=15 wait_for sh -c "grep -c 'subscribed to the master' '$WORK/agent.log' | grep -q 2"
check agent-reregistered grep -q 'recovered 2 task(s)' "$WORK/agent.log"
WAIT_S=10 wait_for task_in_state ender TASK_FAILED
if master_call GET_TASKS | grep -q 'exited with status 7'; then
	pass exit-during-outage-reported
else
	fail exit-during-outage-reported "$(master_call GET_TASKS)"
fi
check survivor-still-running kill -0 "$spid"

# --- --recover cleanup kills leftovers
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
restart_agent --recover cleanup
WAIT_S=10 wait_for sh -c "! kill -0 $spid"
check recover-cleanup-kills sh -c "! kill -0 $spid"
WAIT_S=10 wait_for task_in_state survivor TASK_KILLED
check recover-cleanup-reports-killed task_in_state survivor TASK_KILLED
left=$(find "$CGMOUNT/$CGROOT/tasks" -mindepth 2 -type d 2>/dev/null | wc -l)
check no-leaves-left [ "$left" -eq 0 ]

# --- terminal accounting: taskstats of every process of a busy task (needs the agent to be
# root in the initial namespaces; the update says why not otherwise)
WAIT_S=15 wait_for sh -c "grep -c 'subscribed to the master' '$WORK/agent.log' | grep -q 3"
$D -j task run -- 'sh -c "i=0; while [ \$i -lt 300000 ]; do i=\$((i + 1)); done"; true' \
	>"$WORK/acct.out" 2>&1
ts=$(grep TASK_FINISHED "$WORK/acct.out" | tail -1 | jq -c '.status.drover.accounting.taskstats')
echo "taskstats of the busy task: $ts"
if [ "$(echo "$ts" | jq -r '.available')" = false ]; then
	skip taskstats-cpu-time "$(echo "$ts" | jq -r '.why')"
else
	check taskstats-cpu-time [ "$(echo "$ts" | jq '.user_ns + .system_ns')" -gt 100000000 ]
	check taskstats-every-process [ "$(echo "$ts" | jq '.processes')" -ge 2 ]
	check taskstats-says-delayacct [ -n "$(echo "$ts" | jq -r '.delay_accounting // empty')" ]
fi

# --- a launch that fails leaves neither a sandbox nor a leaf
runs_before=$(find "$WORK/agent/sandboxes" -mindepth 3 -maxdepth 3 -type d 2>/dev/null | wc -l)
$D -j task run -- /nonexistent/binary arg >"$WORK/noexe.out" 2>&1
nsbx=$(grep TASK_FAILED "$WORK/noexe.out" | tail -1 | jq -r '.status.drover.sandbox // empty')
check missing-exe-reason grep -q "cannot execute '/nonexistent/binary'" "$WORK/noexe.out"
check missing-exe-no-sandbox-path [ -z "$nsbx" ]
runs_after=$(find "$WORK/agent/sandboxes" -mindepth 3 -maxdepth 3 -type d 2>/dev/null | wc -l)
check missing-exe-sandbox-removed [ "$runs_after" -eq "$runs_before" ]
left=$(find "$CGMOUNT/$CGROOT/tasks" -mindepth 2 -type d 2>/dev/null | wc -l)
check missing-exe-no-leaf [ "$left" -eq 0 ]
finish
