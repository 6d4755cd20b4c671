# SPDX-License-Identifier: Apache-2.0
# The walking skeleton: a real master, a real agent and `drover task run` launching real
# tasks into cgroup leaves and returning their exit codes.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
start_cluster || exit 1
trap stop_cluster EXIT

D="$BIN/drover --master $MASTER"

$D task run -v --name hello -- 'echo hello from drover' >"$WORK/run.out" 2>&1
rc=$?
check run-exit-0 [ "$rc" -eq 0 ]
sandbox=$(sed -n 's/.* output: \(.*\)\/stdout and .*/\1/p' "$WORK/run.out" | head -1)
check run-stdout-file grep -qx 'hello from drover' "$sandbox/stdout"
for s in TASK_STARTING TASK_RUNNING TASK_FINISHED; do
	check "run-state-$s" grep -q "is $s" "$WORK/run.out"
done

$D task run -- false >/dev/null 2>&1
check run-false-exits-1 [ $? -eq 1 ]

$D task run -- sh -c 'kill -9 $$' >/dev/null 2>&1
check run-sigkill-exits-137 [ $? -eq 137 ]

$D task run -- sh -c 'exit 42' >/dev/null 2>&1
check run-exit-42 [ $? -eq 42 ]

# argv form (several words): no shell in between
$D task run -- /bin/echo one two >/dev/null 2>&1
check run-argv-form [ $? -eq 0 ]

# a missing executable in argv form is a launch failure, reported as a failed task
$D task run -- /nonexistent/binary arg >/dev/null 2>&1
rc=$?
check run-missing-executable [ "$rc" -ne 0 ]

# JSON mode prints one object per update
$D -j task run -- true >"$WORK/j.out" 2>/dev/null
check run-json-updates grep -q '"state": *"TASK_FINISHED"' "$WORK/j.out"

# two tasks at once
$D task run --count 2 -- 'sleep 0.2' >/dev/null 2>&1
check run-count-2 [ $? -eq 0 ]

# nothing of the tasks is left in the cgroup tree
CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
left=$(find "$CGMOUNT/$CGROOT/tasks" -mindepth 2 -type d 2>/dev/null | wc -l)
check no-task-cgroups-left [ "$left" -eq 0 ]

# the operator API knows the tasks that ran: they are history now (--all), as JSON
$D -j task list --all >"$WORK/tasks.json" 2>&1
check task-list-json jq -e '[.[] | select(.name == "hello")] | length == 1 and .[0].state == "TASK_FINISHED"' "$WORK/tasks.json"
finish
