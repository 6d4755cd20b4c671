#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Exported symbols of lib/, alloc/, masterd/, agentd/ and tools/ that nothing else uses:
#   tools/dead-exports.sh [BUILD]        (after `make`; BUILD defaults to build)
# For every global symbol an object defines, the objects that reference it (nm -u over every
# object of BUILD: daemons, CLI, tools, unit tests, VM helpers) and the C files that name it
# (fuzz targets, inline wrappers in headers). One line per symbol that no other file uses:
#   dead      DIR/FILE.c SYMBOL     nothing but its own file names it
#   static    DIR/FILE.c SYMBOL     only its own file uses it (make it static)
#   test-only DIR/FILE.c SYMBOL     only tests use it
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
[ -d "$BUILD/lib" ] || { echo "$0: $BUILD is not built (make)" >&2; exit 1; }
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
find "$BUILD" -name '*.o' ! -path "$BUILD/bpf/*" ! -path "$BUILD/probe/*" |
	xargs nm -u 2>/dev/null | awk 'NF == 2 && $1 == "U" { print $2 }' | sort -u >"$tmp/used"
for d in lib alloc masterd agentd tools tools/drover; do
	for o in "$BUILD/$d"/*.o; do
		[ -f "$o" ] || continue
		src=$d/$(basename "$o" .o).c
		nm -g --defined-only "$o" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | grep -vx main |
			while read -r sym; do
				grep -qx "$sym" "$tmp/used" && continue
				# named in another C file (inline wrappers, tests, fuzz targets)?
				users=$(git grep -lw "$sym" -- '*.c' '*.h' | grep -v "^${src%.c}\.[ch]$")
				own=$(git grep -cw "$sym" -- "$src" | cut -d: -f2)
				if [ -z "$users" ] && [ "${own:-0}" -gt 1 ]; then
					echo "static $src $sym"
				elif [ -z "$users" ]; then
					echo "dead $src $sym"
				elif ! echo "$users" | grep -qv '^tests/'; then
					echo "test-only $src $sym"
				else
					# another non-test file names it but no object references it: a header
					# declaration only, or a use in its own .c
					nonhdr=$(echo "$users" | grep -v '^tests/' | grep -v '\.h$')
					if [ -z "$nonhdr" ]; then
						if [ "${own:-0}" -gt 1 ]; then
							echo "static $src $sym"
						else
							echo "dead $src $sym"
						fi
					fi
				fi
			done
	done
done | sort -k2,2 -k1,1
