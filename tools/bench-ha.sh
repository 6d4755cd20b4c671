#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Failover time of the HA masters (docs/ha.md, docs/benchmarks.md "## High availability"):
# a private ZooKeeper (tickTime ZK_TICK ms), three masters with --zk-session-timeout SESSION,
# AGENTS simulated agents registered (so that the new leader recovers a registry), then
# ROUNDS times: kill -9 the leader, time until another master answers as leader, start the
# killed one again as a candidate.
#   tools/bench-ha.sh [BUILD]     ROUNDS=5 SESSION=6s ZK_TICK=2000 AGENTS=200
# Prints one line per round and the median; needs java and the zookeeper jars, not root.
set -u
BUILD=${1:-build}
DROVER_BUILD=$(cd "$BUILD" && pwd)
ROUNDS=${ROUNDS:-5}
ZK_SESSION=${SESSION:-6s}
ZK_TICK=${ZK_TICK:-2000}
AGENTS=${AGENTS:-200}
here=$(cd "$(dirname "$0")" && pwd)
DROVER_TEST=bench-ha
. "$here/../tests/integration/lib.sh"
. "$here/../tests/integration/zk_lib.sh"
need_zookeeper
WORK=$(mktemp -d /tmp/drover-bench-ha.XXXXXX)
SIM=
cleanup() {
	[ -n "$SIM" ] && kill "$SIM" 2>/dev/null
	for i in 1 2 3; do eval "_p=\${MPID_$i:-}"; [ -n "$_p" ] && kill "$_p" 2>/dev/null; done
	kill "$ZK_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
start_zk || exit 1
for i in 1 2 3; do start_ha_master "$i" --log-level warn; done
WAIT_S=60 wait_for leader || { echo "bench-ha: no leader"; exit 1; }
L=$(leader)
eval "LP=\$MPORT_$L"
if [ "$AGENTS" -gt 0 ]; then
	"$BIN/drover-simagent" --master "127.0.0.1:$LP" --agents "$AGENTS" --progress 0 \
		--run-for 5 >"$WORK/sim.log" 2>&1 &
	SIM=$!
	wait "$SIM"
	SIM=
fi
echo "bench-ha: $ROUNDS rounds, session timeout $ZK_SESSION, ZooKeeper tickTime ${ZK_TICK} ms," \
	"$AGENTS agents in the registry; load: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$WORK/times"
for r in $(seq "$ROUNDS"); do
	old=$(leader)
	eval "_pid=\$MPID_$old"
	t0=$(date +%s%N)
	kill -9 "$_pid"
	wait "$_pid" 2>/dev/null
	eval "MPID_$old="
	new=
	for _ in $(seq 1200); do
		new=$(leader) && break
		sleep 0.02
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	eval "_np=\$MPORT_$new"
	agents=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"GET_AGENTS"}' \
		"http://127.0.0.1:$_np/api/v1" | jq '.get_agents.agents | length')
	echo "round $r: master $old killed, master $new leads after $ms ms ($agents agents recovered)"
	echo "$ms" >>"$WORK/times"
	start_ha_master "$old" --log-level warn
	sleep 3 # the restarted one joins as a candidate
done
sort -n "$WORK/times" | awk '{ v[NR] = $1 } END {
	printf "bench-ha: failover min %d ms, median %d ms, max %d ms\n", v[1], v[int((NR + 1) / 2)], v[NR] }'
