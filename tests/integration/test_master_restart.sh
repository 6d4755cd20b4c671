# SPDX-License-Identifier: Apache-2.0
# kill -9 the master with running tasks and start it again on the same work
# dir. Every framework and task comes back (GET_FRAMEWORKS, GET_TASKS); a framework that
# resubscribes gets its unacknowledged update again and no acknowledged one; tasks of an
# agent that never comes back are reported TASK_UNREACHABLE (partition-aware) or TASK_LOST.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
start_cluster --agent-reregister-timeout 30s || exit 1
cleanup() {
	kill $BG_PIDS 2>/dev/null
	stop_cluster
}
trap cleanup EXIT
SCHED=/api/v1/scheduler
D="$BIN/drover --master $MASTER"
BG_PIDS=

# restart_master FLAGS...: kill -9 and start again on the same port and work dir
restart_master() {
	kill -9 "$MASTER_PID"
	wait "$MASTER_PID" 2>/dev/null
	echo "---- restart" >>"$WORK/master.log"
	_t0=$(date +%s%N)
	"$BIN/drover-master" --listen "$MASTER" --work-dir "$WORK/master" \
		--allocation-interval 200ms "$@" >>"$WORK/master.log" 2>&1 &
	MASTER_PID=$!
	for _ in $(seq 200); do
		curl -s -o /dev/null "http://$MASTER/health" && break
		sleep 0.02
	done
	RESTART_MS=$((($(date +%s%N) - _t0) / 1000000))
	echo "master answering ${RESTART_MS} ms after start"
}
# wait_op TYPE JQ: poll the operator API until JQ on TYPE's reply is true
wait_op() {
	for _ in $(seq 200); do
		[ "$(op "$1" | jq "$2")" = true ] && return 0
		sleep 0.05
	done
	return 1
}
# launch FW_OUT FW_ID SID AGENT_ID TASK_ID CMD: accept an offer of AGENT_ID with one task,
# then SUPPRESS and decline every other offer the framework holds (so that the next
# framework gets offers)
launch() {
	_o=$(wait_json "$1" "select(.type == \"OFFERS\") | .offers.offers[] | select(.agent_id.value == \"$4\") | .id.value") ||
		return 1
	_ti="{\"name\":\"$5\",\"task_id\":{\"value\":\"$5\"},\"agent_id\":{\"value\":\"$4\"},\"command\":{\"value\":\"$6\"},\"resources\":$(res_json 0.1 32)}"
	_c=$(api_post $SCHED "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$2\"},\"accept\":{\"offer_ids\":[{\"value\":\"$_o\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$_ti]}}],\"filters\":{\"refuse_seconds\":0}}}" \
		-H "Mesos-Stream-Id: $3")
	[ "$_c" = 202 ] || return 1
	api_post $SCHED "{\"type\":\"SUPPRESS\",\"framework_id\":{\"value\":\"$2\"}}" -H "Mesos-Stream-Id: $3" >/dev/null
	for _o in $(op GET_FRAMEWORKS | jq -r ".get_frameworks.frameworks[] | select(.framework_info.id.value == \"$2\") | .offers[].id.value"); do
		api_post $SCHED "{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"$2\"},\"decline\":{\"offer_ids\":[{\"value\":\"$_o\"}],\"filters\":{\"refuse_seconds\":3600}}}" -H "Mesos-Stream-Id: $3" >/dev/null
	done
}
AGENT_ID=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')

# 1. two detached tasks of `drover task run` (framework with a 7-day failover timeout,
#    every update acknowledged)
$D task run --detach --count 2 --name det -- sleep 60 >"$WORK/run.out" 2>&1
check detach-run [ $? -eq 0 ]
RUN_FW=$(op GET_FRAMEWORKS | jq -r '.get_frameworks.frameworks[0].framework_info.id.value')

