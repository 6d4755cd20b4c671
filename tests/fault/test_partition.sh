# SPDX-License-Identifier: Apache-2.0
# Partition the agent from the master and heal it. The agent runs in its own network
# namespace on a veth pair; nftables in that namespace drops all traffic to and from the
# master. The master declares the agent unreachable after its missed pings (partition-aware
# framework: TASK_UNREACHABLE), the task keeps running; after the heal the agent
# reregisters, the task is TASK_RUNNING again, an update from during the partition (a task
# that finished meanwhile) arrives once, and nothing is lost or duplicated. Then the same
# with a framework that is not partition-aware: its tasks are TASK_LOST, and after the heal
# (as in Mesos) the one still running is killed and the framework hears nothing more of
# either (it was told they are gone and may have replaced them).
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
command -v nft >/dev/null || skip_all "needs nft (nftables)"
command -v nsenter >/dev/null || skip_all "needs nsenter (util-linux)"
NS=drover-fault-$$
VH=dfh$$ VA=dfa$$
NET=10.$((200 + $$ % 50)).$((($$ / 50) % 250))
HOST_IP=$NET.1 NS_IP=$NET.2
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
net_cleanup() {
	ip link del "$VH" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
}
if ! { ip link add "$VH" type veth peer name "$VA" &&
	ip link set "$VA" netns "$NS" &&
	ip addr add "$HOST_IP/30" dev "$VH" && ip link set "$VH" up &&
	ip -n "$NS" addr add "$NS_IP/30" dev "$VA" && ip -n "$NS" link set "$VA" up &&
	ip -n "$NS" link set lo up; }; then
	net_cleanup
	skip_all "cannot set up a veth pair"
fi
if ! ip netns exec "$NS" nft list tables >/dev/null 2>&1; then
	net_cleanup
	skip_all "nftables does not work here"
fi

WORK=$(mktemp -d /tmp/drover-fault.XXXXXX)
MPORT=$(free_port)
APORT=$(free_port)
MASTER=$HOST_IP:$MPORT
CGROOT=drover-fault-$$.slice
BPFPIN=/sys/fs/bpf/drover
mkdir -p "$WORK/bpffs" && mount -t bpf bpf "$WORK/bpffs" 2>/dev/null && BPFPIN=$WORK/bpffs/drover
"$BIN/drover-master" --listen "$MASTER" --work-dir "$WORK/master" --allocation-interval 200ms \
	--agent-ping-timeout 1s --max-agent-ping-timeouts 3 >"$WORK/master.log" 2>&1 &
MASTER_PID=$!
nsenter --net="/run/netns/$NS" "$BIN/drover-agent" --master "$MASTER" --listen "$NS_IP:$APORT" \
	--work-dir "$WORK/agent" --cgroup-root "$CGROOT" --enforce best-effort \
	--bpf-pin-dir "$BPFPIN" --resources 'cpus:2;mem:1024;ports:[31000-31099]' \
	>"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
# partition: both directions dropped inside the agent's namespace; heal: the rule gone
partition() {
	ip netns exec "$NS" nft -f - <<NFT
table inet drover_fault {
	chain in { type filter hook input priority 0; policy accept; ip saddr $HOST_IP drop; }
	chain out { type filter hook output priority 0; policy accept; ip daddr $HOST_IP drop; }
}
NFT
}
heal() { ip netns exec "$NS" nft delete table inet drover_fault; }
part_cleanup() {
	fault_cleanup
	net_cleanup
}
trap part_cleanup EXIT
WAIT_S=30
wait_for grep -q 'subscribed to the master' "$WORK/agent.log" || { fail agent-up; exit 1; }
AGENT_ID=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')
fault_fw fault || { fail subscribe; exit 1; }
TAG=$$

c=$(launch "$(task_json p1 "sleep 701$TAG")" "$(task_json p2 "sleep 7.5$TAG")")
check accepted [ "$c" = 202 ]
check p1-running wait_for acked_is p1 TASK_RUNNING
check p2-running wait_for acked_is p2 TASK_RUNNING

check partitioned partition
check p1-unreachable wait_for acked_is p1 TASK_UNREACHABLE
check p2-unreachable wait_for acked_is p2 TASK_UNREACHABLE
check agent-inactive wait_for sh -c "! $(command -v curl) -s -X POST -H 'Content-Type: application/json' -d '{\"type\":\"GET_AGENTS\"}' http://$MASTER/api/v1 | jq -e '.get_agents.agents[] | select(.active == true)' >/dev/null"
check p1-still-runs [ "$(procs_of "sleep 701$TAG")" = 1 ]
# p2 finishes while the agent cannot tell anyone
check p2-ended-meanwhile wait_for no_procs "sleep 7.5$TAG"
check p2-not-yet-told [ "$(acked_state p2)" = TASK_UNREACHABLE ]

# heal
check healed heal
WAIT_S=60
check agent-back wait_for agent_registered
check p1-running-again wait_for acked_is p1 TASK_RUNNING
check p2-finished wait_for acked_is p2 TASK_FINISHED
sleep 2
check_no_loss heal-no-loss p1:"sleep_701$TAG" p2:"sleep_7.5$TAG"
kill_task p1 >/dev/null
check p1-killed wait_for acked_is p1 TASK_KILLED
# the task that ended during the partition: one terminal update, the agent's
check p2-one-terminal-update [ "$(awk '$1 == "p2" && $2 == "TASK_FINISHED"' "$ACKS" | wc -l)" = 1 ]

# ---- a framework that is not partition-aware
api_post $SCHED '{"type":"TEARDOWN","framework_id":{"value":"'"$FW_ID"'"}}' -H "Mesos-Stream-Id: $FW_SID" >/dev/null
acker_stop
ACKS=$WORK/acks-lost.log
fault_fw lostfw '[]' || { fail subscribe-lostfw; exit 1; }
c=$(launch "$(task_json l1 "sleep 702$TAG")" "$(task_json l2 "sleep 7.6$TAG")")
check lost-accepted [ "$c" = 202 ]
check l1-running wait_for acked_is l1 TASK_RUNNING
check l2-running wait_for acked_is l2 TASK_RUNNING
check lost-partitioned partition
WAIT_S=30
check l1-lost wait_for acked_is l1 TASK_LOST
check l2-lost wait_for acked_is l2 TASK_LOST
check l2-ended-meanwhile wait_for no_procs "sleep 7.6$TAG"
check l1-runs-while-lost [ "$(procs_of "sleep 702$TAG")" = 1 ]
check lost-healed heal
WAIT_S=60
check lost-agent-back wait_for agent_registered
check l1-killed-after-heal wait_for no_procs "sleep 702$TAG"
sleep 3 # what the agent has to say about them arrives (and is not forwarded)
not_in_master() {
	! op GET_TASKS | jq -e --arg t "$1" '.get_tasks.tasks[] | select(.task_id.value == $t)' >/dev/null
}
none_running() {
	[ "$(op GET_TASKS | jq '[.get_tasks.tasks[] | select(.state == "TASK_RUNNING")] | length')" = 0 ]
}
for t in l1 l2; do
	check "$t-nothing-after-lost" [ "$(awk -v t=$t '$1 == t { if (lost) n++; if ($2 == "TASK_LOST") lost = 1 } END { print n + 0 }' "$ACKS")" = 0 ]
	check "$t-gone-from-master" not_in_master $t
done
check lost-none-running none_running
# the same agent process all along: two partitions and heals did not kill it (an update POST
# still in flight from before a partition outlived its task once acknowledged: a
# use-after-free that crashed the agent some seconds after it reregistered)
check agent-never-died kill -0 "$AGENT_PID"
finish
