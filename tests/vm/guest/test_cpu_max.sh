# SPDX-License-Identifier: Apache-2.0
# cpu.max is enforced: "20000 100000" holds a busy loop near 20 % of one CPU, measured as
# the growth of cpu.stat usage_usec over a wall-clock interval. The bounds are generous
# because the guest runs under an emulator.
# vm-timeout: 30
. "$(dirname "$0")/lib.sh"

LOW=10 HIGH=35 SECS=4

cg=$CG/vm-cpumax
cg_create "$cg"
echo "20000 100000" >"$cg/cpu.max" || fail "cannot set cpu.max"
cg_run "$cg" sh -c 'while :; do :; done' &
i=0
while [ -z "$(cat "$cg/cgroup.procs")" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -n "$(cat "$cg/cgroup.procs")" ] || fail "the busy loop never entered the cgroup"
sleep 0.5

u0=$(cg_stat "$cg" cpu.stat usage_usec)
t0=$(cut -d' ' -f1 /proc/uptime)
sleep $SECS
u1=$(cg_stat "$cg" cpu.stat usage_usec)
t1=$(cut -d' ' -f1 /proc/uptime)
cat "$cg/cpu.stat"

pct=$(awk -v u0="$u0" -v u1="$u1" -v t0="$t0" -v t1="$t1" \
	'BEGIN { printf "%.1f", (u1 - u0) / ((t1 - t0) * 1e6) * 100 }')
echo "busy loop used $pct % of one CPU over $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s (want $LOW-$HIGH %)"
[ "$(cg_stat "$cg" cpu.stat nr_throttled)" -gt 0 ] || fail "cpu.stat shows no throttling"
awk -v p="$pct" -v lo=$LOW -v hi=$HIGH 'BEGIN { exit !(p >= lo && p <= hi) }' ||
	fail "busy loop used $pct % of a CPU under cpu.max 20000 100000, want $LOW-$HIGH %"
