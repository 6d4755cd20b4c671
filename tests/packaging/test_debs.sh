# SPDX-License-Identifier: Apache-2.0
# The Debian packages (`make deb`): they build, lintian finds no error or warning, each holds
# what it should and nothing else (no benchmark, no simulator), the master's unit runs it as
# the user drover created by the postinst, and the packaged binaries name this version.
# Slow (a full build with the distribution's flags): `make check-packaging`, not a tier of
# `make check`. Builds into a private directory; the work tree is left as it was.
. "$(dirname "$0")/../integration/lib.sh"

repo=$(cd "$(dirname "$0")/../.." && pwd)
command -v dpkg-deb >/dev/null || skip_all "not a Debian system (no dpkg-deb)"
command -v git >/dev/null || skip_all "needs git (make deb copies the tracked files)"
"$repo/tools/install-deps.sh" packaging >/dev/null 2>&1 ||
	skip_all "cannot install debhelper, dpkg-dev and lintian (tools/install-deps.sh packaging)"
tmp=$(mktemp -d /tmp/drover-deb-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
version=$(cat "$repo/VERSION")
debs=$tmp/debs

check changelog-version-is-VERSION \
	sh -c "head -1 '$repo/debian/changelog' | grep -q '^drover ($version)'"

start=$(date +%s)
if ! make -s -C "$repo" deb DEB_DIR="$debs" >"$tmp/make.log" 2>&1; then
	fail make-deb "$(tail -30 "$tmp/make.log")"
	finish
	exit
fi
echo "make deb: $(($(date +%s) - start)) s"
pass make-deb

# lintian: no error, no warning (make deb fails on them too; here they are also listed)
lintian --info "$debs"/*.changes >"$tmp/lintian.log" 2>&1
cat "$tmp/lintian.log"
if grep -q '^[EW]: ' "$tmp/lintian.log"; then
	fail lintian-clean "$(grep '^[EW]: ' "$tmp/lintian.log" | head -10)"
else
	pass lintian-clean
fi

# contents: exactly these files (directories aside) in each package
contents() { dpkg-deb -c "$debs/$1_${version}_amd64.deb" | awk '$1 !~ /^d/ { print $6 }' | sort | tr '\n' ' '; }
expect() {
	got=$(contents "$1")
	if [ "$got" = "$2" ]; then pass "contents-$1"; else fail "contents-$1" "got: $got"; fi
}
doc() { echo "./usr/share/doc/$1/changelog.gz ./usr/share/doc/$1/copyright"; }
expect drover-master "./etc/default/drover-master ./lib/systemd/system/drover-master.service\
 ./usr/bin/drover-master ./usr/share/bash-completion/completions/drover-master\
 $(doc drover-master) ./usr/share/man/man8/drover-master.8.gz "
expect drover-agent "./etc/default/drover-agent ./lib/systemd/system/drover-agent.service\
 ./usr/bin/drover-agent ./usr/libexec/drover/drover-health-probe\
 ./usr/share/bash-completion/completions/drover-agent\
 $(doc drover-agent) ./usr/share/man/man8/drover-agent.8.gz "
expect drover "./usr/bin/drover ./usr/share/bash-completion/completions/drover\
 $(doc drover) ./usr/share/man/man8/drover.8.gz "
n=$(ls "$debs"/*.deb | wc -l)
if [ "$n" -eq 3 ]; then pass three-packages; else fail three-packages "$(ls "$debs")"; fi

# the master: its own user, made by the postinst; the unit runs it as that user
dpkg-deb -e "$debs/drover-master_${version}_amd64.deb" "$tmp/master-control"
dpkg-deb -x "$debs/drover-master_${version}_amd64.deb" "$tmp/root"
dpkg-deb -x "$debs/drover-agent_${version}_amd64.deb" "$tmp/root"
dpkg-deb -x "$debs/drover_${version}_amd64.deb" "$tmp/root"
# run the postinst with stand-ins for getent, adduser and systemd's helpers that log their
# arguments: it adds the system user drover before it starts the unit, and only once
mkdir -p "$tmp/fake"
for c in adduser deb-systemd-helper deb-systemd-invoke systemctl; do
	printf '#!/bin/sh\necho "%s $*" >>"$FAKE_LOG"\n' "$c" >"$tmp/fake/$c"
done
printf '#!/bin/sh\n[ -n "$FAKE_USER" ] && echo "drover:x:999:999::/:/bin/false"\n' >"$tmp/fake/getent"
chmod +x "$tmp/fake"/*
FAKE_LOG=$tmp/postinst.log FAKE_USER= PATH="$tmp/fake:$PATH" \
	sh -e "$tmp/master-control/postinst" configure >/dev/null 2>&1 || fail postinst-runs
cat "$tmp/postinst.log"
if grep -q '^adduser .*--system.*--home /var/lib/drover/master .* drover$' "$tmp/postinst.log" &&
	[ "$(grep -n '^adduser' "$tmp/postinst.log" | cut -d: -f1)" -lt \
		"$(grep -n '^deb-systemd-helper enable' "$tmp/postinst.log" | cut -d: -f1)" ]; then
	pass postinst-adds-user
else
	fail postinst-adds-user "$(cat "$tmp/postinst.log")"
fi
: >"$tmp/postinst.log"
FAKE_LOG=$tmp/postinst.log FAKE_USER=yes PATH="$tmp/fake:$PATH" \
	sh -e "$tmp/master-control/postinst" configure 0.1.0 >/dev/null 2>&1 || fail postinst-reruns
if grep -q '^adduser' "$tmp/postinst.log"; then
	fail postinst-user-once "adduser ran though the user exists"
else
	pass postinst-user-once
fi
check postinst-enables-unit grep -q 'deb-systemd-helper .*drover-master.service' \
	"$tmp/master-control/postinst"
check master-depends-adduser sh -c "dpkg-deb -f '$debs/drover-master_${version}_amd64.deb' \
	Depends | grep -qw adduser"
unit=$tmp/root/lib/systemd/system/drover-master.service
for line in User=drover ExecStart=/usr/bin/drover-master CapabilityBoundingSet= \
	NoNewPrivileges=yes ProtectSystem=strict StateDirectory=drover/master; do
	check "master-unit-$line" grep -qx "$line" "$unit"
done
check agent-unit-root grep -qx 'User=root' "$tmp/root/lib/systemd/system/drover-agent.service"
if command -v systemd-analyze >/dev/null; then
	# verify the units as installed (their binaries where the packages put them)
	mkdir -p "$tmp/units"
	for u in drover-master drover-agent; do
		sed "s|/usr/bin/|$tmp/root/usr/bin/|" "$tmp/root/lib/systemd/system/$u.service" \
			>"$tmp/units/$u.service"
		out=$(systemd-analyze verify --man=no "$tmp/units/$u.service" 2>&1)
		if [ -z "$out" ]; then pass "unit-verify-$u"; else fail "unit-verify-$u" "$out"; fi
	done
else
	skip unit-verify "no systemd-analyze"
fi

# the packaged binaries run here and name this version
for b in drover-master drover-agent drover; do
	check "version-$b" sh -c "'$tmp/root/usr/bin/$b' --version | grep -q '^$b $version (git '"
done
finish
