# SPDX-License-Identifier: Apache-2.0
# A hostile tenant and a well-behaved one on one agent (docs/security.md, "A task's own
# files"). The hostile framework's tasks attack the agent through their own sandboxes, all
# at once, and the agent is killed and restarted in the middle:
#   fifo_supervisor   `supervisor` replaced by a FIFO (a restarted agent once blocked on it)
#   fifo_exit_tmp     a FIFO at .exit_status.tmp (the supervisor once blocked on it)
#   race_exit_status  a child replaces exit_status by a FIFO over and over (the agent's only
#                     loop once blocked on it, and with it every heartbeat)
#   dev_zero          `supervisor` and `exit_status` as symlinks to /dev/zero
#   fill_disk         a chatty task fills the work dir's file system (a small tmpfs)
# and then, while those tasks still run (the filler gone), the attacks of one tenant's task
# on another's (tests/fault/hostile_attacks_a2.sh, side by side, "Between tasks"):
#   signal, environ   kill -0 and /proc/PID/environ of another tenant's task
#   sandbox           write into (and list) another tenant's sandbox
#   userns            unshare -U / -Ur (capabilities in a new user namespace)
#   agent_api         other tenants' tasks read off the agent's API on loopback
# The well-behaved framework's tasks must not notice: never LOST or UNREACHABLE, every
# update delivered and acknowledged once (check_no_loss), a new task launched once the
# filler is gone (its sandbox collected), and each hostile task ends with its own status.
#
# Adding an attack: write attack_NAME (start it: hostile_run NAME CMD) and verify_NAME
# (check its outcome once every hostile run has ended) and add NAME to ATTACKS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hostile_attacks_a2.sh"
need_root
need_cgroup2
need_jq
start_cluster --agent-reregister-timeout 30s || exit 1
AGENT_ID=$(operator GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')
D="$BIN/drover --master $MASTER"
TAG=$$
WAIT_S=30

# an empty task user with no dynamic uids (DROVER_AGENT_TASK_USER= DROVER_AGENT_DYNAMIC_UIDS=)
# would run tasks naming none as root: refused
refuses_empty_user() {
	DROVER_AGENT_TASK_USER= DROVER_AGENT_DYNAMIC_UIDS= timeout 20 "$BIN/drover-agent" --master "$MASTER" \
		--listen "127.0.0.1:$(free_port)" --work-dir "$WORK/agent-empty-user" \
		--cgroup-root "$CGROOT-e" --enforce best-effort >"$WORK/empty-user.log" 2>&1
	_rc=$?
	cat "$WORK/empty-user.log"
	[ "$_rc" -ne 0 ] && [ "$_rc" -ne 124 ] && grep -q "task-user '' and --dynamic-uids ''" "$WORK/empty-user.log"
}
check agent-refuses-empty-task-user refuses_empty_user

# the agent's work dir on a 24 MiB tmpfs (less than a task's memory: dd fills it) (same agent ID, same checkpoints)
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
mv "$WORK/agent" "$WORK/agent.disk"
mkdir "$WORK/agent"
mount -t tmpfs -o size=24m,mode=0755 drover-hostile "$WORK/agent" ||
	{ stop_cluster; skip_all "cannot mount a tmpfs"; }
rm -f "$WORK/agent.disk/meta/reserve" # set aside again, smaller
cp -a "$WORK/agent.disk/." "$WORK/agent/"
hostile_cleanup() {
	kill ${HOSTILE_PIDS:-} 2>/dev/null
	kill "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	umount "$WORK/agent"
	fault_cleanup
}
trap hostile_cleanup EXIT
AGENT_FLAGS="--checkpoint-reserve 1MiB --disk-watch-interval 1s"
# shellcheck disable=SC2086
restart_agent $AGENT_FLAGS
check agent-on-tmpfs wait_for agent_registered
RSS_BEFORE=$(awk '/^VmHWM/ { print $2 }' "/proc/$AGENT_PID/status")

# ---------------------------------------------------------------- the hostile tenant
# hostile_run NAME CMD: run CMD as a task of its own framework (`drover task run`) in the
# background; its output (-j) in $WORK/h-NAME.out, its exit status in $WORK/h-NAME.rc.
hostile_run() {
	( $D -j task run --name "h-$1" -- "$2" >"$WORK/h-$1.out" 2>&1; echo $? >"$WORK/h-$1.rc" ) &
	HOSTILE_PIDS="${HOSTILE_PIDS:-} $!"
}
hostile_ended() { [ -s "$WORK/h-$1.rc" ]; }
hostile_rc() { cat "$WORK/h-$1.rc" 2>/dev/null; }
# (the master's view: the CLI's output is buffered until it exits)
hostile_started() {
	operator GET_TASKS | jq -e --arg p "h-$1-" '[.get_tasks | (.tasks // [], .completed_tasks // [])[] | select(.task_id.value | startswith($p)) | select(.state != "TASK_STAGING" and .state != "TASK_STARTING")] | length > 0' >/dev/null
}

attack_fifo_supervisor() {
	hostile_run fifo_supervisor "rm -f supervisor; mkfifo supervisor; sleep 50"
}
verify_fifo_supervisor() { check fifo-supervisor-task-ended [ "$(hostile_rc fifo_supervisor)" = 0 ]; }

attack_fifo_exit_tmp() {
	hostile_run fifo_exit_tmp "mkfifo .exit_status.tmp .supervisor.tmp; sleep 1; exit 3"
}
verify_fifo_exit_tmp() { check fifo-exit-tmp-status-kept [ "$(hostile_rc fifo_exit_tmp)" = 3 ]; }

attack_race_exit_status() {
	hostile_run race_exit_status "(for i in \$(seq 3000); do rm -f exit_status; mkfifo exit_status; done) & sleep 1; exit 0"
}
verify_race_exit_status() { check race-exit-status-task-ended [ "$(hostile_rc race_exit_status)" = 0 ]; }

attack_dev_zero() {
	hostile_run dev_zero "rm -f supervisor exit_status; ln -s /dev/zero supervisor; ln -s /dev/zero exit_status; sleep 50"
}
verify_dev_zero() {
	check dev-zero-task-ended [ "$(hostile_rc dev_zero)" = 0 ]
	# the agent never read /dev/zero: its peak memory is that of an agent before the attacks
	# (which a 64 MiB read would pass)
	rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$AGENT_PID/status")
	echo "agent peak RSS: $rss KiB (before the attacks: $RSS_BEFORE KiB)"
	check dev-zero-agent-memory [ "${rss:-999999}" -lt $((RSS_BEFORE + 32768)) ]
}

attack_fill_disk() {
	# (after the others have started: a full disk refuses launches, theirs too)
	hostile_run fill_disk "sleep 3; dd if=/dev/zero of=fill bs=1M 2>/dev/null; df -k . >&2; sleep 6; exit 0"
}
verify_fill_disk() {
	check fill-disk-task-ended [ "$(hostile_rc fill_disk)" = 0 ]
	# once its task is forgotten, the disk watermark (gc_disk_headroom) collects its sandbox
	no_fill() { [ -z "$(find "$WORK/agent/sandboxes" -name fill)" ]; }
	check fill-disk-sandbox-collected wait_for no_fill
	check fill-disk-space-back wait_for disk_back
	df -h "$WORK/agent"
}

ATTACKS="fifo_supervisor fifo_exit_tmp race_exit_status dev_zero fill_disk"

# ---------------------------------------------------------------- the well-behaved tenant
fault_fw good || { fail subscribe; exit 1; }
c=$(launch "$(task_json g1 "sleep 701$TAG")" "$(task_json g2 "sleep 702$TAG")")
check good-accepted [ "$c" = 202 ]
check g1-running wait_for acked_is g1 TASK_RUNNING
check g2-running wait_for acked_is g2 TASK_RUNNING

# the shell framework keeps the offers it is sent: give them back for a while, so the
# hostile frameworks get the agent's resources now (and this one again for g3)
decline_for() {
	_o=$(offer_ids "$AGENT_ID") || return 0
	api_post $SCHED '{"type":"DECLINE","framework_id":{"value":"'"$FW_ID"'"},"decline":{"offer_ids":'"$_o"',"filters":{"refuse_seconds":'"$1"'}}}' \
		-H "Mesos-Stream-Id: $FW_SID" >/dev/null
}
decline_for 15

# ---------------------------------------------------------------- the attacks, at once
for a in $ATTACKS; do
	"attack_$a"
done
all_started() { for a in $ATTACKS; do hostile_started "$a" || return 1; done; }
check hostile-tasks-started wait_for all_started

# The agent's loop keeps running through the attacks: heartbeats go on, g1 is never lost.
never_lost=1
for _ in $(seq 8); do
	s=$(task_state g1)
	[ "$s" = TASK_RUNNING ] || { echo "g1 is $s during the attacks"; never_lost=; }
	agent_registered || { echo "the agent is not registered during the attacks"; never_lost=; }
	sleep 0.25
done
check good-unaffected-by-attacks [ -n "$never_lost" ]

# ---------------------------------------------------------------- an agent restart in the middle
kill9_agent
# shellcheck disable=SC2086
restart_agent $AGENT_FLAGS
check agent-recovers-among-attacks wait_for agent_registered
check g1-still-running [ "$(task_state g1)" = TASK_RUNNING ]
check g2-still-running [ "$(task_state g2)" = TASK_RUNNING ]
# it found the hostile tasks that were still running (their records are out of their reach)
recovered_running() {
	_rn=$(sed -n 's/.*recovered [0-9]* task(s): \([0-9]*\) running.*/\1/p' "$WORK/agent.log" | tail -1)
	echo "recovered running: $_rn"
	[ "${_rn:-0}" -ge 4 ]
}
check agent-recovered-hostile-tasks recovered_running

# a kill through it all: its update reaches the framework
kill_task g1 >/dev/null
check g1-killed wait_for acked_is g1 TASK_KILLED
check g1-gone wait_for no_procs "sleep 701$TAG"

# ---------------------------------------------------------------- tenant against tenant
# (once the filler's sandbox is collected: a full disk refuses launches)
disk_back() { [ "$(df --output=pcent "$WORK/agent" | tail -1 | tr -dc 0-9)" -lt 50 ]; }
WAIT_S=60 wait_for disk_back
# the tenants' frameworks get the agent's resources: this one is suppressed (REVIVE below)
# and gives back what it holds
api_post $SCHED '{"type":"SUPPRESS","framework_id":{"value":"'"$FW_ID"'"}}' \
	-H "Mesos-Stream-Id: $FW_SID" >/dev/null
decline_for 1
TENANT_ATTACKS="signal_other_tenant read_environ write_sandbox unshare_userns read_agent_api"
for a in $TENANT_ATTACKS; do
	( A2_TAG="-$a"; "a2_attack_$a"; echo $? >"$WORK/t-$a.rc" ) >"$WORK/t-$a.log" 2>&1 &
	HOSTILE_PIDS="${HOSTILE_PIDS:-} $!"
done
tenant_ended() { for a in $TENANT_ATTACKS; do [ -s "$WORK/t-$a.rc" ] || return 1; done; }
WAIT_S=120 check tenant-attacks-ended wait_for tenant_ended
for a in $TENANT_ATTACKS; do
	rc=$(cat "$WORK/t-$a.rc" 2>/dev/null)
	echo "tenant attack $a: $rc"; cat "$WORK/t-$a.log"
	case $rc in
	0) pass "tenant-$a-stopped" ;;
	77) skip "tenant-$a-stopped" "this host cannot tell (see the log above)" ;;
	*) fail "tenant-$a-stopped" "the attack got through (exit $rc)" ;;
	esac
