# SPDX-License-Identifier: Apache-2.0
# Task IDs by Mesos's rule, end to end (docs/security.md, "On-disk names"): IDs with spaces,
# '@', '%', UTF-8, a leading '.', an interface file's name, a C1 control and 255 bytes that
# escape past NAME_MAX are launched, run to TASK_FINISHED or are killed, survive a kill -9 of
# the agent with their real IDs, and their sandboxes, checkpoints and cgroup leaves are at
# their escaped disk names; `drover task list` prints them (the C1 control escaped). IDs
# Mesos refuses ("", ".", "..", '/', '\', a control character, 256 bytes) are a 400 naming
# the field on KILL, and refused on LAUNCH (a 400 today; a TASK_ERROR once ACCEPT follows
# Mesos's call semantics: either is accepted here).
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
start_cluster --agent-reregister-timeout 30s || exit 1
trap fault_cleanup EXIT
AGENT_ID=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')
fw_subscribe ids '{"name":"ids","failover_timeout":3600,"capabilities":[{"type":"PARTITION_AWARE"}]}' ||
	{ fail subscribe; exit 1; }
TAG=$$
WAIT_S=30

# Not fault_fw's acknowledger, which splits its lines at spaces: this one keeps every field
# in JSON. $IACKS holds {"t": task ID, "s": state, "u": uuid or null} per update read.
IACKS=$WORK/acks.jsonl
: >"$IACKS"
(
	seen=0
	while [ -d "$WORK" ]; do # (ends with the test's work dir, whatever killed the test)
		recordio_json "$FW_OUT" >"$FW_OUT.json" 2>/dev/null
		total=$(wc -l <"$FW_OUT.json")
		tail -n +$((seen + 1)) "$FW_OUT.json" | head -n $((total - seen)) |
			jq -c --arg f "$FW_ID" 'select(.type == "UPDATE") | .update.status |
				{t: .task_id.value, s: .state, u: (.uuid // null),
				 ack: {type: "ACKNOWLEDGE", framework_id: {value: $f},
				       acknowledge: {agent_id: .agent_id, task_id: .task_id, uuid: .uuid}}}' |
			while IFS= read -r line; do
				u=$(printf '%s\n' "$line" | jq -r '.u // empty')
				if [ -n "$u" ]; then
					grep -qF "\"u\":\"$u\"" "$IACKS" && continue
					c=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
						-H 'Content-Type: application/json' -H "Mesos-Stream-Id: $FW_SID" \
						--data-binary "$(printf '%s\n' "$line" | jq -c .ack)" "http://$MASTER$SCHED")
					[ "$c" = 202 ] || continue
				fi
				printf '%s\n' "$line" | jq -c '{t, s, u}' >>"$IACKS"
			done
		seen=$total
		sleep 0.1
	done
) &
ACKER_PID=$!
IACKER_PID=$ACKER_PID
trap 'kill $IACKER_PID 2>/dev/null; fault_cleanup' EXIT

# id_acked ID: the last state of task ID the framework read; id_acked_is ID STATE
id_acked() { jq -r --arg t "$1" 'select(.t == $t) | .s' "$IACKS" | tail -1; }
id_acked_is() { [ "$(id_acked "$1")" = "$2" ]; }
# tj ID CMD: a TaskInfo (a command task: no executor) for any ID, built by jq
tj() {
	jq -nc --arg id "$1" --arg c "$2" --arg a "$AGENT_ID" --argjson r "$(res_json 0.1 16)" \
		'{name: "ids", task_id: {value: $id}, agent_id: {value: $a}, command: {value: $c},
		  resources: $r}'
}
# accept_one TASK_INFO: launch it from this agent's offers (no shell echo on the JSON: dash's
# would turn a "\n" in it into a newline); prints the HTTP status
accept_one() {
	_o=$(offer_ids "$AGENT_ID") || { echo none; return 1; }
	api_post $SCHED "$(jq -nc --arg f "$FW_ID" --argjson o "$_o" --argjson t "$1" \
		'{type: "ACCEPT", framework_id: {value: $f}, accept: {offer_ids: $o,
		  operations: [{type: "LAUNCH", launch: {task_infos: [$t]}}],
		  filters: {refuse_seconds: 0}}}')" -H "Mesos-Stream-Id: $FW_SID"
}
kill_id() {
	api_post $SCHED "$(jq -nc --arg f "$FW_ID" --arg t "$1" --arg a "$AGENT_ID" \
		'{type: "KILL", framework_id: {value: $f}, kill: {task_id: {value: $t}, agent_id: {value: $a}}}')" \
		-H "Mesos-Stream-Id: $FW_SID"
}
# the agent's own account (GET_STATE): its task IDs, one a line
agent_task_ids() {
	curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"GET_STATE"}' \
		"http://127.0.0.1:$APORT/api/v1" | jq -r '.get_state.tasks[].task_id.value'
}
agent_has() { agent_task_ids | grep -qxF -- "$1"; }

