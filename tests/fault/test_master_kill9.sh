# SPDX-License-Identifier: Apache-2.0
# kill -9 the master right after it accepted a launch (its registry transaction in flight)
# and while it runs allocation cycles, then restart it on the same work dir. The agent and
# the framework come back; every task is known once, runs with one process or has ended,
# and no update is lost or delivered twice.
. "$(dirname "$0")/lib.sh"
fault_begin
TASKS=

# after_restart NAME: the agent and the framework are back and every task has settled
after_restart() {
	check "$1-master-back" wait_for curl -sf -o /dev/null "http://$MASTER/health"
	check "$1-agent-back" wait_for agent_registered
	fw_resubscribe || fail "$1-resubscribe"
	for tc in $TASKS; do
		check "$1-${tc%%:*}-settled" wait_for settled "${tc%%:*}"
	done
	sleep 1
	# shellcheck disable=SC2086
	check_no_loss "$1-no-loss" $TASKS
}

# 1. running tasks, then the master dies right after accepting two more
c=$(launch "$(task_json m1 "sleep 401$TAG")" "$(task_json m2 "sleep 402$TAG")")
check accept-1 [ "$c" = 202 ]
TASKS="m1:sleep_401$TAG m2:sleep_402$TAG"
wait_for acked_is m2 TASK_RUNNING
c=$(launch "$(task_json m3 "sleep 403$TAG")" "$(task_json m4 "sleep 404$TAG")")
kill9_master
check accept-2 [ "$c" = 202 ]
TASKS="$TASKS m3:sleep_403$TAG m4:sleep_404$TAG"
restart_master_same --agent-reregister-timeout 30s
after_restart registry-write

# 2. the master dies during allocation cycles (REVIVE asks for one; killed 0-200 ms later)
for round in 1 2 3; do
	api_post $SCHED '{"type":"REVIVE","framework_id":{"value":"'"$FW_ID"'"}}' \
		-H "Mesos-Stream-Id: $FW_SID" >/dev/null
	sleep "0.$(shuf -i 0-200 -n 1 | xargs printf '%03d')"
	kill9_master
	restart_master_same --agent-reregister-timeout 30s
	after_restart "alloc-$round"
done

# 3. and after all that, a new task still launches and is killed cleanly
c=$(launch "$(task_json m5 "sleep 405$TAG")")
check accept-3 [ "$c" = 202 ]
TASKS="$TASKS m5:sleep_405$TAG"
check m5-running wait_for acked_is m5 TASK_RUNNING
for tc in $TASKS; do
	[ "$(task_state "${tc%%:*}")" = TASK_RUNNING ] && kill_task "${tc%%:*}" >/dev/null
done
for tc in $TASKS; do
	wait_for settled "${tc%%:*}"
done
# shellcheck disable=SC2086
check_no_loss final-no-loss $TASKS
finish
