# SPDX-License-Identifier: Apache-2.0
# `drover task run` prints all of its task's output, and finds the agent by the offer's
# url: an agent whose host name resolves nowhere (its own UTS namespace) still streams; a
# task that writes more than a MiB on both streams and exits at once has all of it printed
# (the agent sends the terminal update once its logger has written the last byte, and the
# CLI's last reads start when that update comes), with the exit code.
. "$(dirname "$0")/lib.sh"
need_root
command -v unshare >/dev/null || skip_all "needs unshare (util-linux)"
unshare --uts true 2>/dev/null || skip_all "cannot make a UTS namespace here"

WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
APORT=$(free_port)
CGROOT=drover-it-$$.slice
BPFPIN=/sys/fs/bpf/drover
trap stop_cluster EXIT
start_master || exit 1
# the agent reports the host name drover-nowhere.invalid, which no resolver knows
unshare --uts sh -c 'hostname drover-nowhere.invalid && exec "$@"' agent \
	"$BIN/drover-agent" --master "$MASTER" --listen "127.0.0.1:$APORT" --work-dir "$WORK/agent" \
	--cgroup-root "$CGROOT" --enforce best-effort --bpf off \
	--resources 'cpus:2;mem:1024' >>"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
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

finish
