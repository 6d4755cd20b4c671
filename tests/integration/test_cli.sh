# SPDX-License-Identifier: Apache-2.0
# Every `drover` command against a real master and agent, checked through its -j output;
# the grammar (prefixes, ambiguity, -j after the command, exit statuses 0/1/2). BPF objects:
# those the agent pinned, else programs and maps loaded here into a private bpffs.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
start_cluster || exit 1
BPFFS=
EVIL_FW_PID=
cleanup() {
	[ -n "$EVIL_FW_PID" ] && kill "$EVIL_FW_PID" 2>/dev/null
	[ -n "$BPFFS" ] && { umount "$BPFFS" 2>/dev/null; rmdir "$BPFFS" 2>/dev/null; }
	stop_cluster
}
trap cleanup EXIT

D="$BIN/drover --master $MASTER --agent 127.0.0.1:$APORT"
J="$D -j"
# jq_check NAME JSON-FILE FILTER: pass when FILTER is true on the file
jq_check() {
	if jq -e "$3" "$2" >/dev/null 2>&1; then pass "$1"; else fail "$1" "$(head -c 400 "$2")"; fi
}
run() { out=$WORK/out.json; "$@" >"$out" 2>"$WORK/err"; rc=$?; }

# ---- grammar and global options
run $J version
jq_check version "$out" '.version | length > 0'
run $D t l
check prefix-task-list [ "$rc" -eq 0 ]
run $J a
check ambiguous-exit-2 [ "$rc" -eq 2 ]
jq_check ambiguous-lists-candidates "$out" '.error | test("agent") and test("alloc")'
run $J nosuchobject
check unknown-object-exit-2 [ "$rc" -eq 2 ]
run $D task list -j
jq_check json-after-command "$out" 'type == "array"'
# (a list with an element: an empty one prints "[]" in either form)
run $D agent list -p
check pretty-is-indented grep -q '^  {' "$out"
run $D agent list -j
check compact-is-one-line [ "$(wc -l <"$out")" -eq 1 ]
run $J agent show no-such-agent
check not-found-exit-1 [ "$rc" -eq 1 ]
jq_check not-found-json-error "$out" '.error | test("no agent")'
run $J task list --bogus
check usage-exit-2 [ "$rc" -eq 2 ]
run $D agent help
check help-exit-0 [ "$rc" -eq 0 ]

# ---- agents
run $J agent list
jq_check agent-list "$out" 'length == 1 and .[0].active == true'
AID=$(jq -r '.[0].agent_info.id.value' "$out")
run $J agent show "$(echo "$AID" | cut -c1-8)"
jq_check agent-show-by-prefix "$out" ".agent_info.id.value == \"$AID\" and .state == \"active\""

# ---- tasks of two roles, detached (their frameworks stay registered)
$D task run --detach --name cli-a --role a --count 2 -- 'sleep 60' >"$WORK/run-a.out" 2>&1
check task-run-detach-a [ $? -eq 0 ]
$D task run --detach --name cli-b --role b --cpus 0.3 --mem 64 -- 'sleep 60' >"$WORK/run-b.out" 2>&1
check task-run-detach-b [ $? -eq 0 ]

run $J task list
jq_check task-list "$out" '[.[] | select(.state == "TASK_RUNNING")] | length == 3'
run $J task list --state running --framework "$(jq -r '[.[] | select(.name == "cli-b")][0].framework_id.value' "$out")"
jq_check task-list-filters "$out" 'length == 1 and .[0].name == "cli-b"'
TB=$(jq -r '.[0].task_id.value' "$out")
run $J task show "$TB"
jq_check task-show "$out" ".task_id.value == \"$TB\" and .state == \"TASK_RUNNING\""
run $J task show cli-a
check task-show-ambiguous [ "$rc" -eq 1 ]

run $J framework list
jq_check framework-list "$out" '[.[].role] | sort == ["a", "b"]'
FB=$(jq -r '.[] | select(.role == "b") | .framework_info.id.value' "$out")
run $J framework show "$FB"
jq_check framework-show "$out" '.role == "b" and .tasks == 1'

run $J role list
jq_check role-list "$out" '[.[] | select(.name == "a" or .name == "b") | .dominant_share > 0] == [true, true]'
run $J role weight a=1 b=3
check role-weight [ "$rc" -eq 0 ]
run $J role list
jq_check role-weight-applied "$out" '(.[] | select(.name == "b") | .weight) == 3'
run $J role weight a=0
check role-weight-bad-exit-2 [ "$rc" -eq 2 ]


