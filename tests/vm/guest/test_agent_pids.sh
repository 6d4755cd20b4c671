# SPDX-License-Identifier: Apache-2.0
# Strict mode, pids.max: with --pids-max 32 a fork bomb in a task stays at or below 32
# processes (pids.events counts refused forks), the guest keeps working, and Ctrl-C of
# drover task run kills the whole bomb (cgroup.kill): TASK_KILLED, no process and no
# leaf left.
# vm-timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_start --pids-max 32
# the main process forks the bomb once and then execs sleep: it forks no more itself
$D task run --limit-cpus 0.5 --grace 1 -- 'b() { b & b & sleep 20; }; b & exec sleep 25' \
	>"$AWORK/run.out" 2>&1 &
cli=$!
leaf=$(agent_leaf)
[ -n "$leaf" ] || { cat "$AWORK/run.out" "$AWORK/agent.log"; fail "no task leaf appeared"; }
[ "$(cat "$leaf/pids.max")" = 32 ] || fail "pids.max is '$(cat "$leaf/pids.max")', want 32"
i=0
while [ "$(cg_stat "$leaf" pids.events max)" = 0 ] && [ $i -lt 150 ]; do
	sleep 0.1
	i=$((i + 1))
done
denied=$(cg_stat "$leaf" pids.events max)
cur=$(cat "$leaf/pids.current")
peak=$(cat "$leaf/pids.peak" 2>/dev/null || echo n/a)
echo "pids.current $cur, pids.peak $peak, forks refused (pids.events max) $denied"
[ "${denied:-0}" -gt 0 ] || fail "the fork bomb never hit pids.max"
[ "$cur" -le 32 ] || fail "pids.current $cur is above pids.max 32"
# the guest survives: it can still fork and exec
out=$(sh -c 'echo alive') || fail "the guest cannot fork any more"
[ "$out" = alive ] || fail "the guest cannot run a command"

kill -INT $cli
wait $cli
rc=$?
grep -q TASK_KILLED "$AWORK/run.out" || fail "no TASK_KILLED after Ctrl-C: $(tail -5 "$AWORK/run.out")"
[ $rc -eq 124 ] || fail "drover task run exited $rc after Ctrl-C, want 124"
agent_no_leftovers
