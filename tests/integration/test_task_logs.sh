# SPDX-License-Identifier: Apache-2.0
# A task's output: `drover task run` streams it, `drover task logs [-f]` reads it from any
# host through the agent that ran the task (two agents on loopback), the logger caps it on
# disk, /files/read and /files/browse answer as Mesos's and refuse what a hostile task put
# in its sandbox, and sandboxes are collected after --gc-delay.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
command -v curl >/dev/null || skip_all "needs curl"

WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
APORT=$(free_port)
BPORT=$(free_port)
CGROOT=drover-it-$$.slice
CGROOT_B=drover-itb-$$.slice
AGENT_B_PID=
cleanup() {
	kill "$AGENT_B_PID" 2>/dev/null
	wait "$AGENT_B_PID" 2>/dev/null
	echo "---- agent B log"; cat "$WORK/agent-b.log"
	CGM=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	for k in $(find "$CGM/$CGROOT_B" -name cgroup.kill 2>/dev/null); do echo 1 >"$k"; done
	sleep 0.2
	find "$CGM/$CGROOT_B" -depth -type d -exec rmdir {} \; 2>/dev/null
	stop_cluster
}
trap cleanup EXIT
start_master || exit 1
BPFPIN=/sys/fs/bpf/drover
run_agent --bpf off --log-max-size 1MiB --log-max-files 2
"$BIN/drover-agent" --master "$MASTER" --listen "127.0.0.1:$BPORT" --work-dir "$WORK/agent-b" \
	--cgroup-root "$CGROOT_B" --enforce best-effort --bpf off \
	--resources 'cpus:2;mem:1024' >"$WORK/agent-b.log" 2>&1 &
AGENT_B_PID=$!
WAIT_S=15 wait_for sh -c "curl -s -X POST -H 'Content-Type: application/json' -d '{\"type\":\"GET_AGENTS\"}' http://$MASTER/api/v1 | jq -e '.get_agents.agents | length == 2'" ||
	{ fail two-agents "the agents did not register"; exit 1; }

# the CLI must find agents through the master, never through --agent
D="$BIN/drover --master $MASTER --agent 127.0.0.1:1"

# ---- task run streams the task's output to its own stdout and stderr
out=$($D task run -- 'echo hello' 2>"$WORK/run.err")
check run-exit-0 [ $? -eq 0 ]
check run-prints-hello [ "$out" = hello ]
check run-no-paths-without-v sh -c "! grep -q 'output: ' '$WORK/run.err'"
$D task run -- 'echo out; echo err >&2; exit 3' >"$WORK/r2.out" 2>"$WORK/r2.err"
check run-exit-code [ $? -eq 3 ]
check run-stdout-only-stdout [ "$(cat "$WORK/r2.out")" = out ]
check run-stderr-to-stderr grep -qx err "$WORK/r2.err"
$D task run -v --name verbose -- true >/dev/null 2>"$WORK/r3.err"
check run-v-prints-paths grep -q 'output: .*/stdout and ' "$WORK/r3.err"
# many lines, written over time, all arrive, in order
$D task run -- 'i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done' >"$WORK/r4.out" 2>/dev/null
check run-300-lines-in-order sh -c "seq 0 299 | sed 's/^/line /' | cmp -s - '$WORK/r4.out'"

# ---- task logs -f on tasks of both agents, while they write
$D task run --detach --count 2 --cpus 1.5 --name ticker -- \
	'i=0; while [ $i -lt 20 ]; do echo tick $i; i=$((i+1)); sleep 0.2; done' >/dev/null 2>&1
$D -j task list >"$WORK/tasks.json"
agents=$(jq -r '[.[] | select(.name == "ticker") | .agent_id.value] | unique | length' "$WORK/tasks.json")
check ticker-on-two-agents [ "$agents" = 2 ]
for t in $(jq -r '.[] | select(.name == "ticker") | .task_id.value' "$WORK/tasks.json"); do
	$D task logs -f "$t" >"$WORK/follow-$t.out" 2>"$WORK/follow-$t.err" &
	echo "$!" >"$WORK/follow-$t.pid"