# 2. a shell framework that does not acknowledge: its task's STARTING update stays pending
fw_subscribe sh '{"name":"sh","failover_timeout":3600}' || { fail subscribe-sh; exit 1; }
SH_FW=$FW_ID SH_PID=$FW_PID SH_OUT=$FW_OUT
BG_PIDS="$BG_PIDS $SH_PID"
launch "$SH_OUT" "$SH_FW" "$FW_SID" "$AGENT_ID" sh-task 'sleep 60'
check sh-launch [ $? -eq 0 ]
PENDING=$(wait_json "$SH_OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "sh-task" and .state == "TASK_STARTING") | .uuid')
check sh-got-starting [ -n "$PENDING" ]
kill "$SH_PID"

# 3. tasks on an agent that will not come back after the restart (a fake agent)
fake_agent ghost "$(res_json 1 256)" || fail ghost-agent
GHOST=$AG_ID GHOST_PID=$AG_PID
BG_PIDS="$BG_PIDS $GHOST_PID"
fw_subscribe pa '{"name":"pa","failover_timeout":3600,"capabilities":[{"type":"PARTITION_AWARE"}]}'
PA_FW=$FW_ID PA_SID=$FW_SID PA_OUT=$FW_OUT
BG_PIDS="$BG_PIDS $FW_PID"
launch "$PA_OUT" "$PA_FW" "$PA_SID" "$GHOST" pa-task true
check pa-launch [ $? -eq 0 ]
fw_subscribe np '{"name":"np","failover_timeout":3600}'
NP_FW=$FW_ID NP_SID=$FW_SID NP_OUT=$FW_OUT
BG_PIDS="$BG_PIDS $FW_PID"
launch "$NP_OUT" "$NP_FW" "$NP_SID" "$GHOST" np-task true
check np-launch [ $? -eq 0 ]
kill "$GHOST_PID"

op GET_FRAMEWORKS | jq -S '[.get_frameworks.frameworks[].framework_info] | sort_by(.id.value)' >"$WORK/fw.before"
op GET_TASKS | jq -S '[.get_tasks.tasks[] | {task_id, framework_id, agent_id, state, name, resources, status: .statuses[0].state}] | sort_by(.task_id.value)' >"$WORK/tasks.before"
check five-tasks-before [ "$(jq length "$WORK/tasks.before")" = 5 ]
check four-frameworks-before [ "$(jq length "$WORK/fw.before")" = 4 ]

# ---- restart: the real agent reregisters at once, the fake one never
restart_master --agent-reregister-timeout 4s
grep 'recovered' "$WORK/master.log" | tail -1
# the ghost's frameworks resubscribe at once: their tasks' UNREACHABLE/LOST, made by the
# master when the reregister timeout (4 s) is over, has no uuid and is not sent again
fw_subscribe pa2 "{\"name\":\"pa\",\"failover_timeout\":3600,\"capabilities\":[{\"type\":\"PARTITION_AWARE\"}],\"id\":{\"value\":\"$PA_FW\"}}"
BG_PIDS="$BG_PIDS $FW_PID"
PA_OUT=$FW_OUT
fw_subscribe np2 "{\"name\":\"np\",\"failover_timeout\":3600,\"id\":{\"value\":\"$NP_FW\"}}"
BG_PIDS="$BG_PIDS $FW_PID"
NP_OUT=$FW_OUT
op GET_FRAMEWORKS | jq -S '[.get_frameworks.frameworks[].framework_info] | sort_by(.id.value)' >"$WORK/fw.after"
op GET_TASKS | jq -S '[.get_tasks.tasks[] | {task_id, framework_id, agent_id, state, name, resources, status: .statuses[0].state}] | sort_by(.task_id.value)' >"$WORK/tasks.after"
check frameworks-recovered cmp -s "$WORK/fw.before" "$WORK/fw.after"
check tasks-recovered cmp -s "$WORK/tasks.before" "$WORK/tasks.after"
check frameworks-marked-recovered wait_op GET_FRAMEWORKS '[.get_frameworks.frameworks[] | select(.framework_info.name == "sh" or .framework_info.name == "drover-task-run") | .recovered] | length == 2 and all'

_t0=$(date +%s%N)
wait_op GET_AGENTS ".get_agents.agents[] | select(.agent_info.id.value == \"$AGENT_ID\") | .active"
check agent-reregistered [ $? -eq 0 ]
echo "agent reregistered $((($(date +%s%N) - _t0) / 1000000)) ms after the master answered"
op GET_TASKS | jq -S '[.get_tasks.tasks[] | {task_id, framework_id, agent_id, state, name, resources, status: .statuses[0].state}] | sort_by(.task_id.value)' >"$WORK/tasks.rereg"
jq 'map(select(.agent_id.value != "'"$GHOST"'"))' "$WORK/tasks.before" >"$WORK/tasks.before.real"
jq 'map(select(.agent_id.value != "'"$GHOST"'"))' "$WORK/tasks.rereg" >"$WORK/tasks.rereg.real"
check tasks-same-after-reregistration cmp -s "$WORK/tasks.before.real" "$WORK/tasks.rereg.real"

# the shell framework resubscribes: the unacknowledged STARTING comes again, same uuid
fw_subscribe sh2 "{\"name\":\"sh\",\"failover_timeout\":3600,\"id\":{\"value\":\"$SH_FW\"}}"
check sh-resubscribed-same-id [ "$FW_ID" = "$SH_FW" ]
SH_PID=$FW_PID SH_OUT=$FW_OUT SH_SID=$FW_SID
BG_PIDS="$BG_PIDS $SH_PID"
again=$(wait_json "$SH_OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "sh-task") | .uuid')
check unacked-update-resent [ "$again" = "$PENDING" ]
# acknowledging it lets the agent's next update (RUNNING) through
code=$(api_post $SCHED "{\"type\":\"ACKNOWLEDGE\",\"framework_id\":{\"value\":\"$SH_FW\"},\"acknowledge\":{\"agent_id\":{\"value\":\"$AGENT_ID\"},\"task_id\":{\"value\":\"sh-task\"},\"uuid\":\"$PENDING\"}}" -H "Mesos-Stream-Id: $SH_SID")
check ack-after-restart-202 [ "$code" = 202 ]
wait_json "$SH_OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "sh-task" and .state == "TASK_RUNNING") | .uuid' >/dev/null
check next-update-after-ack [ $? -eq 0 ]

# the task-run framework resubscribes: everything was acknowledged, nothing comes again.
# A RECONCILE of an unknown task is answered after anything re-sent would have been.
fw_subscribe run "{\"name\":\"drover-task-run\",\"failover_timeout\":604800,\"id\":{\"value\":\"$RUN_FW\"}}"
BG_PIDS="$BG_PIDS $FW_PID"
api_post $SCHED "{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"$RUN_FW\"},\"reconcile\":{\"tasks\":[{\"task_id\":{\"value\":\"zzz\"}}]}}" -H "Mesos-Stream-Id: $FW_SID" >/dev/null
zzz=$(wait_json "$FW_OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "zzz") | .state + " " + .reason')
check reconcile-answered [ "$zzz" = "TASK_LOST REASON_RECONCILIATION" ]
resent=$(recordio_json "$FW_OUT" | jq -r 'select(.type == "UPDATE") | .update.status | select(.uuid != null) | .task_id.value' | wc -l)
check acked-updates-not-resent [ "$resent" -eq 0 ]
check run-tasks-still-running wait_op GET_TASKS "[.get_tasks.tasks[] | select(.framework_id.value == \"$RUN_FW\") | .state == \"TASK_RUNNING\"] | all and length == 2"

st=$(wait_json "$PA_OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "pa-task" and .state != "TASK_STAGING") | .state' 200)
check ghost-task-unreachable-partition-aware [ "$st" = TASK_UNREACHABLE ]
st=$(wait_json "$NP_OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "np-task" and .state != "TASK_STAGING") | .state')
check ghost-task-lost-otherwise [ "$st" = TASK_LOST ]
check ghost-agent-unreachable wait_op GET_AGENTS ".get_agents.agents[] | select(.agent_info.id.value == \"$GHOST\") | .reachable == false"
# the real agent's tasks are all still there
check ghost-tasks-state wait_op GET_TASKS '[.get_tasks.tasks[], .get_tasks.unreachable_tasks[] | select(.agent_id.value == "'"$GHOST"'") | .state] | sort == ["TASK_LOST", "TASK_UNREACHABLE"]'
check real-tasks-running wait_op GET_TASKS '[.get_tasks.tasks[] | select(.agent_id.value != "'"$GHOST"'") | .state == "TASK_RUNNING"] | length == 3 and all'

# a framework torn down with a running task: the history keeps that task TASK_KILLED by the
# master (REASON_FRAMEWORK_REMOVED), not TASK_RUNNING, and so does the registry
code=$(api_post $SCHED "{\"type\":\"TEARDOWN\",\"framework_id\":{\"value\":\"$SH_FW\"}}" -H "Mesos-Stream-Id: $SH_SID")
check teardown-202 [ "$code" = 202 ]
KILLED='[.get_tasks.completed_tasks[] | select(.task_id.value == "sh-task") | {state, reason: .statuses[0].reason, source: .statuses[0].source}] == [{"state": "TASK_KILLED", "reason": "REASON_FRAMEWORK_REMOVED", "source": "SOURCE_MASTER"}]'
check torn-down-task-killed wait_op GET_TASKS "$KILLED"
check torn-down-task-not-active wait_op GET_TASKS '[.get_tasks.tasks[] | select(.task_id.value == "sh-task")] == []'
restart_master
check torn-down-task-killed-after-restart wait_op GET_TASKS "$KILLED"
finish
