# SPDX-License-Identifier: Apache-2.0
# The legacy JSON endpoints UIs and exporters scrape (docs/api.md "Legacy endpoints"): the
# master's /master/state (and aliases), /master/state-summary, /metrics/snapshot, /version,
# /flags, /master/redirect, jsonp=, GET_MASTER; the agent's /state, /monitor/statistics,
# /flags, /version. Shapes against Mesos's key lists (MESOS-FACTS §11), numbers against
# GET_STATE, GET_TASKS and the agent's GET_CONTAINERS; authorization as the operator calls.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
start_cluster || exit 1
trap stop_cluster EXIT
D="$BIN/drover --master $MASTER"
M="http://$MASTER"
A="http://127.0.0.1:$APORT"

# has_keys FILE JQ_PATH KEY...: every KEY is in the object at JQ_PATH of FILE
has_keys() {
	_f=$1 _p=$2
	shift 2
	for _k in "$@"; do
		jq -e --arg k "$_k" "$_p | has(\$k)" "$_f" >/dev/null || { echo "missing '$_k' at $_p"; return 1; }
	done
}

# one task finished (completed history) and one running
$D task run --name done -- true >/dev/null 2>&1
$D -j task run --name long --detach -- 'sleep 60' >"$WORK/long.json" 2>&1
running() { op GET_TASKS | jq -e '[.get_tasks.tasks[] | select(.state == "TASK_RUNNING")] | length == 1'; }
check task-running wait_for running
op GET_STATE >"$WORK/get_state.json"
op GET_TASKS >"$WORK/get_tasks.json"
RUN_ID=$(jq -r '.get_tasks.tasks[] | select(.state == "TASK_RUNNING") | .task_id.value' "$WORK/get_tasks.json")
DONE_ID=$(jq -r '.get_tasks.completed_tasks[] | select(.state == "TASK_FINISHED") | .task_id.value' "$WORK/get_tasks.json" | head -1)
AID=$(jq -r '.get_state.get_agents.agents[0].agent_info.id.value' "$WORK/get_state.json")

# ---------------------------------------------------------------- master /master/state
curl -s -D "$WORK/state.hdrs" "$M/master/state" >"$WORK/state.json"
check state-200 grep -q '^HTTP/1.1 200' "$WORK/state.hdrs"
check state-json-ct grep -qi '^Content-Type: application/json' "$WORK/state.hdrs"
check state-top-keys has_keys "$WORK/state.json" . version git_sha start_time elected_time id \
	pid hostname capabilities activated_slaves deactivated_slaves unreachable_slaves leader \
	leader_info flags slaves recovered_slaves frameworks completed_frameworks orphan_tasks \
	unregistered_frameworks
check state-orphan-empty jq -e '.orphan_tasks == [] and .unregistered_frameworks == []' "$WORK/state.json"
check state-slave-keys has_keys "$WORK/state.json" '.slaves[0]' id hostname port attributes \
	resources used_resources offered_resources reserved_resources unreserved_resources active \
	deactivated capabilities
check state-slave-id jq -e --arg a "$AID" '.slaves[0].id == $a and .activated_slaves == 1' "$WORK/state.json"
# flat resources: cpus, gpus, mem and disk always; ranges as Mesos's text
check state-flat-resources jq -e '.slaves[0].resources | (.cpus == 2 and .mem == 1024 and
	.gpus == 0 and .disk == 0 and .ports == "[31000-31099]")' "$WORK/state.json"
check state-framework-keys has_keys "$WORK/state.json" '.frameworks[0]' id name hostname \
	webui_url capabilities active connected recovered used_resources offered_resources \
	resources user failover_timeout checkpoint role tasks unreachable_tasks completed_tasks \
	offers executors
check state-running-task jq -e --arg t "$RUN_ID" --arg a "$AID" '[.frameworks[].tasks[] |
	select(.id == $t and .state == "TASK_RUNNING" and .slave_id == $a and
	       (.resources | has("cpus") and has("gpus") and has("mem") and has("disk")))] | length == 1' \
	"$WORK/state.json"
# (drover task run tears its framework down when its task ends: a completed framework)
check state-completed-task jq -e --arg t "$DONE_ID" '[.frameworks[], .completed_frameworks[] |
	.completed_tasks[] | select(.id == $t and .state == "TASK_FINISHED")] | length == 1' "$WORK/state.json"
