# SPDX-License-Identifier: Apache-2.0
# Health checks (Mesos's HealthCheck) run by the task's supervisor: a task that turns
# unhealthy is reported healthy, then unhealthy, then killed (TASK_KILLED, healthy=false);
# HTTP and TCP checks against the task's own listener; a COMMAND check's CPU is the task's;
# the checks go on (and kill) while the agent is down; invalid checks are refused.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
start_cluster || exit 1
trap stop_cluster EXIT

D="$BIN/drover --master $MASTER"
FAST="--health-delay 0 --health-interval 0.5 --health-timeout 5"
# the healthy values of a run's health updates, in order ("true,false,...")
healths() {
	grep REASON_TASK_HEALTH_CHECK_STATUS_UPDATED "$1" | jq -r '.status.healthy' | paste -sd, -
}
last_of() { grep "\"$2\"" "$1" | tail -1; }

# --- 1. healthy, then unhealthy after 3 s, then killed after 3 failures in a row
$D -j task run --name sick $FAST --health-grace 0 --health-retries 3 --grace 1 \
	--health-cmd 'test ! -e sick' -- 'sleep 3; touch sick; exec sleep 300' >"$WORK/sick.out" 2>&1
rc=$?
echo "sick: exit $rc, health updates: $(healths "$WORK/sick.out")"
check sick-exit-124-killed [ "$rc" -eq 124 ]
check sick-healthy-then-unhealthy-3x [ "$(healths "$WORK/sick.out")" = true,false,false,false ]
check sick-first-true [ "$(healths "$WORK/sick.out" | cut -d, -f1)" = true ]
check sick-then-false [ "$(healths "$WORK/sick.out" | cut -d, -f2)" = false ]
check sick-killing-sent grep -q '"TASK_KILLING"' "$WORK/sick.out"
k=$(last_of "$WORK/sick.out" TASK_KILLED)
check sick-killed-unhealthy [ "$(echo "$k" | jq -r '.status.healthy')" = false ]
check sick-killed-last [ "$(tail -1 "$WORK/sick.out" | jq -r '.status.state')" = TASK_KILLED ]
# the failures came after the task turned sick, not before (3 s at least after RUNNING)
t_run=$(last_of "$WORK/sick.out" TASK_STARTING | jq '.status.timestamp')
t_bad=$(grep REASON_TASK_HEALTH_CHECK_STATUS_UPDATED "$WORK/sick.out" |
	jq -s '[.[] | select(.status.healthy == false)][0].status.timestamp')
check sick-unhealthy-after-3s jq -n "$t_bad - $t_run >= 3"
$D -j task list --all >"$WORK/list.json"
check sick-list-unhealthy jq -e '[.[] | select(.name == "sick")][0].statuses[-1].healthy == false' \
	"$WORK/list.json"
$D task list --all >"$WORK/list.txt"
check sick-list-plain-health grep -q 'TASK_KILLED  *unhealthy' "$WORK/list.txt"
$D task show "$(jq -r '[.[] | select(.name == "sick")][0].task_id.value' "$WORK/list.json")" \
	>"$WORK/show.txt"
check sick-show-health grep -qx 'health: unhealthy' "$WORK/show.txt"

# --- 2. HTTP and TCP checks against the task's own listener (python3 -m http.server; it
# serves / because the task's user cannot reach its sandbox by its absolute path here: the
# test's work dir is root's 0700)
if command -v /usr/bin/python3 >/dev/null; then
	for kind in http tcp; do
		P=$(free_port)
		if [ $kind = http ]; then opt="--health-http $P/"; else opt="--health-tcp $P"; fi
		$D -j task run --name "$kind" $FAST --health-grace 20 $opt -- \
			"/usr/bin/python3 -m http.server $P --bind 127.0.0.1 --directory / & sleep 4; kill \$!" \
			>"$WORK/$kind.out" 2>&1
		rc=$?
		echo "$kind: exit $rc, health updates: $(healths "$WORK/$kind.out")"
		check "$kind-finished" [ "$rc" -eq 0 ]
		check "$kind-healthy" [ "$(healths "$WORK/$kind.out")" = true ]
	done
	# nobody listens: the HTTP check fails, the task is killed
	P=$(free_port)
	$D -j task run --name nolisten $FAST --health-grace 0 --health-retries 1 --grace 1 \
		--health-http "$P/x" -- 'sleep 60' >"$WORK/nolisten.out" 2>&1
	check http-refused-killed [ $? -eq 124 ]
	check http-refused-unhealthy [ "$(healths "$WORK/nolisten.out" | cut -d, -f1)" = false ]
	check http-refused-message grep -q 'HTTP health check cannot connect' "$WORK/nolisten.out"
