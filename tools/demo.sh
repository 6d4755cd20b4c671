#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# `make demo`: a one-node Drover cluster on loopback and a short story told through `drover`.
#   1. installs what is missing (make deps) and builds the binaries
#   2. starts a master (SQLite registry in a scratch directory) and an agent
#   3. two roles, weights 1 and 3, compete for the host: their dominant shares go to 1:3
#   4. a CPU-limited task; 5. a task OOM-killed, with its reason; 6. a `cgroup top` snapshot
#   7. stops everything and checks that no process and no cgroup is left
# Needs root (cgroups, BPF). Exit 0 when the story ran to its end. About a minute.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
BIN=$ROOT/$BUILD/bin

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
# show a command, then run it
show() { printf '\n$ %s\n' "$*"; "$@"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (it creates cgroups and loads BPF programs): sudo make demo" >&2
	exit 1
fi
T0=$(date +%s)

say "Installing what is missing and building"
if [ -z "${DROVER_DEMO_NO_BUILD:-}" ]; then
	make --no-print-directory deps
	make --no-print-directory -j"$(nproc)" bins >/tmp/drover-demo-build.log 2>&1 || {
		tail -30 /tmp/drover-demo-build.log >&2
		echo "demo: the build failed (log: /tmp/drover-demo-build.log)" >&2
		exit 1
	}
fi
note "built: $(ls "$BIN" | tr '\n' ' ')"

# ---------------------------------------------------------------- the host
CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -z "$CGMOUNT" ]; then
	echo "demo: no cgroup2 file system is mounted; Drover needs cgroup v2" >&2
	exit 1
fi
CTRLS=$(cat "$CGMOUNT/cgroup.controllers" 2>/dev/null || true)
ENFORCE=strict
for c in cpu memory; do
	case " $CTRLS " in *" $c "*) ;; *) ENFORCE=best-effort ;; esac
done
say "This host"
note "cgroup2 at $CGMOUNT, controllers: ${CTRLS:-none}"
if [ "$ENFORCE" = best-effort ]; then
	note "The cpu and/or memory controller is missing from cgroup v2 here (bound to cgroup v1"
	note "or not enabled), so the agent runs with --enforce best-effort: tasks are placed,"
	note "measured and accounted, but CPU and memory LIMITS ARE NOT ENFORCED. The CPU-limit and"
	note "OOM steps below say what they would show and what happens here instead."
else
	note "cpu and memory controllers available: limits are enforced (--enforce strict)."
fi

