# SPDX-License-Identifier: Apache-2.0
# An unmodified third-party Mesos client: the npm library mesos-framework (tobilg), installed
# at test time from the npm registry into a scratch dir (npm's cache under the build dir).
# Three masters on a private ZooKeeper; node-zookeeper-client (the library's own dependency)
# finds the leader by Mesos's detector rule in the json.info_ znodes, then the library's
# Scheduler subscribes there, launches a command task from an offer and acknowledges its
# updates until TASK_FINISHED (npm/mesos_framework_run.js). SKIPs when the registry cannot
# be reached. The library finds masters by HTTP redirects, not ZooKeeper (its ZooKeeper use
# is for its own framework-ID store): pointed at a follower, it must follow the 307.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zk_lib.sh"
command -v node >/dev/null || skip_all "needs node (Debian package nodejs)"
command -v npm >/dev/null || skip_all "needs npm (Debian package npm)"
ha_begin
RUNJS="$(cd "$(dirname "$0")" && pwd)/npm/mesos_framework_run.js"
NPMDIR=$WORK/npm
CACHE=$DROVER_BUILD/npm-cache
mkdir -p "$NPMDIR" "$CACHE"
cp "$RUNJS" "$NPMDIR/"
if ! (cd "$NPMDIR" && timeout 300 npm install --no-audit --no-fund --no-save --prefer-offline \
	--cache "$CACHE" mesos-framework@0.5.3 >"$WORK/npm-install.log" 2>&1); then
	cat "$WORK/npm-install.log"
	skip_all "cannot install mesos-framework from the npm registry ($(grep -m1 -o 'E[A-Z_]*[A-Z]' "$WORK/npm-install.log" || echo 'npm install failed'))"
fi
check npm-installed test -f "$NPMDIR/node_modules/mesos-framework/package.json"

for i in 1 2 3; do start_ha_master $i; done
WAIT_S=30 wait_for leader
L=$(leader)
check one_leader [ -n "$L" ]
eval "LP=\$MPORT_$L"
start_ha_agent 1
check agent_registered wait_op GET_AGENTS '.get_agents.agents | length == 1 and all(.active)'

ZHOSTS=${ZK#zk://}
ZHOSTS=${ZHOSTS%%/*}
ZPATH=/${ZK##*/}
(cd "$NPMDIR" && timeout 120 node mesos_framework_run.js "$ZHOSTS" "$ZPATH") >"$WORK/npm.out" 2>&1
rc=$?
grep '^RESULT' "$WORK/npm.out" | cut -c8- >"$WORK/npm.json"
cat "$WORK/npm.json"
ev() { jq -c "select(.event == \"$1\")" "$WORK/npm.json"; }
check npm-detected-leader sh -c "jq -e 'select(.event == \"detected\") | .info.port == $LP' '$WORK/npm.json' | grep -q true"
check npm-subscribed sh -c "jq -e 'select(.event == \"subscribed\") | .frameworkId | length > 0' '$WORK/npm.json' | grep -q true"
check npm-offers sh -c "jq -e 'select(.event == \"offers\") | .n > 0' '$WORK/npm.json' | grep -q true"
check npm-accepted sh -c "[ -n \"\$(jq -c 'select(.event == \"accepted\")' '$WORK/npm.json')\" ]"
check npm-task-running sh -c "jq -e 'select(.event == \"update\" and .state == \"TASK_RUNNING\")' '$WORK/npm.json' | grep -q ."
check npm-task-finished sh -c "jq -e 'select(.event == \"update\" and .state == \"TASK_FINISHED\")' '$WORK/npm.json' | grep -q ."
check npm-finished-acknowledged [ "$rc" = 0 ]
# the master saw the acknowledgements: nothing of the framework's left unacknowledged
no_pending() { op GET_TASKS | jq -e '[.get_tasks.tasks[] | select(.state == "TASK_FINISHED")] | length == 0'; }
check npm-no-unacknowledged wait_for no_pending
[ "$rc" = 0 ] || { echo "---- node output"; cat "$WORK/npm.out"; }

# a follower's address: the library follows its 307 to the leader
F=1
[ "$F" = "$L" ] && F=2
eval "FP=\$MPORT_$F"
(cd "$NPMDIR" && timeout 120 node mesos_framework_run.js "$ZHOSTS" "$ZPATH" "127.0.0.1:$FP") >"$WORK/npm2.out" 2>&1
rc2=$?
grep '^RESULT' "$WORK/npm2.out" | cut -c8- >"$WORK/npm2.json"
check npm-follower-redirect-subscribed sh -c "jq -e 'select(.event == \"subscribed\")' '$WORK/npm2.json' | grep -q ."
check npm-follower-redirect-finished [ "$rc2" = 0 ]
[ "$rc2" = 0 ] || { echo "---- node output (follower)"; cat "$WORK/npm2.out"; }
finish
