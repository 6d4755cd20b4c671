# SPDX-License-Identifier: Apache-2.0
# The agent's eBPF side on this host, through real tasks: the programs load and are pinned;
# GET_CONTAINERS carries exact CPU (equal to the leaf's cpu.stat usage_usec within 0.1 %) and
# run-queue histograms that rise when two busy processes share one CPU; a task binds only its
# allocated port inside the agent's range (others fail with EACCES, counted) and ports
# outside it freely; a (root) task cannot open a device off the allowlist. OOM events come
# from the kprobe or, where it cannot attach, the mark_victim tracepoint (--bpf-oom forces
# either). --bpf off falls back to cgroupfs and says so.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
[ -r /sys/kernel/btf/vmlinux ] || skip_all "the kernel exposes no BTF"
TRY="$DROVER_BUILD/tests/vm/helpers/bpf_try"
[ -x "$TRY" ] || skip_all "no $TRY (make all builds it)"

WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
mkdir "$WORK/bpffs"
mount -t bpf bpf "$WORK/bpffs" || skip_all "cannot mount a bpffs"
# the device checks run as root (a task has no capabilities, but root's file permissions)
echo '{"run_tasks": [{"principals": "ANY", "users": ["root"]}]}' >"$WORK/acls.json"
start_master --acls "$WORK/acls.json" || exit 1
APORT=$(free_port)
CGROOT=drover-it-bpf-$$.slice
CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
start_agent() {
	# the log keeps earlier agents' lines: wait for one more subscription than before
	_before=$(grep -c 'subscribed to the master' "$WORK/agent.log" 2>/dev/null || true)
	"$BIN/drover-agent" --master "$MASTER" --listen "127.0.0.1:$APORT" --work-dir "$WORK/agent" \
		--cgroup-root "$CGROOT" --enforce best-effort --sample-interval 200ms \
		--bpf-pin-dir "$WORK/bpffs/drover" \
		--resources 'cpus:2;mem:1024;ports:[31000-31099]' "$@" >>"$WORK/agent.log" 2>&1 &
	AGENT_PID=$!
	wait_for sh -c "[ \$(grep -c 'subscribed to the master' '$WORK/agent.log') -gt ${_before:-0} ]"
}
cleanup() {
	kill "$AGENT_PID" "$MASTER_PID" 2>/dev/null
	wait "$AGENT_PID" "$MASTER_PID" 2>/dev/null
	echo "---- agent log"; cat "$WORK/agent.log"
	umount "$WORK/bpffs"
	[ -d "$CGMOUNT/$CGROOT" ] && find "$CGMOUNT/$CGROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
start_agent || { echo "agent did not come up"; exit 1; }
D="$BIN/drover --master $MASTER"
agent_call() {
	curl -s -X POST -H 'Content-Type: application/json' -d "{\"type\":\"$1\"}" \
		"http://127.0.0.1:$APORT/api/v1"
}

# ---- loaded, reported, pinned
agent_call GET_STATE >"$WORK/state.json"
check enforcement-bpf-enabled [ "$(jq -r .get_state.enforcement.bpf.enabled "$WORK/state.json")" = true ]
check enforcement-bpf-usage-source [ "$(jq -r .get_state.enforcement.bpf.usage_source "$WORK/state.json")" = bpf ]
for o in cgstat_walk cgstats runq_switch runq_hists bind4 bind6 port_owner dev dev_allow; do
	check "pinned-$o" [ -e "$WORK/bpffs/drover/$o" ]
done
# OOM events: kprobe/oom_kill_process, or where it cannot attach (this kind of kernel inlines
# oom_kill_process) the raw_tp/mark_victim fallback; GET_STATE names the one in use
src=$(jq -r '.get_state.enforcement.bpf.oom_source // ""' "$WORK/state.json")
echo "OOM events from: ${src:-nothing}; why: $(jq -r '.get_state.enforcement.bpf.why // ""' "$WORK/state.json")"
check oom-events-loaded jq -e '.get_state.enforcement.bpf.programs | index("oomkill")' "$WORK/state.json"
check pinned-oom_events [ -e "$WORK/bpffs/drover/oom_events" ]
case "$src" in
kprobe/oom_kill_process) check pinned-oom_kill_process [ -e "$WORK/bpffs/drover/oom_kill_process" ] ;;
raw_tp/mark_victim*)
	check pinned-mark_victim [ -e "$WORK/bpffs/drover/mark_victim" ]
	check oom-fallback-logged grep -q 'OOM events: kprobe unavailable' "$WORK/agent.log"
	;;
