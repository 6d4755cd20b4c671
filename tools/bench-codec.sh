#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The offer path in both codecs in one run (docs/benchmarks.md "Offer path in protobuf and
# JSON"): one master, AGENTS simulated agents, then drover-simframework rounds alternating
# --codec json and --codec protobuf (ABAB...): FRAMEWORKS frameworks receive every agent's
# offer (OFFERS events in the negotiated codec, written by the master's owner thread),
# launch TASKS tasks at PACE per second and decline the rest. Per round: the master's CPU
# seconds, offer -> RUNNING and ACCEPT -> RUNNING p50/p99, and the rounds' tasks per second.
#   tools/bench-codec.sh [BUILD]     AGENTS=10000 FRAMEWORKS=10 TASKS=2000 PACE=100 ROUNDS=2
set -u
BUILD=${1:-build}
BIN=$(cd "$BUILD/bin" && pwd)
AGENTS=${AGENTS:-10000}
FRAMEWORKS=${FRAMEWORKS:-10}
TASKS=${TASKS:-2000}
PACE=${PACE:-100}
ROUNDS=${ROUNDS:-2}
SIM_PER_PROC=${SIM_PER_PROC:-9000}
RES=${RES:-'cpus:8;mem:16384;ports:[31000-32000]'}
. "$(dirname "$0")/bench-lib.sh"

echo "== codec bench: $AGENTS agents, $FRAMEWORKS frameworks, $TASKS tasks at $PACE/s per round;" \
	"$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
start_master
t0=$(date +%s%N)
start_agents "$AGENTS" 5,1 --ramp 0
read -r got ms < <(wait_agents "$AGENTS" "$t0")
[ "$got" -ge "$AGENTS" ] || { echo "bench-codec: only $got of $AGENTS agents registered"; exit 1; }
echo "registered $got agents in $ms ms"
sleep 2
printf '%-9s %8s %10s %10s %10s %10s %9s %9s\n' codec cpu_s offer_p50 offer_p99 accept_p50 \
	accept_p99 steady offers
for r in $(seq "$ROUNDS"); do
	for codec in json protobuf; do
		c0=$(cpu_s)
		o0=$(metric 'drover_master_offers_total{outcome="sent"}')
		"$BIN/drover-simframework" --master "$M" --frameworks "$FRAMEWORKS" --tasks "$TASKS" \
			--rate "$PACE" --refuse 60 --timeout 300 --progress 0 --post-connections 32 \
			--codec "$codec" >"$WORK/$codec.$r.log" 2>&1
		c1=$(cpu_s)
		o1=$(metric 'drover_master_offers_total{outcome="sent"}')
		grep -hE '^simframework: .*(lost|timed out|failed)' "$WORK/$codec.$r.log"
		L=$(grep -h offer_to_running "$WORK/$codec.$r.log" |
			sed -E 's/.*p50=([0-9.]+).*p99=([0-9.]+).*/\1 \2/')
		A=$(grep -h accept_to_running "$WORK/$codec.$r.log" |
			sed -E 's/.*p50=([0-9.]+).*p99=([0-9.]+).*/\1 \2/')
		T=$(grep -h 'steady=' "$WORK/$codec.$r.log" | head -1 |
			sed -E 's/.*steady=([0-9.]+).*/\1/')
		# shellcheck disable=SC2086
		printf '%-9s %8.2f %10s %10s %10s %10s %9s %9s\n' "$codec" \
			"$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" $L $A "${T:--}" \
			"$(( ${o1:-0} - ${o0:-0} ))"
		sleep 2
	done
done
