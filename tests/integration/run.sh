#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run every tests/integration/test_*.sh against the binaries in BUILD and record results.
# A script reports sub-results through tests/integration/lib.sh (pass/fail/skip); its exit
# status 77 means "skipped" (it prints "SKIP: reason"), any other non-zero status a failure.
set -u
BUILD=$1 RESULTS=$2
BUILD=$(cd "$BUILD" && pwd)
RESULTS_ABS=$(mkdir -p "$(dirname "$RESULTS")" && cd "$(dirname "$RESULTS")" && pwd)/$(basename "$RESULTS")
mkdir -p "$BUILD/logs/integration"
: >"$RESULTS_ABS"
here=$(cd "$(dirname "$0")" && pwd)
for t in "$here"/test_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	log="$BUILD/logs/integration/$name.log"
	sub="$BUILD/logs/integration/$name.results"
	: >"$sub"
	DROVER_BUILD="$BUILD" DROVER_RESULTS="$sub" DROVER_TEST="$name" \
		timeout -k 10 600 sh "$t" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 77 ]; then
		reason=$(grep -m1 '^SKIP: ' "$log" | sed 's/^SKIP: //')
		echo "SKIP $name: ${reason:-no reason given}" >>"$RESULTS_ABS"
	elif [ $rc -ne 0 ] && ! grep -q '^FAIL' "$sub"; then
		cat "$sub" >>"$RESULTS_ABS"
		echo "FAIL $name (exit status $rc, see $log)" >>"$RESULTS_ABS"
	elif [ ! -s "$sub" ]; then
		echo "PASS $name" >>"$RESULTS_ABS"
	else
		cat "$sub" >>"$RESULTS_ABS"
	fi
	if grep -q "^FAIL" "$sub" || { [ $rc -ne 0 ] && [ $rc -ne 77 ]; }; then
		echo "---- $name failed; last lines of $log:" >&2
		tail -30 "$log" >&2
	fi
	printf '  integ    %-40s %s\n' "$name" "$( [ $rc -eq 77 ] && echo skipped || { [ $rc -eq 0 ] && echo ok || echo FAILED; })"
done
exit 0
