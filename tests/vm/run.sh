#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh BUILD RESULTS: the real-kernel tier. Boots each Debian kernel (6.1 and 6.12, see
# fetch-kernel.sh) under qemu's single-threaded TCG with an initramfs holding BUILD's
# binaries and the guest tests (mkinitramfs.sh); the guest's /init (init) runs every
# guest/test_*.sh and prints a DROVER-VM-RESULT line per test on the serial console.
# One line per test and kernel goes to RESULTS:
#
#   PASS vm-6.1/<name>      FAIL vm-6.12/<name>: <reason>      SKIP vm-6.1/<name>: <reason>
#
# plus vm-<kernel>/boot: the guest booted, mounted cgroup2 with +cpu +memory +pids +io,
# ran its tests and powered off. A guest that does not boot, panics or times out fails
# boot and every test it did not report. Serial logs: BUILD/logs/vm/<kernel>.log.
#
# Environment: DROVER_VM_KERNELS ("6.1 6.12"), DROVER_VM_TESTS (names to run, default
# all), DROVER_VM_CACHE (tests/vm/cache), DROVER_VM_TIMEOUT (seconds per guest; default 90
# plus the tests' own time-outs), DROVER_VM_QEMU_ARGS (extra qemu arguments).
set -u
BUILD=$1 RESULTS=$2
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$BUILD" && pwd)
RESULTS=$(mkdir -p "$(dirname "$RESULTS")" && cd "$(dirname "$RESULTS")" && pwd)/$(basename "$RESULTS")
KERNELS=${DROVER_VM_KERNELS:-6.1 6.12}
CACHE=${DROVER_VM_CACHE:-$here/cache}
LOGS=$BUILD/logs/vm
INITRD=$BUILD/vm/initramfs.cpio
BOOT_SECS=90 # boot, mounts and power-off under TCG; tests add their own time-outs
mkdir -p "$LOGS"
: >"$RESULTS"

result() { echo "$*" >>"$RESULTS"; }

# fail_all REASON [LOG]: every kernel fails "boot" with REASON; LOG's tail goes to stderr
fail_all() {
	for k in $KERNELS; do result "FAIL vm-$k/boot: $1"; done
	[ -n "${2:-}" ] && tail -20 "$2" >&2
	printf '  vm       %-40s %s\n' "all kernels" "FAILED: $1"
	exit 0
}

command -v qemu-system-x86_64 >/dev/null || fail_all "qemu-system-x86_64 is not installed (make deps)"

# The guest tests, by name, with their time-outs ("# vm-timeout: N", default 60 s).
tests=
limit=$BOOT_SECS
for t in "$here"/guest/test_*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	n=${n#test_}
	if [ -n "${DROVER_VM_TESTS:-}" ]; then
		case " $(echo "$DROVER_VM_TESTS" | tr ',' ' ') " in *" $n "*) ;; *) continue ;; esac
	fi
	tests="$tests $n"
	s=$(sed -n 's/^# vm-timeout: *\([0-9][0-9]*\).*/\1/p' "$t" | head -1)
	limit=$((limit + ${s:-60}))
done
limit=${DROVER_VM_TIMEOUT:-$limit}
[ -n "$tests" ] || fail_all "no guest tests selected (DROVER_VM_TESTS='${DROVER_VM_TESTS:-}')"

"$here/mkinitramfs.sh" "$BUILD" "$INITRD" >"$LOGS/initramfs.log" 2>&1 ||
	fail_all "building the initramfs failed (see $LOGS/initramfs.log)" "$LOGS/initramfs.log"
sed 's/^/  vm       /' "$LOGS/initramfs.log"

