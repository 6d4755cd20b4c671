#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run every cmocka binary under BUILD/tests/unit and record one result line per test
# case (cmocka's TAP output), into RESULTS.
set -u
BUILD=$1 RESULTS=$2
mkdir -p "$(dirname "$RESULTS")" "$BUILD/logs/unit"
: >"$RESULTS"
for t in "$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o | *.d) continue ;; esac
	name=$(basename "$t")
	log="$BUILD/logs/unit/$name.log"
	CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 "$t" >"$log" 2>&1
	rc=$?
	# "ok 1 - name", "not ok 2 - name", "ok 3 # SKIP name"
	awk -v bin="$name" '
		/^not ok / { sub(/^not ok [0-9]+ - /, ""); print "FAIL " bin "/" $0; n++; next }
		/^ok [0-9]+ # SKIP/ { sub(/^ok [0-9]+ # SKIP */, ""); print "SKIP " bin "/" $0 ": skipped by the test"; n++; next }
		/^ok / { sub(/^ok [0-9]+ - /, ""); print "PASS " bin "/" $0; n++; next }
		END { if (!n) print "NORESULT" }' "$log" >"$log.res"
	if grep -q NORESULT "$log.res" || { [ $rc -ne 0 ] && ! grep -q '^FAIL' "$log.res"; }; then
		echo "FAIL $name (exit status $rc, see $log)" >>"$RESULTS"
		grep -v NORESULT "$log.res" >>"$RESULTS"
		tail -20 "$log" >&2
	else
		cat "$log.res" >>"$RESULTS"
		grep -q '^FAIL' "$log.res" && grep -v '^ok ' "$log" | tail -30 >&2
	fi
	rm -f "$log.res"
	printf '  unit     %-40s %s\n' "$name" "$(grep -c "^PASS $name/" "$RESULTS") passed, $(grep -c "^FAIL $name" "$RESULTS") failed"
done
exit 0