else
	skip http-tcp-checks "no /usr/bin/python3"
fi

# --- 3. a COMMAND check's CPU is charged to the task's cgroup (the task itself only sleeps)
$D -j task run --name busycheck $FAST --health-grace 20 \
	--health-cmd 'i=0; while [ $i -lt 150000 ]; do i=$((i + 1)); done' -- 'sleep 4' \
	>"$WORK/busy.out" 2>&1
check busy-finished [ $? -eq 0 ]
acct=$(last_of "$WORK/busy.out" TASK_FINISHED | jq -c '.status.drover.accounting')
echo "busycheck accounting: $acct"
# cgroup CPU (the checks ran in the leaf) against the task's own processes (sleep: ~0)
check busy-check-cpu-in-cgroup [ "$(echo "$acct" | jq '.cpu_ns')" -gt 200000000 ]
check busy-task-itself-idle [ "$(echo "$acct" | jq '.user_ns + .system_ns')" -lt 50000000 ]

# --- 4. the checks outlive the agent: kill -9 it while a task is healthy; the task turns
# sick and its supervisor kills it while the agent is down; the agent comes back and says so
$D -j task run --name survivor $FAST --health-grace 0 --health-retries 2 --grace 1 \
	--health-cmd 'test ! -e sick' -- 'sleep 4; touch sick; exec sleep 301' \
	>"$WORK/survivor.out" 2>&1 &
RUN_PID=$!
check survivor-healthy wait_for grep -q '"healthy": *true' "$WORK/survivor.out"
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
sleep 7 # sick at 4 s, two failures 0.5 s apart, SIGTERM: dead well before this
check survivor-killed-while-agent-down [ "$(pgrep -fx 'sleep 301' | wc -l)" = 0 ]
restart_agent
WAIT_S=20 wait_for sh -c "! kill -0 $RUN_PID"
wait "$RUN_PID"
rc=$?
echo "survivor: exit $rc, health updates: $(healths "$WORK/survivor.out")"
check survivor-exit-124 [ "$rc" -eq 124 ]
k=$(last_of "$WORK/survivor.out" TASK_KILLED)
check survivor-killed-unhealthy [ "$(echo "$k" | jq -r '.status.healthy')" = false ]
check survivor-latest-unhealthy-reported [ "$(healths "$WORK/survivor.out" | tr , '\n' | tail -1)" = false ]

# --- 4b. a task that is still running when the agent comes back: its checks ran on, the
# restarted agent reports its latest health again, and later failures kill it as before
# (the test makes it sick once the agent is back)
$D -j task run --name reattached $FAST --health-grace 0 --health-retries 2 --grace 1 \
	--health-cmd 'test ! -e sick' -- 'exec sleep 302' >"$WORK/reattached.out" 2>&1 &
RUN_PID=$!
check reattached-healthy wait_for grep -q '"healthy": *true' "$WORK/reattached.out"
SB=$(grep -m1 -o '"sandbox": *"[^"]*"' "$WORK/reattached.out" | sed 's/.*: *"//; s/"$//')
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
check reattached-runs-without-agent [ "$(pgrep -fx 'sleep 302' | wc -l)" = 1 ]
restart_agent
healthy_twice() { [ "$(grep -c '"healthy": *true' "$WORK/reattached.out")" -ge 2 ]; }
WAIT_S=30 check reattached-health-reported-again wait_for healthy_twice
touch "$SB/sick"
WAIT_S=30 wait_for sh -c "! kill -0 $RUN_PID"
wait "$RUN_PID"
rc=$?
echo "reattached: exit $rc, health updates: $(healths "$WORK/reattached.out")"
check reattached-exit-124 [ "$rc" -eq 124 ]
check reattached-health-again [ "$(healths "$WORK/reattached.out")" = true,true,false,false ]
k=$(last_of "$WORK/reattached.out" TASK_KILLED)
check reattached-killed-unhealthy [ "$(echo "$k" | jq -r '.status.healthy')" = false ]

