# SPDX-License-Identifier: Apache-2.0
# Strict mode, cpu.max: a busy loop launched with --cpus 0.2 --limit-cpus 0.2 gets
# cpu.max "20000 100000" and is held near 20 % of one CPU (measured from the leaf's
# cpu.stat over 4 s, generous bounds for an emulated guest), with throttling; Ctrl-C of
# drover task run kills it (TASK_KILLED, exit 124) and its leaf is removed.
# vm-timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

LOW=10 HIGH=35 SECS=4

agent_start
$D task run --cpus 0.2 --limit-cpus 0.2 --grace 1 -- 'while :; do :; done' >"$AWORK/run.out" 2>&1 &
cli=$!
leaf=$(agent_leaf)
[ -n "$leaf" ] || { cat "$AWORK/run.out" "$AWORK/agent.log"; fail "no task leaf appeared"; }
echo "leaf $leaf: cpu.max $(cat "$leaf/cpu.max"), cpu.weight $(cat "$leaf/cpu.weight")"
[ "$(cat "$leaf/cpu.max")" = "20000 100000" ] || fail "cpu.max is '$(cat "$leaf/cpu.max")', want '20000 100000'"
i=0
while [ -z "$(cat "$leaf/cgroup.procs")" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5

u0=$(cg_stat "$leaf" cpu.stat usage_usec)
t0=$(cut -d' ' -f1 /proc/uptime)
sleep $SECS
u1=$(cg_stat "$leaf" cpu.stat usage_usec)
t1=$(cut -d' ' -f1 /proc/uptime)
cat "$leaf/cpu.stat"
pct=$(awk -v u0="$u0" -v u1="$u1" -v t0="$t0" -v t1="$t1" \
	'BEGIN { printf "%.1f", (u1 - u0) / ((t1 - t0) * 1e6) * 100 }')
echo "the task used $pct % of one CPU (want $LOW-$HIGH %)"
throttled=$(cg_stat "$leaf" cpu.stat nr_throttled)

kill -INT $cli
wait $cli
rc=$?
grep -q TASK_KILLED "$AWORK/run.out" || fail "no TASK_KILLED after Ctrl-C: $(cat "$AWORK/run.out")"
[ $rc -eq 124 ] || fail "drover task run exited $rc after Ctrl-C, want 124"
[ "${throttled:-0}" -gt 0 ] || fail "cpu.stat shows no throttling"
awk -v p="$pct" -v lo=$LOW -v hi=$HIGH 'BEGIN { exit !(p >= lo && p <= hi) }' ||
	fail "the task used $pct % of a CPU under --limit-cpus 0.2, want $LOW-$HIGH %"
agent_no_leftovers
