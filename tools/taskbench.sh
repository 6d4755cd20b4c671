#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end task benchmarks on a one-agent cluster on loopback (docs/benchmarks.md,
# "## Tasks end to end"), each beside a baseline measured in the same run:
#   (a) `drover task run -- true` wall time (subscribe, offer, launch, exit code), beside a
#       bare fork + exec of /bin/true by the same shell and the CLI's own start and exit
#       (`drover version`), the three interleaved;
#   (b) log streaming: a task writes a time-stamped line every 20 ms; the latency from its
#       write to `drover task logs -f` printing it, beside `tail -F` of the same file on the
#       agent's disk.
#   tools/taskbench.sh [BUILD]      RUNS=50 LINES=300 MASTER_FLAGS= AGENT_FLAGS= (root, cgroup2, jq)
set -u
BUILD=${1:-build}
BIN=$(cd "$BUILD/bin" && pwd)
RUNS=${RUNS:-50}
LINES=${LINES:-300}
WORK=$(mktemp -d /tmp/drover-taskbench.XXXXXX)
# a port on 127.0.0.1 nobody listens on
port() {
	local p
	while :; do
		p=$(shuf -i 30000-39999 -n 1)
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
MASTER=127.0.0.1:$(port)
APORT=$(port)
CGROOT=drover-taskbench-$$.slice
PIDS=
cleanup() {
	kill $PIDS 2>/dev/null
	wait 2>/dev/null
	CGM=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	for k in $(find "$CGM/$CGROOT" -name cgroup.kill 2>/dev/null); do echo 1 >"$k"; done
	sleep 0.3
	find "$CGM/$CGROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# p50 and p99 (ms) of the numbers (ms) in a file
pct() { sort -n "$1" | awk '{ v[NR] = $1 } END { i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5);
	if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1; printf "p50 %.1f ms, p99 %.1f ms (n=%d)", v[i50], v[i99], NR }'; }
# ms between two times "S.UUUUUU" (EPOCHREALTIME, date +%s.%6N), three decimals, in bash
# arithmetic: no fork per sample
ms_between() {
	local d=$(( (${2%.*} - ${1%.*}) * 1000000 + 10#${2#*.} - 10#${1#*.} ))
	printf '%d.%03d\n' $((d / 1000)) $((d % 1000))
}

"$BIN/drover-master" --listen "$MASTER" --work-dir "$WORK/master" ${MASTER_FLAGS:-} \
	>"$WORK/master.log" 2>&1 &
PIDS="$PIDS $!"
"$BIN/drover-agent" --master "$MASTER" --listen "127.0.0.1:$APORT" --work-dir "$WORK/agent" \
	--cgroup-root "$CGROOT" --enforce best-effort --resources 'cpus:4;mem:4096' ${AGENT_FLAGS:-} \
	>"$WORK/agent.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 100); do grep -q 'subscribed to the master' "$WORK/agent.log" && break; sleep 0.1; done
grep -q 'subscribed to the master' "$WORK/agent.log" || { echo "the cluster did not come up"; cat "$WORK/master.log" "$WORK/agent.log"; exit 1; }
D="$BIN/drover --master $MASTER"
echo "== task benchmarks: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), master flags: ${MASTER_FLAGS:-none}, agent flags: ${AGENT_FLAGS:-none}"

# (a)
for _ in 1 2 3; do $D task run -- true >/dev/null 2>&1; done # warm up
: >"$WORK/run.ms"
: >"$WORK/fork.ms"
: >"$WORK/cli.ms"
for _ in $(seq "$RUNS"); do
	s=$EPOCHREALTIME; $D task run -- true >/dev/null 2>&1; rc=$?; e=$EPOCHREALTIME
	[ "$rc" -eq 0 ] || echo "task run failed: $rc"
	ms_between "$s" "$e" >>"$WORK/run.ms"
	s=$EPOCHREALTIME; /bin/true; e=$EPOCHREALTIME
	ms_between "$s" "$e" >>"$WORK/fork.ms"
	s=$EPOCHREALTIME; $D version >/dev/null; e=$EPOCHREALTIME
	ms_between "$s" "$e" >>"$WORK/cli.ms"
done
echo "(a) drover task run -- true: $(pct "$WORK/run.ms")"
echo "(a) baseline fork+exec /bin/true: $(pct "$WORK/fork.ms")"
echo "(a) the CLI's own start (drover version): $(pct "$WORK/cli.ms")"

# (b)
$D task run --detach --name ticker -- \
	"i=0; while [ \$i -lt $LINES ]; do echo \$i \$(date +%s.%6N); i=\$((i+1)); sleep 0.02; done" \
	>/dev/null 2>&1
task=$($D -j task list | jq -r '[.[] | select(.name == "ticker")][0].task_id.value')
file=$(ls -d "$WORK"/agent/sandboxes/*/"$task"/latest/stdout)
: >"$WORK/logs.ms"
: >"$WORK/tail.ms"
$D task logs -f --tail 0 "$task" | while read -r _ t; do
	ms_between "$t" "$EPOCHREALTIME" >>"$WORK/logs.ms"
done &
LPID=$!
tail -n 0 -F "$file" 2>/dev/null > >(while read -r _ t; do
	ms_between "$t" "$EPOCHREALTIME" >>"$WORK/tail.ms"
done) &
TPID=$!
PIDS="$PIDS $TPID"
wait "$LPID"
sleep 0.5
kill "$TPID" 2>/dev/null
echo "(b) write -> printed by task logs -f: $(pct "$WORK/logs.ms")"
echo "(b) baseline write -> printed by tail -F on the agent's disk: $(pct "$WORK/tail.ms")"
