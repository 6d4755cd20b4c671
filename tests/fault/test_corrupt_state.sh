# SPDX-License-Identifier: Apache-2.0
# A truncated or corrupt registry, and a truncated or wrong-shaped agent checkpoint:
# detected and reported, never silently dropped. The master refuses to start on a registry
# it cannot read (and leaves the file as it was); the agent names the unreadable
# checkpoint, and the task in it reaches the framework as a terminal update.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || skip_all "needs sqlite3"
fault_begin

# ---- the agent's checkpoints: c1 truncated, c2 valid JSON of the wrong shape
c=$(launch "$(task_json c1 "sleep 501$TAG")" "$(task_json c2 "sleep 502$TAG")" \
	"$(task_json c3 "sleep 503$TAG")" "$(task_json c4 "sleep 504$TAG")")
check ckpt-accepted [ "$c" = 202 ]
for t in c1 c2 c3 c4; do wait_for acked_is $t TASK_RUNNING; done
check ckpt-running acked_is c3 TASK_RUNNING
kill9_agent
T="$WORK/agent/meta/tasks/$FW_ID"
head -c 20 "$T/c1/task.json" >"$T/c1/task.json.tmp" && mv "$T/c1/task.json.tmp" "$T/c1/task.json"
echo '{"framework_id":{"value":"x"}}' >"$T/c2/task.json"
restart_agent
check ckpt-agent-back wait_for agent_registered
check ckpt-c1-reported grep -q "checkpoint '$T/c1' is unreadable" "$WORK/agent.log"
check ckpt-c2-reported grep -q "checkpoint '$T/c2' is unreadable" "$WORK/agent.log"
# the tasks behind them are ended and the framework is told (DROPPED: partition-aware)
check ckpt-c1-told wait_for acked_is c1 TASK_DROPPED
check ckpt-c2-told wait_for acked_is c2 TASK_DROPPED
check ckpt-c3-kept acked_is c3 TASK_RUNNING
check ckpt-c1-gone wait_for no_procs "sleep 501$TAG"
check ckpt-c2-gone wait_for no_procs "sleep 502$TAG"
check_no_loss ckpt-no-loss c1:"sleep_501$TAG" c2:"sleep_502$TAG" c3:"sleep_503$TAG"
kill_task c3 >/dev/null
check ckpt-c3-killed wait_for acked_is c3 TASK_KILLED

# ---- the master's registry: killed, then its file truncated, then overwritten in the middle
REG="$WORK/master/registry.db"
kill9_master
sqlite3 "$REG" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null 2>&1
size=$(stat -c %s "$REG")
check reg-has-data [ "$size" -gt 8192 ]
cp "$REG" "$WORK/registry.good"

# refused MODE: the master exits non-zero (of its own: 124 is timeout's, for a master that
# hung), says why, and leaves the file alone
exited_nonzero() { [ "$1" -ne 0 ] && [ "$1" -ne 124 ]; }
refused() {
	sum=$(md5sum <"$REG")
	: >"$WORK/master.try"
	timeout 20 "$BIN/drover-master" --listen "$MASTER" --work-dir "$WORK/master" \
		>"$WORK/master.try" 2>&1
	rc=$?
	cat "$WORK/master.try" >>"$WORK/master.log"
	check "reg-$1-refused" exited_nonzero "$rc"
	check "reg-$1-says-why" grep -qi "registry" "$WORK/master.try"
	check "reg-$1-untouched" [ "$(md5sum <"$REG")" = "$sum" ]
}
rm -f "$REG-wal" "$REG-shm"
head -c $((size / 2)) "$WORK/registry.good" >"$REG"
refused truncated
cp "$WORK/registry.good" "$REG"
rm -f "$REG-wal" "$REG-shm"
dd if=/dev/urandom of="$REG" bs=1 seek=$((size / 2)) count=4096 conv=notrunc 2>/dev/null
dd if=/dev/urandom of="$REG" bs=1 seek=100 count=4000 conv=notrunc 2>/dev/null
refused garbled
# and the intact file still starts a master that knows the framework and its tasks, even with
# two bad values in rows: the finished c3's status is not JSON (the master's own takes its
# place), the running c4's resources text does not parse (read from its TaskInfo instead)
cp "$WORK/registry.good" "$REG"
rm -f "$REG-wal" "$REG-shm"
sqlite3 "$REG" "UPDATE tasks SET status = '{\"broken' WHERE id = 'c3'; UPDATE tasks SET res = 'cpus:;;' WHERE id = 'c4';"
check reg-rows-damaged [ "$(sqlite3 "$REG" "SELECT count(*) FROM tasks WHERE status = '{\"broken' OR res = 'cpus:;;'")" = 2 ]
restart_master_same --agent-reregister-timeout 30s
check reg-good-starts wait_for curl -sf -o /dev/null "http://$MASTER/health"
check reg-good-knows-tasks [ "$(op GET_TASKS | jq '[.get_tasks | (.tasks // [], .completed_tasks // [])[] | select(.task_id.value == "c3")] | length')" = 1 ]
check reg-bad-status-said grep -q "task c3: its status in the registry is not a JSON object" "$WORK/master.log"
check reg-bad-status-replaced [ "$(op GET_TASKS | jq -r '[.get_tasks.completed_tasks[] | select(.task_id.value == "c3") | .statuses[0] | "\(.state) \(.source)"] | last')" = "TASK_KILLED SOURCE_MASTER" ]
check reg-bad-res-said grep -q "registry: task c4: resources 'cpus:;;'" "$WORK/master.log"
check reg-bad-res-from-taskinfo [ "$(op GET_TASKS | jq -r '[.get_tasks.tasks[] | select(.task_id.value == "c4") | .resources[] | select(.name == "cpus") | .scalar.value] | first')" = 0.1 ]
finish
