# SPDX-License-Identifier: Apache-2.0
# kill -9 the master under a MULTI_ROLE framework's CUSTOM executor launched from an offer
# of the framework's second role, and start it again on its registry: the agent's report
# of its executors (its SUBSCRIBE) carries the role the executor's resources are allocated
# to (allocation_info, as the master set it at launch), so the new master charges them to
# that role again, not to the framework's first role. A framework in shell (curl + jq),
# a real agent, a third-party executor (python_executor.py).
. "$(dirname "$0")/../integration/lib.sh"
need_root
need_cgroup2
need_jq
command -v python3 >/dev/null || skip_all "needs python3"
start_cluster --agent-reregister-timeout 30s || exit 1
PUB=$(mktemp -d /tmp/drover-exec.XXXXXX)
BG_PIDS=
cleanup() {
	kill $BG_PIDS 2>/dev/null
	rm -rf "$PUB"
	stop_cluster
}
trap cleanup EXIT
chmod 711 "$WORK" "$WORK/agent"
chmod 755 "$PUB"
cp "$(dirname "$0")/../integration/python_executor.py" "$PUB/"
chmod 644 "$PUB/python_executor.py"
SCHED=/api/v1/scheduler
MULTI='"capabilities":[{"type":"MULTI_ROLE"}]'

fw_subscribe multi "{\"name\":\"multi\",\"roles\":[\"a\",\"b\"],\"failover_timeout\":3600,$MULTI}" ||
	{ fail subscribe; exit 1; }
FM=$FW_ID H="Mesos-Stream-Id: $FW_SID" OUT=$FW_OUT
call() { # TYPE BODY_FIELD_JSON: a call of the framework, prints the status code
	_t=$(echo "$1" | tr 'A-Z' 'a-z')
	api_post $SCHED "{\"type\":\"$1\",\"framework_id\":{\"value\":\"$FM\"},\"$_t\":$2}" -H "$H"
}
fwstate() { op GET_FRAMEWORKS | jq -c ".get_frameworks.frameworks[] | select(.framework_info.id.value == \"$FM\") | $1"; }
role_cpus() { op GET_ROLES | jq -r "[.get_roles.roles[] | select(.name == \"$1\") | .allocated[] | select(.name == \"cpus\") | .scalar.value] | add // 0 | . * 1000 | round"; }
roles_cpus_are() { [ "$(role_cpus a) $(role_cpus b)" = "$1" ]; }

# only role b is offered: its offer takes a task (0.1 cpus) for a new executor (0.2 cpus)
check suppress-a [ "$(call SUPPRESS '{"roles":["a"]}')" = 202 ]
for o in $(fwstate '.offers[] | select(.allocation_info.role == "a") | .id.value' | tr -d '"'); do
	call DECLINE "{\"offer_ids\":[{\"value\":\"$o\"}],\"filters\":{\"refuse_seconds\":3600}}" >/dev/null
done
offer_b() { fwstate '.offers[] | select(.allocation_info.role == "b") | .id.value' | tr -d '"' | head -1 | grep .; }
WAIT_S=15 wait_for offer_b
OB=$(offer_b)
AID=$(fwstate ".offers[] | select(.id.value == \"$OB\") | .agent_id.value" | tr -d '"')
cpus_mem() { echo "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":$1}},{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":32}}]"; }
EX="{\"type\":\"CUSTOM\",\"executor_id\":{\"value\":\"mx\"},\"name\":\"mx\",\"command\":{\"value\":\"python3 $PUB/python_executor.py\",\"shell\":true},\"resources\":$(cpus_mem 0.2)}"
TI="{\"name\":\"u1\",\"task_id\":{\"value\":\"u1\"},\"agent_id\":{\"value\":\"$AID\"},\"resources\":$(cpus_mem 0.1),\"executor\":$EX}"
check accept-in-role-b [ "$(call ACCEPT "{\"offer_ids\":[{\"value\":\"$OB\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[$TI]}}],\"filters\":{\"refuse_seconds\":3600}}")" = 202 ]
running() { wait_json "$OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "u1" and .state == "TASK_RUNNING") | .state' 2; }
WAIT_S=60 wait_for running
check executor-task-running running
# the executor's resources (as launched) are role b's, with its task's
check before-failover-charged-to-b wait_for roles_cpus_are "0 300"
# ... and its ExecutorInfo says so (allocation_info set by the master, as Mesos): the agent's
agent_op() { curl -s -X POST -H 'Content-Type: application/json' -d "{\"type\":\"$1\"}" "http://127.0.0.1:$APORT/api/v1"; }
check executor-info-allocated-to-b [ "$(agent_op GET_EXECUTORS | jq -r '[.get_executors.executors[].executor_info | select(.executor_id.value == "mx") | .resources[].allocation_info.role] | unique | join(",")')" = b ]

# ---- the master fails over: the agent reregisters and reports its executor
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
kill "$FW_PID"
echo "---- restart" >>"$WORK/master.log"
start_master --agent-reregister-timeout 30s || exit 1
back() { op GET_AGENTS | jq -e '.get_agents.agents[0].active == true' >/dev/null; }
WAIT_S=20 wait_for back
check agent-reregistered back
roles_cpus_are "0 300" || { echo "roles after the failover: a $(role_cpus a) b $(role_cpus b)"; }
check after-failover-executor-charged-to-b wait_for roles_cpus_are "0 300"

# the framework comes back and shuts its executor down: its role b holds nothing
fw_subscribe again "{\"name\":\"multi\",\"id\":{\"value\":\"$FM\"},\"roles\":[\"a\",\"b\"],\"failover_timeout\":3600,$MULTI}" ||
	fail resubscribe
H="Mesos-Stream-Id: $FW_SID" OUT=$FW_OUT
# (GET_ROLES' allocated counts offers too: none from now on)
check suppress-all [ "$(call SUPPRESS '{}')" = 202 ]
for o in $(fwstate '.offers[].id.value' | tr -d '"'); do
	call DECLINE "{\"offer_ids\":[{\"value\":\"$o\"}],\"filters\":{\"refuse_seconds\":3600}}" >/dev/null
done
check shutdown [ "$(call SHUTDOWN "{\"agent_id\":{\"value\":\"$AID\"},\"executor_id\":{\"value\":\"mx\"}}")" = 202 ]
WAIT_S=30 wait_for roles_cpus_are "0 0" || { op GET_ROLES; op GET_TASKS; }
check after-shutdown-nothing-charged roles_cpus_are "0 0"
finish
