# SPDX-License-Identifier: Apache-2.0
# Helpers for the fault-injection tier (sourced after tests/integration/lib.sh, whose
# cluster, framework and result helpers they build on).
#
# The framework of these tests is a shell framework (fw_subscribe) with an acknowledger
# in the background: it acknowledges every update it reads once and records it in
# $ACKS ("task state uuid" per line). check_no_loss then asserts what every fault test
# must keep: no update delivered twice on one stream, none acknowledged twice, no task
# with two agent updates of one state, every task known to the master once, every task
# the master calls running backed by exactly one process on the agent, and the last state
# the framework acknowledged is the master's.
. "$(dirname "$0")/../integration/lib.sh"

SCHED=/api/v1/scheduler

# fault_begin [START_CLUSTER FLAGS...]: what a fault test of one master and one agent starts
# with: its needs, the cluster (agents may take 30 s to come back), fault_cleanup at exit,
# AGENT_ID, the framework "fault" with its acknowledger, TAG (for process names) and
# WAIT_S=30.
fault_begin() {
	need_root
	need_cgroup2
	need_jq
	start_cluster --agent-reregister-timeout 30s "$@" || exit 1
	trap fault_cleanup EXIT
	AGENT_ID=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')
	fault_fw fault || { fail subscribe; exit 1; }
	TAG=$$
	WAIT_S=30
}

# fault_fw NAME [CAPABILITIES_JSON]: subscribe a framework (partition-aware unless other
# capabilities are given, e.g. []) with a 1 h failover timeout and start its acknowledger. Sets FW_ID, FW_SID, FW_OUT, ACKS, ACKER_PID.
fault_fw() {
	_caps='[{"type":"PARTITION_AWARE"}]'
	[ $# -lt 2 ] || _caps=$2
	fw_subscribe "$1" '{"name":"'"$1"'","failover_timeout":3600,"capabilities":'"$_caps"'}' ||
		return 1
	ACKS=${ACKS:-$WORK/acks.log}
	touch "$ACKS"
	STREAMS="${STREAMS:-} $FW_OUT"
	acker_start
}

# fw_resubscribe: subscribe again with the same framework ID (after a master restart or a
# lost stream), on a new stream file; restart the acknowledger on it.
fw_resubscribe() {
	acker_stop
	kill "$FW_PID" 2>/dev/null
	_rn=$(($(echo "$STREAMS" | wc -w) + 1))
	FW_OUT="$WORK/fw-re$_rn.stream"
	: >"$FW_OUT"
	for _ in $(seq 100); do
		curl -s -N -D "$WORK/fw-re$_rn.hdrs" -X POST -H 'Content-Type: application/json' \
			-d '{"type":"SUBSCRIBE","framework_id":{"value":"'"$FW_ID"'"},"subscribe":{"framework_info":{"id":{"value":"'"$FW_ID"'"},"name":"fault","failover_timeout":3600,"capabilities":[{"type":"PARTITION_AWARE"}]}}}' \
			"http://$MASTER$SCHED" >"$FW_OUT" 2>/dev/null &
		FW_PID=$!
		if wait_json "$FW_OUT" 'select(.type == "SUBSCRIBED") | .subscribed.framework_id.value' 40 >/dev/null; then
			FW_SID=$(header_value "$WORK/fw-re$_rn.hdrs" Mesos-Stream-Id)
			STREAMS="$STREAMS $FW_OUT"
			acker_start
			return 0
		fi
		kill "$FW_PID" 2>/dev/null
		sleep 0.1
	done
	return 1
}

# The acknowledger: every UPDATE with a uuid on $FW_OUT is acknowledged once, then recorded.
acker_start() {
	(
		seen=0
		while :; do
			recordio_json "$FW_OUT" >"$FW_OUT.json" 2>/dev/null
			total=$(wc -l <"$FW_OUT.json")
			tail -n +$((seen + 1)) "$FW_OUT.json" | head -n $((total - seen)) |
				jq -r 'select(.type == "UPDATE") | .update.status |
					"\(.task_id.value) \(.state) \(.uuid // "-") \(.agent_id.value)"' |
				while read -r t s u a; do
					# an update without a uuid (the master's own) takes no acknowledgement
					if [ "$u" = - ]; then
						echo "$t $s -" >>"$ACKS"
						continue
					fi
					grep -q " $u\$" "$ACKS" && continue
					c=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
						-H 'Content-Type: application/json' -H "Mesos-Stream-Id: $FW_SID" \
						-d '{"type":"ACKNOWLEDGE","framework_id":{"value":"'"$FW_ID"'"},"acknowledge":{"agent_id":{"value":"'"$a"'"},"task_id":{"value":"'"$t"'"},"uuid":"'"$u"'"}}' \
						"http://$MASTER$SCHED")
					[ "$c" = 202 ] && echo "$t $s $u" >>"$ACKS"
				done
			seen=$total
			sleep 0.1
		done
	) &
	ACKER_PID=$!
}
acker_stop() { [ -n "${ACKER_PID:-}" ] && kill "$ACKER_PID" 2>/dev/null; ACKER_PID=; }

