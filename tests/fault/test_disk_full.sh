# SPDX-License-Identifier: Apache-2.0
# The agent's work dir on a tiny tmpfs that fills up: a launch that cannot be checkpointed
# or given a sandbox fails with a clear error, running tasks and their updates are not
# lost, and once space is back a restarted agent reads every checkpoint (none corrupt).
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
start_cluster --agent-reregister-timeout 30s || exit 1
AGENT_ID=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')
# move the agent's work dir onto a 1 MiB tmpfs (same agent ID, same checkpoints)
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
mv "$WORK/agent" "$WORK/agent.disk"
mkdir "$WORK/agent"
mount -t tmpfs -o size=1m,mode=0700 drover-fault "$WORK/agent" ||
	{ stop_cluster; skip_all "cannot mount a tmpfs"; }
# (not the checkpoint reserve: the agent sets it aside again, a tenth of the tmpfs at most)
rm -f "$WORK/agent.disk/meta/reserve"
cp -a "$WORK/agent.disk/." "$WORK/agent/"
disk_cleanup() {
	kill "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	umount "$WORK/agent"
	fault_cleanup
}
trap disk_cleanup EXIT
restart_agent
check agent-on-tmpfs wait_for agent_registered
fault_fw fault || { fail subscribe; exit 1; }
TAG=$$
WAIT_S=30

c=$(launch "$(task_json d1 "sleep 601$TAG")")
check d1-accepted [ "$c" = 202 ]
check d1-running wait_for acked_is d1 TASK_RUNNING

# fill it up
dd if=/dev/zero of="$WORK/agent/fill" bs=4k 2>/dev/null
check disk-full [ "$(df --output=avail "$WORK/agent" | tail -1)" -eq 0 ]

c=$(launch "$(task_json d2 "sleep 602$TAG")")
check d2-accepted [ "$c" = 202 ]
check d2-failed wait_for settled d2
check d2-not-running [ "$(task_state d2)" != TASK_RUNNING ]
msg=$(recordio_json "$FW_OUT" | jq -r 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "d2") | .message // empty' | tail -1)
echo "d2: $(task_state d2): $msg"
says_no_space() { case $msg in *"No space left"*) return 0 ;; esac; return 1; }
check d2-says-why says_no_space
check d2-no-process no_procs "sleep 602$TAG"
# a kill on a full disk: the task ends and its update reaches the framework
kill_task d1 >/dev/null
check d1-killed wait_for acked_is d1 TASK_KILLED
check d1-gone wait_for no_procs "sleep 601$TAG"

# space back, agent killed and restarted: every checkpoint reads
rm -f "$WORK/agent/fill"
c=$(launch "$(task_json d3 "sleep 603$TAG")")
check d3-running wait_for acked_is d3 TASK_RUNNING
kill9_agent
restart_agent
check agent-back wait_for agent_registered
check no-corrupt-checkpoint sh -c "! grep -q 'unreadable' '$WORK/agent.log'"
check d3-still-running [ "$(task_state d3)" = TASK_RUNNING ]
check_no_loss disk-no-loss d1:"sleep_601$TAG" d2:"sleep_602$TAG" d3:"sleep_603$TAG"
kill_task d3 >/dev/null
wait_for acked_is d3 TASK_KILLED
finish
