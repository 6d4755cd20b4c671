# SPDX-License-Identifier: Apache-2.0
# Helpers for integration tests (sourced). The runner sets DROVER_BUILD and DROVER_RESULTS.
BIN="$DROVER_BUILD/bin"
: "${DROVER_RESULTS:=/dev/null}"
failures=0

pass() { echo "PASS $DROVER_TEST/$1" >>"$DROVER_RESULTS"; echo "ok: $1"; }
fail() {
	echo "FAIL $DROVER_TEST/$1" >>"$DROVER_RESULTS"
	echo "FAIL: $1${2:+: $2}"
	failures=$((failures + 1))
}
# A sub-case that needs what this host lacks.
skip() { echo "SKIP $DROVER_TEST/$1: $2" >>"$DROVER_RESULTS"; echo "SKIP: $1: $2"; }
# Skip the whole script.
skip_all() { echo "SKIP: $1"; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root"; }
# protobuf_python: PY, a python3 that has protobuf (for the classes protoc generates from
# Mesos's own .proto files, tests/mesos-proto), "" when none; SRC, the source tree
protobuf_python() {
	PY=
	for _p in /usr/bin/python3 python3; do
		if "$_p" -c 'import google.protobuf' 2>/dev/null; then PY=$_p; break; fi
	done
	SRC=$(cd "$(dirname "$0")/../.." && pwd)
}
# need_mesos_proto: protobuf_python, or skip the script unless protoc and PY are here
need_mesos_proto() {
	command -v protoc >/dev/null || skip_all "needs protoc (protobuf-compiler)"
	protobuf_python
	[ -n "$PY" ] || skip_all "needs python3-protobuf"
}

# check NAME CMD...: pass when CMD succeeds
check() {
	n=$1
	shift
	if "$@"; then pass "$n"; else fail "$n" "command failed: $*"; fi
}

finish() { [ "$failures" -eq 0 ]; }

# is_one_of VALUE CHOICE...: VALUE is one of the CHOICEs (for check: `check x is_one_of "$code"
# 413 431`; `check x [ A ] || [ B ]` would record a failure for B before testing it)
is_one_of() {
	_v=$1
	shift
	for _c; do [ "$_v" = "$_c" ] && return 0; done
	return 1
}

# A TCP port on 127.0.0.1 nobody listens on, from a range away from the ephemeral one.
free_port() {
	while :; do
		p=$(shuf -i 20000-29999 -n 1)
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# Start a master and an agent on loopback in $WORK (best-effort: this host's cgroup2 has no
# cpu/memory controllers). Sets MASTER (host:port), MASTER_PID, AGENT_PID, CGROOT.
start_cluster() {
	WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
	MPORT=$(free_port)
	APORT=$(free_port)
	MASTER=127.0.0.1:$MPORT
	CGROOT=drover-it-$$.slice
	# a private bpffs for the agent's pins, so that runs side by side do not replace each
	# other's programs in /sys/fs/bpf/drover
	BPFPIN=/sys/fs/bpf/drover
	mkdir -p "$WORK/bpffs" && mount -t bpf bpf "$WORK/bpffs" 2>/dev/null && BPFPIN=$WORK/bpffs/drover
	"$BIN/drover-master" --listen "$MASTER" --work-dir "$WORK/master" \
		--allocation-interval 200ms "$@" >"$WORK/master.log" 2>&1 &
	MASTER_PID=$!
	run_agent
	for _ in $(seq 50); do
		grep -q 'subscribed to the master' "$WORK/agent.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "cluster did not come up"; cat "$WORK/master.log" "$WORK/agent.log"
	return 1
}

stop_cluster() {
	kill "$AGENT_PID" "$MASTER_PID" 2>/dev/null
	wait "$AGENT_PID" "$MASTER_PID" 2>/dev/null
	echo "---- master log"; cat "$WORK/master.log"
	echo "---- agent log"; cat "$WORK/agent.log"
	CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	if [ -n "$CGMOUNT" ] && [ -d "$CGMOUNT/$CGROOT" ]; then
		# tasks outlive their agent by design (detached runs): end them, then remove the
		# slice, deepest first
		for k in $(find "$CGMOUNT/$CGROOT" -name cgroup.kill 2>/dev/null); do
			echo 1 >"$k" 2>/dev/null
		done
		for _ in $(seq 20); do
			find "$CGMOUNT/$CGROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
			[ -d "$CGMOUNT/$CGROOT" ] || break
			sleep 0.1
		done
	fi
	mountpoint -q "$WORK/bpffs" && umount "$WORK/bpffs"
	rm -rf "$WORK"
}

need_cgroup2() {
	awk '$9 == "cgroup2" { f = 1 } END { exit !f }' /proc/self/mountinfo ||
		skip_all "no cgroup2 mount"
}

# op TYPE [BODY_JSON]: the master's answer to the operator call TYPE, with BODY_JSON as its
# "<type>" field when given (zk_lib.sh's op asks the current leader instead). For the status
# code of a call, api_post.
op() {
	_ot=$(echo "$1" | tr 'A-Z' 'a-z')
	curl -s -X POST -H 'Content-Type: application/json' \
		-d "{\"type\":\"$1\"${2:+,\"$_ot\":$2}}" "http://$MASTER/api/v1"
}
# (op's older names)
master_call() { op "$@"; }
operator() { op "$@"; }

# Poll until "$@" succeeds (at most $WAIT_S seconds, default 10).
wait_for() {
	_n=$(( ${WAIT_S:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# The agent of start_cluster, extra flags in "$@", in the background (its log appended to
# $WORK/agent.log). Sets AGENT_PID.
run_agent() {
	"$BIN/drover-agent" --master "$MASTER" --listen "127.0.0.1:$APORT" --work-dir "$WORK/agent" \
		--cgroup-root "$CGROOT" --enforce best-effort --bpf-pin-dir "$BPFPIN" \
		--resources 'cpus:2;mem:1024;ports:[31000-31099]' "$@" >>"$WORK/agent.log" 2>&1 &
	AGENT_PID=$!
}

# Restart the agent of start_cluster on the same work dir, extra flags in "$@".
restart_agent() { run_agent "$@"; }

# ---------------------------------------------------------------- a framework and an agent in shell
# (used by test_master_*.sh). They need curl and jq.
need_jq() { command -v jq >/dev/null || skip_all "needs jq"; }

# start_master [FLAGS...]: a master alone in $WORK (created if unset). Sets MASTER, MASTER_PID.
start_master() {
	[ -n "${WORK:-}" ] || WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
	MASTER=127.0.0.1:${MPORT:=$(free_port)}
	"$BIN/drover-master" --listen "$MASTER" --work-dir "$WORK/master" \
		--allocation-interval 200ms "$@" >>"$WORK/master.log" 2>&1 &
	MASTER_PID=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://$MASTER/health" && return 0
		kill -0 "$MASTER_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "master did not come up"; cat "$WORK/master.log"
	return 1
}

# master_begin [FLAGS...]: what a test of a master alone (frameworks and agents in shell)
# starts with: jq, $WORK, a cleanup at exit (the background $BG_PIDS, which fw_subscribe and
# fake_agent fill, and the master, whose log is printed) and the master.
master_begin() {
	need_jq
	WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
	BG_PIDS=
	trap master_cleanup EXIT
	start_master "$@" || exit 1
}
master_cleanup() {
	kill $BG_PIDS "$MASTER_PID" 2>/dev/null
	wait 2>/dev/null
	echo "---- master log"; cat "$WORK/master.log"
	rm -rf "$WORK"
}

# The records of a RecordIO stream file, one JSON per line (the JSON is ASCII-only and holds
# no newline, so awk's character functions count bytes). An incomplete last record is left.
recordio_json() {
	awk 'BEGIN { RS = "\001" } { buf = buf $0 }
	END {
		while ((i = index(buf, "\n")) > 0) {
			n = substr(buf, 1, i - 1) + 0
			if (length(buf) - i < n) break
			print substr(buf, i + 1, n)
			buf = substr(buf, i + 1 + n)
		}
	}' "$1"
}

# wait_json FILE JQ [TRIES]: poll the stream FILE until some record makes JQ print a
# non-empty, non-null value; print the last such value. Fails after TRIES × 50 ms (100).
wait_json() {
	_n=${3:-100}
	while [ "$_n" -gt 0 ]; do
		_v=$(recordio_json "$1" | jq -r "$2" 2>/dev/null | grep -v '^null$' | tail -1)
		[ -n "$_v" ] && { echo "$_v"; return 0; }
		sleep 0.05
		_n=$((_n - 1))
	done
	return 1
}

# Header value from a curl -D file.
header_value() { tr -d '\r' <"$1" | sed -n "s/^$2: *//Ip" | tail -1; }

# api_post PATH BODY [CURL ARGS...]: POST JSON (Content-Type $CT if set); writes the reply's
# body to $WORK/reply, prints the status code.
api_post() {
	_p=$1 _b=$2
	shift 2
	curl -s -o "$WORK/reply" -w '%{http_code}' -X POST -H "Content-Type: ${CT:-application/json}" \
		"$@" --data-binary "$_b" "http://$MASTER$_p"
}

# fw_subscribe NAME FRAMEWORK_INFO_JSON: open a framework's stream in the background.
# Sets FW_ID, FW_SID, FW_PID (also added to BG_PIDS), FW_OUT (the stream file).
fw_subscribe() {
	FW_OUT="$WORK/fw-$1.stream"
	: >"$FW_OUT"
	curl -s -N -D "$WORK/fw-$1.hdrs" -X POST -H 'Content-Type: application/json' \
		-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":$2}}" \
		"http://$MASTER/api/v1/scheduler" >"$FW_OUT" 2>/dev/null &
	FW_PID=$!
	BG_PIDS="${BG_PIDS:-} $FW_PID"
	FW_ID=$(wait_json "$FW_OUT" 'select(.type == "SUBSCRIBED") | .subscribed.framework_id.value') ||
		return 1
	FW_SID=$(header_value "$WORK/fw-$1.hdrs" Mesos-Stream-Id)
}

# fw_launch FW_OUT FW_ID SID AGENT_ID TASK_INFO_JSON: accept an offer of AGENT_ID (read from
# the stream FW_OUT) with that one task. Fails unless the ACCEPT is answered 202.
fw_launch() {
	_o=$(wait_json "$1" "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$4\") | .id.value") ||
		return 1
	_c=$(api_post /api/v1/scheduler "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$2\"},\"accept\":{\"offer_ids\":[{\"value\":\"$_o\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$5]}}]}}" \
		-H "Mesos-Stream-Id: $3")
	[ "$_c" = 202 ]
}

# fake_agent NAME RESOURCES_JSON [AGENT_ID]: an agent that subscribes and then only listens.
# Sets AG_ID, AG_SID, AG_PID (also added to BG_PIDS), AG_OUT.
fake_agent() {
	AG_OUT="$WORK/agent-$1.stream"
	: >"$AG_OUT"
	_id=
	[ -z "${3:-}" ] || _id=",\"agent_id\":{\"value\":\"$3\"}"
	curl -s -N -D "$WORK/agent-$1.hdrs" -X POST -H 'Content-Type: application/json' \
		-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_info\":{\"hostname\":\"$1\",\"resources\":$2}$_id}}" \
		"http://$MASTER/api/v1/agent" >"$AG_OUT" 2>/dev/null &
	AG_PID=$!
	BG_PIDS="${BG_PIDS:-} $AG_PID"
	AG_ID=$(wait_json "$AG_OUT" 'select(.type == "SUBSCRIBED") | .subscribed.agent_id.value') ||
		return 1
	AG_SID=$(header_value "$WORK/agent-$1.hdrs" Mesos-Stream-Id)
}

# Resources in the Mesos JSON form: res_json CPUS MEM
res_json() {
	echo "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":$1}},{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":$2}}]"
}

# agent_sub NAME USER:SECRET [AGENT_ID [TASKS_JSON]]: SUBSCRIBE an agent (hostname NAME,
# cpus:2;mem:512) with HTTP Basic in the background, and its tasks. Sets AG_CODE (the HTTP
# status), AG_OUT (its stream, or the error), AG_SID; adds its curl to BG_PIDS.
agent_sub() {
	AG_OUT="$WORK/agent-$1.stream"
	: >"$AG_OUT"
	rm -f "$WORK/agent-$1.hdrs"
	_id=
	[ -z "${3:-}" ] || _id=",\"agent_id\":{\"value\":\"$3\"}"
	curl -s -N -u "$2" -D "$WORK/agent-$1.hdrs" -X POST -H 'Content-Type: application/json' \
		-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_info\":{\"hostname\":\"$1\",\"resources\":$(res_json 2 512)}$_id,\"tasks\":${4:-[]}}}" \
		"http://$MASTER/api/v1/agent" >"$AG_OUT" 2>/dev/null &
	BG_PIDS="$BG_PIDS $!"
	for _ in $(seq 100); do
		_c=$(head -1 "$WORK/agent-$1.hdrs" 2>/dev/null | awk '{ print $2 }')
		[ -n "$_c" ] && break
		sleep 0.05
	done
	AG_SID=$(header_value "$WORK/agent-$1.hdrs" Mesos-Stream-Id)
	AG_CODE=${_c:-none}
}
