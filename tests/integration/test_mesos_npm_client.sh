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
mkdir -p "$NPMDIR/logs" # the library's winston log: ./logs/<date>.mesos-framework.log

# run_npm NAME [HOST:PORT]: run the library; its RESULT lines into $WORK/NAME.json, its
# exit status into RC
run_npm() {
	(cd "$NPMDIR" && timeout 120 node mesos_framework_run.js "$ZHOSTS" "$ZPATH" ${2:-}) \
		>"$WORK/$1.out" 2>&1
	RC=$?
	grep '^RESULT' "$WORK/$1.out" | cut -c8- >"$WORK/$1.json"
	cat "$WORK/$1.json"
	[ "$RC" = 0 ] || { echo "---- node output ($1)"; cat "$WORK/$1.out"; }
}
# has NAME JQ_SELECT: an event of NAME's run matches
has() { [ -n "$(jq -c "select($2)" "$WORK/$1.json" 2>/dev/null)" ]; }
# the run's checks: subscribed, offered, launched, finished, every update acknowledged
run_checks() {
	check "$1-subscribed" has "$1" '.event == "subscribed" and (.frameworkId | length > 0)'
	check "$1-offers" has "$1" '.event == "offers" and .n > 0'
	check "$1-accepted" has "$1" '.event == "accepted"'
	check "$1-task-running" has "$1" '.event == "update" and .state == "TASK_RUNNING"'
	check "$1-task-finished" has "$1" '.event == "update" and .state == "TASK_FINISHED"'
	check "$1-finished-acknowledged" [ "$RC" = 0 ]
}

# the leader through ZooKeeper, by Mesos's rule, with the library's own ZooKeeper client
run_npm npm
check npm-detected-leader has npm ".event == \"detected\" and .info.port == $LP and .info.address.port == $LP"
run_checks npm
# the master saw the acknowledgements: nothing of the framework's left unacknowledged
no_pending() { op GET_TASKS | jq -e '[.get_tasks.tasks[] | select(.state == "TASK_FINISHED")] | length == 0'; }
check npm-no-unacknowledged wait_for no_pending

# a follower's address: the library follows the 307 to the leader (its way of finding
# masters), then subscribes there
F=1
[ "$F" = "$L" ] && F=2
eval "FP=\$MPORT_$F"
run_npm npm2 "127.0.0.1:$FP"
check npm2-followed-redirect grep -q "Redirect Location: http://127.0.0.1:$LP/api/v1/scheduler" "$WORK/npm2.out"
run_checks npm2
finish
