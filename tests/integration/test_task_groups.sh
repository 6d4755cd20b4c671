# SPDX-License-Identifier: Apache-2.0
# Task groups (LAUNCH_GROUP, Mesos's default-executor semantics, the agent acting as the
# default executor): one task exits 1 and the others are killed, statuses per task, the
# sandboxes under the executor's run, the cgroup layout (a leaf per task under the group's
# cgroup), a KILL of one task kills the group, and a group whose executor has less than
# 32 MB mem is refused with TASK_ERROR / REASON_TASK_GROUP_INVALID. A third-party framework
# (tests/integration/mesos_framework.py, Python 3 standard library) drives the master.
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_jq
command -v python3 >/dev/null || skip_all "needs python3"
start_cluster || exit 1
trap stop_cluster EXIT
FW="python3 $(dirname "$0")/mesos_framework.py --master $MASTER --events $WORK/events.jsonl"
CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)

# ---- one task fails: the others are killed; a status per task
timeout 60 $FW group >"$WORK/group.json" 2>"$WORK/group.err"
check group-ran [ -s "$WORK/group.json" ]
cat "$WORK/group.json" "$WORK/group.err"
g() { jq -r "$1" "$WORK/group.json"; }
check group-a-failed [ "$(g .final.a)" = TASK_FAILED ]
check group-b-killed [ "$(g .final.b)" = TASK_KILLED ]
check group-c-killed [ "$(g .final.c)" = TASK_KILLED ]
check group-all-ran [ "$(g '.running | join(",")')" = "a,b,c" ]
check group-b-was-killing [ "$(g '.states.b | index("TASK_KILLING") != null')" = true ]
# the tasks' sandboxes share the executor's run: …/<fw>/group/<run>/tasks/<task>
sa=$(g .sandboxes.a)
sb=$(g .sandboxes.b)
check group-sandbox-layout sh -c "echo '$sa' | grep -q '/sandboxes/.*/group/[^/]*/tasks/a$'"
check group-sandbox-shared-parent [ "$(dirname "$sa")" = "$(dirname "$sb")" ]

# ---- the cgroup layout while a group runs, then a KILL of one task kills the group
$FW --kill p --go "$WORK/go" group-pause >"$WORK/pause.out" 2>"$WORK/pause.err" &
PPID_FW=$!
WAIT_S=30 wait_for grep -q running "$WORK/pause.out"
cg="$CGMOUNT/$CGROOT/executors"
check group-cgroup-parent sh -c "ls -d '$cg'/*/pause"
check group-cgroup-leaf-p sh -c "ls -d '$cg'/*/pause/p"
check group-cgroup-leaf-q sh -c "ls -d '$cg'/*/pause/q"
check group-cgroup-p-has-sleep sh -c "cat '$cg'/*/pause/p/cgroup.procs | grep -q ."
touch "$WORK/go"
WAIT_S=30 wait_for grep -q final "$WORK/pause.out"
cat "$WORK/pause.out" "$WORK/pause.err"
fin=$(grep final "$WORK/pause.out")
check group-kill-one-p [ "$(echo "$fin" | jq -r .final.p)" = TASK_KILLED ]
check group-kill-one-q [ "$(echo "$fin" | jq -r .final.q)" = TASK_KILLED ]
wait "$PPID_FW"
# the group's cgroup goes once its tasks are gone and acknowledged
WAIT_S=10 wait_for sh -c "! ls -d '$cg'/*/pause"
check group-cgroup-removed sh -c "! ls -d '$cg'/*/pause 2>/dev/null"

# ---- an executor below Mesos's floor (32 MB mem): TASK_ERROR, REASON_TASK_GROUP_INVALID
timeout 30 $FW group-bad >"$WORK/bad.json" 2>"$WORK/bad.err"
cat "$WORK/bad.json" "$WORK/bad.err"
check group-invalid-state [ "$(jq -r .state "$WORK/bad.json")" = TASK_ERROR ]
check group-invalid-reason [ "$(jq -r .reason "$WORK/bad.json")" = REASON_TASK_GROUP_INVALID ]
finish