# ---- host-local: cgroups
run $J cgroup tree
jq_check cgroup-tree "$out" '[.. | objects | select(has("task")) | .task.state] | length == 3 and all(. == "TASK_RUNNING")'
jq_check cgroup-tree-layout "$out" '[.children[].name] | contains(["agent", "supervisor", "tasks"])'
run $J cgroup show "$TB"
jq_check cgroup-show-task "$out" ".task_id.value == \"$TB\" and (.path | endswith(\"/$TB\")) and .procs >= 1 and (.cgroup[\"cpu.stat\"].usage_usec | type) == \"number\""
jq_check cgroup-show-agent-fields "$out" '.usage | type == "object"'
run $D cgroup show "$TB"
check cgroup-show-plain grep -q '^cpu ' "$out"
run $J cgroup show agent
jq_check cgroup-show-path "$out" '.procs == 1'
run $J cgroup show no-such-thing
check cgroup-show-missing-exit-1 [ "$rc" -eq 1 ]
run $D cgroup top -b -n 2 -d 0.2
check cgroup-top-batch [ "$rc" -eq 0 ]
check cgroup-top-batch-frames [ "$(grep -c '^drover cgroup top' "$out")" -eq 2 ]
check cgroup-top-batch-tasks grep -q "$TB" "$out"
check cgroup-top-batch-no-escapes [ "$(grep -c "$(printf '\033')" "$out")" -eq 0 ]
run $J cgroup top -n 2 -d 0.2 -s mem
check cgroup-top-json-frames [ "$(wc -l <"$out")" -eq 2 ]
jq_check cgroup-top-json "$out" '.sort == "mem" and (.tasks | length) == 3 and all(.tasks[]; has("cpu_pct"))'
run $D cgroup top -b -n 1 -s bogus
check cgroup-top-bad-sort-exit-2 [ "$rc" -eq 2 ]
# the live view in a real terminal
if command -v tmux >/dev/null; then
	S=drover-it-$$
	tmux new-session -d -s "$S" -x 150 -y 20 "$D cgroup top -d 0.3"
	sleep 1.5
	tmux capture-pane -p -t "$S" >"$WORK/pane1"
	tmux send-keys -t "$S" m
	sleep 0.8
	tmux capture-pane -p -t "$S" >"$WORK/pane2"
	tmux send-keys -t "$S" q
	sleep 0.5
	check cgroup-top-tty-draws grep -q "$TB" "$WORK/pane1"
	check cgroup-top-tty-sort-key grep -q 'sort: mem' "$WORK/pane2"
	check cgroup-top-tty-quits sh -c "! tmux has-session -t '$S' 2>/dev/null"
	tmux kill-session -t "$S" 2>/dev/null
else
	skip cgroup-top-tty "tmux is not installed"
fi

# ---- metrics
run $J metrics
jq_check metrics-agent "$out" '.drover_agent_subscribed == 1'
run $J metrics master
jq_check metrics-master "$out" '.drover_master_agents == 1'
run $D metrics show agent
check metrics-plain grep -q '^# TYPE drover_agent' "$out"

# ---- task kill: a connected framework is refused; --force fails over and kills
# (a framework of `task run` that waits for its task: a detached one is not connected)
$D task run --name cli-c --role c -- 'sleep 60' >"$WORK/run-c.out" 2>&1 &
RUN_C=$!
WAIT_S=15 wait_for sh -c "$J task list | jq -e '[.[] | select(.name == \"cli-c\" and .state == \"TASK_RUNNING\")] | length == 1'"
check task-kill-task-running [ $? -eq 0 ]
TC=$($J task list | jq -r '[.[] | select(.name == "cli-c")][0].task_id.value')
run $J framework list
jq_check task-kill-framework-connected "$out" '[.[] | select(.role == "c") | .connected] == [true]'
run $J task kill "$TC"
check task-kill-connected-refused [ "$rc" -eq 1 ]
jq_check task-kill-connected-explains "$out" '.error | test("connected")'
run $J task kill "$TC" --force --grace 1
check task-kill-exit-0 [ "$rc" -eq 0 ]
jq_check task-kill-json "$out" '.state == "TASK_KILLED"'
run $J task list --all
jq_check task-list-all "$out" "[.[] | select(.task_id.value == \"$TC\") | .state] | index(\"TASK_KILLED\") != null"
kill "$RUN_C" 2>/dev/null
wait "$RUN_C" 2>/dev/null
run $J task kill no-such-task
check task-kill-unknown-exit-1 [ "$rc" -eq 1 ]

