# SPDX-License-Identifier: Apache-2.0
# The master's operator calls that change things, and agent partitions: UPDATE_WEIGHTS
# (applied, visible in GET_ROLES/GET_WEIGHTS, kept across a restart), DRAIN_AGENT and
# REACTIVATE_AGENT, and an agent that misses its pings: its task turns TASK_UNREACHABLE
# for a partition-aware framework and comes back when the agent reregisters.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
command -v jq >/dev/null || skip_all "needs jq"
start_cluster --agent-ping-timeout 1s --max-agent-ping-timeouts 2 || exit 1
trap stop_cluster EXIT
D="$BIN/drover --master $MASTER"

# --- weights
code=$(api_post /api/v1 '{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"eng","weight":3},{"role":"ops","weight":1.5}]}}')
check update-weights-200 [ "$code" = 200 ]
op GET_WEIGHTS >"$WORK/w.json"
check get-weights-eng jq -e '.get_weights.weight_infos[] | select(.role == "eng") | .weight == 3' "$WORK/w.json"
$D task run --role eng -- true >/dev/null 2>&1
op GET_ROLES >"$WORK/roles.json"
check get-roles-weight jq -e '.get_roles.roles[] | select(.name == "eng") | .weight == 3' "$WORK/roles.json"

# --- accounting: a running task holds exactly its resources; a finished one nothing
cpus_of() { # role -> allocated cpus (0 when none)
	op GET_ROLES | jq -r --arg r "$1" '[.get_roles.roles[] | select(.name == $r) |
		.allocated[]? | select(.name == "cpus") | .scalar.value] | add // 0'
}
alloc_is() { [ "$(cpus_of "$1")" = "$2" ]; }
$D task run --role acct --cpus 0.5 --detach -- 'sleep 2' >/dev/null 2>&1
check running-task-counted-once alloc_is acct 0.5
WAIT_S=10 wait_for alloc_is acct 0
check finished-task-returns-resources alloc_is acct 0

# --- doubles on the wire in the shortest form that reads back the same (0.3, not jansson's
# 0.29999999999999999), in replies, events and the registry
$D task run --role short --cpus 0.3 --detach -- 'sleep 3' >/dev/null 2>&1
short_cpus() { op GET_TASKS >"$WORK/short.json"; grep -q '"value":0.3}' "$WORK/short.json"; }
check doubles-shortest-in-replies wait_for short_cpus
check doubles-no-17-digits [ "$(grep -c '0.29999999999999999' "$WORK/short.json")" -eq 0 ]

# --- a restart keeps them
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
start_master --agent-ping-timeout 1s --max-agent-ping-timeouts 2 || exit 1
op GET_WEIGHTS >"$WORK/w2.json"
check weights-survive-restart jq -e '.get_weights.weight_infos[] | select(.role == "eng") | .weight == 3' "$WORK/w2.json"
agent_id() { op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value'; }
WAIT_S=15 wait_for sh -c "curl -s -X POST -H 'Content-Type: application/json' -d '{\"type\":\"GET_AGENTS\"}' http://$MASTER/api/v1 | jq -e '.get_agents.agents[0].active == true'"
AID=$(agent_id)

# --- drain: no offers while drained, tasks killed; reactivate brings offers back
$D task run --detach --name drained -- 'sleep 60' >/dev/null 2>&1
code=$(api_post /api/v1 "{\"type\":\"DRAIN_AGENT\",\"drain_agent\":{\"agent_id\":{\"value\":\"$AID\"},\"max_grace_period\":{\"nanoseconds\":500000000}}}")
check drain-200 [ "$code" = 200 ]
task_state() {
	op GET_TASKS | jq -r --arg p "$1" '[.get_tasks.tasks[], (.get_tasks.unreachable_tasks // [])[], (.get_tasks.completed_tasks // [])[]] |
		map(select(.task_id.value | startswith($p))) | .[0].state'
}
WAIT_S=10 wait_for sh -c "true" # let the kill go out
in_state() { [ "$(task_state "$1")" = "$2" ]; }
WAIT_S=10 wait_for in_state drained TASK_KILLED
check drain-kills-tasks in_state drained TASK_KILLED
timeout 3 $D task run -- true >/dev/null 2>&1
check drained-agent-gets-no-offers [ $? -eq 124 ]
code=$(api_post /api/v1 "{\"type\":\"REACTIVATE_AGENT\",\"reactivate_agent\":{\"agent_id\":{\"value\":\"$AID\"}}}")
check reactivate-200 [ "$code" = 200 ]
timeout 10 $D task run -- true >/dev/null 2>&1
check reactivated-agent-runs-tasks [ $? -eq 0 ]

# --- partition: the agent stops pinging; its task is UNREACHABLE, then comes back
$D task run --detach --name partitioned -- 'sleep 60' >/dev/null 2>&1
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
WAIT_S=10 wait_for in_state partitioned TASK_UNREACHABLE
check unreachable-after-missed-pings in_state partitioned TASK_UNREACHABLE
# as Mesos lists it: in unreachable_tasks, not among the live tasks
check unreachable-listed-apart sh -c "curl -s -X POST -H 'Content-Type: application/json' -d '{\"type\":\"GET_TASKS\"}' http://$MASTER/api/v1 | jq '([.get_tasks.unreachable_tasks[] | select(.task_id.value | startswith(\"partitioned\"))] | length == 1) and ([.get_tasks.tasks[] | select(.task_id.value | startswith(\"partitioned\"))] | length == 0)' | grep -qx true"
check legacy-unreachable-listed-apart sh -c "curl -s http://$MASTER/master/state | jq '([.frameworks[].unreachable_tasks[] | select(.id | startswith(\"partitioned\"))] | length == 1) and ([.frameworks[].tasks[] | select(.id | startswith(\"partitioned\"))] | length == 0)' | grep -qx true"

restart_agent
WAIT_S=15 wait_for in_state partitioned TASK_RUNNING
check back-after-reregistration in_state partitioned TASK_RUNNING
finish
