# SPDX-License-Identifier: Apache-2.0
# `drover task run` prints all of its task's output, and finds the agent by the offer's
# url: an agent whose host name resolves nowhere (its own UTS namespace) still streams; a
# task that writes more than a MiB on both streams and exits at once has all of it printed
# (the agent sends the terminal update once its logger has written the last byte, and the
# CLI's last reads start when that update comes), with the exit code; when the offer's
# address cannot be reached, the master's GET_AGENTS says where to read.
. "$(dirname "$0")/lib.sh"
need_root
need_jq
command -v unshare >/dev/null || skip_all "needs unshare (util-linux)"
unshare --uts true 2>/dev/null || skip_all "cannot make a UTS namespace here"

WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
APORT=$(free_port)
CGROOT=drover-it-$$.slice
BPFPIN=/sys/fs/bpf/drover
start_master || exit 1
# the agent reports the host name drover-nowhere.invalid, which no resolver knows
unshare --uts sh -c 'hostname drover-nowhere.invalid && exec "$@"' agent \
	"$BIN/drover-agent" --master "$MASTER" --listen "127.0.0.1:$APORT" --work-dir "$WORK/agent" \
	--cgroup-root "$CGROOT" --enforce best-effort --bpf off \
	--resources 'cpus:2;mem:1024' >>"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
AGENT_B_PID=
cleanup() {
	kill "$AGENT_B_PID" 2>/dev/null
	wait "$AGENT_B_PID" 2>/dev/null
	echo "---- agent B log"; cat "$WORK/agent-b.log" 2>/dev/null
	stop_cluster
}
trap cleanup EXIT
WAIT_S=15 wait_for sh -c "curl -s -X POST -H 'Content-Type: application/json' -d '{\"type\":\"GET_AGENTS\"}' http://$MASTER/api/v1 | grep -q drover-nowhere.invalid" ||
	{ fail agent-up "the agent did not register"; exit 1; }

D="$BIN/drover --master $MASTER"

# ---- the agent's host name does not resolve: the offer's url says where it listens
out=$($D task run -- 'echo hello' 2>"$WORK/r1.err")
rc=$?
check unresolvable-host-exit-0 [ "$rc" -eq 0 ]
check unresolvable-host-prints-hello [ "$out" = hello ]
check unresolvable-host-no-error sh -c "! grep -q 'cannot' '$WORK/r1.err'"

# ---- 1.3 MB on stdout and 0.6 MB on stderr, written at full speed, then exit 7 at once
$D task run -- 'seq 1 200000; seq 1 100000 >&2; exit 7' >"$WORK/big.out" 2>"$WORK/big.err"
rc=$?
check big-exit-code [ "$rc" -eq 7 ]
seq 1 200000 >"$WORK/want.out"
seq 1 100000 >"$WORK/want.err"
check big-stdout-complete cmp "$WORK/want.out" "$WORK/big.out"
# stderr also carries drover's own lines ("drover: ..."): the task's lines, in order
grep -v '^drover: ' "$WORK/big.err" >"$WORK/big.err.task"
check big-stderr-complete cmp "$WORK/want.err" "$WORK/big.err.task"

# ---- a last line written without a newline, right before the end, is printed too
out=$($D task run -- 'printf tail-without-newline' 2>/dev/null)
check last-partial-line [ "$out" = tail-without-newline ]

# ---- the offer's address cannot be reached: an agent listening on 127.0.0.2 (it connects
# to the master from 127.0.0.1, the address its offers carry) whose host name resolves to
# 127.0.0.2 only for the CLI (its own /etc/hosts in a mount namespace)
if ip -4 addr show lo 2>/dev/null | grep -q '127.0.0.1/8' && unshare -m true 2>/dev/null; then
	kill "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	BPORT=$(free_port)
	unshare --uts sh -c 'hostname drover-fallback.invalid && exec "$@"' agent \
		"$BIN/drover-agent" --master "$MASTER" --listen "127.0.0.2:$BPORT" \
		--work-dir "$WORK/agent-b" --cgroup-root "$CGROOT" --enforce best-effort --bpf off \
		--resources 'cpus:2;mem:1024' >>"$WORK/agent-b.log" 2>&1 &
	AGENT_B_PID=$!
	WAIT_S=15 wait_for sh -c "curl -s -X POST -H 'Content-Type: application/json' -d '{\"type\":\"GET_AGENTS\"}' http://$MASTER/api/v1 | jq -e '[.get_agents.agents[] | select(.active and .agent_info.hostname == \"drover-fallback.invalid\")] | length == 1'" ||
		fail fallback-agent-up "the agent on 127.0.0.2 did not register"
	{ cat /etc/hosts; echo "127.0.0.2 drover-fallback.invalid"; } >"$WORK/hosts"
	out=$(unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' cli \
		"$WORK/hosts" $D task run -- 'echo fallback' 2>"$WORK/fb.err")
	rc=$?
	check fallback-exit-0 [ "$rc" -eq 0 ]
	check fallback-prints [ "$out" = fallback ]
else
	skip fallback "needs 127.0.0.1/8 on lo and a mount namespace"
fi

finish