# ---- names from the wire are shown escaped: a framework and a task named with ESC and a
# newline, in the CLI's plain output, the master's log and the metrics
EVIL='evil\u001b[31m\nname'
ESC=$(printf '\033')
fw_subscribe evil "{\"name\":\"$EVIL-fw\",\"role\":\"e\"}"
check evil-framework-subscribed [ -n "$FW_ID" ]
EVIL_FW_PID=$FW_PID
# (a connected framework holds offers: the detached ones above do not)
WAIT_S=10 wait_for sh -c "$J offer list | jq -e 'length >= 1'"
run $J offer list
jq_check offer-list "$out" 'length >= 1 and all(.[]; .id.value and .agent_id.value)'
fw_launch "$FW_OUT" "$FW_ID" "$FW_SID" "$AID" "{\"name\":\"$EVIL-task\",\"task_id\":{\"value\":\"evil-task\"},\"agent_id\":{\"value\":\"$AID\"},\"command\":{\"value\":\"sleep 60\"},\"resources\":$(res_json 0.1 32)}"
check evil-task-launched [ $? -eq 0 ]
run $D framework list
check framework-list-escapes-name grep -qF 'evil\x1b[31m\nname-fw' "$out"
check framework-list-no-raw-escape [ "$(grep -c "$ESC" "$out")" -eq 0 ]
run $D task show evil-task
check task-show-escapes-name grep -qF 'evil\x1b[31m\nname-task' "$out"
check task-show-no-raw-escape [ "$(grep -c "$ESC" "$out")" -eq 0 ]
run $J task show evil-task
jq_check task-show-json-keeps-name "$out" '.name == "evil\u001b[31m\nname-task"'
check master-log-escapes-name grep -qF "framework 'evil\\x1b[31m\\nname-fw'" "$WORK/master.log"
check master-log-no-raw-escape [ "$(grep -c "$ESC" "$WORK/master.log")" -eq 0 ]
# drover task run's progress lines (task IDs, states, messages from the master) too: the
# agent's "cannot execute '<argv[0]>'" comes back in the task's status message
"$BIN/drover" --master "$MASTER" task run -- "nosuch-evil${ESC}[31m" arg >"$WORK/evil-run.out" 2>&1
cat "$WORK/evil-run.out"
check task-run-progress-escapes-name grep -qF "cannot execute 'nosuch-evil\\x1b[31m'" "$WORK/evil-run.out"
check task-run-progress-no-raw-escape [ "$(grep -c "$ESC" "$WORK/evil-run.out")" -eq 0 ]
for d in master agent; do
	run $D metrics show $d
	check "metrics-$d-shown" [ "$rc" -eq 0 ]
	check "metrics-$d-no-raw-escape" [ "$(grep -c "$ESC" "$out")" -eq 0 ]
done

# ---- alloc simulate (offline)
cat >"$WORK/sim.json" <<'JSON'
{"max_cycles": 100, "agents": [{"id": "n", "resources": "cpus:8;mem:8192"}],
 "roles": [{"name": "a", "weight": 1}, {"name": "b", "weight": 3}],
 "frameworks": [{"id": "A", "role": "a", "task": "cpus:1;mem:128", "tasks": 100},
                {"id": "B", "role": "b", "task": "cpus:1;mem:128", "tasks": 100}]}
JSON
run $J alloc simulate "$WORK/sim.json"
jq_check alloc-simulate "$out" '[.frameworks[] | .tasks] == [2, 6]'

# ---- BPF programs and maps
if [ -d "$BPFPIN" ] && [ -n "$(ls -A "$BPFPIN" 2>/dev/null)" ]; then
	B="$D --bpf-dir $BPFPIN"
	note="the agent's pins"
