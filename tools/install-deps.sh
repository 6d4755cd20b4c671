#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install the Debian 12 packages that Drover's build, tests and demo need.
# Idempotent and quiet: installs only what is missing and says what it installed.
set -eu

# build
PKGS="make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config
libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libmicrohttpd-dev libcurl4-openssl-dev
libjansson-dev libsqlite3-dev libzookeeper-mt-dev libseccomp-dev protobuf-c-compiler libprotobuf-c-dev
libssl-dev"
# tests: unit (cmocka), integration (curl, iproute2, util-linux, procps), fault (nftables
# for partitions), VM tier (qemu, busybox, cpio, dpkg-dev for kernel packages), HA tests
# (zookeeper), security tests (openssl: throwaway certificates made at test time),
# make format-check (clang-format), protobuf golden bytes (protoc --encode/--decode), the
# Mesos protobuf acceptance client and golden decoder (python3-protobuf), the third-party
# Mesos client test (nodejs, npm: test_mesos_npm_client.sh)
PKGS="$PKGS clang-format libcmocka-dev curl iproute2 util-linux procps psmisc qemu-system-x86
busybox-static cpio zstd xz-utils zookeeper zookeeperd sqlite3 tmux jq openssl nftables
protobuf-compiler python3-protobuf"
# node and npm from Debian, unless a node with its own npm is there already (NodeSource's
# nodejs bundles npm and conflicts with Debian's npm package)
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
# benchmark charts (make plots)
PKGS="$PKGS gnuplot-nox"
# Debian packaging (make deb, make check-packaging): only when asked for, with
# `install-deps.sh packaging`
if [ "${1:-}" = packaging ]; then
	PKGS="debhelper dpkg-dev lintian"
fi

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	echo "deps: all $(echo $PKGS | wc -w) packages already installed"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps: missing:$missing; run 'make deps' as root" >&2
		exit 1
	fi
else
	SUDO=
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# an unreadable or stale package list is the common failure on a fresh machine
if ! $SUDO apt-get install -y -qq --no-install-recommends $missing >/tmp/drover-deps.log 2>&1; then
	$SUDO apt-get update -qq >>/tmp/drover-deps.log 2>&1
	if ! $SUDO apt-get install -y -qq --no-install-recommends $missing >>/tmp/drover-deps.log 2>&1; then
		tail -20 /tmp/drover-deps.log >&2
		echo "deps: apt-get failed, see /tmp/drover-deps.log" >&2
		exit 1
	fi
fi
echo "deps: installed:$missing"
