# SPDX-License-Identifier: Apache-2.0
# Shared by tools/bench.sh and tools/bench-sweep.sh: a real drover-master on loopback and
# drover-simagent processes against it. Needs BIN, RES and SIM_PER_PROC set; sets WORK, M.
WORK=$(mktemp -d /tmp/drover-bench.XXXXXX)
PORT=$(shuf -i 21000-29999 -n 1)
M=127.0.0.1:$PORT
MPID= SIMPIDS=
ulimit -n "$(ulimit -Hn)"

cleanup() {
	for p in $SIMPIDS $MPID; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

metric() { curl -s "http://$M/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
tasks_known() { curl -s "http://$M/metrics" | awk '$1 ~ /^drover_master_tasks\{/ { n += $2 } END { print n + 0 }'; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$MPID/status"; }
cpu_s() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$MPID/stat"; }

start_master() {
	"$BIN/drover-master" --listen "$M" --work-dir "$WORK/master" --allocation-interval 100ms \
		--agent-ping-timeout 60s --log-level error "$@" >>"$WORK/master.log" 2>&1 &
	MPID=$!
	for _ in $(seq 100); do curl -sf "http://$M/health" >/dev/null && return 0; sleep 0.05; done
	echo "bench: the master did not start"; cat "$WORK/master.log"; exit 1
}

# start_agents N DURATION [extra simagent flags]: N agents over as many processes as needed
start_agents() {
	local n=$1 dur=$2 off=0 k
	shift 2
	SIMPIDS=
	while [ "$off" -lt "$n" ]; do
		k=$((n - off > SIM_PER_PROC ? SIM_PER_PROC : n - off))
		"$BIN/drover-simagent" --master "$M" --agents "$k" --offset "$off" --duration "$dur" \
			--resources "$RES" --progress 0 --post-connections 32 "$@" \
			>"$WORK/sim.$off.log" 2>&1 &
		SIMPIDS="$SIMPIDS $!"
		off=$((off + k))
	done
}

wait_agents() {
	local n=$1 t0=$2 got
	for _ in $(seq 1200); do
		got=$(metric drover_master_agents)
		[ "${got:-0}" -ge "$n" ] && break
		sleep 0.05
	done
	echo "$got $(( ($(date +%s%N) - t0) / 1000000 ))"
}

stop_all() {
	for p in $SIMPIDS; do kill "$p" 2>/dev/null; done
	for p in $SIMPIDS; do wait "$p" 2>/dev/null; done
	SIMPIDS=
	kill "$MPID" 2>/dev/null
	wait "$MPID" 2>/dev/null
	MPID=
	rm -rf "$WORK/master"
}

