#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The scale benchmarks at several agent counts, one CSV row each, for the charts in
# docs/benchmarks.md (tools/plots.gp draws them; `make plots` runs both):
#   tools/bench-sweep.sh [BUILD] [CSV]     SWEEP="500 1000 2000 5000 10000" PACE=100
# Per count: (a) registration time, (e) master RSS and idle CPU per agent, (c) offer ->
# RUNNING and ACCEPT -> RUNNING p50/p99 with tasks arriving at PACE per second, and (b) the
# steady throughput of a burst of min(4 x agents, 20000) tasks of 5 +- 1 s.
set -u
BUILD=${1:-build}
CSV=${2:-docs/data/scale.csv}
BIN=$(cd "$BUILD/bin" && pwd)
SWEEP=${SWEEP:-500 1000 2000 5000 10000}
FRAMEWORKS=${FRAMEWORKS:-10}
PACE=${PACE:-100}
SIM_PER_PROC=${SIM_PER_PROC:-9000}
RES=${RES:-'cpus:8;mem:16384;ports:[31000-32000]'}
. "$(dirname "$0")/bench-lib.sh"

field() { # field FILE KEY: the value of KEY=... on the line that has it
	grep -h "$2=" "$1" | head -1 | sed -E "s/.*[ ]$2=([0-9.]+).*/\1/"
}

mkdir -p "$(dirname "$CSV")"
echo "agents,register_s,rss_per_agent_kb,idle_cpu_us_per_agent_s,paced_rate,offer_p50_ms,offer_p99_ms,accept_p50_ms,accept_p99_ms,burst_tasks,steady_tasks_s" >"$CSV"
echo "== sweep: $SWEEP agents; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $SWEEP; do
	start_master
	rss0=$(rss_kb)
	t0=$(date +%s%N)
	start_agents "$n" 5,1 --ramp 0
	read -r got ms < <(wait_agents "$n" "$t0")
	[ "$got" -ge "$n" ] || { echo "bench-sweep: only $got of $n agents registered"; exit 1; }
	sleep 2
	rss1=$(rss_kb)
	cpu1=$(cpu_s)
	sleep 5
	cpu2=$(cpu_s)
	"$BIN/drover-simframework" --master "$M" --frameworks "$FRAMEWORKS" --tasks $((PACE * 10)) \
		--rate "$PACE" --refuse 60 --timeout 300 --progress 0 --post-connections 32 \
		>"$WORK/paced.log" 2>&1
	burst=$((4 * n > 20000 ? 20000 : 4 * n))
	"$BIN/drover-simframework" --master "$M" --frameworks "$FRAMEWORKS" --tasks "$burst" \
		--timeout 300 --progress 0 --post-connections 32 >"$WORK/burst.log" 2>&1
	grep -hE '^simframework: .*(lost|timed out)' "$WORK/paced.log" "$WORK/burst.log"
	row="$n,$(awk -v ms="$ms" 'BEGIN { printf "%.2f", ms / 1000 }')"
	row="$row,$(( (rss1 - rss0) / n ))"
	row="$row,$(awk -v a="$cpu1" -v b="$cpu2" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1e6 / 5 / n }')"
	L=$(grep -h offer_to_running "$WORK/paced.log") A=$(grep -h accept_to_running "$WORK/paced.log")
	row="$row,$PACE,$(echo "$L" | sed -E 's/.*p50=([0-9.]+).*p99=([0-9.]+).*/\1,\2/')"
	row="$row,$(echo "$A" | sed -E 's/.*p50=([0-9.]+).*p99=([0-9.]+).*/\1,\2/')"
	row="$row,$burst,$(field "$WORK/burst.log" steady)"
	echo "$row" >>"$CSV"
	echo "$row"
	stop_all
done
echo "== wrote $CSV"
