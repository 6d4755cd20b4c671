# SPDX-License-Identifier: Apache-2.0
# Issue 10: a ZooKeeper server restart shorter than the session timeout (a rolling restart
# of the ensemble, a crashed server brought back) costs no failover. Three masters with a
# 15 s session, an agent; kill -9 ZooKeeper, subscribe a framework to the leader (its
# registry write fails on the lost connection), start ZooKeeper again on its data 2 s later:
# the same master still leads (the write waited for the reconnection and went through), the
# task runs, and the framework saw every update once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zk_lib.sh"
ha_begin

ZK_SESSION=15s
for i in 1 2 3; do start_ha_master $i; done
WAIT_S=30 wait_for leader
L=$(leader)
check one_leader [ -n "$L" ]
eval "LPORT=\$MPORT_$L LPID=\$MPID_$L"
start_ha_agent 1
check agent_registered wait_op GET_AGENTS '.get_agents.agents | length == 1 and all(.active)'

# ---- ZooKeeper dies; a framework subscribes to the leader meanwhile; ZooKeeper comes back
kill -9 "$ZK_PID"
wait "$ZK_PID" 2>/dev/null
"$BIN/drover" --master "127.0.0.1:$LPORT" -j task run --name blip -- sleep 300 \
	>"$WORK/fw1.out" 2>"$WORK/fw1.err" &
BG_PIDS="$BG_PIDS $!"
sleep 2
start_zk || exit 1

check task_running wait_op GET_TASKS \
	'[.get_tasks.tasks[] | select(.state == "TASK_RUNNING")] | length == 1' 30
check same_leader [ "$(leader)" = "$L" ]
check leader_process_alive kill -0 "$LPID"
check no_step_down sh -c "! grep -q 'stepping down' '$WORK/master$L.log'"
grep 'connection to ZooKeeper was lost' "$WORK/master$L.log"
check write_retried grep -q 'reconnected, writing again' "$WORK/master$L.log"
check framework_connected wait_op GET_FRAMEWORKS \
	'.get_frameworks.frameworks | length == 1 and all(.connected)' 10
n=$(jq -r 'select(.event == "UPDATE" and .status.uuid != null) | .status.state' \
	"$WORK/fw1.out" | grep -c TASK_RUNNING)
check running_update_once [ "$n" = 1 ]
dup=$(jq -r 'select(.event == "UPDATE") | .status.uuid // empty' "$WORK/fw1.out" | sort | uniq -d)
check no_duplicate_update [ -z "$dup" ]

# ---- what was written during the blip is in ZooKeeper: a failover now finds the framework
kill -9 "$LPID"
wait "$LPID" 2>/dev/null
eval "MPID_$L="
WAIT_S=40 wait_for leader
NL=$(leader)
check new_leader [ -n "$NL" -a "$NL" != "$L" ]
check framework_in_registry wait_op GET_FRAMEWORKS \
	'.get_frameworks.frameworks | length == 1' 10
finish