done
sleep 1.5
n_running=0
for t in $(jq -r '.[] | select(.name == "ticker") | .task_id.value' "$WORK/tasks.json"); do
	# lines are there while the task still runs (it writes for 4 s)
	[ "$(wc -l <"$WORK/follow-$t.out")" -ge 3 ] && n_running=$((n_running + 1))
done
check logs-f-shows-lines-as-written [ "$n_running" = 2 ]
for t in $(jq -r '.[] | select(.name == "ticker") | .task_id.value' "$WORK/tasks.json"); do
	wait "$(cat "$WORK/follow-$t.pid")"
	check "logs-f-ends-with-task-$t" [ $? -eq 0 ]
	check "logs-f-all-lines-$t" sh -c "seq 0 19 | sed 's/^/tick /' | cmp -s - '$WORK/follow-$t.out'"
done
t=$(jq -r '[.[] | select(.name == "ticker")][0].task_id.value' "$WORK/tasks.json")
check logs-tail-2 [ "$($D task logs --tail 2 "$t")" = "$(printf 'tick 18\ntick 19')" ]
$D task logs no-such-task >/dev/null 2>&1
check logs-unknown-task-fails [ $? -eq 1 ]

# from here on one agent (A): the sandboxes below are looked at on its disk
kill "$AGENT_B_PID"
wait "$AGENT_B_PID" 2>/dev/null
AGENT_B_PID=
WAIT_S=15 wait_for sh -c "curl -s -X POST -H 'Content-Type: application/json' -d '{\"type\":\"GET_AGENTS\"}' http://$MASTER/api/v1 | jq -e '[.get_agents.agents[] | select(.active)] | length == 1'"

# ---- 100 MiB of output keeps at most --log-max-size * --log-max-files on disk
$D task run --name big --cpus 1.9 -- 'head -c 104857600 /dev/zero | tr "\0" x; echo end' \
	>/dev/null 2>&1
$D -j task list --all >"$WORK/tasks.json"
BIG_AGENT=$(jq -r '[.[] | select(.name == "big")][0].agent_id.value' "$WORK/tasks.json")
BIG_FW=$(jq -r '[.[] | select(.name == "big")][0].framework_id.value' "$WORK/tasks.json")
BIG=$(jq -r '[.[] | select(.name == "big")][0].task_id.value' "$WORK/tasks.json")
if [ -d "$WORK/agent/sandboxes/$BIG_FW/$BIG" ]; then
	bytes=$(du -sb "$WORK/agent/sandboxes/$BIG_FW/$BIG/latest/" | cut -f1)
	check output-capped [ "$bytes" -le $((2 * 1048576 + 65536)) ]
	check output-rotated [ -f "$WORK/agent/sandboxes/$BIG_FW/$BIG/latest/stdout.1" ]
	check output-tail-kept [ "$(cat "$WORK/agent/sandboxes/$BIG_FW/$BIG/latest/stdout")" = end ]
else
	fail output-capped "task 'big' did not run on agent A ($BIG_AGENT)"
fi

# ---- /files/read and /files/browse: Mesos's shapes and errors
A=http://127.0.0.1:$APORT
$D task run --name hostile --detach --cpus 0.1 -- \
	'echo hello >hello; mkfifo fifo; ln -s /etc/shadow shadow; ln -s / root; mkdir d;
	 echo inner >d/f; echo ready; sleep 60' >/dev/null 2>&1
$D -j task list >"$WORK/tasks.json"
HFW=$(jq -r '[.[] | select(.name == "hostile")][0].framework_id.value' "$WORK/tasks.json")
HT=$(jq -r '[.[] | select(.name == "hostile")][0].task_id.value' "$WORK/tasks.json")
HA=$(jq -r '[.[] | select(.name == "hostile")][0].agent_id.value' "$WORK/tasks.json")
HP=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"GET_AGENTS"}' "http://$MASTER/api/v1" |
	jq -r ".get_agents.agents[] | select(.agent_info.id.value == \"$HA\") | .agent_info.port")
