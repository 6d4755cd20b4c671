# SPDX-License-Identifier: Apache-2.0
# Strict mode, the aggregate on tasks/: the agent writes its total resources (cpus:2,
# mem:512) as cpu.max "200000 100000" and memory.max 512 MiB of <root>/tasks, so all tasks
# together stay within what it offers; a task whose limits pass the agent's total
# (--max-limit-ratio 1) is refused, one within it runs.
# vm-timeout: 60
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_start
t=$CG/$AROOT/tasks
[ "$(cat "$t/cpu.max")" = "200000 100000" ] || fail "tasks/cpu.max is '$(cat "$t/cpu.max")', want '200000 100000'"
[ "$(cat "$t/memory.max")" = $((512 * 1048576)) ] || fail "tasks/memory.max is '$(cat "$t/memory.max")', want $((512 * 1048576))"
$D task run --cpus 0.1 --limit-cpus 4 -- true >"$AWORK/over.out" 2>&1 &&
	fail "a task with limits.cpus 4 on a 2-cpu agent ran"
grep -q 'max-limit-ratio' "$AWORK/over.out" || { cat "$AWORK/over.out"; fail "the refusal does not name --max-limit-ratio"; }
$D task run --cpus 0.1 --limit-cpus 2 --mem 32 --limit-mem 512 -- true >"$AWORK/ok.out" 2>&1 ||
	{ cat "$AWORK/ok.out"; fail "a task within the agent's total did not run"; }
agent_no_leftovers