done
# the agent answered the API attack itself (a refusal, not a connection the agent was not there for)
check tenant-agent-api-refused grep -q "root on this host only" "$WORK"/a2-attack-read_agent_api.*.txt
check g2-running-beside-tenants [ "$(task_state g2)" = TASK_RUNNING ]
api_post $SCHED '{"type":"REVIVE","framework_id":{"value":"'"$FW_ID"'"}}' \
	-H "Mesos-Stream-Id: $FW_SID" >/dev/null

# every hostile task ends, with its own status
all_ended() { for a in $ATTACKS; do hostile_ended "$a" || return 1; done; }
WAIT_S=90 check hostile-tasks-ended wait_for all_ended
for a in $ATTACKS; do
	echo "hostile $a: exit $(hostile_rc "$a")"
	"verify_$a"
done

# a new well-behaved task is launched once the filler is gone
c=$(launch "$(task_json g3 "sleep 703$TAG")")
check g3-accepted [ "$c" = 202 ]
check g3-running wait_for acked_is g3 TASK_RUNNING
# no agent or supervisor record was ever in a sandbox
left=$(find "$WORK/agent/sandboxes" -name supervisor -type f -o -name exit_status -type f | wc -l)
check no-records-in-sandboxes [ "$left" -eq 0 ]

check_no_loss hostile-no-loss g1:"sleep_701$TAG" g2:"sleep_702$TAG" g3:"sleep_703$TAG"
for t in g2 g3; do kill_task "$t" >/dev/null; done
wait_for acked_is g2 TASK_KILLED
wait_for acked_is g3 TASK_KILLED
finish
