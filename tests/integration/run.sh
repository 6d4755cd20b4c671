#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run every test_*.sh of a tier against the binaries in BUILD and record results:
#   run.sh BUILD RESULTS [DIR]     (DIR: the tier's folder, default tests/integration;
#                                   tests/fault runs through here too)
# A script reports sub-results through tests/integration/lib.sh (pass/fail/skip); its exit
# status 77 means "skipped" (it prints "SKIP: reason"), any other non-zero status a failure.
set -u
BUILD=$1 RESULTS=$2
here=$(cd "${3:-$(dirname "$0")}" && pwd)
tier=$(basename "$here")
BUILD=$(cd "$BUILD" && pwd)
RESULTS_ABS=$(mkdir -p "$(dirname "$RESULTS")" && cd "$(dirname "$RESULTS")" && pwd)/$(basename "$RESULTS")
mkdir -p "$BUILD/logs/$tier"
: >"$RESULTS_ABS"
for t in "$here"/test_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	log="$BUILD/logs/$tier/$name.log"
	sub="$BUILD/logs/$tier/$name.results"
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
	# a sanitizer's report from any process of the test (the scripts print their daemons'
	# logs) fails it, even when every check passed: under ASan a use-after-free at shutdown
	# was otherwise only in the log
	if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$log"; then
		echo "FAIL $name/sanitizer-report (see $log)" >>"$RESULTS_ABS"
		echo "FAIL $name/sanitizer-report" >>"$sub"
		rc=1
	fi
	if grep -q "^FAIL" "$sub" || { [ $rc -ne 0 ] && [ $rc -ne 77 ]; }; then
		echo "---- $name failed; last lines of $log:" >&2
		tail -30 "$log" >&2
	fi
	printf '  %-8s %-40s %s\n' "$(echo "$tier" | cut -c1-5)" "$name" "$( [ $rc -eq 77 ] && echo skipped || { [ $rc -eq 0 ] && echo ok || echo FAILED; })"
done
exit 0