T1='web server@1'            # killed before the restart
T2='ü-1'                     # finishes before the restart
T3='a%2Fb'                   # runs through the restart
T4=$(printf 'ü%.0s' $(seq 127))x # 255 bytes, 763 escaped: a hashed name; runs through it
T5='.hidden'                 # ends while the agent is down
T6='memory.max'              # an interface file's name; runs through the restart
T7=$(printf 'c1-\302\233')   # a C1 control (U+009B, CSI) in UTF-8: valid, shown escaped
check t4-is-255-bytes [ "$(printf %s "$T4" | wc -c)" = 255 ]

c=$(launch "$(tj "$T1" "sleep 811$TAG")" "$(tj "$T2" true)" "$(tj "$T3" "sleep 812$TAG")" \
	"$(tj "$T4" "sleep 813$TAG")" "$(tj "$T5" "until [ -e go ]; do sleep 0.1; done; : t5go$TAG")" \
	"$(tj "$T6" "sleep 814$TAG")" "$(tj "$T7" true)")
check launch-accepted [ "$c" = 202 ]
check t2-finished wait_for id_acked_is "$T2" TASK_FINISHED
check t7-finished wait_for id_acked_is "$T7" TASK_FINISHED
for t in "$T1" "$T3" "$T4" "$T5" "$T6"; do
	check "running-$(printf %s "$t" | cut -c1-12 | tr -c 'A-Za-z0-9.%@-' _)" \
		wait_for id_acked_is "$t" TASK_RUNNING
done

# the paths: escaped names, the real IDs inside the records
META=$WORK/agent/meta/tasks/$FW_ID
SBX=$WORK/agent/sandboxes/$FW_ID
CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
CGT=$CGMOUNT/$CGROOT/tasks/$FW_ID
ls -la "$META" "$SBX" "$CGT"
check meta-escaped [ "$(jq -r .task.task_id.value "$META/a%252Fb/task.json")" = "$T3" ]
check meta-space-escaped [ "$(jq -r .task.task_id.value "$META/web%20server%401/task.json")" = "$T1" ]
check meta-dot-escaped [ "$(jq -r .task.task_id.value "$META/%2Ehidden/task.json")" = "$T5" ]
H4=$(cd "$META" && ls | grep '~')
echo "the 255-byte ID's name: $H4"
check meta-hashed [ "$(jq -r .task.task_id.value "$META/$H4/task.json")" = "$T4" ]
check meta-hashed-fits [ "$(printf %s "$H4" | wc -c)" -le 255 ]
check sandbox-escaped [ -d "$SBX/a%252Fb/$(jq -r .run "$META/a%252Fb/task.json")" ]
check sandbox-hashed [ -d "$SBX/$H4/$(jq -r .run "$META/$H4/task.json")" ]
check no-raw-names [ -z "$(find "$WORK/agent" "$CGT" -name '* *' -o -name '.hidden' -o -name 'a%2Fb' -o -name 'ü*')" ]
check cgroup-interface-name-escaped [ -d "$CGT/memory%2Emax" ]
check cgroup-holds-task grep -q . "$CGT/memory%2Emax/cgroup.procs"

# the CLI: real IDs, the C1 control as text
"$BIN/drover" --master "$MASTER" task list --all >"$WORK/list.txt" 2>&1
cat "$WORK/list.txt"
check cli-lists-space-id grep -qF "$T1" "$WORK/list.txt"
check cli-lists-utf8-id grep -qF "$T2" "$WORK/list.txt"
check cli-lists-percent-id grep -qF "$T3" "$WORK/list.txt"
check cli-escapes-c1 grep -qF 'c1-\xc2\x9b' "$WORK/list.txt"
check cli-no-raw-c1 sh -c "! grep -qF '$T7' '$WORK/list.txt'"
"$BIN/drover" --master "$MASTER" -j task list --all >"$WORK/list.json"
check cli-json-real-id [ "$(jq -r --arg t "$T7" '[.[] | select(.task_id.value == $t)] | length' "$WORK/list.json")" = 1 ]

