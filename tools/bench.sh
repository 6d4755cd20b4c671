#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end scale benchmarks against a real drover-master on loopback (docs/benchmarks.md,
# "## Scale"). `make bench` runs the small set; sizes come from the environment:
#   tools/bench.sh [BUILD]            AGENTS=1000 FRAMEWORKS=10 TASKS=5000 RESTART_TASKS=5000
#                                     PACE=100 PACE_TASKS=1000
# Each step prints its figures. Descriptors: one per agent stream in the master and in the
# simulator; a simulator process takes at most SIM_PER_PROC agents (default 9000).
set -u
BUILD=${1:-build}
BIN=$(cd "$BUILD/bin" && pwd)
AGENTS=${AGENTS:-1000}
FRAMEWORKS=${FRAMEWORKS:-10}
TASKS=${TASKS:-5000}
RESTART_TASKS=${RESTART_TASKS:-5000}
PACE=${PACE:-100}
PACE_TASKS=${PACE_TASKS:-1000}
SIM_PER_PROC=${SIM_PER_PROC:-9000}
RES=${RES:-'cpus:8;mem:16384;ports:[31000-32000]'}
. "$(dirname "$0")/bench-lib.sh"

echo "== scale benchmarks: $AGENTS agents ($RES), $FRAMEWORKS frameworks, $TASKS tasks; $(nproc) cores"

# (a) registration, (e) RSS per agent
start_master
rss0=$(rss_kb)
cpu0=$(cpu_s)
t0=$(date +%s%N)
start_agents "$AGENTS" 30,10 --ramp 0
read -r got ms < <(wait_agents "$AGENTS" "$t0")
echo "(a) registered $got/$AGENTS agents in $ms ms (all SUBSCRIBEs at once)"
sleep 2
rss1=$(rss_kb)
cpu1=$(cpu_s)
echo "(e) master RSS: $((rss0 / 1024)) MiB idle, $((rss1 / 1024)) MiB with $AGENTS agents:" \
	"$(( (rss1 - rss0) * 1024 / AGENTS )) bytes per agent"
sleep 5
cpu2=$(cpu_s)
echo "(e) master CPU with $AGENTS idle agents (heartbeats every 15 s): $(awk -v a="$cpu1" -v b="$cpu2" -v n="$AGENTS" 'BEGIN { printf "%.1f ms/s in all, %.2f us/s per agent", (b - a) * 1000 / 5, (b - a) * 1e6 / 5 / n }')"

# (c) offer -> RUNNING at a steady rate below capacity: tasks arrive at PACE per second
"$BIN/drover-simframework" --master "$M" --frameworks "$FRAMEWORKS" --tasks "$PACE_TASKS" \
	--rate "$PACE" --refuse 60 --timeout 300 --progress 0 --post-connections 32 \
	>"$WORK/fw-paced.log" 2>&1
echo "(c) paced, $PACE tasks/s: $(grep -h 'offer_to_running' "$WORK/fw-paced.log")"
echo "(c) paced, $PACE tasks/s: $(grep -h 'accept_to_running' "$WORK/fw-paced.log")"
grep -h 'bad=' "$WORK/fw-paced.log"

# (b) throughput, (c) offer -> RUNNING latency under a burst (every task queued at once)
"$BIN/drover-simframework" --master "$M" --frameworks "$FRAMEWORKS" --tasks "$TASKS" --timeout 300 \
	--progress 0 --post-connections 32 >"$WORK/fw.log" 2>&1
echo "(b,c) $(grep -h 'elapsed=' "$WORK/fw.log")"
echo "(b,c) $(grep -h 'offer_to_running' "$WORK/fw.log")"
grep -h 'bad=' "$WORK/fw.log"
# (f) the allocation cycle inside the live master
echo "(f) allocation cycles: $(metric drover_master_allocation_cycle_seconds_count)," \
	"mean $(awk -v s="$(metric drover_master_allocation_cycle_seconds_sum)" \
	-v c="$(metric drover_master_allocation_cycle_seconds_count)" \
	'BEGIN { printf "%.3f ms", c ? s / c * 1000 : 0 }')"
echo "    registry: $(metric drover_master_registry_commits_total) commits," \
	"$(metric drover_master_registry_writes_total) writes," \
	"$(metric drover_master_registry_commit_seconds_total) s in commits"
stop_all

# (d) restart: kill -9 with running tasks, start again, time until every agent is back
start_master
start_agents "$AGENTS" 3600 --ramp 0
wait_agents "$AGENTS" "$(date +%s%N)" >/dev/null
"$BIN/drover-simframework" --master "$M" --frameworks "$FRAMEWORKS" --tasks "$RESTART_TASKS" \
	--timeout 300 --progress 0 --post-connections 32 >"$WORK/fw2.log" 2>&1 &
FWPID=$!
for _ in $(seq 1200); do
	[ "$(metric 'drover_master_tasks{state="TASK_RUNNING"}')" = "$RESTART_TASKS" ] && break
	sleep 0.1
done
rss2=$(rss_kb)
echo "(e) master RSS with $AGENTS agents and $RESTART_TASKS running tasks: $((rss2 / 1024)) MiB:" \
	"$(( (rss2 - rss1) * 1024 / RESTART_TASKS )) bytes per task"
kill -9 "$MPID"
wait "$MPID" 2>/dev/null
kill "$FWPID" 2>/dev/null
wait "$FWPID" 2>/dev/null
t0=$(date +%s%N)
start_master
echo "(d) master up $(( ($(date +%s%N) - t0) / 1000000 )) ms after the restart; registry read in $(metric drover_master_recovery_seconds) s:" \
	"$(metric drover_master_agents) agents, $(tasks_known) tasks known"
for _ in $(seq 600); do
	n=$(cat "$WORK"/sim.*.log | grep -c 'subscribed again')
	[ "$n" -ge "$(echo $SIMPIDS | wc -w)" ] && break
	sleep 0.1
done
echo "(d) $(( ($(date +%s%N) - t0) / 1000000 )) ms after the restart every agent has resubscribed:"
grep -h 'subscribed again' "$WORK"/sim.*.log | sed 's/^/    /'
stop_all
echo "== done"
