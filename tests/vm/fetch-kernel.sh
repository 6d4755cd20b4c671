#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fetch-kernel.sh CACHE SERIES: print the path of a vmlinuz from Debian's own kernel
# package for SERIES, fetched into CACHE once and reused after that.
#
#   6.1    the newest linux-image-6.1.0-N-amd64             (bookworm, bookworm-security)
#   6.12   the newest linux-image-6.12.N+deb12-amd64        (bookworm-security)
#
# "Newest" is what apt's package lists offer (apt-cache search/policy); the package is
# fetched with apt-get download and only its /boot (vmlinuz, config, System.map) and
# modules.builtin* are unpacked from it (the same files "dpkg -x" would write; no install
# scripts run). CACHE/<package>_<version>/ keeps them and the .deb is deleted. Without a
# usable package list or mirror it falls back to the newest kernel of SERIES already
# cached. Messages go to stderr.
set -eu
CACHE=$1 SERIES=$2

die() {
	echo "fetch-kernel: $*" >&2
	exit 1
}

case "$SERIES" in
6.1) re='^linux-image-6\.1\.0-[0-9]+-amd64$' glob='linux-image-6.1.0-*-amd64_*' ;;
6.12) re='^linux-image-6\.12\.[0-9]+\+deb12-amd64$' glob='linux-image-6.12.*+deb12-amd64_*' ;;
*) die "unknown kernel series '$SERIES' (known: 6.1, 6.12)" ;;
esac

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
# one fetcher at a time per cache
exec 9>"$CACHE/.lock"
flock 9

candidates() { apt-cache search --names-only "$re" 2>/dev/null | awk '{ print $1 }' | sort -rV; }

newest_cached() {
	# shellcheck disable=SC2086 # $glob is a pattern
	d=$(for d in "$CACHE"/$glob; do [ -s "$d/vmlinuz" ] && echo "$d"; done | sort -V | tail -1)
	[ -n "$d" ] && echo "$d/vmlinuz"
}

# fetch PACKAGE VERSION: unpack its kernel into CACHE/PACKAGE_VERSION
fetch() {
	dir=$CACHE/$1_$2
	tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	as_root=
	[ "$(id -u)" -eq 0 ] && as_root="-o APT::Sandbox::User=root" # no _apt access to $tmp
	echo "fetch-kernel: downloading $1=$2" >&2
	# shellcheck disable=SC2086
	if ! (cd "$tmp" && apt-get download -q=2 $as_root "$1=$2") >&2; then
		rm -rf "$tmp"
		return 1
	fi
	mkdir "$tmp/x"
	dpkg-deb --fsys-tarfile "$tmp"/*.deb |
		tar -x -C "$tmp/x" --wildcards './boot/*' './lib/modules/*/modules.builtin*' ||
		{ rm -rf "$tmp"; return 1; }
	mkdir -p "$tmp/k"
	mv "$tmp"/x/boot/vmlinuz-* "$tmp/k/vmlinuz"
	mv "$tmp"/x/boot/config-* "$tmp/k/config"
	mv "$tmp"/x/boot/System.map-* "$tmp/k/System.map" 2>/dev/null || true
	mv "$tmp"/x/lib/modules/*/modules.builtin* "$tmp/k/" 2>/dev/null || true
	echo "$1=$2" >"$tmp/k/package"
	rm -rf "$dir"
	mv "$tmp/k" "$dir"
	rm -rf "$tmp"
	# older kernels of this series are of no more use
	# shellcheck disable=SC2086 # $glob is a pattern
	for d in "$CACHE"/$glob; do
		[ "$d" = "$dir" ] || rm -rf "$d"
	done
}

list=$(candidates)
if [ -z "$list" ] && [ "$(id -u)" -eq 0 ]; then
	echo "fetch-kernel: no $re in apt's lists; running apt-get update" >&2
	apt-get update -q=2 >&2 || true
	list=$(candidates)
fi
# Try the newest few: a stale package list can name a version the mirror no longer has.
tries=0
for pkg in $list; do
	ver=$(apt-cache policy "$pkg" | awk '$1 == "Candidate:" { print $2 }')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		continue
	fi
	if [ -s "$CACHE/${pkg}_$ver/vmlinuz" ] || fetch "$pkg" "$ver"; then
		echo "$CACHE/${pkg}_$ver/vmlinuz"
		exit 0
	fi
	tries=$((tries + 1))
	[ $tries -lt 3 ] || break
done
if k=$(newest_cached); then
	echo "fetch-kernel: could not fetch a $SERIES kernel package; using cached $(cat "$(dirname "$k")/package")" >&2
	echo "$k"
	exit 0
fi
die "no $SERIES kernel package available (apt-cache search --names-only '$re') and none cached in $CACHE"