else
	# a private bpffs with the runqlat programs and maps, loaded (not attached) by bpftool
	OBJ=$DROVER_BUILD/bpf/runqlat.bpf.o
	if command -v bpftool >/dev/null && [ -f "$OBJ" ] && BPFFS=$(mktemp -d /tmp/droverbpfXXXXXX) &&
		mount -t bpf bpf "$BPFFS" 2>/dev/null && mkdir -p "$BPFFS/drover" &&
		bpftool prog loadall "$OBJ" "$BPFFS/drover/progs" pinmaps "$BPFFS/drover/maps" 2>/dev/null &&
		bpftool map create "$BPFFS/drover/maps/test_hash" type hash key 4 value 8 entries 8 name test_hash &&
		bpftool map update pinned "$BPFFS/drover/maps/test_hash" key 1 0 0 0 value 2 0 0 0 0 0 0 0; then
		B="$D --bpf-dir $BPFFS/drover"
		note="a private bpffs"
	else
		B=
	fi
fi
if [ -n "$B" ]; then
	echo "BPF objects from $note"
	run $B -j prog list
	jq_check prog-list "$out" 'length >= 1 and all(.[]; .id > 0 and (.type | length) > 0 and has("run_cnt") and has("pinned"))'
	run $B -j prog list --stats 0.2
	jq_check prog-list-stats "$out" 'length >= 1 and all(.[]; .stats_seconds == 0.2)'
	run $B -j prog list --all
	jq_check prog-list-all "$out" 'length >= 1'
	run $B -j map list
	jq_check map-list "$out" 'length >= 1 and all(.[]; .id > 0 and .key_size >= 0 and (.pinned | length) > 0)'
	if [ -n "$BPFFS" ]; then
		run $B -j map dump test_hash
		jq_check map-dump-json "$out" '. == [{"key": ["0x01","0x00","0x00","0x00"], "value": ["0x02","0x00","0x00","0x00","0x00","0x00","0x00","0x00"]}]'
		run $B map dump maps/test_hash
		check map-dump-plain grep -q '^key: 01 00 00 00  value: 02 00' "$out"
		run $B -j map dump runq_hists
		jq_check map-dump-runq "$out" 'type == "array"'
	else
		# a map with keys to walk (the OOM ring buffer, pinned where OOM events load, has none)
		M=$($B -j map list | jq -r '[.[] | select(.key_size > 0)][0].pinned')
		run $B -j map dump "$M"
		check map-dump [ "$rc" -eq 0 ]
	fi
	# runq_hists is an array of 16,384 entries: the unused (all-zero) ones only with --all
	if $B -j map list | jq -e '[.[] | .pinned] | any(endswith("/runq_hists"))' >/dev/null; then
		run $B -j map dump runq_hists
		jq_check map-dump-array-used-only "$out" 'all(.[]; any(.value[]; . != "0x00"))'
		run $B -j map dump --all runq_hists
		jq_check map-dump-array-all "$out" 'length == 16384'
		run $B map dump runq_hists
		check map-dump-array-says-left-out grep -q 'all-zero array elements: --all prints them)$' "$out"
	fi
	run $B -j map dump no_such_map
	check map-dump-missing-exit-1 [ "$rc" -eq 1 ]
	if [ -z "$BPFFS" ]; then
		run $B -j prog list
		jq_check prog-attach-info "$out" 'any(.[]; (.attach | length) > 0)'
	else
		skip prog-attach-info "programs loaded here are not attached (the agent pinned nothing)"
	fi
else
	skip prog-list "no BPF objects pinned in $BPFPIN and no bpffs/bpftool to load some"
	skip map-list "no BPF objects pinned in $BPFPIN and no bpffs/bpftool to load some"
fi
run $J --bpf-dir /nonexistent prog list
jq_check prog-list-nothing-pinned "$out" '. == []'

# ---- agent drain and reactivate (last: it kills the tasks left)
run $J agent drain "$AID" --grace 1
check agent-drain [ "$rc" -eq 0 ]
run $J agent show "$AID"
jq_check agent-draining "$out" '.draining == true and .state == "draining"'
# (--all: the ended ones too; five tasks were started and killed: cli-a twice, cli-b, cli-c,
# evil-task; and one failed: nosuch-evil)
WAIT_S=15 wait_for sh -c "$J task list --all | jq -e 'length == 6 and ([.[] | select(.state == \"TASK_KILLED\")] | length) == 5 and ([.[] | select(.state == \"TASK_FAILED\")] | length) == 1'"
check agent-drain-kills-tasks [ $? -eq 0 ]
run $J agent reactivate "$AID"
run $J agent show "$AID"
jq_check agent-reactivate "$out" '.draining == false and .deactivated == false'
finish