check state-completed-fw-keys has_keys "$WORK/state.json" '.completed_frameworks[0]' id active \
	connected tasks completed_tasks unreachable_tasks offers executors
# the framework removed is the master's own record of it (--max-completed-frameworks)
check state-completed-fw-name jq -e --arg t "$DONE_ID" '[.completed_frameworks[] |
	select(.completed_tasks[].id == $t) | select(.name == "drover-task-run" and
	.unregistered_time > 0)] | length == 1' "$WORK/state.json"
# used = the running task's resources, as GET_TASKS has them
want=$(jq '[.get_tasks.tasks[] | select(.state == "TASK_RUNNING") | .resources[] | select(.name == "cpus") | .scalar.value] | add' "$WORK/get_tasks.json")
check state-used-matches jq -e --argjson w "$want" '.slaves[0].used_resources.cpus == $w' "$WORK/state.json"
check state-leader-self jq -e '.leader == .pid and .leader_info.id == .id' "$WORK/state.json"
for p in /state /master/state.json /state.json; do
	curl -s "$M$p" >"$WORK/alias.json"
	check "alias-$p" jq -e --slurpfile s "$WORK/state.json" 'keys == ($s[0] | keys)' "$WORK/alias.json"
done
check state-post-405 [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$M/master/state")" = 405 ]

