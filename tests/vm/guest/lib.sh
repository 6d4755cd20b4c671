# SPDX-License-Identifier: Apache-2.0
# Helpers for guest tests (sourced by busybox sh inside the VM). The guest's /init runs each
# test_*.sh; a test prints "FAIL: reason" and exits non-zero to fail, "SKIP: reason" and
# exit 77 to skip. Cgroups made with cg_create are removed when the test exits, whatever
# the outcome: /init fails any test that leaves a cgroup behind.
# shellcheck disable=SC2034 # used by the tests
CG=/sys/fs/cgroup
CGROUPS=

fail() {
	echo "FAIL: $*"
	exit 1
}
skip() {
	echo "SKIP: $*"
	exit 77
}

# cg_create PATH: make a cgroup and remember it for cleanup.
cg_create() {
	mkdir "$1" || fail "cannot create cgroup '$1'"
	CGROUPS="$1 $CGROUPS"
}

# cg_run PATH CMD...: run CMD (in the foreground) as a member of cgroup PATH.
cg_run() {
	sh -c 'echo 0 >"$1/cgroup.procs" || exit 126; shift; exec "$@"' cg_run "$@"
}

# cg_remove PATH: kill whatever still runs in it, wait until it is empty, remove it.
cg_remove() {
	[ -d "$1" ] || return 0
	echo 1 >"$1/cgroup.kill" 2>/dev/null
	i=0
	while grep -q '^populated 1' "$1/cgroup.events" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	rmdir "$1" || echo "warning: cannot remove cgroup '$1'"
}

cg_cleanup() {
	for c in $CGROUPS; do cg_remove "$c"; done
	CGROUPS=
}
trap cg_cleanup EXIT

# cg_stat PATH FILE KEY: the value of KEY in a flat-keyed cgroup file (cpu.stat, memory.events).
cg_stat() { awk -v k="$3" '$1 == k { print $2 }' "$1/$2"; }
