#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A small scale run: 500 simulated agents (drover-simagent) and 10 frameworks
# (drover-simframework) push 5,000 short tasks through a real master. Every task must reach a
# terminal state with none lost, and the master must hold every agent. No root needed.
. "$(dirname "$0")/lib.sh"

AGENTS=${SCALE_AGENTS:-500}
TASKS=${SCALE_TASKS:-5000}
WORK=$(mktemp -d /tmp/drover-scale.XXXXXX)
PORT=$(free_port)
M=127.0.0.1:$PORT
MASTER=$M
SA_PID= FW_PID= MASTER_PID=
cleanup() {
	for p in $FW_PID $SA_PID $MASTER_PID; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN/drover-master" --listen "$M" --work-dir "$WORK/master" --allocation-interval 100ms \
	--log-level warn >"$WORK/master.log" 2>&1 &
MASTER_PID=$!
for _ in $(seq 50); do curl -sf "http://$M/health" >/dev/null && break; sleep 0.1; done

"$BIN/drover-simagent" --master "$M" --agents "$AGENTS" --duration 1,0.3 \
	--expect-tasks "$TASKS" --run-for 55 --progress 5 >"$WORK/simagent.log" 2>&1 &
SA_PID=$!
for _ in $(seq 100); do
	n=$(curl -s "http://$M/metrics" | awk '$1 == "drover_master_agents" { print $2 }')
	[ "${n:-0}" -ge "$AGENTS" ] && break
	sleep 0.1
done
if [ "${n:-0}" -ge "$AGENTS" ]; then pass "agents_registered"; else fail "agents_registered" "$n of $AGENTS"; fi

"$BIN/drover-simframework" --master "$M" --frameworks 10 --tasks "$TASKS" --timeout 50 \
	--progress 5 >"$WORK/simframework.log" 2>&1
fw_rc=$?
wait "$SA_PID"
sa_rc=$?
SA_PID=
cat "$WORK/simframework.log" "$WORK/simagent.log"
if [ $fw_rc -eq 0 ] && grep -q "done=$TASKS finished=$TASKS killed=0 bad=0" "$WORK/simframework.log"; then
	pass "all_tasks_finished"
else
	fail "all_tasks_finished" "simframework exit status $fw_rc"
fi
if [ $sa_rc -eq 0 ] && grep -q "done_acked=$TASKS " "$WORK/simagent.log"; then
	pass "no_task_lost"
else
	fail "no_task_lost" "simagent exit status $sa_rc"
fi
kill -0 "$MASTER_PID" 2>/dev/null && pass "master_alive" || fail "master_alive"
finish