# --- 4c. a KILL stops the checks: a task that fails them while it shuts down within its grace
# period is not killed by them (its TASK_KILLED says nothing of health)
$D -j task run --name stopping $FAST --health-grace 0 --health-retries 1 --grace 5 \
	--health-cmd 'test ! -e dying' -- \
	"trap 'touch dying; sleep 2; exit 0' TERM; while :; do sleep 0.2; done" \
	>"$WORK/stopping.out" 2>&1 &
RUN_PID=$!
check stopping-healthy wait_for grep -q '"healthy": *true' "$WORK/stopping.out"
kill -INT "$RUN_PID"
WAIT_S=20 wait_for sh -c "! kill -0 $RUN_PID"
wait "$RUN_PID"
check stopping-exit-124 [ $? -eq 124 ]
k=$(last_of "$WORK/stopping.out" TASK_KILLED)
check stopping-killed-not-by-checks [ "$(echo "$k" | jq -r '.status.healthy')" = null ]
check stopping-no-unhealthy-update [ "$(healths "$WORK/stopping.out")" = true ]

# --- 4d. a framework that does not acknowledge (a --detach run is gone after RUNNING): the
# agent keeps one waiting health update behind the unacknowledged head, the latest, not one
# per failed check
$D -j task run --name flappy --detach --health-delay 0 --health-interval 0.1 --health-grace 0 \
	--health-retries 100000 --health-cmd false -- 'sleep 300' >"$WORK/flappy.out" 2>&1
TID=$(jq -r 'select(.status.state == "TASK_RUNNING") | .status.task_id.value' "$WORK/flappy.out" | head -1)
FID=$($D -j task list | jq -r "[.[] | select(.task_id.value == \"$TID\")][0].framework_id.value")
sleep 3 # some 30 failed checks
Q="$WORK/agent/meta/tasks/$FID/$TID/updates.json"
echo "flappy: $(jq length "$Q" 2>&1) queued updates"
check flappy-queue-bounded [ "$(jq length "$Q")" -le 2 ]
check flappy-latest-waits [ "$(jq -r '.[-1].healthy' "$Q")" = false ]
$D task kill "$TID" >/dev/null 2>&1

# --- 5. invalid checks are refused (the master checks them with Mesos's rules)
WAIT_S=15 wait_for sh -c "grep -c 'subscribed to the master' '$WORK/agent.log' | grep -q 3"
$D task run --health-http 0/x -- true >/dev/null 2>&1
check cli-refuses-port-0 [ $? -eq 2 ]
$D task run --health-interval 1 -- true >/dev/null 2>&1
check cli-needs-a-check [ $? -eq 2 ]
# through the scheduler API: an HTTP path without '/' (400 today, or TASK_ERROR)
fw_subscribe hcbad '{"name":"hc-bad"}' || fail fw-subscribe
AID=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')
o=$(wait_json "$FW_OUT" "select(.type == \"OFFERS\") | .offers.offers[] | .id.value")
c=$(api_post /api/v1/scheduler "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"$FW_ID\"},
	\"accept\":{\"offer_ids\":[{\"value\":\"$o\"}],\"operations\":[{\"type\":\"LAUNCH\",
	\"launch\":{\"task_infos\":[{\"name\":\"b\",\"task_id\":{\"value\":\"bad1\"},
	\"agent_id\":{\"value\":\"$AID\"},\"command\":{\"value\":\"true\"},
	\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1}}],
	\"health_check\":{\"type\":\"HTTP\",\"http\":{\"port\":80,\"path\":\"x\"}}}]}}]}}" \
	-H "Mesos-Stream-Id: $FW_SID")
echo "bad health check: $c $(cat "$WORK/reply")"
refused_400() { [ "$c" = 400 ] && grep -q "health_check.http.path' must be a string starting with '/'" "$WORK/reply"; }
task_error_seen() { recordio_json "$FW_OUT" | grep -q 'TASK_ERROR.*health_check.http.path'; }
refused() { refused_400 || { [ "$c" = 202 ] && wait_for task_error_seen; }; }
check api-refuses-bad-path refused
kill "$FW_PID" 2>/dev/null
finish
