# SPDX-License-Identifier: Apache-2.0
# Terminal accounting from taskstats: with kernel.task_delayacct on, a task whose child
# burns CPU ends with drover.accounting.taskstats showing both processes, CPU time, and
# delay accounting "on" with a CPU-wait count; with it off, the update says so and carries
# no delay numbers.
# vm-timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

knob=/proc/sys/kernel/task_delayacct
[ -w $knob ] || skip "no kernel.task_delayacct in this kernel"
old=$(cat $knob)
agent_start
trap 'echo "$old" >$knob; agent_cleanup' EXIT

busy='sh -c "i=0; while [ \$i -lt 20000 ]; do i=\$((i + 1)); done"; true'
echo 1 >$knob
$D -j task run -- "$busy" >"$AWORK/on.out" 2>&1 || fail "the busy task failed: $(tail -3 "$AWORK/on.out")"
echo 0 >$knob
$D -j task run -- "$busy" >"$AWORK/off.out" 2>&1 || fail "the busy task failed: $(tail -3 "$AWORK/off.out")"

ts_on=$(grep TASK_FINISHED "$AWORK/on.out" | sed -n 's/.*"taskstats":{\([^}]*\)}.*/\1/p')
ts_off=$(grep TASK_FINISHED "$AWORK/off.out" | sed -n 's/.*"taskstats":{\([^}]*\)}.*/\1/p')
echo "delayacct on:  $ts_on"
echo "delayacct off: $ts_off"
num() { echo "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
[ "$(num "$ts_on" processes)" -ge 2 ] || fail "taskstats counted $(num "$ts_on" processes) processes, want >= 2"
[ "$(num "$ts_on" user_ns)" -gt 0 ] || fail "taskstats shows no user CPU time"
echo "$ts_on" | grep -q '"delay_accounting":"on"' || fail "delay accounting not reported on"
[ "$(num "$ts_on" cpu_delay_count)" -gt 0 ] || fail "no CPU-wait (run queue) count with delay accounting on"
echo "$ts_off" | grep -q '"delay_accounting":"off' || fail "delay accounting not reported off"
echo "$ts_off" | grep -q cpu_delay_ns && fail "delay numbers reported while delay accounting is off"
agent_no_leftovers