# ---------------------------------------------------------------- scratch cluster
SCRATCH=$(mktemp -d /tmp/drover-demo.XXXXXX)
SLICE=drover-demo-$$.slice
MASTER_PID= AGENT_PID= BG_PIDS=
free_port() {
	while :; do
		p=$(shuf -i 20000-29999 -n 1)
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
# stop_pids SECONDS PID...: SIGTERM, then SIGKILL for what is still there after SECONDS
stop_pids() {
	_s=$1
	shift
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null || true
	_n=$((_s * 10))
	while [ $_n -gt 0 ]; do
		_alive=
		for _p; do kill -0 "$_p" 2>/dev/null && _alive=1; done
		[ -z "$_alive" ] && break
		sleep 0.1
		_n=$((_n - 1))
	done
	kill -KILL "$@" 2>/dev/null || true
	for _p; do wait "$_p" 2>/dev/null || true; done
	return 0
}
cleanup() {
	set +e
	# the frameworks first (Ctrl-C kills their tasks), then the agent, then the master
	stop_pids 15 $BG_PIDS
	BG_PIDS=
	[ -n "$AGENT_PID" ] && stop_pids 10 "$AGENT_PID"
	[ -n "$MASTER_PID" ] && stop_pids 10 "$MASTER_PID"
	AGENT_PID= MASTER_PID=
	# whatever is still in the slice (nothing, normally) is killed, then the cgroups go
	if [ -d "$CGMOUNT/$SLICE" ]; then
		find "$CGMOUNT/$SLICE" -name cgroup.kill -exec sh -c 'echo 1 > "$1"' _ {} \; 2>/dev/null
		sleep 0.2
		find "$CGMOUNT/$SLICE" -depth -type d -exec rmdir {} \; 2>/dev/null
	fi
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

MPORT=$(free_port)
APORT=$(free_port)
MASTER=127.0.0.1:$MPORT
AGENT=127.0.0.1:$APORT
cat >"$SCRATCH/roles.json" <<'JSON'
{"roles": [{"role": "a", "weight": 1}, {"role": "b", "weight": 3}]}
JSON
say "Starting a master and an agent on loopback (scratch directory $SCRATCH)"
"$BIN/drover-master" --listen "$MASTER" --work-dir "$SCRATCH/master" \
	--registry "sqlite:$SCRATCH/master/registry.db" --roles "$SCRATCH/roles.json" \
	--allocation-interval 250ms >"$SCRATCH/master.log" 2>&1 &
MASTER_PID=$!
"$BIN/drover-agent" --master "$MASTER" --listen "$AGENT" --work-dir "$SCRATCH/agent" \
	--cgroup-root "$SLICE" --enforce "$ENFORCE" --resources 'cpus:2;mem:2048;ports:[31000-31099]' \
	>"$SCRATCH/agent.log" 2>&1 &
AGENT_PID=$!
export DROVER_MASTER=$MASTER DROVER_AGENT=$AGENT
D="$BIN/drover"
i=0
until "$D" -j agent list 2>/dev/null | grep -q '"active": *true\|"active":true'; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$AGENT_PID" 2>/dev/null; then
		echo "demo: the cluster did not come up" >&2
		tail -20 "$SCRATCH/master.log" "$SCRATCH/agent.log" >&2
		exit 1
	fi
	sleep 0.1
done
note "master $MASTER (registry $SCRATCH/master/registry.db), agent $AGENT, slice $SLICE"
show "$D" agent list

# ---------------------------------------------------------------- 1. weighted DRF
say "Two roles compete for the host: 'a' (weight 1) and 'b' (weight 3)"
note "Each role runs a framework ('drover task run --count 100') of small tasks (0.1 CPU,"
note "32 MiB, 2-5 seconds each). Weighted DRF offers freed resources to the role with the"
note "lowest dominant share / weight (W.SHARE), so the shares should settle at 1:3 (0.25 and"
note "0.75 of the host's 2 CPUs), with equal W.SHARE."
show "$D" role list
JOB='sleep $(shuf -i 2-5 -n 1)'
"$D" task run --name a --role a --count 100 --cpus 0.1 --mem 32 -- "$JOB" \
	>"$SCRATCH/fw-a.log" 2>&1 &
BG_PIDS="$BG_PIDS $!"
"$D" task run --name b --role b --count 100 --cpus 0.1 --mem 32 -- "$JOB" \
	>"$SCRATCH/fw-b.log" 2>&1 &
BG_PIDS="$BG_PIDS $!"
for t in 2 5 8 11 14; do
	sleep 3
	printf '\n$ drover role list   # t=%ss\n' "$t"
	"$D" role list
done
shares=$("$D" -j role list | jq -r '[.[] | select(.name == "a" or .name == "b")] | sort_by(.name) | map(.dominant_share) | "\(.[0]) \(.[1])"')
note "dominant shares a, b: $shares  ->  b/a = $(echo "$shares" | awk '{ printf "%.2f", ($1 > 0 ? $2 / $1 : 0) }') (weights say 3)"

say "What runs on the host: the cgroup tree and a 'cgroup top' snapshot"
show "$D" cgroup top -b -n 1
"$D" cgroup tree | head -14
note "..."

say "Drover's eBPF programs on this host (run counts over one second)"
"$D" prog list --stats 1 2>&1 | sed 's/^/    /' || note "(no BPF programs: the agent runs without them here)"

# the frameworks end: Ctrl-C (SIGTERM) kills their tasks and waits for the updates
stop_pids 15 $BG_PIDS
BG_PIDS=

# ---------------------------------------------------------------- 2. CPU limit
say "A CPU-limited task: a busy loop with --limit-cpus 0.5"
"$D" task run --name capped --cpus 0.5 --limit-cpus 0.5 -- 'timeout 6 sh -c "while :; do :; done"; true' \
	>"$SCRATCH/capped.log" 2>&1 &
CAPPED=$!
BG_PIDS=$CAPPED
sleep 2
show "$D" cgroup top -b -n 1 -d 2
if [ "$ENFORCE" = best-effort ]; then
	note "Best-effort host: cpu.max is not set (no cpu controller), so the loop takes a whole"
	note "CPU (~100%). With the controller it stays at ~50% and THROTL counts throttled periods."
else
	note "cpu.max holds it at ~50% of one CPU; THROTL counts the periods it was throttled."
fi
wait "$CAPPED" 2>/dev/null || true
BG_PIDS=
note "$(grep -m1 'is TASK_' "$SCRATCH/capped.log" | sed 's/^drover: //') ... $(grep 'is TASK_' "$SCRATCH/capped.log" | tail -1 | sed 's/^drover: //')"

# ---------------------------------------------------------------- 3. OOM
say "A memory hog with --mem 32 --limit-mem 32"
HOG='x=$(head -c 200000000 /dev/zero | tr "\0" x); echo survived'
if [ "$ENFORCE" = best-effort ]; then
	note "Skipped on this host: without the memory controller memory.max cannot be set, so"
	note "the kernel would not OOM-kill the task and it would simply survive. On a host with"
	note "cgroup v2 memory this step runs:  drover task run --mem 32 --limit-mem 32 -- '$HOG'"
	note "and shows TASK_FAILED, reason REASON_CONTAINER_LIMITATION_MEMORY, exit status 121"
	note "(see 'make check-vm', which runs it under kernels with full cgroup v2)."
else
	set +e
	printf '\n$ drover task run --name hog --mem 32 --limit-mem 32 -- %s\n' "'$HOG'"
	"$D" task run --name hog --mem 32 --limit-mem 32 -- "$HOG"
	rc=$?
	set -e
	note "exit status $rc (121: killed for exceeding its memory limit)"
	id=$("$D" -j task list --all | jq -r '[.[] | select(.name == "hog")][-1].task_id.value')
	"$D" -j task show "$id" | jq '{state, reason: .statuses[0].reason, message: .statuses[0].message}'
fi

# ---------------------------------------------------------------- the end
say "History: the master's completed tasks"
"$D" -j task list --all | jq -r 'group_by(.state) | map("    \(.[0].state): \(length)") | .[]'

say "Stopping everything"
cleanup
trap - EXIT
left_procs=$(ps -e -o pid= -o args= | grep -c "[d]rover-\(master\|agent\) .*$MPORT" || true)
left_cg=$(find "$CGMOUNT/$SLICE" -type d 2>/dev/null | wc -l)
note "processes left: $left_procs, cgroups left: $left_cg, scratch dir removed: $([ -d "$SCRATCH" ] && echo no || echo yes)"
[ "$left_procs" -eq 0 ] && [ "$left_cg" -eq 0 ] || { echo "demo: something was left behind" >&2; exit 1; }
say "Done in $(( $(date +%s) - T0 ))s"