*) check oom-source-known false ;;
esac

# the fallback's pid-only variant (older 6.1 kernels), run with BPF_PROG_TEST_RUN: no OOM needed
mkdir "$CGMOUNT/$CGROOT/oomtp-$$"
"$DROVER_BUILD/tests/vm/helpers/bpf_check" oom-tp-run "$CGMOUNT/$CGROOT/oomtp-$$" >"$WORK/oomtp.out" 2>&1
rc=$?
cat "$WORK/oomtp.out"
check oom-tracepoint-test-run [ $rc -eq 0 ]
rmdir "$CGMOUNT/$CGROOT/oomtp-$$"

# ---- exact CPU: 2 s of spinning, then idle; the sample equals the leaf's cpu.stat
$D task run --name busy -- "$TRY burn 2; sleep 4" >"$WORK/busy.out" 2>&1 &
RUN=$!
sleep 3.2
agent_call GET_CONTAINERS >"$WORK/c1.json"
FW=$(jq -r '.get_containers.containers[] | select(.state == "TASK_RUNNING") | .framework_id.value' "$WORK/c1.json" | head -1)
TID=$(jq -r '.get_containers.containers[] | select(.state == "TASK_RUNNING") | .task_id.value' "$WORK/c1.json" | head -1)
usec=$(awk '$1 == "usage_usec" { print $2 }' "$CGMOUNT/$CGROOT/tasks/$FW/$TID/cpu.stat" 2>/dev/null)
bpf_ns=$(jq -r '.get_containers.containers[] | select(.state == "TASK_RUNNING") | .usage.cpu_usage_ns' "$WORK/c1.json" | head -1)
src=$(jq -r '.get_containers.containers[] | select(.state == "TASK_RUNNING") | .usage.source' "$WORK/c1.json" | head -1)
echo "busy task: bpf cpu_usage_ns=$bpf_ns, cpu.stat usage_usec=$usec, source=$src"
check usage-source-bpf [ "$src" = bpf ]
check cpu-exact-0.1pct awk -v b="${bpf_ns:-0}" -v u="${usec:-0}" \
	'BEGIN { d = b / 1000 - u; if (d < 0) d = -d; exit !(u > 200000 && d <= u / 1000) }'
wait $RUN
$D -j task run -- "$TRY burn 0.3" >"$WORK/acct.out" 2>&1
check terminal-accounting-bpf-cpu grep -q '"bpf": *{[^}]*"cpu_usage_ns"' "$WORK/acct.out"

# ---- run-queue latency: two spinning processes pinned to one CPU
$D task run --name runq -- "taskset -c 0 sh -c '$TRY burn 3 & $TRY burn 3 & wait'" >/dev/null 2>&1 &
RUN=$!
sleep 1
w1=$(agent_call GET_CONTAINERS | jq -r '[.get_containers.containers[] | select(.state == "TASK_RUNNING") | .usage.runq.total_waits][0] // 0')
sleep 1.2
c2=$(agent_call GET_CONTAINERS)
w2=$(echo "$c2" | jq -r '[.get_containers.containers[] | select(.state == "TASK_RUNNING") | .usage.runq.total_waits][0] // 0')
p99=$(echo "$c2" | jq -r '[.get_containers.containers[] | select(.state == "TASK_RUNNING") | .usage.runq.p99_us][0] // 0')
echo "run queue: total_waits $w1 -> $w2, p99 over the last interval ${p99} us"
check runq-waits-counted [ "$w1" -gt 0 ]
check runq-waits-rise [ "$w2" -gt "$w1" ]
check runq-p99-ms [ "$p99" -ge 1000 ]
wait $RUN