# offer_ids AGENT_ID: this framework's outstanding offers of the agent as a JSON list of
# {"value": id} (the resources of one agent may be in several offers: what was free, and
# what a task gave back since). Waits up to 15 s for one.
offer_ids() {
	for _ in $(seq 150); do
		_ids=$(op GET_FRAMEWORKS | jq -c --arg f "$FW_ID" --arg a "${1:-}" '[.get_frameworks.frameworks[] | select(.framework_info.id.value == $f) | .offers // [] | .[] | select($a == "" or .agent_id.value == $a) | {value: .id.value}]')
		[ "$_ids" != "[]" ] && [ -n "$_ids" ] && { echo "$_ids"; return 0; }
		sleep 0.1
	done
	return 1
}

# task_json ID CMD [AGENT_ID]
task_json() {
	echo '{"name":"'"$1"'","task_id":{"value":"'"$1"'"},"agent_id":{"value":"'"${3:-$AGENT_ID}"'"},"command":{"value":"'"$2"'"},"resources":'"$(res_json 0.1 16)"'}'
}

# accept OFFER_IDS_JSON TASK_JSON...: launch the tasks from those offers (of one agent);
# prints the HTTP status
accept() {
	_o=$1
	shift
	_ts=$(echo "$@" | sed 's/} {"name"/},{"name"/g')
	api_post $SCHED '{"type":"ACCEPT","framework_id":{"value":"'"$FW_ID"'"},"accept":{"offer_ids":'"$_o"',"operations":[{"type":"LAUNCH","launch":{"task_infos":['"$_ts"']}}],"filters":{"refuse_seconds":0}}}' \
		-H "Mesos-Stream-Id: $FW_SID"
}

# launch TASK_JSON...: accept all offers of $AGENT_ID together with the tasks; an offer that
# went away in between (rescinded when the agent reregistered) makes the master answer 202
# and drop the tasks (TASK_LOST/DROPPED, REASON_INVALID_OFFERS: as Mesos) without keeping
# them, so look again while the first task is unknown to it. Prints the last HTTP status.
launch() {
	_tid=$(echo "$1" | jq -r '.task_id.value')
	for _try in 1 2 3 4 5 6; do
		_o=$(offer_ids "$AGENT_ID") || { echo none; return 1; }
		_c=$(accept "$_o" "$@")
		# the master has the tasks once it answered (one owner thread)
		[ "$_c" = 202 ] && [ -n "$(task_state "$_tid")" ] && break
		echo "ACCEPT of offer $_o: $_c $(cat "$WORK/reply")" >&2
		sleep 0.5
	done
	echo "$_c"
}

kill_task() {
	api_post $SCHED '{"type":"KILL","framework_id":{"value":"'"$FW_ID"'"},"kill":{"task_id":{"value":"'"$1"'"},"agent_id":{"value":"'"$AGENT_ID"'"}}}' \
		-H "Mesos-Stream-Id: $FW_SID"
}

# task_state ID: the task's state as the master reports it (GET_TASKS)
task_state() {
	op GET_TASKS | jq -r --arg t "$1" '[.get_tasks | (.tasks // [], .completed_tasks // [], .unreachable_tasks // [])[] | select(.task_id.value == $t) | .state] | last // empty'
}
# acked_state ID: the last state of the task the framework acknowledged
acked_state() { awk -v t="$1" '$1 == t { s = $2 } END { print s }' "$ACKS"; }
state_is() { [ "$(task_state "$1")" = "$2" ]; }
acked_is() { [ "$(acked_state "$1")" = "$2" ]; }
# settled ID: the framework's last update of the task is the master's state, and that is
# RUNNING or terminal (a task is never left staging or starting)
settled() {
	_a=$(acked_state "$1")
	case $_a in "" | TASK_STAGING | TASK_STARTING) return 1 ;; esac
	[ "$_a" = "$(task_state "$1")" ]
}