# ---------------------------------------------------------------- jsonp
curl -s -D "$WORK/jsonp.hdrs" "$M/master/state?jsonp=cb.x_1" >"$WORK/jsonp.out"
check jsonp-wrapped sh -c "head -c 7 '$WORK/jsonp.out' | grep -q '^cb.x_1(' && tail -c 2 '$WORK/jsonp.out' | grep -q ');'"
check jsonp-ct grep -qi '^Content-Type: text/javascript' "$WORK/jsonp.hdrs"
check jsonp-script-refused [ "$(curl -s -o /dev/null -w '%{http_code}' "$M/version?jsonp=alert(1)//")" = 400 ]

# ---------------------------------------------------------------- state-summary
curl -s "$M/master/state-summary" >"$WORK/summary.json"
check summary-keys has_keys "$WORK/summary.json" . hostname slaves frameworks
check summary-slave-keys has_keys "$WORK/summary.json" '.slaves[0]' id hostname resources \
	used_resources TASK_STAGING TASK_STARTING TASK_RUNNING TASK_KILLING TASK_FINISHED \
	TASK_KILLED TASK_FAILED TASK_LOST TASK_ERROR TASK_UNREACHABLE framework_ids
check summary-fw-keys has_keys "$WORK/summary.json" '.frameworks[0]' id name used_resources \
	offered_resources capabilities hostname webui_url active TASK_RUNNING slave_ids
check summary-running-count jq -e '[.slaves[].TASK_RUNNING] | add == 1' "$WORK/summary.json"
check summary-finished-count jq -e '[.slaves[].TASK_FINISHED] | add >= 1' "$WORK/summary.json"

# ---------------------------------------------------------------- /metrics/snapshot
curl -s "$M/metrics/snapshot?timeout=5secs" >"$WORK/snap.json"
check snapshot-flat jq -e 'type == "object" and ([.[] | type] | unique == ["number"])' "$WORK/snap.json"
check snapshot-keys has_keys "$WORK/snap.json" . master/elected master/uptime_secs \
	master/cpus_total master/cpus_used master/cpus_percent master/mem_total master/gpus_total \
	master/disk_total master/slaves_active master/slaves_connected master/slaves_inactive \
	master/slaves_disconnected master/slaves_unreachable master/frameworks_active \
	master/frameworks_connected master/outstanding_offers master/tasks_running \
	master/tasks_finished master/tasks_staging system/cpus_total system/load_1min \
	system/mem_total_bytes system/mem_free_bytes
check snapshot-elected jq -e '."master/elected" == 1 and ."master/uptime_secs" > 0' "$WORK/snap.json"
check snapshot-cpus-total jq -e '."master/cpus_total" == 2 and ."master/mem_total" == 1024' "$WORK/snap.json"
check snapshot-cpus-used jq -e --argjson w "$want" '."master/cpus_used" == $w' "$WORK/snap.json"
check snapshot-tasks-running jq -e '."master/tasks_running" == 1' "$WORK/snap.json"
nfin=$(jq '[.get_tasks.completed_tasks[], .get_tasks.tasks[] | select(.state == "TASK_FINISHED")] | length' "$WORK/get_tasks.json")
check snapshot-tasks-finished jq -e --argjson n "$nfin" '."master/tasks_finished" == $n' "$WORK/snap.json"
check snapshot-slaves-active jq -e '."master/slaves_active" == 1' "$WORK/snap.json"
check snapshot-bad-timeout [ "$(curl -s -o /dev/null -w '%{http_code}' "$M/metrics/snapshot?timeout=soon")" = 400 ]
# the Prometheus /metrics stays as it was
check prometheus-metrics-kept sh -c "curl -sf '$M/metrics' | grep -qx 'drover_master_elected 1'"

# ---------------------------------------------------------------- /version, /flags, redirect, GET_MASTER
curl -s "$M/version" >"$WORK/version.json"
check version-matches jq -e --slurpfile v "$WORK/get_state.json" --arg g "$(op GET_VERSION | jq -r .get_version.version_info.version)" \
	'.version == $g and has("git_sha")' "$WORK/version.json"
curl -s "$M/flags" >"$WORK/flags.json"
check flags-strings jq -e --arg l "$MASTER" '.flags.listen == $l and ([.flags[] | type] | unique == ["string"])' "$WORK/flags.json"
for p in /master/redirect /redirect; do
	curl -s -o /dev/null -D "$WORK/redir.hdrs" "$M$p"
	check "redirect-307-$p" grep -q '^HTTP/1.1 307' "$WORK/redir.hdrs"
	check "redirect-location-$p" [ "$(header_value "$WORK/redir.hdrs" Location)" = "//$MASTER" ]
done
check redirect-subpath-404 [ "$(curl -s -o /dev/null -w '%{http_code}' "$M/redirect/x")" = 404 ]
op GET_MASTER >"$WORK/get_master.json"
check get-master jq -e --slurpfile s "$WORK/state.json" --argjson p "${MASTER##*:}" '.get_master |
	.master_info.id == $s[0].id and .master_info.port == $p and .master_info.ip == 16777343 and
	.master_info.address.ip == "127.0.0.1" and .master_info.address.port == $p and
	.master_info.pid == "master@127.0.0.1:\($p)" and .start_time > 0 and .elected_time > 0' \
	"$WORK/get_master.json"

# ---------------------------------------------------------------- the agent
curl -s "$A/state" >"$WORK/astate.json"
check agent-state-keys has_keys "$WORK/astate.json" . version id pid hostname capabilities \
	resources reserved_resources unreserved_resources reserved_resources_full \
	unreserved_resources_full reserved_resources_allocated unreserved_resources_allocated \
	resource_providers attributes flags frameworks completed_frameworks master_hostname
check agent-state-id jq -e --arg a "$AID" '.id == $a and .resources.cpus == 2 and .resources.ports == "[31000-31099]"' "$WORK/astate.json"
check agent-state-task jq -e --arg t "$RUN_ID" '[.frameworks[].executors[] | select(.id == $t) |
	.tasks[] | select(.id == $t and .state == "TASK_RUNNING")] | length == 1' "$WORK/astate.json"
curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"GET_CONTAINERS"}' "$A/api/v1" >"$WORK/containers.json"
for p in /monitor/statistics /monitor/statistics.json; do
	curl -s "$A$p" >"$WORK/stats.json"
	check "stats-entry-$p" jq -e --arg t "$RUN_ID" '[.[] | select(.executor_id == $t)] | length == 1' "$WORK/stats.json"
done
check stats-keys has_keys "$WORK/stats.json" '.[0]' framework_id executor_id executor_name source statistics
check stats-measured has_keys "$WORK/stats.json" '.[] | select(.executor_id == "'"$RUN_ID"'") | .statistics' \
	timestamp cpus_user_time_secs cpus_system_time_secs cpus_limit processes threads
