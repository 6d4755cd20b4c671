# SPDX-License-Identifier: Apache-2.0
# Helpers for integration tests (sourced). The runner sets DROVER_BUILD and DROVER_RESULTS.
BIN="$DROVER_BUILD/bin"
: "${DROVER_RESULTS:=/dev/null}"
failures=0

pass() { echo "PASS $DROVER_TEST/$1" >>"$DROVER_RESULTS"; echo "ok: $1"; }
fail() {
	echo "FAIL $DROVER_TEST/$1" >>"$DROVER_RESULTS"
	echo "FAIL: $1${2:+: $2}"
	failures=$((failures + 1))
}
# A sub-case that needs what this host lacks.
skip() { echo "SKIP $DROVER_TEST/$1: $2" >>"$DROVER_RESULTS"; echo "SKIP: $1: $2"; }
# Skip the whole script.
skip_all() { echo "SKIP: $1"; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root"; }

# check NAME CMD...: pass when CMD succeeds
check() {
	n=$1
	shift
	if "$@"; then pass "$n"; else fail "$n" "command failed: $*"; fi
}

finish() { [ "$failures" -eq 0 ]; }

# A TCP port on 127.0.0.1 nobody listens on, from a range away from the ephemeral one.
free_port() {
	while :; do
		p=$(shuf -i 20000-29999 -n 1)
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# Start a master and an agent on loopback in $WORK (best-effort: this host's cgroup2 has no
# cpu/memory controllers). Sets MASTER (host:port), MASTER_PID, AGENT_PID, CGROOT.
start_cluster() {
	WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
	MPORT=$(free_port)
	APORT=$(free_port)
	MASTER=127.0.0.1:$MPORT
	CGROOT=drover-it-$$.slice
	"$BIN/drover-master" --listen "$MASTER" --work-dir "$WORK/master" \
		--allocation-interval 200ms "$@" >"$WORK/master.log" 2>&1 &
	MASTER_PID=$!
	"$BIN/drover-agent" --master "$MASTER" --listen "127.0.0.1:$APORT" --work-dir "$WORK/agent" \
		--cgroup-root "$CGROOT" --enforce best-effort \
		--resources 'cpus:2;mem:1024;ports:[31000-31099]' >"$WORK/agent.log" 2>&1 &
	AGENT_PID=$!
	for _ in $(seq 50); do
		grep -q 'subscribed to the master' "$WORK/agent.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "cluster did not come up"; cat "$WORK/master.log" "$WORK/agent.log"
	return 1
}

stop_cluster() {
	kill "$AGENT_PID" "$MASTER_PID" 2>/dev/null
	wait "$AGENT_PID" "$MASTER_PID" 2>/dev/null
	echo "---- master log"; cat "$WORK/master.log"
	echo "---- agent log"; cat "$WORK/agent.log"
	CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	if [ -n "$CGMOUNT" ] && [ -d "$CGMOUNT/$CGROOT" ]; then
		# the agent leaves its slice; move nothing, just remove the empty leaves
		find "$CGMOUNT/$CGROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
	fi
	rm -rf "$WORK"
}

need_cgroup2() {
	awk '$9 == "cgroup2" { f = 1 } END { exit !f }' /proc/self/mountinfo ||
		skip_all "no cgroup2 mount"
}
