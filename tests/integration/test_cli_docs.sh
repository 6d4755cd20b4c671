# SPDX-License-Identifier: Apache-2.0
# The help text, the man page drover(8) and the bash completion agree with the cmds[] tables
# (`drover --list-commands` prints them), and drover-master(8)/drover-agent(8) document every
# option the daemons' --help lists. No daemons, no root.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAN="$ROOT/docs/man"
COMP="$ROOT/tools/completion/drover.bash"
D="$BIN/drover"
command -v bash >/dev/null || skip_all "needs bash"
T=$(mktemp -d /tmp/drover-docs.XXXXXX)
trap 'rm -rf "$T"' EXIT

"$D" --list-commands >"$T/table" 2>&1
check list-commands-nonempty [ "$(wc -l <"$T/table")" -gt 10 ]
cut -d' ' -f1 "$T/table" | sort -u >"$T/objects"

# JSON form agrees with the plain one
"$D" -j --list-commands | jq -r '.object as $o | if (.commands | length) > 0 then .commands[] | "\($o) \(.)" else $o end' \
	>"$T/table.json" 2>/dev/null
check list-commands-json cmp -s "$T/table" "$T/table.json"

# ---- help text: `drover help` names every object, `drover OBJ help` every command
"$D" help >"$T/help" 2>&1
bad=
while read -r obj; do
	grep -qw -- "$obj" "$T/help" || bad="$bad $obj"
done <"$T/objects"
check help-lists-every-object [ -z "$bad" ] || echo "missing in 'drover help':$bad"
bad=
while read -r obj cmd; do
	[ -n "$cmd" ] || continue
	"$D" "$obj" help >"$T/h.$obj" 2>&1
	grep -qE "(^|[[:space:]{|])$cmd([[:space:]]|$)" "$T/h.$obj" || bad="$bad $obj/$cmd"
done <"$T/table"
check help-lists-every-command [ -z "$bad" ] || echo "missing in 'drover OBJECT help':$bad"

# ---- man page: a "drover OBJ CMD" entry for every command, and none that does not exist
sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' "$MAN/drover.8" >"$T/man.txt"
bad=
while read -r obj cmd; do
	grep -qE "^drover $obj${cmd:+ $cmd}([[:space:]]|$)" "$T/man.txt" || bad="$bad $obj/$cmd"
done <"$T/table"
check man-documents-every-command [ -z "$bad" ] || echo "missing in drover.8:$bad"
# (the entries: lines of the roff source that start with \fBdrover)
grep -E '^\\fBdrover ' "$MAN/drover.8" | sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' | awk '{ print $2 ($3 ~ /^[a-z]+$/ ? " " $3 : "") }' |
	sort -u >"$T/man.cmds"
sort -u "$T/table" >"$T/table.sorted"
extra=$(comm -23 "$T/man.cmds" "$T/table.sorted" | tr '\n' ' ')
check man-has-no-stale-commands [ -z "$extra" ] || echo "in drover.8 but not in the tables: $extra"
# every global option of `drover help` is in the man page
bad= n=0
for o in $(grep -oE -- '--[a-z-]+' "$T/help" | sort -u); do
	grep -qF -- "$o" "$T/man.txt" || bad="$bad $o"
	n=$((n + 1))
done
check help-lists-global-options [ "$n" -ge 4 ]
check man-documents-global-options [ -z "$bad" ] || echo "missing in drover.8:$bad"

# ---- completion: the same objects and commands, both ways
bash -c ". '$COMP'; for o in \"\${!_drover_cmds[@]}\"; do
	set -- \${_drover_cmds[\$o]}; [ \$# -eq 0 ] && echo \"\$o\"; for c; do echo \"\$o \$c\"; done; done" |
	sort -u >"$T/comp.cmds"
check completion-matches-tables cmp -s "$T/comp.cmds" "$T/table.sorted" ||
	diff "$T/table.sorted" "$T/comp.cmds"
# it completes like drover matches: unique prefixes
out=$(PATH="$BIN:$PATH" bash -c ". '$COMP'; COMP_WORDS=(drover ag d); COMP_CWORD=2; _drover; echo \"\${COMPREPLY[*]}\"")
check completion-prefix-match [ "$out" = "drain deactivate" ]

# ---- daemons: every option of --help in their man pages
for d in master agent; do
	sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' "$MAN/drover-$d.8" >"$T/$d.txt"
	bad= n=0
	for o in $("$BIN/drover-$d" --help 2>&1 | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' |
		grep -oE -- '--[a-z0-9-]+'); do
		grep -qE -- "^\.(BI|BR|B) $o( |$)|^$o( |$)" "$MAN/drover-$d.8" ||
			grep -qE -- "(^| )$o( |$)" "$T/$d.txt" || bad="$bad $o"
		n=$((n + 1))
	done
	check "drover-$d-help-lists-options" [ "$n" -ge 10 ]
	check "man-drover-$d-documents-every-option" [ -z "$bad" ] || echo "missing in drover-$d.8:$bad"
done

# ---- man pages are valid roff (no warnings from man/groff when present)
if command -v man >/dev/null; then
	for m in drover drover-master drover-agent; do
		w=$(MANWIDTH=80 man --warnings -l "$MAN/$m.8" 2>&1 >/dev/null)
		check "man-$m-renders" [ -z "$w" ] || echo "$w"
	done
else
	skip man-renders "man(1) is not installed"
fi
finish