# procs_of CMD: how many processes run exactly CMD (tasks use unique commands)
procs_of() { pgrep -fx "$1" | wc -l; }
no_procs() { [ "$(procs_of "$1")" = 0 ]; }

kill9_agent() {
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	echo "---- agent killed (-9)" >>"$WORK/agent.log"
}
kill9_master() {
	kill -9 "$MASTER_PID"
	wait "$MASTER_PID" 2>/dev/null
	echo "---- master killed (-9)" >>"$WORK/master.log"
}
# restart_master_same FLAGS...: the master again on the same port and work dir
restart_master_same() {
	"$BIN/drover-master" --listen "$MASTER" --work-dir "$WORK/master" \
		--allocation-interval 200ms "$@" >>"$WORK/master.log" 2>&1 &
	MASTER_PID=$!
	wait_for curl -sf -o /dev/null "http://$MASTER/health"
}
agent_registered() {
	[ "$(op GET_AGENTS | jq -r --arg a "$AGENT_ID" '.get_agents.agents[] | select(.agent_info.id.value == $a) | .active')" = true ]
}

# check_no_loss NAME TASK:CMD...: the invariants of the file comment, for the given tasks
# (in CMD, "_" stands for a space)
check_no_loss() {
	_name=$1
	shift
	_bad=
	# (both loops below must run: no stream or no task would pass unchecked)
	[ -n "${STREAMS:-}" ] || { echo "no framework stream to check"; _bad=1; }
	[ $# -gt 0 ] || { echo "no task to check"; _bad=1; }
	for _s in $STREAMS; do
		_d=$(recordio_json "$_s" | jq -r 'select(.type == "UPDATE") | .update.status.uuid // empty' | sort | uniq -d)
		[ -z "$_d" ] || { echo "update(s) delivered twice on $_s: $_d"; _bad=1; }
	done
	_d=$(awk '$3 != "-" { print $3 }' "$ACKS" | sort | uniq -d)
	[ -z "$_d" ] || { echo "update(s) acknowledged twice: $_d"; _bad=1; }
	# (the master's own updates, without a uuid, may repeat a state: a task that comes
	# back from UNREACHABLE is RUNNING again, or ended meanwhile and the agent's update
	# with the details follows)
	_d=$(awk '$3 != "-" { print $1, $2 }' "$ACKS" | sort | uniq -d)
	[ -z "$_d" ] || { echo "task(s) with two updates of one state from the agent: $_d"; _bad=1; }
	_tasks=$(op GET_TASKS)
	for _tc in "$@"; do
		_t=${_tc%%:*} _c=$(echo "${_tc#*:}" | tr _ ' ')
		_cnt=$(echo "$_tasks" | jq --arg t "$_t" '[.get_tasks | (.tasks // [], .completed_tasks // [], .unreachable_tasks // [])[] | select(.task_id.value == $t)] | length')
		[ "$_cnt" = 1 ] || { echo "task $_t known $_cnt times to the master"; _bad=1; }
		_st=$(task_state "$_t")
		_p=$(procs_of "$_c")
		case $_st in
		TASK_RUNNING | TASK_STARTING | TASK_STAGING | TASK_KILLING)
			[ "$_p" = 1 ] || { echo "task $_t is $_st with $_p processes"; _bad=1; } ;;
		*)
			[ "$_p" = 0 ] || { echo "task $_t is $_st with $_p processes"; _bad=1; } ;;
		esac
		[ "$(acked_state "$_t")" = "$_st" ] ||
			{ echo "task $_t: master says $_st, the framework acknowledged '$(acked_state "$_t")'"; _bad=1; }
	done
	if [ -z "$_bad" ]; then pass "$_name"; else fail "$_name" "updates or tasks lost or duplicated"; fi
}

# a test killed by the runner's timeout still cleans up (sh runs EXIT traps only on exit)
trap 'exit 1' INT TERM

fault_cleanup() {
	acker_stop
	kill ${FW_PID:-} ${BG_PIDS:-} 2>/dev/null
	echo "---- acknowledged updates"; cat "${ACKS:-/dev/null}"
	stop_cluster
}
