# SPDX-License-Identifier: Apache-2.0
# --enforce strict refuses to start when cpu and memory cannot be enabled for its tasks, and
# says which and why: its --cgroup-root is put under a cgroup that holds a process and a
# populated child, so the no-internal-processes rule forbids enabling any controller there
# (and it cannot become a thread root either). It leaves no cgroup of its own behind. The
# same agent in --enforce best-effort starts and reports them missing.
# vm-timeout: 60
. "$(dirname "$0")/lib.sh"
B=/drover/bin
W=/tmp/agent-strict

parent=$CG/vm-strict
cg_create "$parent"
cg_create "$parent/busy"
sleep 60 &
sleeper=$!
sleep 60 &
sleeper2=$!
echo $sleeper >"$parent/cgroup.procs" || fail "cannot move a process into $parent"
echo $sleeper2 >"$parent/busy/cgroup.procs" || fail "cannot move a process into $parent/busy"
trap 'kill $sleeper $sleeper2 2>/dev/null; kill $agent 2>/dev/null; wait; find "$parent" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null; cg_cleanup' EXIT
rm -rf $W

timeout 30 "$B/drover-agent" --master 127.0.0.1:5999 --listen 127.0.0.1:5052 --work-dir $W/a \
	--cgroup-root vm-strict/drover.slice --enforce strict --bpf off >$W.log 2>&1
rc=$?
cat $W.log
[ $rc -ne 0 ] || fail "the strict agent started without cpu and memory"
[ $rc -ne 124 ] || fail "the strict agent neither started nor refused within 30 s"
grep -q 'cannot enforce limits' $W.log || fail "no 'cannot enforce limits' message"
grep -q 'cpu: missing' $W.log || fail "the message does not name the cpu controller"
grep -q 'memory: missing' $W.log || fail "the message does not name the memory controller"
[ -d "$parent/drover.slice" ] && fail "the refusing agent left its cgroups: $(find "$parent/drover.slice" -type d | tr '\n' ' ')"

# best-effort: starts, and says what is missing
"$B/drover-agent" --master 127.0.0.1:5999 --listen 127.0.0.1:5052 --work-dir $W/b \
	--cgroup-root vm-strict/drover.slice --enforce best-effort --bpf off >$W.be.log 2>&1 &
agent=$!
i=0
while ! grep -q 'limits not enforced' $W.be.log && kill -0 $agent 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
cat $W.be.log
kill -0 $agent 2>/dev/null || fail "the best-effort agent did not keep running"
grep -q 'limits not enforced' $W.be.log || fail "the best-effort agent does not report the missing controllers"
