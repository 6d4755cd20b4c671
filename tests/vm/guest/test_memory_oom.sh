# SPDX-License-Identifier: Apache-2.0
# memory.max is enforced: a process that touches 256 MiB in a cgroup limited to 32M (no swap)
# is OOM-killed, and the cgroup's memory.events counts exactly that one kill.
# vm-timeout: 30
. "$(dirname "$0")/lib.sh"

cg=$CG/vm-oom
cg_create "$cg"
echo 32M >"$cg/memory.max" || fail "cannot set memory.max"
[ -e "$cg/memory.swap.max" ] && echo 0 >"$cg/memory.swap.max"
cg_run "$cg" memhog 256
rc=$?
echo "memhog exit status $rc; memory.events:"
cat "$cg/memory.events"
[ -e "$cg/memory.peak" ] && echo "memory.peak $(cat "$cg/memory.peak")"
[ $rc -eq 137 ] || fail "memhog was not SIGKILLed (exit status $rc)"
kills=$(cg_stat "$cg" memory.events oom_kill)
[ "$kills" = 1 ] || fail "memory.events says oom_kill ${kills:-missing}, want oom_kill 1"
