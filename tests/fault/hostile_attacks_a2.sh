# SPDX-License-Identifier: Apache-2.0
# Attacks of one tenant's task on another's (docs/security.md, "Between tasks"), as
# functions for the hostile-tenant tests: source this file after tests/integration/lib.sh,
# with a cluster up (start_cluster: MASTER, BIN, WORK, APORT, AGENT_PID, restart_agent).
# Functions only; nothing runs when sourced.
#
# Each a2_attack_* function launches what it needs through `drover task run` (every run is a
# framework of its own, so a tenant of its own), tries one attack from a task and returns
# 0 when the attack was stopped, 1 when it succeeded, 77 when this host cannot tell (the
# reason on stderr). What the attacking task saw is left in $A2_OUT. Attacks may run side by
# side, each in a subshell with its own A2_TAG (a suffix of the files they write).

A2_SECRET=a2-victim-secret-$$

# the sandbox a `drover task run` printed ("... output: SANDBOX/stdout and ...")
a2_sandbox_of() { sed -n 's/.* output: \(.*\)\/stdout and .*/\1/p' "$1" | head -1; }

# a2_victim: a long-running task of a framework of its own, with a secret in its
# environment. Sets A2_VICTIM_PID (its process) and A2_VICTIM_SANDBOX.
a2_victim() {
	"$BIN/drover" --master "$MASTER" task run -v --detach --name a2-victim \
		--env "A2_SECRET=$A2_SECRET" -- 'echo $$ >pid; exec sleep 600' \
		>"$WORK/a2-victim${A2_TAG:-}.out" 2>&1 || { cat "$WORK/a2-victim${A2_TAG:-}.out" >&2; return 1; }
	A2_VICTIM_SANDBOX=$(a2_sandbox_of "$WORK/a2-victim${A2_TAG:-}.out")
	A2_VICTIM_PID=
	for _ in $(seq 50); do
		A2_VICTIM_PID=$(cat "$A2_VICTIM_SANDBOX/pid" 2>/dev/null)
		[ -n "$A2_VICTIM_PID" ] && return 0
		sleep 0.1
	done
	echo "a2_victim: the victim wrote no pid" >&2
	return 1
}

a2_victim_end() { [ -n "${A2_VICTIM_PID:-}" ] && kill "$A2_VICTIM_PID" 2>/dev/null; A2_VICTIM_PID=; }

# a2_attacker CMD: run CMD as a task of another framework; its stdout and stderr go to
# $A2_OUT; returns the task's exit status.
a2_attacker() {
	"$BIN/drover" --master "$MASTER" task run -v --name a2-attacker -- "$1" \
		>"$WORK/a2-attacker${A2_TAG:-}.out" 2>&1
	_rc=$?
	_sb=$(a2_sandbox_of "$WORK/a2-attacker${A2_TAG:-}.out")
	A2_OUT="$WORK/a2-attack${A2_TAG:-}.$$.txt"
	cat "$WORK/a2-attacker${A2_TAG:-}.out" "$_sb/stdout" "$_sb/stderr" >"$A2_OUT" 2>/dev/null
	return $_rc
}

# Signal another tenant's task: kill -0 must fail with EPERM (not ESRCH: the pid exists).
a2_attack_signal_other_tenant() {
	a2_victim || return 77
	a2_attacker "kill -0 $A2_VICTIM_PID && echo SIGNALLED"
	_alive=0
	kill -0 "$A2_VICTIM_PID" 2>/dev/null && _alive=1
	a2_victim_end
	[ "$_alive" = 1 ] || { echo "the victim died on its own" >&2; return 77; }
	grep -q SIGNALLED "$A2_OUT" && return 1
	grep -qi 'not permitted' "$A2_OUT"
}

# Read another tenant's environment through /proc/PID/environ.
a2_attack_read_environ() {
	a2_victim || return 77
	a2_attacker "tr '\\0' '\\n' </proc/$A2_VICTIM_PID/environ"
	a2_victim_end
	! grep -q "$A2_SECRET" "$A2_OUT"
}