# ---- ports: one allocated port in 31000-31099; the rest of the range is refused
$D task run -v --ports 1 -- "$TRY bind-range 31000 31099; $TRY bind 0; $TRY bind 40123" >"$WORK/ports.out" 2>&1
sandbox=$(sed -n 's/.* output: \(.*\)\/stdout and .*/\1/p' "$WORK/ports.out" | head -1)
cat "$sandbox/stdout"
check ports-one-bound [ "$(awk '$1 == "bound" { print NF - 1 }' "$sandbox/stdout")" = 1 ]
check ports-99-eacces grep -qx 'eacces 99' "$sandbox/stdout"
check ports-ephemeral-ok grep -q 'port 0: ok' "$sandbox/stdout"
check ports-outside-range-ok grep -q 'port 40123: ok' "$sandbox/stdout"
$D -j task run --ports 1 -- "$TRY bind-range 31000 31009" >"$WORK/ports.json" 2>&1
check ports-denials-counted grep -q '"bind_denied": *9' "$WORK/ports.json"
# the port table (one entry per port): while a task runs it holds its one port; once it ended
# all 100 managed ports are free again (0xff..ff), and nothing outside the range is entered
$D task run --ports 1 -- "sleep 2" >/dev/null 2>&1 &
RUN=$!
sleep 1
"$BIN/drover" -j map dump "$WORK/bpffs/drover/port_owner" >"$WORK/owner-held.json" 2>&1
wait $RUN
"$BIN/drover" -j map dump "$WORK/bpffs/drover/port_owner" >"$WORK/owner-freed.json" 2>&1
check ports-owner-held jq -e 'length == 100 and ([.[] | select(any(.value[]; . != "0xff"))] | length) == 1' "$WORK/owner-held.json"
check ports-owner-freed jq -e 'length == 100 and all(.[]; all(.value[]; . == "0xff"))' "$WORK/owner-freed.json"

# ---- devices: /dev/net/tun (root-only by mode, no capability needed to open) is off the
# allowlist, so only the device program stops a root task opening it
$D task run --user root -- "$TRY open /dev/null" >/dev/null 2>&1
check dev-null-allowed [ $? -eq 0 ]
if [ -c /dev/net/tun ]; then
	$D task run --user root -- "$TRY open /dev/net/tun" >/dev/null 2>&1
	check dev-tun-eperm [ $? -eq 1 ]
else
	skip dev-tun-eperm "no /dev/net/tun on this host"
fi
# (mknod also needs CAP_MKNOD, which no task holds: docs/security.md)
$D task run --user root -- "$TRY mknod ./mem 1 1" >/dev/null 2>&1
check dev-mknod-eperm [ $? -eq 1 ]

# ---- --bpf-oom: the tracepoint when asked for; the kprobe when asked for, or nothing
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
check unpinned-at-exit [ ! -e "$WORK/bpffs/drover/cgstat_walk" ]
start_agent --bpf-oom tracepoint || { echo "agent did not come back"; exit 1; }
src=$(agent_call GET_STATE | jq -r '.get_state.enforcement.bpf.oom_source // ""')
echo "--bpf-oom tracepoint: $src"
check bpf-oom-tracepoint expr "$src" : 'raw_tp/mark_victim (victim [a-z]*)$' >/dev/null
check bpf-oom-tracepoint-pinned [ -e "$WORK/bpffs/drover/mark_victim" ]
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
start_agent --bpf-oom kprobe || { echo "agent did not come back"; exit 1; }
agent_call GET_STATE >"$WORK/state3.json"
src=$(jq -r '.get_state.enforcement.bpf.oom_source // ""' "$WORK/state3.json")
echo "--bpf-oom kprobe: ${src:-nothing}"
if [ -n "$src" ]; then
	check bpf-oom-kprobe [ "$src" = kprobe/oom_kill_process ]
else # no fallback when the kprobe is asked for: OOM events are off, and why says so
	check bpf-oom-kprobe-no-fallback jq -e '.get_state.enforcement.bpf.why | test("OOM events: oomkill: attach kprobe/oom_kill_process")' "$WORK/state3.json"
fi
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null

# ---- --bpf off: cgroupfs, and REGISTER says why
start_agent --bpf off || { echo "agent did not come back"; exit 1; }
agent_call GET_STATE >"$WORK/state2.json"
check bpf-off-reported [ "$(jq -r .get_state.enforcement.bpf.enabled "$WORK/state2.json")" = false ]
check bpf-off-why jq -e '.get_state.enforcement.bpf.why | test("--bpf off")' "$WORK/state2.json"
if [ -c /dev/net/tun ]; then
	$D task run --user root -- "$TRY open /dev/net/tun" >/dev/null 2>&1
	check bpf-off-no-device-control [ $? -eq 0 ]
fi
finish
