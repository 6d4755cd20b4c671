#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The offer path in both codecs in one run (docs/benchmarks.md "Offer path in protobuf and
# JSON"): one master, AGENTS simulated agents, then drover-simframework runs of --codec json
# and --codec protobuf against it. Each run is a fresh set of FRAMEWORKS frameworks (they
# receive every agent's offer as OFFERS events in the negotiated codec, launch TASKS tasks
# at PACE per second, decline the rest and go away with the run), so every run starts from
# the same cluster state. WARMUP runs (json, protobuf, ...) are made and not counted; then
# ROUNDS runs of each codec in Thue-Morse order (json protobuf protobuf json protobuf json
# json protobuf ...), so that a drift of the session over the runs (linear or quadratic in
# 8 runs) weighs on both codecs alike.
#
# Per run: the master's CPU seconds (all threads; the owner thread's and the HTTP threads'
# apart), offer -> RUNNING p50/p99, steady tasks per second, offers sent, OFFERS bytes per
# offer as they came on the stream, the simulated frameworks' CPU seconds (fw_cpu), the HTTP
# server's resumes of parked connections and the
# batches they went in (libmicrohttpd's walks over the parked connections; "-" for a build
# without drover_master_http_resume*), and the load average. Per codec: the mean CPU per run,
# p50/p99 over all its runs' tasks pooled, mean tasks/s, mean offers and bytes per offer.
#   tools/bench-codec.sh [BUILD]   AGENTS=10000 FRAMEWORKS=10 TASKS=2000 PACE=100 ROUNDS=4 WARMUP=2
#   (MASTER_FLAGS: more drover-master flags, e.g. "--max-stream-queue 1MiB")
set -u
BUILD=${1:-build}
BIN=$(cd "$BUILD/bin" && pwd)
AGENTS=${AGENTS:-10000}
FRAMEWORKS=${FRAMEWORKS:-10}
TASKS=${TASKS:-2000}
PACE=${PACE:-100}
ROUNDS=${ROUNDS:-4}
WARMUP=${WARMUP:-2}
SIM_PER_PROC=${SIM_PER_PROC:-9000}
RES=${RES:-'cpus:8;mem:16384;ports:[31000-32000]'}
. "$(dirname "$0")/bench-lib.sh"