A=http://127.0.0.1:$HP
V=/frameworks/$HFW/executors/$HT/runs/latest
WAIT_S=10 wait_for sh -c "curl -s '$A/files/read?path=$V/stdout&offset=0' | jq -e '.data == \"ready\\n\"'"
read_q() { curl -s --max-time 5 -o "$WORK/q.out" -w '%{http_code}' "$A/files/read?$1"; }
check read-shape [ "$(read_q "path=$V/hello&offset=0")" = 200 ]
check read-body jq -e '. == {"offset": 0, "data": "hello\n"}' "$WORK/q.out"
read_q "path=$V/hello&offset=-1" >/dev/null
check read-offset-minus-1-is-size jq -e '. == {"offset": 6, "data": ""}' "$WORK/q.out"
read_q "path=$V/hello" >/dev/null
check read-no-offset-is-size jq -e '. == {"offset": 6, "data": ""}' "$WORK/q.out"
read_q "path=$V/hello&offset=1&length=3" >/dev/null
check read-length jq -e '. == {"offset": 1, "data": "ell"}' "$WORK/q.out"
read_q "path=$V/hello&offset=100" >/dev/null
check read-past-end jq -e '. == {"offset": 100, "data": ""}' "$WORK/q.out"
read_q "path=$V/d/f&offset=0" >/dev/null
check read-subdir jq -e '.data == "inner\n"' "$WORK/q.out"
check read-negative-offset-400 [ "$(read_q "path=$V/hello&offset=-2")" = 400 ]
check read-negative-length-400 [ "$(read_q "path=$V/hello&offset=0&length=-5")" = 400 ]
check read-bad-offset-400 [ "$(read_q "path=$V/hello&offset=1x")" = 400 ]
check read-directory-400 [ "$(read_q "path=$V/d&offset=0")" = 400 ]
check read-missing-404 [ "$(read_q "path=$V/nope&offset=0")" = 404 ]
check read-no-path-400 [ "$(read_q "offset=0")" = 400 ]
check read-unknown-task-404 [ "$(read_q "path=/frameworks/$HFW/executors/nope/runs/latest/stdout")" = 404 ]
check read-agent-log-404 [ "$(read_q "path=/slave/log")" = 404 ]
# hostile: a FIFO is refused without blocking, symlinks and ".." never lead out
check read-fifo-400 [ "$(read_q "path=$V/fifo&offset=0")" = 400 ]
check read-symlink-403 [ "$(read_q "path=$V/shadow&offset=0")" = 403 ]
check read-no-shadow sh -c "! grep -q 'root:' '$WORK/q.out'"
check read-through-symlinked-dir-403 [ "$(read_q "path=$V/root/etc/shadow&offset=0")" = 403 ]
check read-dotdot-400 [ "$(read_q "path=$V/../../../../../etc/shadow&offset=0")" = 400 ]
check read-encoded-dotdot-400 [ "$(read_q "path=$V/%2e%2e/%2e%2e/x&offset=0")" = 400 ]
check read-dotdot-run-404 is_one_of "$(read_q "path=/frameworks/$HFW/executors/$HT/runs/..&offset=0")" 400 404
# a huge length is capped at 16 pages
if [ -n "$BIG" ]; then
	BV=/frameworks/$BIG_FW/executors/$BIG/runs/latest
	curl -s "http://127.0.0.1:$APORT/files/read?path=$BV/stdout.1&offset=0&length=99999999999" >"$WORK/big.json"
	check read-huge-length-capped jq -e '.data | length == 65536' "$WORK/big.json"
