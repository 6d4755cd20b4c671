#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end task benchmarks on a one-agent cluster on loopback (docs/benchmarks.md,
# "## Tasks end to end"), each beside a baseline measured in the same run:
#   (a) `drover task run -- true` wall time (subscribe, offer, launch, exit code), beside a
#       bare fork + exec of /bin/true by the same shell, the CLI's own start and exit
#       (`drover version`) and the floor any CLI linked as ours has: a program that does
#       nothing, linked with exactly the CLI's shared libraries (and one with libcurl's
#       alone), all interleaved; with BASE=DIR, also `task run` of another build (its own
#       master and agent: e.g. the previous commit's build), interleaved one for one;
#   (b) log streaming: a task writes a time-stamped line every 20 ms; the latency from its
#       write to `drover task logs -f` printing it, beside `tail -F` of the same file on the
#       agent's disk.
#   tools/taskbench.sh [BUILD]      RUNS=50 LINES=300 BASE= MASTER_FLAGS= AGENT_FLAGS=
#                                   (root, cgroup2, jq; cc for the floors)
set -u
BUILD=${1:-build}
BIN=$(cd "$BUILD/bin" && pwd)
BASE_BIN=
[ -n "${BASE:-}" ] && BASE_BIN=$(cd "$BASE/bin" && pwd)
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
CGROOT=drover-taskbench-$$.slice
PIDS=
cleanup() {
	kill $PIDS 2>/dev/null
	wait 2>/dev/null
	CGM=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	for root in "$CGROOT" "base-$CGROOT"; do
		for k in $(find "$CGM/$root" -name cgroup.kill 2>/dev/null); do echo 1 >"$k"; done
	done
	sleep 0.3
	for root in "$CGROOT" "base-$CGROOT"; do
		find "$CGM/$root" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
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

# cluster BIN DIR CGROOT: a master and an agent of BIN's build, working in $WORK/DIR; prints
# the master's address
cluster() {
	local bin=$1 dir=$2 cg=$3 master=127.0.0.1:$(port) aport=$(port)
	mkdir -p "$WORK/$dir"
	"$bin/drover-master" --listen "$master" --work-dir "$WORK/$dir/master" ${MASTER_FLAGS:-} \
		>"$WORK/$dir/master.log" 2>&1 &
	PIDS="$PIDS $!"
	"$bin/drover-agent" --master "$master" --listen "127.0.0.1:$aport" \
		--work-dir "$WORK/$dir/agent" --cgroup-root "$cg" --enforce best-effort \
		--resources 'cpus:4;mem:4096' ${AGENT_FLAGS:-} >"$WORK/$dir/agent.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do grep -q 'subscribed to the master' "$WORK/$dir/agent.log" && break; sleep 0.1; done
	grep -q 'subscribed to the master' "$WORK/$dir/agent.log" ||
		{ echo "the cluster did not come up" >&2; cat "$WORK/$dir/master.log" "$WORK/$dir/agent.log" >&2; return 1; }
	MASTER=$master
}
cluster "$BIN" new "$CGROOT" || exit 1
D="$BIN/drover --master $MASTER"
DB=
if [ -n "$BASE_BIN" ]; then
	cluster "$BASE_BIN" base "base-$CGROOT" || exit 1
	DB="$BASE_BIN/drover --master $MASTER"
fi
WORK_AGENT=$WORK/new/agent
# The floors: programs that do nothing (main returns 0), linked with exactly the shared
# libraries the CLI needs (its DT_NEEDED, which the loader maps and relocates with their
# own dependencies before main), and with libcurl's alone.
FLOOR=
if command -v cc >/dev/null; then
	echo 'int main(void) { return 0; }' >"$WORK/nop.c"
	libs=$(readelf -d "$BIN/drover" | sed -n 's/.*Shared library: \[\(.*\)\]/-l:\1/p' | tr '\n' ' ')
	cc -o "$WORK/floor-cli" "$WORK/nop.c" -Wl,--no-as-needed $libs &&
		cc -o "$WORK/floor-curl" "$WORK/nop.c" -Wl,--no-as-needed -lcurl && FLOOR=1
	[ -n "$FLOOR" ] || echo "(no floors: cc could not link them)"
fi
echo "== task benchmarks: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), master flags: ${MASTER_FLAGS:-none}, agent flags: ${AGENT_FLAGS:-none}${BASE_BIN:+, base: $BASE}"

# (a)
for _ in 1 2 3; do
	$D task run -- true >/dev/null 2>&1
	[ -z "$DB" ] || $DB task run -- true >/dev/null 2>&1
done # warm up
for f in run base fork cli floorcli floorcurl; do : >"$WORK/$f.ms"; done
# time CMD... into FILE (ms)
timed() {
	local file=$1 s e rc
	shift
	s=$EPOCHREALTIME; "$@" >/dev/null 2>&1; rc=$?; e=$EPOCHREALTIME
	[ "$rc" -eq 0 ] || echo "$* failed: $rc"
	ms_between "$s" "$e" >>"$WORK/$file.ms"
}
for _ in $(seq "$RUNS"); do
	timed run $D task run -- true
	[ -z "$DB" ] || timed base $DB task run -- true
	timed fork /bin/true
	timed cli $D version
	[ -z "$FLOOR" ] || timed floorcli "$WORK/floor-cli"
	[ -z "$FLOOR" ] || timed floorcurl "$WORK/floor-curl"
done
echo "(a) drover task run -- true: $(pct "$WORK/run.ms")"
[ -z "$DB" ] || echo "(a) the same, base build ($BASE): $(pct "$WORK/base.ms")"
echo "(a) baseline fork+exec /bin/true: $(pct "$WORK/fork.ms")"
echo "(a) the CLI's own start (drover version): $(pct "$WORK/cli.ms")"
if [ -n "$FLOOR" ]; then
	echo "(a) floor: a program doing nothing, linked as the CLI ($(ldd "$WORK/floor-cli" | grep -c '=>') libraries): $(pct "$WORK/floorcli.ms")"
	echo "(a) floor: a program doing nothing, linked with libcurl ($(ldd "$WORK/floor-curl" | grep -c '=>') libraries): $(pct "$WORK/floorcurl.ms")"
fi

# (b)
$D task run --detach --name ticker -- \
	"i=0; while [ \$i -lt $LINES ]; do echo \$i \$(date +%s.%6N); i=\$((i+1)); sleep 0.02; done" \
	>/dev/null 2>&1
task=$($D -j task list | jq -r '[.[] | select(.name == "ticker")][0].task_id.value')
file=$(ls -d "$WORK_AGENT"/sandboxes/*/"$task"/latest/stdout)
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
