#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tools/agentbench.sh [TASKS] [SECONDS]: the agent's own CPU use with TASKS sleeping tasks
# (default 1,000) at --sample-interval 1s, BPF sampling (--bpf auto) beside --bpf off, in the
# same run. For each mode: a real drover-master and drover-agent on loopback (best-effort, a
# private cgroup root and bpffs), `drover task run --count TASKS --detach -- sleep`, then
#
#   idle     SECONDS with nobody asking: what the agent spends on its own (the BPF side
#            samples every second; --bpf off samples nothing until asked)
#   scraped  SECONDS with GET_CONTAINERS called once a second (what a monitoring scrape
#            costs the agent: usage of every task)
#
# The agent's CPU is utime+stime of its process (/proc/PID/stat, all threads; its task
# supervisors are other processes) as % of one core; the BPF mode also prints the time of
# one sample as the agent measures it (GET_STATE enforcement.bpf.samples). Needs root.
set -eu
TASKS=${1:-1000} SECS=${2:-30}
BUILD=${DROVER_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
BIN=$BUILD/bin
[ "$(id -u)" -eq 0 ] || { echo "agentbench: needs root" >&2; exit 1; }
CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$CGMOUNT" ] || { echo "agentbench: no cgroup2 mount" >&2; exit 1; }
HZ=$(getconf CLK_TCK)

free_port() {
	while :; do
		p=$(shuf -i 20000-29999 -n 1)
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
agent_call() {
	curl -s -X POST -H 'Content-Type: application/json' -d "{\"type\":\"$1\"}" \
		"http://127.0.0.1:$APORT/api/v1"
}
leaves() {
	[ -d "$CGMOUNT/$CGROOT/tasks" ] || { echo 0; return; }
	find "$CGMOUNT/$CGROOT/tasks" -mindepth 2 -maxdepth 2 -type d | wc -l
}
cleanup() {
	[ -n "${AGENT_PID:-}" ] && kill "$AGENT_PID" 2>/dev/null
	[ -n "${MASTER_PID:-}" ] && kill "$MASTER_PID" 2>/dev/null
	wait 2>/dev/null || true
	if [ -n "${CGROOT:-}" ] && [ -d "$CGMOUNT/$CGROOT" ]; then
		echo 1 >"$CGMOUNT/$CGROOT/cgroup.kill" 2>/dev/null || true
		for _ in $(seq 50); do
			find "$CGMOUNT/$CGROOT" -depth -type d -exec rmdir {} \; 2>/dev/null || true
			[ -d "$CGMOUNT/$CGROOT" ] || break
			sleep 0.2
		done
	fi
	[ -n "${WORK:-}" ] && { mountpoint -q "$WORK/bpffs" && umount "$WORK/bpffs"; rm -rf "$WORK"; }
	AGENT_PID= MASTER_PID= CGROOT= WORK=
}
trap cleanup EXIT INT TERM

# window SECONDS SCRAPE: % of one core the agent used over SECONDS (scraping once a second
# when SCRAPE is 1)
window() {
	c0=$(cpu_ticks "$AGENT_PID")
	t0=$(date +%s.%N)
	i=0
	while [ $i -lt "$1" ]; do
		[ "$2" = 1 ] && agent_call GET_CONTAINERS >/dev/null
		sleep 1
		i=$((i + 1))
	done
	c1=$(cpu_ticks "$AGENT_PID")
	t1=$(date +%s.%N)
	awk -v c=$((c1 - c0)) -v hz="$HZ" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%.2f", 100 * c / hz / (t1 - t0) }'
}

run_mode() {
	mode=$1
	WORK=$(mktemp -d /tmp/drover-agentbench.XXXXXX)
	mkdir "$WORK/bpffs"
	mount -t bpf bpf "$WORK/bpffs"
	MPORT=$(free_port)
	APORT=$(free_port)
	MASTER=127.0.0.1:$MPORT
	CGROOT=drover-agentbench-$$-$mode.slice
	"$BIN/drover-master" --listen "$MASTER" --work-dir "$WORK/master" \
		--allocation-interval 200ms >"$WORK/master.log" 2>&1 &
	MASTER_PID=$!
	"$BIN/drover-agent" --master "$MASTER" --listen "127.0.0.1:$APORT" --work-dir "$WORK/agent" \
		--cgroup-root "$CGROOT" --enforce best-effort --bpf "$mode" \
		--bpf-pin-dir "$WORK/bpffs/drover" --sample-interval 1s --log-level warn \
		--resources "cpus:$TASKS;mem:$((TASKS * 8));ports:[31000-31099]" \
		>"$WORK/agent.log" 2>&1 &
	AGENT_PID=$!
	for _ in $(seq 100); do
		agent_call GET_STATE 2>/dev/null | grep -q get_state && break
		sleep 0.1
	done
	sleep 1
	t0=$(date +%s)
	"$BIN/drover" --master "$MASTER" task run --count "$TASKS" --detach --cpus 0.01 --mem 4 \
		-- sleep 100000 >"$WORK/run.out" 2>&1 || {
		echo "agentbench: launching failed:" >&2
		tail -5 "$WORK/run.out" >&2
		return 1
	}
	for _ in $(seq 600); do
		[ "$(leaves)" -ge "$TASKS" ] && break
		sleep 1
	done
	running=$(agent_call GET_CONTAINERS | grep -o '"TASK_RUNNING"' | wc -l)
	[ "$running" -ge "$TASKS" ] || {
		echo "agentbench: only $running of $TASKS tasks running" >&2
		return 1
	}
	echo "$mode: $TASKS tasks running after $(($(date +%s) - t0)) s; agent fds $(ls /proc/$AGENT_PID/fd | wc -l) (limit $(awk '/Max open files/ { print $4 }' /proc/$AGENT_PID/limits)), agent RSS $(awk '/VmRSS/ { print $2, $3 }' /proc/$AGENT_PID/status)"
	sleep 3
	s0=$(agent_call GET_STATE)
	idle=$(window "$SECS" 0)
	s1=$(agent_call GET_STATE)
	scraped=$(window "$SECS" 1)
	t=$(date +%s%N)
	agent_call GET_CONTAINERS >/dev/null
	one=$((($(date +%s%N) - t) / 1000000))
	echo "$mode: agent CPU idle ${idle}% of one core, scraped once a second ${scraped}%; one GET_CONTAINERS ${one} ms (wall, curl included)"
	if [ "$mode" = auto ]; then
		echo "$s0" "$s1" | jq -rs --argjson n "$TASKS" '
			(.[0].get_state.enforcement.bpf.samples) as $a | (.[1].get_state.enforcement.bpf.samples) as $b |
			"auto: \($b.count - $a.count) samples in the idle window, \((($b.total_ns - $a.total_ns) / ($b.count - $a.count) / 1000 | floor)) us each (the cgroup walk, last \(($b.last_walk_ns // 0) / 1000 | floor) us for \($b.last_walk_cgroups // 0) cgroups, + the run-queue histograms of \($n) tasks), max \(($b.max_ns / 1000 | floor)) us since start"'
	fi
	cleanup
}

echo "agentbench: $TASKS tasks, ${SECS} s per window; $(uptime)"
run_mode auto
run_mode off
echo "agentbench: done; $(uptime)"
