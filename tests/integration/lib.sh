# SPDX-License-Identifier: Apache-2.0
# Helpers for integration tests (sourced). The runner sets DROVER_BUILD and DROVER_RESULTS.
BIN="$DROVER_BUILD/bin"
: "${DROVER_RESULTS:=/dev/null}"
failures=0

pass() { echo "PASS $DROVER_TEST/$1" >>"$DROVER_RESULTS"; echo "ok: $1"; }
fail() {
	echo "FAIL $DROVER_TEST/$1" >>"$DROVER_RESULTS"
	echo "FAIL: $1${2:+: $2}"
	failures=$((failures + 1))
}
# A sub-case that needs what this host lacks.
skip() { echo "SKIP $DROVER_TEST/$1: $2" >>"$DROVER_RESULTS"; echo "SKIP: $1: $2"; }
# Skip the whole script.
skip_all() { echo "SKIP: $1"; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root"; }

# check NAME CMD...: pass when CMD succeeds
check() {
	n=$1
	shift
	if "$@"; then pass "$n"; else fail "$n" "command failed: $*"; fi
}

finish() { [ "$failures" -eq 0 ]; }

# A TCP port on 127.0.0.1 nobody listens on, from a range away from the ephemeral one.
free_port() {
	while :; do
		p=$(shuf -i 20000-29999 -n 1)
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
