# SPDX-License-Identifier: Apache-2.0
# The built binaries run in the guest with the shared libraries the harness copied for them
# (their ldd closure): the dynamic loader resolves every one, and the three main binaries
# answer --version.
# vm-timeout: 20
. "$(dirname "$0")/lib.sh"

n=0
for b in /drover/bin/*; do
	[ -x "$b" ] || continue
	missing=$(/lib64/ld-linux-x86-64.so.2 --list "$b" 2>&1 | grep 'not found')
	[ -z "$missing" ] || fail "$(basename "$b"): $missing"
	n=$((n + 1))
done
[ $n -gt 0 ] || fail "no binaries in /drover/bin"
echo "$n binaries resolve all their libraries"
for b in drover-master drover-agent drover; do
	out=$("/drover/bin/$b" --version 2>&1) || fail "$b --version failed: $out"
	echo "$b --version: $out"
done
