#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run libFuzzer targets for a bounded time each:
#   tests/fuzz/run.sh OUTDIR SECONDS TIMEOUT TARGET... 
# Each target starts from tests/fuzz/corpus/<name without fuzz_>/ and keeps what it finds
# in OUTDIR/corpus-<target>/. A crash, leak, UB report or a unit slower than TIMEOUT
# seconds is a failure; its input is left in OUTDIR/ (libFuzzer's artifact) and the end
# of the log is printed. With FUZZ_RESULTS set, one "PASS|FAIL fuzz_x" line per target is
# written there (tests/summary.sh counts them).
set -u
out=$1 secs=$2 tmo=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
failed=0
[ -n "${FUZZ_RESULTS:-}" ] && mkdir -p "$(dirname "$FUZZ_RESULTS")" && : >"$FUZZ_RESULTS"
for f in "$@"; do
	n=$(basename "$f")
	seeds="$here/corpus/${n#fuzz_}"
	work="$out/corpus-$n"
	log="$out/$n.log"
	mkdir -p "$work"
	printf '  FUZZ     %-24s %ss\n' "$n" "$secs"
	if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
		echo "    no seed corpus in $seeds"
		rc=1
	else
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		"$f" -max_total_time="$secs" -timeout="$tmo" -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix="$out/$n-" "$work" "$seeds" \
			>"$log" 2>&1
		rc=$?
	fi
	if [ $rc -eq 0 ]; then
		grep -h 'stat::number_of_executed_units' "$log" | sed 's/^/    /'
		[ -n "${FUZZ_RESULTS:-}" ] && echo "PASS $n" >>"$FUZZ_RESULTS"
	else
		failed=1
		tail -40 "$log"
		[ -n "${FUZZ_RESULTS:-}" ] && echo "FAIL $n (exit status $rc, see $log)" >>"$FUZZ_RESULTS"
	fi
done
exit $failed
