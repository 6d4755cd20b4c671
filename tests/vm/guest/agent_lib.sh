# SPDX-License-Identifier: Apache-2.0
# Helpers for the guest tests of the agent's runtime (test_agent_*.sh), sourced after
# lib.sh: a real drover-master and a drover-agent in strict mode on loopback, `drover task
# run` against them, the task's leaf, and a teardown that checks the agent left no task
# cgroup behind before it removes the agent's own cgroups.
# shellcheck disable=SC2034 # used by the tests
B=/drover/bin
AWORK=/tmp/agent-vm
AROOT=drover-vm.slice
MASTER=127.0.0.1:5050
D="$B/drover --master $MASTER"
MASTER_PID= AGENT_PID=

# agent_start [AGENT FLAGS...]: master + strict agent; fails the test if they do not come up.
agent_start() {
	rm -rf "$AWORK"
	mkdir -p "$AWORK"
	"$B/drover-master" --listen $MASTER --work-dir "$AWORK/master" \
		--allocation-interval 200ms >"$AWORK/master.log" 2>&1 &
	MASTER_PID=$!
	"$B/drover-agent" --master $MASTER --listen 127.0.0.1:5051 --work-dir "$AWORK/agent" \
		--cgroup-root $AROOT --enforce strict --bpf off \
		--resources 'cpus:2;mem:512;ports:[31000-31099]' "$@" >"$AWORK/agent.log" 2>&1 &
	AGENT_PID=$!
	trap agent_cleanup EXIT
	i=0
	while ! grep -q 'subscribed to the master' "$AWORK/agent.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$AGENT_PID" 2>/dev/null; then
			echo "---- agent log"
			cat "$AWORK/agent.log"
			echo "---- master log"
			cat "$AWORK/master.log"
			fail "the master and the strict agent did not come up"
		fi
		sleep 0.1
	done
}

# The task leaves under the agent's root, one per line.
agent_leaves() {
	[ -d "$CG/$AROOT/tasks" ] || return 0
	find "$CG/$AROOT/tasks" -mindepth 2 -maxdepth 2 -type d
}

# agent_leaf: wait (up to 20 s) for the one task leaf and print it.
agent_leaf() {
	i=0
	while [ -z "$(agent_leaves)" ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	agent_leaves | head -1
}

# agent_no_leftovers: the agent removed every task leaf (give it 10 s).
agent_no_leftovers() {
	i=0
	while [ -n "$(agent_leaves)" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	left=$(agent_leaves | tr '\n' ' ')
	[ -z "$left" ] || fail "the agent left task cgroups behind: $left"
	for f in "$CG/$AROOT"/tasks/*; do
		[ -d "$f" ] && fail "the agent left a framework cgroup behind: $f"
	done
	sbx=$(find "$AWORK/agent/sandboxes" -mindepth 2 -maxdepth 2 -type d 2>/dev/null | wc -l)
	echo "no task cgroup left; $sbx sandbox(es) kept"
}

# Stop both daemons, then remove the agent's own cgroups (it leaves them for its restart).
agent_cleanup() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null
	[ -n "$MASTER_PID" ] && kill "$MASTER_PID" 2>/dev/null
	wait 2>/dev/null
	if [ -d "$CG/$AROOT" ]; then
		for c in $(find "$CG/$AROOT" -mindepth 1 -type d | sort -r); do
			echo 1 >"$c/cgroup.kill" 2>/dev/null
		done
		sleep 0.2
		find "$CG/$AROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
	fi
	cg_cleanup
}