load() { cut -d' ' -f1-3 /proc/loadavg; }
# CPU seconds of one thread of the master
tcpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$MPID/task/$1/stat" 2>/dev/null || echo 0; }
# CPU seconds of the master's HTTP threads (libmicrohttpd's, "MHD-...")
http_cpu() {
	local t s=0
	for t in /proc/"$MPID"/task/*; do
		case $(cat "$t/comm") in MHD*) s=$(awk -v s="$s" '{ print s + ($14 + $15) / 100 }' "$t/stat");; esac
	done
	echo "$s"
}
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "== codec bench: $AGENTS agents, $FRAMEWORKS frameworks, $TASKS tasks at $PACE/s per run;" \
	"$WARMUP warm-up runs, $ROUNDS runs per codec; $(nproc) cores, load $(load); $(date -u +%FT%TZ)"
start_master ${MASTER_FLAGS:-}
t0=$(date +%s%N)
start_agents "$AGENTS" 5,1 --ramp 0
read -r got ms < <(wait_agents "$AGENTS" "$t0")
[ "$got" -ge "$AGENTS" ] || { echo "bench-codec: only $got of $AGENTS agents registered"; exit 1; }
echo "registered $got agents in $ms ms"
sleep 2

# run N CODEC: one simframework run; appends a row to $WORK/rows (counted runs only)
run() {
	local n=$1 codec=$2 counted=$3 c0 c1 o0 o1 w0 w1 h0 h1 log=$WORK/run.$1.log L T B
	c0=$(cpu_s) w0=$(tcpu "$MPID") h0=$(http_cpu)
	o0=$(metric 'drover_master_offers_total{outcome="sent"}')
	r0=$(metric drover_master_http_resumes_total) b0=$(metric drover_master_http_resume_batches_total)
	# (bash's time: the simulated frameworks' own CPU, user and system)
	{ TIMEFORMAT='%U %S'; time "$BIN/drover-simframework" --master "$M" --frameworks \
		"$FRAMEWORKS" --tasks "$TASKS" --rate "$PACE" --refuse 60 --timeout 300 --progress 0 \
		--post-connections 32 --codec "$codec" --latency-out "$WORK/lat.$codec.$counted" \
		>"$log" 2>&1; } 2>"$WORK/fwtime"
	F=$(awk '{ printf "%.2f", $1 + $2 }' "$WORK/fwtime")
	c1=$(cpu_s) w1=$(tcpu "$MPID") h1=$(http_cpu)
	o1=$(metric 'drover_master_offers_total{outcome="sent"}')
	r1=$(metric drover_master_http_resumes_total) b1=$(metric drover_master_http_resume_batches_total)
	if [ -n "$r1" ]; then R=$((r1 - r0)) W=$((b1 - b0)); else R=- W=-; fi
	grep -hE '^simframework: .*(lost|timed out|failed)' "$log"
	L=$(grep -h offer_to_running "$log" | sed -E 's/.*p50=([0-9.]+).*p99=([0-9.]+).*/\1 \2/')
	T=$(grep -h 'steady=' "$log" | head -1 | sed -E 's/.*steady=([0-9.]+).*/\1/')
	B=$(grep -h 'bytes_per_offer=' "$log" | sed -E 's/.*bytes_per_offer=([0-9.]+).*/\1/')
	# shellcheck disable=SC2086
	printf '%-4s %-9s %7s %7s %7s %9s %9s %6s %8s %6s %7s %6s %6s  %s\n' "$n" "$codec" \
		"$(sub "$c0" "$c1")" "$(sub "$w0" "$w1")" "$(sub "$h0" "$h1")" ${L:-- -} "${T:--}" \
		"$(( ${o1:-0} - ${o0:-0} ))" "${B:--}" "$R" "$W" "${F:--}" "$(load)" |
		tee -a "$WORK/rows.$counted"
	sleep 2
}

printf '%-4s %-9s %7s %7s %7s %9s %9s %6s %8s %6s %7s %6s %6s  %s\n' run codec cpu_s \
	owner_s http_s offer_p50 offer_p99 tasks/s offers B/offer resumes walks fw_cpu load
for i in $(seq 0 $((WARMUP - 1))); do
	[ $((i % 2)) -eq 0 ] && codec=json || codec=protobuf
	run "w$((i + 1))" "$codec" warmup
done
for i in $(seq 0 $((2 * ROUNDS - 1))); do
	# Thue-Morse: the parity of the number of set bits of i
	b=0 x=$i
	while [ "$x" -gt 0 ]; do b=$((b ^ (x & 1))); x=$((x >> 1)); done
	[ "$b" -eq 0 ] && codec=json || codec=protobuf
	run "$((i + 1))" "$codec" counted
done

echo "== per codec ($ROUNDS runs each; p50/p99 over all their tasks; load now $(load))"
printf '%-9s %7s %7s %7s %9s %9s %7s %8s %8s %7s %6s\n' codec cpu_s owner_s http_s offer_p50 \
	offer_p99 tasks/s offers B/offer resumes walks
for codec in json protobuf; do
	sort -n "$WORK/lat.$codec.counted" 2>/dev/null >"$WORK/lat.sorted" || true
	n=$(wc -l <"$WORK/lat.sorted")
	p50=$(awk -v k=$((n / 2 + 1)) 'NR == k' "$WORK/lat.sorted")
	p99=$(awk -v k=$((n * 99 / 100 + 1)) 'NR == k' "$WORK/lat.sorted")
	awk -v c="$codec" -v p50="${p50:--}" -v p99="${p99:--}" '$2 == c {
			n++; cpu += $3; own += $4; http += $5; tps += $8; off += $9; b += $10
			r += $11; w += $12 }
		END { if (n) printf "%-9s %7.2f %7.2f %7.2f %9s %9s %7.0f %8.0f %8.1f %7.0f %6.0f\n", c,
			cpu / n, own / n, http / n, p50, p99, tps / n, off / n, b / n, r / n, w / n }' \
		"$WORK/rows.counted"
done