# the host-local cgroup view matches a leaf to its task through the escaped name
D="$BIN/drover --master $MASTER --agent 127.0.0.1:$APORT"
$D -j cgroup show "$T6" >"$WORK/cg-show.json" 2>&1
cat "$WORK/cg-show.json" | head -c 600; echo
check cgroup-show-real-id jq -e --arg t "$T6" '.task_id.value == $t and (.path | endswith("/memory%2Emax")) and .procs >= 1' "$WORK/cg-show.json"
$D -j cgroup tree >"$WORK/cg-tree.json" 2>&1
check cgroup-tree-real-ids jq -e --arg a "$T1" --arg b "$T3" '[.. | objects | select(has("task")) | .task | select(.task_id == $a or .task_id == $b) | .state] == ["TASK_RUNNING", "TASK_RUNNING"]' "$WORK/cg-tree.json"

# kill one by its ID with a space
check kill-t1-202 [ "$(kill_id "$T1")" = 202 ]
check t1-killed wait_for id_acked_is "$T1" TASK_KILLED
check t1-procs-gone wait_for no_procs "sleep 811$TAG"

# kill -9 the agent mid-run; T5 ends while it is down
kill9_agent
touch "$SBX/%2Ehidden/$(jq -r .run "$META/%2Ehidden/task.json")/go" # in its sandbox
# T6's leaf as an agent before disk_name() named it (by the ID, as its directories still
# are): the restarted agent must adopt it, not kill it as a stray. (No interface file
# "memory.max" here: the cgroup2 tree of this host has no memory controller; a tree with one
# could never have had this leaf, but "cpu.x"-like IDs could.)
legacy_leaf() {
	[ ! -e "$CGT/memory.max" ] || return 1
	mkdir "$CGT/memory.max" || return 1
	for p in $(cat "$CGT/memory%2Emax/cgroup.procs"); do
		echo "$p" >"$CGT/memory.max/cgroup.procs" || return 1
	done
	rmdir "$CGT/memory%2Emax"
}
if [ -e "$CGT/memory.max" ]; then
	skip t6-legacy-leaf "this host's cgroup2 has a memory controller"
	T6_LEGACY=
else
	check t6-legacy-leaf legacy_leaf
	T6_LEGACY=1
fi
t5_gone() { ! pgrep -f "t5go$TAG" >/dev/null; }
check t5-ends-while-down wait_for t5_gone
restart_agent
check agent-back wait_for agent_registered
grep 'recovered' "$WORK/agent.log" | tail -2
check recovered-all grep -q 'recovered 4 task(s): 3 running, 1 ended while the agent was down' \
	"$WORK/agent.log"
check t3-recovered-real-id wait_for agent_has "$T3"
check t4-recovered-real-id agent_has "$T4"
check t6-recovered-real-id agent_has "$T6"
check t5-finished-while-down wait_for id_acked_is "$T5" TASK_FINISHED
check t3-still-running [ "$(task_state "$T3")" = TASK_RUNNING ]
check t3-one-proc [ "$(procs_of "sleep 812$TAG")" = 1 ]
check t4-one-proc [ "$(procs_of "sleep 813$TAG")" = 1 ]
check t6-one-proc [ "$(procs_of "sleep 814$TAG")" = 1 ]
check no-stray-kill sh -c "! grep -q 'killing stray cgroup' '$WORK/agent.log'"
for t in "$T3" "$T4" "$T6"; do
	kill_id "$t" >/dev/null
done
check t3-killed wait_for id_acked_is "$T3" TASK_KILLED
check t4-killed wait_for id_acked_is "$T4" TASK_KILLED
check t6-killed wait_for id_acked_is "$T6" TASK_KILLED
[ -z "$T6_LEGACY" ] || check t6-legacy-leaf-removed wait_for sh -c "[ ! -e '$CGT/memory.max' ]"
check all-procs-gone wait_for sh -c "! pgrep -f 'sleep 81[1-4]$TAG'"
check leaves-gone wait_for sh -c "[ -z \"\$(ls -A '$CGT' 2>/dev/null | grep -v '\\.')\" ]"

# IDs Mesos refuses
LONG=$(printf 'x%.0s' $(seq 256))
i=0
for bad in "" "." ".." "a/b" 'a\b' "$(printf 'a\nb')" "$LONG"; do
	i=$((i + 1))
	c=$(kill_id "$bad")
	check "kill-bad-$i-400" [ "$c" = 400 ]
	check "kill-bad-$i-names-field" grep -q "kill.task_id.value" "$WORK/reply"
	c=$(accept_one "$(tj "$bad" true)")
	if [ "$c" = 400 ]; then
		check "launch-bad-$i-400-names-field" grep -q "task_id" "$WORK/reply"
	else
		check "launch-bad-$i-202" [ "$c" = 202 ]
		check "launch-bad-$i-task-error" wait_for id_acked_is "$bad" TASK_ERROR
	fi
done
cat "$WORK/reply"
finish