for k in $KERNELS; do
	t0=$(date +%s)
	log=$LOGS/$k.log
	rm -f "$log"
	if ! kernel=$("$here/fetch-kernel.sh" "$CACHE" "$k" 2>"$LOGS/fetch-$k.log"); then
		cat "$LOGS/fetch-$k.log" >&2
		result "FAIL vm-$k/boot: no $k kernel package (see $LOGS/fetch-$k.log)"
		for n in $tests; do result "FAIL vm-$k/$n: no kernel to boot"; done
		continue
	fi
	pkg=$(cat "$(dirname "$kernel")/package" 2>/dev/null || echo "$kernel")
	append="console=ttyS0 panic=-1 oops=panic mitigations=off"
	[ -n "${DROVER_VM_TESTS:-}" ] && append="$append drover.tests=$(echo $tests | tr ' ' ',')"
	# single-threaded TCG: multi-threaded TCG oopsed a 6.12 guest in __schedule as soon as
	# a tracepoint program attached; -no-reboot and panic=-1 end qemu on a guest panic.
	# shellcheck disable=SC2086
	timeout -k 10 "$limit" qemu-system-x86_64 -accel tcg,thread=single -smp 2 -m 1G \
		-nographic -nodefaults -serial stdio -no-reboot \
		-kernel "$kernel" -initrd "$INITRD" -append "$append" \
		${DROVER_VM_QEMU_ARGS:-} </dev/null >"$log.raw" 2>&1
	rc=$?
	tr -d '\r' <"$log.raw" >"$log"
	rm -f "$log.raw"
	secs=$(($(date +%s) - t0))

	# Why tests went unreported, if they did.
	if { [ $rc -eq 124 ] || [ $rc -eq 137 ]; } && ! grep -q 'DROVER-VM-BOOTED' "$log"; then
		why="the guest did not boot within ${limit}s"
	elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		why="the guest timed out after ${limit}s"
	elif ! grep -q 'DROVER-VM-BOOTED' "$log"; then
		why="the guest did not boot (qemu exit status $rc)"
	elif grep -q 'Kernel panic' "$log"; then
		why="the guest kernel panicked: $(grep -m1 -o 'Kernel panic.*' "$log")"
	elif s=$(grep -m1 -o 'DROVER-VM-SETUP-FAILED.*' "$log"); then
		why="guest setup failed: ${s#DROVER-VM-SETUP-FAILED }"
	elif ! grep -q 'DROVER-VM-DONE' "$log"; then
		why="the guest stopped before its tests ended (qemu exit status $rc)"
	elif [ $rc -ne 0 ]; then
		why="qemu exit status $rc"
	else
		why=
	fi
	if [ -z "$why" ]; then result "PASS vm-$k/boot"; else result "FAIL vm-$k/boot: $why"; fi

	# "DROVER-VM-RESULT PASS name", "... FAIL name: reason", "... SKIP name: reason";
	# grep -o, so kernel output that lands at the start of the line does no harm
	grep -o 'DROVER-VM-RESULT .*' "$log" | sed 's/^DROVER-VM-RESULT //' >"$log.res"
	failed=
	for n in $tests; do
		line=$(grep -m1 -E "^(PASS|FAIL|SKIP) $n(: .*)?\$" "$log.res")
		if [ -z "$line" ]; then
			result "FAIL vm-$k/$n: no result (${why:-the guest did not report it})"
			failed="$failed $n"
			continue
		fi
		result "$(echo "$line" | sed "s|^\([A-Z]*\) |\1 vm-$k/|")"
		case "$line" in FAIL*) failed="$failed $n" ;; esac
	done
	rm -f "$log.res"

	# On failure: each failed test's own output, or the log's tail when the guest died.
	if [ -n "$why" ]; then
		echo "---- vm-$k: $why; last lines of $log:" >&2
		tail -40 "$log" >&2
	fi
	for n in $failed; do
		grep -q "DROVER-VM-END $n " "$log" || continue
		echo "---- vm-$k/$n failed; its output from $log:" >&2
		sed -n "/DROVER-VM-BEGIN $n /,/DROVER-VM-END $n /p" "$log" | tail -40 >&2
	done

	p=$(grep -c "^PASS vm-$k/" "$RESULTS")
	f=$(grep -c "^FAIL vm-$k/" "$RESULTS")
	s=$(grep -c "^SKIP vm-$k/" "$RESULTS")
	printf '  vm       %-40s %s\n' "$k ($pkg)" "$p passed, $f failed, $s skipped (${secs}s)"
done
exit 0