fi
# browse: Mesos's entry fields; symlinks listed, not followed
curl -s "$A/files/browse?path=$V" >"$WORK/browse.json"
check browse-fields jq -e '[.[] | select(.path | endswith("/hello"))][0] | (.size == 6 and .nlink == 1 and (.mtime | type == "number") and (.mode | test("^-rw")) and (.uid | type == "string") and (.gid | type == "string"))' "$WORK/browse.json"
check browse-symlink-not-followed jq -e '[.[] | select(.path | endswith("/shadow"))][0].mode | startswith("l")' "$WORK/browse.json"
check browse-fifo-listed jq -e '[.[] | select(.path | endswith("/fifo"))][0].mode | startswith("p")' "$WORK/browse.json"
check browse-missing-404 [ "$(curl -s -o /dev/null -w '%{http_code}' "$A/files/browse?path=$V/nope")" = 404 ]
# the operator calls: base64 data, size, FileInfo
curl -s -X POST -H 'Content-Type: application/json' \
	-d "{\"type\":\"READ_FILE\",\"read_file\":{\"path\":\"$V/hello\",\"offset\":1,\"length\":2}}" "$A/api/v1" >"$WORK/rf.json"
check read-file-call jq -e '.type == "READ_FILE" and .read_file.size == 6 and .read_file.data == "ZWw="' "$WORK/rf.json"
check read-file-no-offset-400 [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-d "{\"type\":\"READ_FILE\",\"read_file\":{\"path\":\"$V/hello\"}}" "$A/api/v1")" = 400 ]
curl -s -X POST -H 'Content-Type: application/json' \
	-d "{\"type\":\"LIST_FILES\",\"list_files\":{\"path\":\"$V\"}}" "$A/api/v1" >"$WORK/lf.json"
check list-files-call jq -e '[.list_files.file_infos[] | select(.path | endswith("/hello"))][0] | (.size == 6 and (.mode | type == "number") and (.mtime.nanoseconds > 0))' "$WORK/lf.json"
# authorized as every task-data call: another uid on this host gets 403
if command -v setpriv >/dev/null; then
	code=$(setpriv --reuid 65534 --regid 65534 --clear-groups curl -s -o /dev/null -w '%{http_code}' "$A/files/read?path=$V/hello&offset=0")
	check read-other-uid-403 [ "$code" = 403 ]
else
	skip read-other-uid-403 "no setpriv"
fi

# ---- sandboxes: collected after --gc-delay once their task ended and was acknowledged,
# never while the task runs; the logger outlives an agent restart
$D task run --detach --name survivor -- \
	'i=0; while [ $i -lt 30 ]; do echo s $i; i=$((i+1)); sleep 0.1; done' >/dev/null 2>&1
$D -j task list >"$WORK/tasks.json"
SFW=$(jq -r '[.[] | select(.name == "survivor")][0].framework_id.value' "$WORK/tasks.json")
ST=$(jq -r '[.[] | select(.name == "survivor")][0].task_id.value' "$WORK/tasks.json")
SOUT=$WORK/agent/sandboxes/$SFW/$ST/latest/stdout
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
n1=$(wc -l <"$SOUT")
sleep 1
n2=$(wc -l <"$SOUT")
check logger-outlives-agent [ "$n2" -gt "$n1" ]
run_agent --bpf off --log-max-size 1MiB --log-max-files 2 --gc-delay 2s --disk-watch-interval 200ms
WAIT_S=10 wait_for sh -c "[ \"\$(wc -l <'$SOUT')\" -ge 30 ]"
check logger-all-lines-across-restart sh -c "seq 0 29 | sed 's/^/s /' | cmp -s - '$SOUT'"
WAIT_S=20 wait_for sh -c "[ ! -e '$WORK/agent/sandboxes/$BIG_FW/$BIG' ]"
check gc-after-delay [ ! -e "$WORK/agent/sandboxes/$BIG_FW/$BIG" ]
if [ "$HP" = "$APORT" ]; then
	check gc-keeps-running-task [ -d "$WORK/agent/sandboxes/$HFW/$HT/latest/" ]
fi
check gc-trash-emptied sh -c "[ -z \"\$(ls '$WORK/agent/gc')\" ]"
finish
