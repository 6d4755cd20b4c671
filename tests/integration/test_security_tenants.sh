# SPDX-License-Identifier: Apache-2.0
# Trust boundaries between tasks (docs/security.md, "Between tasks"): each framework's tasks
# run as a dynamic uid of its own (kept across an agent restart, released when its last
# task ends), in a 0700 sandbox; a task of another framework cannot signal it, read its
# environment or write its sandbox; no task can make a user namespace (seccomp) while a
# normal task runs; the ports program stays attached while the agent is killed and
# restarted; the agent's API serves task data to root on the host only; limits above the
# agent's resources are refused (--max-limit-ratio); a drover.devices label is refused
# unless the agent's --task-devices allows it. The attacks are tests/fault/hostile_attacks_a2.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fault/hostile_attacks_a2.sh"
need_root
need_cgroup2
need_jq
id nobody >/dev/null 2>&1 || skip_all "needs the user 'nobody'"
command -v setpriv >/dev/null || skip_all "needs setpriv (util-linux)"

start_cluster || exit 1
trap 'a2_victim_end; stop_cluster' EXIT
D="$BIN/drover --master $MASTER"
AGENT="127.0.0.1:$APORT"
in_dynamic_range() { [ "$1" -ge 6100000 ] 2>/dev/null && [ "$1" -le 6165535 ]; }
proc_uid() { awk '/^Uid:/ { print $2 }' "/proc/$1/status"; }
alloc() { cat "$WORK/agent/dynamic-uids.json" 2>/dev/null; }

# ---- a normal task runs (forks, runs a pipeline) under the filter
$D task run -- 'sh -c "echo forked | cat" && ls / >/dev/null' >"$WORK/normal.out" 2>&1
check normal-task-runs [ $? -eq 0 ]

# ---- dynamic uids: one per framework, a 0700 sandbox owned by it
a2_victim || exit 1
vuid=$(proc_uid "$A2_VICTIM_PID")
check victim-dynamic-uid in_dynamic_range "$vuid"
check victim-sandbox-0700 [ "$(stat -c '%a %u' "$A2_VICTIM_SANDBOX")" = "700 $vuid" ]
check sandboxes-not-listable [ "$(stat -c %a "$(dirname "$A2_VICTIM_SANDBOX")") $(stat -c %a "$WORK/agent/sandboxes")" = "711 711" ]
vfw=$(alloc | jq -r --argjson u "$vuid" '.frameworks | to_entries[] | select(.value == $u) | .key')
check victim-uid-kept-on-disk [ -n "$vfw" ]
$D task run -v -- 'id -u' >"$WORK/other.out" 2>&1
osb=$(a2_sandbox_of "$WORK/other.out")
ouid=$(cat "$osb/stdout")
check other-framework-other-uid [ "$ouid" != "$vuid" ]
check other-framework-dynamic-uid in_dynamic_range "$ouid"
uid_held() { alloc | jq -e --argjson u "$1" '.frameworks | to_entries | any(.value == $u)' >/dev/null; }
uid_free() { ! uid_held "$1"; }
check ended-framework-released uid_free "$ouid"
check ended-sandbox-back-to-root [ "$(stat -c %u "$osb")" = 0 ]

# the same framework keeps its uid across an agent restart (kill -9)
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
_n=$(grep -c 'subscribed to the master' "$WORK/agent.log")
restart_agent
WAIT_S=20 wait_for sh -c "[ \$(grep -c 'subscribed to the master' '$WORK/agent.log') -gt $_n ]"
check restart-same-uid [ "$(alloc | jq -r --arg f "$vfw" '.frameworks[$f]')" = "$vuid" ]
$D task run -v -- 'id -u' >"$WORK/after.out" 2>&1
auid=$(cat "$(a2_sandbox_of "$WORK/after.out")/stdout")
check restart-new-framework-not-victims-uid [ "$auid" != "$vuid" ]
a2_victim_end
WAIT_S=10 wait_for sh -c "! grep -q '\"$vfw\"' '$WORK/agent/dynamic-uids.json'"
check victim-end-releases-uid [ $? -eq 0 ]

