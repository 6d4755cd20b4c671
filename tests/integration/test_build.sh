# SPDX-License-Identifier: Apache-2.0
# Build hygiene: --version is never stale (the version header follows the commit and is
# replaced only when its text changes), objects do not depend on the directory they were
# built in (-ffile-prefix-map), `make install` installs the product and nothing else, and the
# linker enforces the layering (a binary cannot call into another binary's archive).
# Works on throwaway copies of the tree (git archive of HEAD plus a fresh repository).
. "$(dirname "$0")/lib.sh"

repo=$(cd "$(dirname "$0")/../.." && pwd)
command -v git >/dev/null || skip_all "needs git"
git -C "$repo" rev-parse HEAD >/dev/null 2>&1 || skip_all "not a git work tree"
tmp=$(mktemp -d /tmp/drover-build-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
G="git -c user.name=test -c user.email=test@example.org"

# a copy of HEAD as a repository of its own, in DIR
copy() {
	mkdir -p "$1" && git -C "$repo" archive HEAD | tar -x -C "$1" &&
		$G -C "$1" init -q && $G -C "$1" add -A && $G -C "$1" commit -qm copy
}
copy "$tmp/a" || { fail copy "git archive/commit failed"; finish; exit; }

# -------------------------------------------------------------- the version header
hdr=build/gen/version_gen.h
gen() { make -s -C "$tmp/a" "$hdr" >/dev/null 2>&1; }
rev() { git -C "$tmp/a" rev-parse --short=12 HEAD; }
has_rev() { grep -q "DROVER_GIT_REV \"$1\"" "$tmp/a/$hdr"; }

gen
check version-header-names-head has_rev "$(rev)"
check version-header-names-version grep -q "DROVER_VERSION \"$(cat "$repo/VERSION")\"" "$tmp/a/$hdr"
touch -d '2001-01-01' "$tmp/a/$hdr"
gen
if [ "$(stat -c %Y "$tmp/a/$hdr")" = "$(date -d 2001-01-01 +%s)" ]; then
	pass version-header-kept-when-unchanged
else
	fail version-header-kept-when-unchanged "rewritten though nothing changed"
fi
$G -C "$tmp/a" commit -q --allow-empty -m next
gen
check version-header-follows-a-commit has_rev "$(rev)"
echo >>"$tmp/a/README.md"
gen
check version-header-says-dirty has_rev "$(rev)-dirty"
git -C "$tmp/a" checkout -q README.md

# the objects that include it rebuild after a commit, and nothing else does
make -s -C "$tmp/a" -j2 build/lib/daemon.o build/lib/id.o SKELS= >/dev/null 2>&1
$G -C "$tmp/a" commit -q --allow-empty -m again
out=$(make -C "$tmp/a" -j2 build/lib/daemon.o build/lib/id.o SKELS= 2>&1)
if echo "$out" | grep -q 'CC.*daemon.o' && ! echo "$out" | grep -q 'CC.*id.o'; then
	pass version-rebuilds-only-its-users
else
	fail version-rebuilds-only-its-users "$out"
fi

# -------------------------------------------------------------- reproducible objects
copy "$tmp/elsewhere/b" || fail copy-b
for d in "$tmp/a" "$tmp/elsewhere/b"; do
	rm -rf "$d/build"
	make -s -C "$d" build/lib/id.o build/lib/conf.o SKELS= GIT_REV=fixed >/dev/null 2>&1
done
for o in id conf; do
	if cmp -s "$tmp/a/build/lib/$o.o" "$tmp/elsewhere/b/build/lib/$o.o"; then
		pass "reproducible-$o.o"
	else
		fail "reproducible-$o.o" "the object differs between two build directories"
	fi
	if grep -aq "$tmp" "$tmp/a/build/lib/$o.o"; then
		fail "no-build-dir-in-$o.o" "the build directory's path is in the object"
	else
		pass "no-build-dir-in-$o.o"
	fi
done

# -------------------------------------------------------------- layering
# Each binary links only its layer's archives (Makefile, "Layering"): a call from the CLI or
# the master into agentd/, or from the agent into masterd/, fails to link. The probes link
# exactly as the binaries do (make layering-probe) against the archives in $DROVER_BUILD.
if [ -f "$DROVER_BUILD/lib/libdrover.a" ] && [ -f "$DROVER_BUILD/agentd/libagentd.a" ] &&
	[ -f "$DROVER_BUILD/masterd/libmasterd.a" ]; then
	printf '#include "agentd/cgroup.h"\nint main(void)\n{\n\treturn agent_cgroup_init("x", 0, 0, 0, 0);\n}\n' \
		>"$tmp/calls_agentd.c"
	printf '#include "masterd/registry.h"\nint main(void)\n{\n\treturn master_reg_open("x", 0, 0, 0, 0);\n}\n' \
		>"$tmp/calls_masterd.c"
	printf '#include "cgroupfs.h"\n#include "resources.h"\nint main(void)\n{\n\tstruct alloc_res r;\n\n\talloc_res_init(&r);\n\treturn cgroupfs_cpulist_count("0-3");\n}\n' \
		>"$tmp/calls_lib.c"
	built_rev=$(sed -n 's/^#define DROVER_GIT_REV "\(.*\)"$/\1/p' "$DROVER_BUILD/gen/version_gen.h")
	probe() { # LAYER PROBE.c: the linker's output, and its status
		rm -rf "$tmp/probe"
		make -s -C "$repo" layering-probe BUILD="$DROVER_BUILD" GIT_REV="$built_rev" LAYER="$1" \
			PROBE="$tmp/$2" PROBE_OUT="$tmp/probe" >"$tmp/probe.log" 2>&1
	}
	refused() { # NAME LAYER PROBE SYMBOL: the link fails on exactly SYMBOL
		if probe "$2" "$3"; then
			fail "$1" "linked: $2 reaches a layer it must not"
		elif grep -q "undefined reference to \`$4'" "$tmp/probe.log"; then
			pass "$1"
		else
			fail "$1" "failed for another reason: $(tail -5 "$tmp/probe.log")"
		fi
	}
	refused layering-cli-cannot-call-agentd CLI calls_agentd.c agent_cgroup_init
	refused layering-master-cannot-call-agentd MASTER calls_agentd.c agent_cgroup_init
	refused layering-agent-cannot-call-masterd AGENT calls_masterd.c master_reg_open
	for l in CLI MASTER AGENT; do
		if probe $l calls_lib.c; then
			pass "layering-$l-links-lib-and-alloc"
		else
			fail "layering-$l-links-lib-and-alloc" "$(tail -5 "$tmp/probe.log")"
		fi
	done
	probe AGENT calls_agentd.c && pass layering-agent-links-agentd ||
		fail layering-agent-links-agentd "$(tail -5 "$tmp/probe.log")"
	probe MASTER calls_masterd.c && pass layering-master-links-masterd ||
		fail layering-master-links-masterd "$(tail -5 "$tmp/probe.log")"
	# the real binaries linked, each without a symbol of another layer's archive
	others() { nm -g --defined-only "$@" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u; }
	for b in drover:agentd/libagentd.a drover:masterd/libmasterd.a \
		drover-master:agentd/libagentd.a drover-agent:masterd/libmasterd.a; do
		bin=$BIN/${b%%:*} ar=$DROVER_BUILD/${b#*:}
		if [ ! -x "$bin" ]; then
			fail "layering-${b%%:*}-built" "$bin is missing"
			continue
		fi
		leak=$(others "$ar" | comm -12 - "$(others "$bin" >"$tmp/syms"; echo "$tmp/syms")" | head -3)
		if [ -z "$leak" ]; then
			pass "layering-${b%%:*}-without-$(basename "${b#*:}" .a)"
		else
			fail "layering-${b%%:*}-without-$(basename "${b#*:}" .a)" "holds $leak"
		fi
	done
else
	skip layering "the archives are not built in $DROVER_BUILD"
fi

# -------------------------------------------------------------- make install
if [ -x "$BIN/drover-master" ] && [ -x "$BIN/drover-agent" ] && [ -x "$BIN/drover" ]; then
	dest=$tmp/root
	# the binaries already built in $DROVER_BUILD, with the git revision they were built
	# with, so that nothing is rebuilt under the other tests
	built_rev=$(sed -n 's/^#define DROVER_GIT_REV "\(.*\)"$/\1/p' "$DROVER_BUILD/gen/version_gen.h")
	make -s -C "$repo" install BUILD="$DROVER_BUILD" GIT_REV="$built_rev" DESTDIR="$dest" PREFIX=/usr \
		SYSTEMDDIR=/lib/systemd/system >"$tmp/install.log" 2>&1 ||
		fail install "$(tail -5 "$tmp/install.log")"
	got=$(cd "$dest" && find . ! -type d | sort | tr '\n' ' ')
	want="./lib/systemd/system/drover-agent.service ./lib/systemd/system/drover-master.service"
	want="$want ./usr/bin/drover ./usr/bin/drover-agent ./usr/bin/drover-master"
	want="$want ./usr/libexec/drover/drover-health-probe"
	want="$want ./usr/share/bash-completion/completions/drover"
	want="$want ./usr/share/bash-completion/completions/drover-agent"
	want="$want ./usr/share/bash-completion/completions/drover-master"
	want="$want ./usr/share/man/man8/drover-agent.8 ./usr/share/man/man8/drover-master.8"
	want="$want ./usr/share/man/man8/drover.8 "
	if [ "$got" = "$want" ]; then
		pass install-the-product-only
	else
		fail install-the-product-only "installed: $got"
	fi
	check install-unit-path grep -q '^ExecStart=/usr/bin/drover-master' \
		"$dest/lib/systemd/system/drover-master.service"
else
	skip install "the binaries are not built in $DROVER_BUILD"
fi
finish