check stats-procs jq -e '.[0].statistics | .processes >= 1 and .threads >= .processes' "$WORK/stats.json"
# the same counters GET_CONTAINERS reads, a moment later: never less
ns=$(jq --arg t "$RUN_ID" '.get_containers.containers[] | select(.task_id.value == $t) | .usage.cpu_user_ns' "$WORK/containers.json")
check stats-cpu-consistent jq -e --arg t "$RUN_ID" --argjson ns "$ns" '.[] | select(.executor_id == $t) |
	.statistics.cpus_user_time_secs >= $ns / 1e9' "$WORK/stats.json"
# only fields the agent measures: no zeros for what it cannot see
check stats-no-unmeasured jq -e '.[0].statistics | has("net_rx_bytes") | not' "$WORK/stats.json"
curl -s "$A/flags" >"$WORK/aflags.json"
check agent-flags jq -e --arg l "127.0.0.1:$APORT" '.flags.listen == $l' "$WORK/aflags.json"
check agent-version sh -c "curl -s '$A/version' | jq -e '.version == \"$(op GET_VERSION | jq -r .get_version.version_info.version)\"'"
# task data only to root on this host: /version is open, /state and statistics are not
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	asnobody() { setpriv --reuid nobody --regid nogroup --clear-groups curl -s -o /dev/null -w '%{http_code}' "$1"; }
	check agent-state-nobody-403 [ "$(asnobody "$A/state")" = 403 ]
	check agent-stats-nobody-403 [ "$(asnobody "$A/monitor/statistics")" = 403 ]
	check agent-flags-nobody-403 [ "$(asnobody "$A/flags")" = 403 ]
	check agent-version-nobody-200 [ "$(asnobody "$A/version")" = 200 ]
else
	skip agent-peer-rules "needs the user nobody and setpriv"
fi

# ---------------------------------------------------------------- authorization
# a second master with --credentials and --acls: the legacy endpoints need what the operator
# calls they mirror; state leaves out the flags of a caller without GET_FLAGS
printf '{"credentials": [{"principal": "ops", "secret": "s1"}, {"principal": "mon", "secret": "s2"}, {"principal": "nobody", "secret": "s3"}]}\n' >"$WORK/creds.json"
printf '{"permissive": false, "view": [{"principals": ["ops"], "calls": "ANY"}, {"principals": ["mon"], "calls": ["GET_STATE", "GET_METRICS"]}]}\n' >"$WORK/acls.json"
chmod 600 "$WORK/creds.json"
P2=$(free_port)
"$BIN/drover-master" --listen "127.0.0.1:$P2" --work-dir "$WORK/master2" --credentials "$WORK/creds.json" \
	--acls "$WORK/acls.json" >"$WORK/master2.log" 2>&1 &
M2PID=$!
up2() { curl -s -o /dev/null "http://127.0.0.1:$P2/health"; }
wait_for up2
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
M2="http://127.0.0.1:$P2"
check auth-state-401 [ "$(code "$M2/master/state")" = 401 ]
check auth-snapshot-401 [ "$(code "$M2/metrics/snapshot")" = 401 ]
check auth-state-ops-200 [ "$(code -u ops:s1 "$M2/master/state")" = 200 ]
check auth-state-nobody-403 [ "$(code -u nobody:s3 "$M2/master/state")" = 403 ]
check auth-summary-nobody-403 [ "$(code -u nobody:s3 "$M2/master/state-summary")" = 403 ]
check auth-snapshot-nobody-403 [ "$(code -u nobody:s3 "$M2/metrics/snapshot")" = 403 ]
check auth-flags-nobody-403 [ "$(code -u nobody:s3 "$M2/flags")" = 403 ]
check auth-version-nobody-403 [ "$(code -u nobody:s3 "$M2/version")" = 403 ]
check auth-flags-mon-403 [ "$(code -u mon:s2 "$M2/flags")" = 403 ]
check auth-state-mon-no-flags sh -c "curl -s -u mon:s2 '$M2/master/state' | jq -e 'has(\"slaves\") and (has(\"flags\") | not)'"
check auth-state-ops-flags sh -c "curl -s -u ops:s1 '$M2/master/state' | jq -e 'has(\"flags\")'"
check auth-redirect-open [ "$(code "$M2/master/redirect")" = 307 ]
kill "$M2PID"
wait "$M2PID" 2>/dev/null
finish
