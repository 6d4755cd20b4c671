#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# mkinitramfs.sh BUILD OUT: build the test guest's initramfs (an uncompressed newc cpio) at
# OUT from a staging tree next to it:
#
#   /init                   tests/vm/init
#   /bin/busybox + applets  the host's static busybox (busybox-static)
#   /drover/bin/            BUILD/bin/*   (the daemons, the CLI, the tools)
#   /drover/helpers/        BUILD/tests/vm/helpers/*   (guest helper programs)
#   /drover/tests/          tests/vm/guest/*   (lib.sh and the test_*.sh the guest runs)
#   /lib/..., /lib64/...    every shared library those programs load (their ldd closure),
#                           at the path ldd reports, plus the dynamic loader
#
# The staged tree is hashed; when the hash matches the one OUT was built from, OUT is kept.
# Uncompressed, because unpacking costs less than decompressing under an emulator.
set -eu
BUILD=$1 OUT=$2
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$BUILD" && pwd)
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
stage=$OUT.root

die() {
	echo "mkinitramfs: $*" >&2
	exit 1
}

rm -rf "$stage"
mkdir -p "$stage"
cd "$stage"
mkdir -p bin dev etc proc root run sys tmp var/tmp lib64 lib/x86_64-linux-gnu usr \
	drover/bin drover/helpers drover/tests
chmod 1777 tmp var/tmp
ln -s bin sbin
ln -s ../bin usr/bin
ln -s ../bin usr/sbin

# busybox: static, or nothing works before the libraries are found
bb=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
ldd "$bb" >/dev/null 2>&1 && die "$bb is dynamically linked; install busybox-static"
# ~400 applet links take a while to make one by one: make them once per busybox binary
bbdir=$(dirname "$OUT")/busybox-bin
bbsum=$(sha256sum <"$bb")
if [ "$(cat "$bbdir.sha256" 2>/dev/null)" != "$bbsum" ]; then
	rm -rf "$bbdir"
	mkdir -p "$bbdir"
	cp "$bb" "$bbdir/busybox"
	for a in $("$bb" --list); do
		[ -e "$bbdir/$a" ] || ln -s busybox "$bbdir/$a"
	done
	echo "$bbsum" >"$bbdir.sha256"
fi
cp -a "$bbdir/." bin/

cp "$here/init" init
chmod 0755 init
cp "$here"/guest/* drover/tests/
for f in "$BUILD"/bin/*; do
	[ -f "$f" ] && [ -x "$f" ] && cp "$f" drover/bin/
done
for f in "$BUILD"/tests/vm/helpers/*; do
	case "$f" in *.d | *.o) continue ;; esac
	[ -f "$f" ] && [ -x "$f" ] && cp "$f" drover/helpers/
done

# The ldd closure of every dynamic executable staged above ("name => /path (addr)" and
# the loader's own "/lib64/ld-linux-x86-64.so.2 (addr)" lines), plus libgcc_s, which glibc
# dlopens for pthread_cancel and backtraces.
libs=$(for f in drover/bin/* drover/helpers/*; do
	[ -f "$f" ] || continue
	out=$(ldd "$f" 2>/dev/null) || continue # static: "not a dynamic executable"
	if echo "$out" | grep -q 'not found'; then
		echo "$f: $(echo "$out" | grep 'not found' | tr -s ' \t' ' ')" >&2
		echo MISSING
	fi
	echo "$out" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u)
case "$libs" in *MISSING*) die "unresolved shared libraries (above)" ;; esac
gcc_s=$(ldconfig -p 2>/dev/null | awk '/libgcc_s\.so\.1 .*x86-64/ { print $NF; exit }')
for l in $libs $gcc_s; do
	mkdir -p ".$(dirname "$l")"
	cp -L "$l" ".$l"
done

cat >etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >etc/group <<'G'
root:x:0:
nogroup:x:65534:
G
cat >etc/hosts <<'H'
127.0.0.1	localhost drover-vm
::1	localhost ip6-localhost ip6-loopback
H
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >etc/nsswitch.conf

# Hash names, types, modes, link targets and contents of the whole tree.
hash=$({
	find . -printf '%y %m %p %l\n' | LC_ALL=C sort
	find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
} | sha256sum | cut -d' ' -f1)
if [ -s "$OUT" ] && [ "$(cat "$OUT.sha256" 2>/dev/null)" = "$hash" ]; then
	echo "mkinitramfs: $OUT unchanged ($(du -sh "$OUT" | cut -f1))"
	exit 0
fi
find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$hash" >"$OUT.sha256"
echo "mkinitramfs: built $OUT ($(du -sh "$OUT" | cut -f1), $(echo "$libs" "$gcc_s" | wc -w) libraries)"
