# SPDX-License-Identifier: Apache-2.0
# The benchmark tools parse their options from lib/conf tables, as the daemons do: --help and
# --version, --dump-flags, DROVER_<TOOL>_* variables, bad values refused (status 2) with the
# option named; the daemons' --dump-flags too.
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

# --dump-flags (lib/conf, every daemon and tool): each option of --help once, as name=value
# with its effective value (default < environment < command line), then exit 0 without
# starting anything. Secrets live in files: their paths are printed, never their contents.
echo '{"credentials": [{"principal": "p", "secret": "s3cr3t-not-printed"}]}' >"$tmp/creds"
echo '{"principal": "p", "secret": "s3cr3t-not-printed"}' >"$tmp/cred"
# dumped NAME BIN ARGS...: exits 0 at once, one line per option of --help
dumped() {
	n=$1 b=$2
	shift 2
	if ! timeout 10 "$b" "$@" --dump-flags >"$tmp/dump" 2>"$tmp/dump.err"; then
		fail "$n-dump-flags" "rc=$? $(cat "$tmp/dump.err")"
		return 1
	fi
	want=$("$b" --help | sed -n 's/^  --\([a-z0-9-]*\).*/\1/p' | grep -vx 'help\|version\|dump-flags' | sort)
	got=$(sed 's/=.*//' "$tmp/dump" | sort)
	if [ -n "$want" ] && [ "$want" = "$got" ] && ! grep -qv '^[a-z0-9-]*=' "$tmp/dump"; then
		pass "$n-dump-flags"
	else
		fail "$n-dump-flags" "options of --help: $(echo $want) / dumped: $(echo $got)"
		return 1
	fi
}
has() { grep -qx -- "$1" "$tmp/dump"; }
if dumped master "$BIN/drover-master" --credentials "$tmp/creds" --max-agents 7 \
	--agent-ping-timeout 1500ms; then
	check master-dump-argv has max-agents=7
	check master-dump-duration has agent-ping-timeout=1500ms
	check master-dump-path has "credentials=$tmp/creds"
	check master-dump-default has max-frameworks=1000
	check master-dump-no-secret sh -c "! grep -q s3cr3t '$tmp/dump'"
fi
if DROVER_AGENT_LOG_LEVEL=debug dumped agent "$BIN/drover-agent" --credential "$tmp/cred" \
	--api-credentials "$tmp/creds"; then
	check agent-dump-env has log-level=debug
	check agent-dump-path has "credential=$tmp/cred"
	check agent-dump-no-secret sh -c "! grep -q s3cr3t '$tmp/dump'"
fi
expect_refused master-dump-bad-value "'--max-agents'" "$BIN/drover-master" --dump-flags --max-agents x
for t in allocbench bpfbench launchbench regfill simagent simframework; do
	[ -x "$BIN/drover-$t" ] && dumped "$t" "$BIN/drover-$t"
done
if dumped allocbench-argv "$A" --cycles 9; then
	check allocbench-dump-argv has cycles=9
fi
finish