# ---- the attacks of one tenant on another
a2_attack_signal_other_tenant
check attack-signal-stopped [ $? -eq 0 ]
a2_attack_read_environ
check attack-environ-stopped [ $? -eq 0 ]
a2_attack_write_sandbox
check attack-sandbox-stopped [ $? -eq 0 ]
a2_attack_unshare_userns
check attack-userns-stopped [ $? -eq 0 ]
a2_attack_read_agent_api
check attack-agent-api-stopped [ $? -eq 0 ]
a2_attack_bind_during_agent_restart
r=$?
if [ $r -eq 77 ]; then skip attack-bind-during-restart-stopped "no BPF ports enforcement here"
else check attack-bind-during-restart-stopped [ $r -eq 0 ]; fi
check bpf-links-readopted grep -q 'bind4/bind6 re-adopted from the previous agent' "$WORK/agent.log"

# ---- the agent's API: root on the host reads it; another uid only /health and the version
# agent_as UID TYPE: the call's status; its body in $WORK/api.out ($WORK is root's only)
agent_as() {
	setpriv --reuid "$1" --regid "$1" --clear-groups curl -s -w '\n%{http_code}' \
		-X POST -H 'Content-Type: application/json' -d "{\"type\":\"$2\"}" \
		"http://$AGENT/api/v1" >"$WORK/api.out"
	tail -1 "$WORK/api.out"
}
check api-root-state [ "$(agent_as 0 GET_STATE)" = 200 ]
check api-cli-as-root $BIN/drover --agent "$AGENT" -j cgroup tree
check api-other-uid-state-403 [ "$(agent_as 65534 GET_STATE)" = 403 ]
check api-other-uid-containers-403 [ "$(agent_as 65534 GET_CONTAINERS)" = 403 ]
check api-other-uid-says-why grep -q 'api-credentials' "$WORK/api.out"
check api-other-uid-version [ "$(agent_as 65534 GET_VERSION)" = 200 ]
check api-other-uid-health [ "$(setpriv --reuid 65534 --regid 65534 --clear-groups curl -s -o /dev/null -w '%{http_code}' "http://$AGENT/health")" = 200 ]
check api-other-uid-metrics-403 [ "$(setpriv --reuid 65534 --regid 65534 --clear-groups curl -s -o /dev/null -w '%{http_code}' "http://$AGENT/metrics")" = 403 ]

# ---- limits above the agent's resources (2 cpus, 1024 MiB; --max-limit-ratio 1)
$D task run --cpus 0.1 --limit-cpus 8 -- true >"$WORK/lim.out" 2>&1
check limit-cpus-over-agent-refused [ $? -ne 0 ]
check limit-cpus-says-why grep -q 'max-limit-ratio' "$WORK/lim.out"
$D task run --mem 32 --limit-mem 4096 -- true >"$WORK/limm.out" 2>&1
check limit-mem-over-agent-refused [ $? -ne 0 ]
$D task run --cpus 0.1 --limit-cpus 2 --mem 32 --limit-mem 1024 -- true >"$WORK/limok.out" 2>&1
check limit-within-agent-runs [ $? -eq 0 ]

# ---- drover.devices: a framework cannot add a block device to its allowlist
fw_subscribe dev '{"name":"dev"}' || { fail devices-framework; exit 1; }
o=$(wait_json "$FW_OUT" 'select(.type == "OFFERS") | .offers.offers[0] | "\(.id.value) \(.agent_id.value)"' 200)
oid=${o% *}
aid=${o#* }
task='{"name":"blk","task_id":{"value":"blk"},"agent_id":{"value":"'"$aid"'"},"resources":'"$(res_json 0.1 32)"',"command":{"value":"true"},"labels":{"labels":[{"key":"drover.devices","value":"b 8:0 rw"}]}}'
c=$(api_post /api/v1/scheduler '{"type":"ACCEPT","framework_id":{"value":"'"$FW_ID"'"},"accept":{"offer_ids":[{"value":"'"$oid"'"}],"operations":[{"type":"LAUNCH","launch":{"task_infos":['"$task"']}}]}}' -H "Mesos-Stream-Id: $FW_SID")
check devices-accept-202 [ "$c" = 202 ]
st=$(wait_json "$FW_OUT" 'select(.type == "UPDATE") | .update.status | select(.task_id.value == "blk") | select(.state != "TASK_STARTING") | "\(.state) \(.message)"' 200)
echo "devices label: $st"
if grep -q 'bpf: devices loaded' "$WORK/agent.log"; then
	check devices-label-refused expr "$st" : 'TASK_FAILED.*task-devices' >/dev/null
else
	skip devices-label-refused "no BPF device control here"
fi
kill "$FW_PID" 2>/dev/null
finish