# Write into (or list) another tenant's sandbox. The test's $WORK (mktemp -d: 0700) and the
# agent's work dir are made traversable first, as /var/lib/drover/agent is: only the
# sandbox's own mode may stop the attack.
a2_attack_write_sandbox() {
	a2_victim || return 77
	_d=$(dirname "$A2_VICTIM_SANDBOX")
	while [ "$_d" != / ] && [ "$_d" != "$(dirname "$WORK")" ]; do
		chmod o+x "$_d"
		_d=$(dirname "$_d")
	done
	a2_attacker "echo pwned >'$A2_VICTIM_SANDBOX/a2-pwned'; ls '$A2_VICTIM_SANDBOX'"
	_ok=0
	[ ! -e "$A2_VICTIM_SANDBOX/a2-pwned" ] && ! grep -qx pid "$A2_OUT" && _ok=1
	a2_victim_end
	[ "$_ok" = 1 ]
}

# Gain capabilities in a new user namespace (unshare -U, then -Ur: root inside).
a2_attack_unshare_userns() {
	command -v unshare >/dev/null || { echo "no unshare(1)" >&2; return 77; }
	a2_attacker "unshare -U true && echo USERNS; unshare -Ur id && echo USERNS-ROOT"
	! grep -q USERNS "$A2_OUT"
}

# Read the other tenants' tasks (IDs, sandboxes, pids) off the agent's API on loopback.
a2_attack_read_agent_api() {
	command -v curl >/dev/null || { echo "no curl" >&2; return 77; }
	a2_victim || return 77
	a2_attacker "curl -s -X POST -H 'Content-Type: application/json' -d '{\"type\":\"GET_CONTAINERS\"}' http://127.0.0.1:$APORT/api/v1; curl -s http://127.0.0.1:$APORT/metrics"
	a2_victim_end
	! grep -q -e '"sandbox"' -e 'drover_agent_task_' -e "$A2_VICTIM_SANDBOX" "$A2_OUT"
}

# Bind a managed port the task does not own while the agent is down (kill -9) and while
# it restarts. The task owns one port (--ports 1) and tries every other port of the
# agent's range (start_cluster: 31000-31099). Needs the bind4 program (BPF) and bpf_try.
a2_attack_bind_during_agent_restart() {
	_try="$DROVER_BUILD/tests/vm/helpers/bpf_try"
	[ -x "$_try" ] || { echo "no $_try" >&2; return 77; }
	grep -q 'bpf: ports loaded' "$WORK/agent.log" ||
		{ echo "the agent enforces no ports here (no BPF)" >&2; return 77; }
	# the task waits for its go file (written by root while the agent is down), then binds
	"$BIN/drover" --master "$MASTER" task run -v --detach --ports 1 --name a2-binder -- \
		"echo \$\$ >pid; while :; do while [ ! -e go ]; do sleep 0.05; done; $_try bind-range 31000 31099 >bound.tmp; echo done >>bound.tmp; mv bound.tmp bound; rm go; done" \
		>"$WORK/a2-binder.out" 2>&1 || { cat "$WORK/a2-binder.out" >&2; return 77; }
	_sb=$(a2_sandbox_of "$WORK/a2-binder.out")
	_pid=$(cat "$_sb/pid" 2>/dev/null)
	# a2_bind_round NAME: let the task try once, keep what it bound in $WORK/a2-bound-NAME.txt
	a2_bind_round() {
		rm -f "$_sb/bound"
		touch "$_sb/go"
		for _ in $(seq 100); do [ -e "$_sb/bound" ] && break; sleep 0.1; done
		cp "$_sb/bound" "$WORK/a2-bound-$1.txt" 2>/dev/null
	}
	a2_bind_round up
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	sleep 0.5 # what the agent's exit released is gone by now (deferred in the kernel)
	a2_bind_round down
	# and again while a new agent takes over
	_n=$(grep -c 'subscribed to the master' "$WORK/agent.log")
	restart_agent
	a2_bind_round restart
	WAIT_S=20 wait_for sh -c "[ \$(grep -c 'subscribed to the master' '$WORK/agent.log') -gt $_n ]"
	[ -n "$_pid" ] && pkill -P "$_pid" 2>/dev/null
	[ -n "$_pid" ] && kill "$_pid" 2>/dev/null
	A2_OUT="$WORK/a2-bound-down.txt"
	head "$WORK"/a2-bound-*.txt >&2
	# stopped: the one owned port bound each time, the 99 others refused
	for _f in "$WORK/a2-bound-up.txt" "$WORK/a2-bound-down.txt" "$WORK/a2-bound-restart.txt"; do
		grep -q done "$_f" 2>/dev/null || return 1
		grep -qx 'eacces 99' "$_f" || return 1
	done
	return 0
}
