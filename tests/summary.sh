#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Count the result lines ("PASS name", "FAIL name", "SKIP name: reason") of one or more
# tiers and end with one line: "N passed, N failed, N skipped". Exit 1 on any failure
# or when a tier left no results at all.
set -u
pass=0 fail=0 skip=0 missing=0
for f in "$@"; do
	if [ ! -s "$f" ]; then
		echo "FAIL $(basename "$f" .txt): the tier produced no results"
		missing=$((missing + 1))
		continue
	fi
	p=$(grep -c '^PASS ' "$f" || true)
	x=$(grep -c '^FAIL ' "$f" || true)
	s=$(grep -c '^SKIP ' "$f" || true)
	pass=$((pass + p)) fail=$((fail + x)) skip=$((skip + s))
	grep '^SKIP ' "$f" | sed "s/^/  [$(basename "$f" .txt)] /"
	grep '^FAIL ' "$f" | sed "s/^/  [$(basename "$f" .txt)] /"
done
fail=$((fail + missing))
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
