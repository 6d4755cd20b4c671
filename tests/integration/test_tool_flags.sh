# SPDX-License-Identifier: Apache-2.0
# The benchmark tools parse their options from lib/conf tables, as the daemons do: --help and
# --version, DROVER_<TOOL>_* variables, bad values refused (status 2) with the option named.
# Only option parsing: no benchmark runs.
. "$(dirname "$0")/lib.sh"

# expect_refused NAME WANT CMD...: CMD exits 2 and its stderr names WANT
expect_refused() {
	n=$1 want=$2
	shift 2
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 2 ] && echo "$out" | grep -q -- "$want"; then
		pass "$n"
	else
		fail "$n" "rc=$rc out=$out"
	fi
}

for t in allocbench bpfbench launchbench regfill; do
	b=$BIN/drover-$t
	[ -x "$b" ] || { fail "$t-built" "$b missing"; continue; }
	check "$t-version" sh -c "'$b' --version | grep -q '^drover-$t [0-9]'"
	check "$t-help" sh -c "'$b' --help | grep -q '^Usage: drover-$t'"
	check "$t-help-env" sh -c "'$b' --help | grep -q 'env: DROVER_$(echo $t | tr a-z A-Z)_'"
	expect_refused "$t-unknown-option" "unknown option '--no-such-option'" "$b" --no-such-option
done

A=$BIN/drover-allocbench
expect_refused allocbench-cycles-range "'--cycles'" "$A" --cycles 0
expect_refused allocbench-agents-not-int "'--agents'" "$A" --agents 10x
expect_refused allocbench-scenario "'--scenario'" "$A" --scenario c
expect_refused allocbench-filter-pct "'--filter-pct'" "$A" --filter-pct 101
expect_refused allocbench-env "DROVER_ALLOCBENCH_CYCLES" env DROVER_ALLOCBENCH_CYCLES=-1 "$A"
expect_refused allocbench-operand "unexpected argument" "$A" extra

B=$BIN/drover-bpfbench
expect_refused bpfbench-no-mode "no mode" "$B"
expect_refused bpfbench-bad-mode "collect or events" "$B" nosuchmode
expect_refused bpfbench-cgroups "'--cgroups'" "$B" collect --cgroups 10,x
expect_refused bpfbench-cgroups-zero "'--cgroups'" "$B" collect --cgroups 0
expect_refused bpfbench-rounds "'--rounds'" "$B" collect --rounds 0
expect_refused bpfbench-seconds "'--seconds'" "$B" events --seconds 0
expect_refused bpfbench-seconds-nan "'--seconds'" "$B" events --seconds nan

L=$BIN/drover-launchbench
expect_refused launchbench-launches "'--launches'" "$L" --launches 9
expect_refused launchbench-pad "'--pad'" "$L" --pad -1
expect_refused launchbench-no-vfork "'--no-vfork'" "$L" --no-vfork=maybe

R=$BIN/drover-regfill
expect_refused regfill-registry-required "'--registry'" "$R"
expect_refused regfill-agents "'--agents'" "$R" --registry /nonexistent/x --agents 0
expect_refused regfill-tasks "'--tasks'" "$R" --registry /nonexistent/x --tasks -1

# a valid command line goes through: a registry of 3 agents, 2 frameworks and 5 tasks
tmp=$(mktemp -d /tmp/drover-toolflags.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if DROVER_REGFILL_TASKS=5 "$R" --registry "$tmp/reg.db" --agents 3 --frameworks 2 >"$tmp/out" 2>&1 &&
	grep -q '3 agents, 2 frameworks, 5 tasks' "$tmp/out"; then
	pass regfill-runs
else
	fail regfill-runs "$(cat "$tmp/out")"
fi
finish
