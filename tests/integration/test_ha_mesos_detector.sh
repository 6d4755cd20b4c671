# SPDX-License-Identifier: Apache-2.0
# Leader discovery as Mesos does it: three masters on a private ZooKeeper each write a
# json.info_ sequential ephemeral znode holding their MasterInfo; Mesos's detector algorithm
# (mesos_detector.py: lowest int32 sequence of any label, its JSON) finds the same leader
# Drover reports, before and after the leader is killed. /master/redirect answers 307 to that
# leader on every master; a follower sends leader-only legacy endpoints there with their
# query, answers /metrics/snapshot itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zk_lib.sh"
ha_begin
command -v python3 >/dev/null || skip_all "needs python3"
DETECT="python3 $(cd "$(dirname "$0")" && pwd)/mesos_detector.py"
ZPATH=/${ZK##*/}

for i in 1 2 3; do start_ha_master $i; done
WAIT_S=30 wait_for leader
L=$(leader)
check one_leader [ -n "$L" ]
eval "LP=\$MPORT_$L"

# detected: what Mesos's detector finds (the leader's MasterInfo) into $WORK/detected.json
detected() { $DETECT "127.0.0.1:$ZK_PORT" "$ZPATH" >"$WORK/detected.json"; }
# detector_agrees PORT: the detector's leader is the master on PORT
detector_agrees() { detected && jq -e --argjson p "$1" '.info.port == $p' "$WORK/detected.json" >/dev/null; }
check detector_finds_leader detector_agrees "$LP"
cat "$WORK/detected.json"
curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"GET_MASTER"}' \
	"http://127.0.0.1:$LP/api/v1" >"$WORK/get_master.json"
check detector_same_id jq -e --slurpfile g "$WORK/get_master.json" \
	'.info == $g[0].get_master.master_info' "$WORK/detected.json"
check masterinfo_shape jq -e --argjson p "$LP" '.node | test("^json\\.info_[0-9]{10}$")' "$WORK/detected.json"
check masterinfo_fields jq -e --argjson p "$LP" '.info | (.ip == 16777343 and .port == $p and
	.pid == "master@127.0.0.1:\($p)" and .hostname == "127.0.0.1" and (.version | type) == "string" and
	.address == {"hostname": "127.0.0.1", "ip": "127.0.0.1", "port": $p} and (.id | test("^[0-9a-f-]{36}$")) and
	(.capabilities | type) == "array")' "$WORK/detected.json"
# one json.info_ per master, nothing else that a detector could take for a member
$DETECT "127.0.0.1:$ZK_PORT" "$ZPATH" --members >"$WORK/members.json"
cat "$WORK/members.json"
check three_json_info_members jq -e 'length == 3 and all(.label == "json.info")' "$WORK/members.json"

for i in 1 2 3; do
	eval "_p=\$MPORT_$i"
	# every master, the leader too, redirects to the leader (once its watch has seen it)
	redir_ok() {
		curl -s -o /dev/null -D "$WORK/r.hdrs" "http://127.0.0.1:$_p/master/redirect"
		[ "$(header_value "$WORK/r.hdrs" Location)" = "//127.0.0.1:$LP" ]
	}
	check "redirect_${i}_to_leader" wait_for redir_ok
	[ "$i" = "$L" ] && continue
	curl -s -o /dev/null -D "$WORK/s.hdrs" "http://127.0.0.1:$_p/master/state?jsonp=cb"
	check "follower_${i}_state_307" grep -q '^HTTP/1.1 307' "$WORK/s.hdrs"
	check "follower_${i}_state_location" [ "$(header_value "$WORK/s.hdrs" Location)" = "//127.0.0.1:$LP/master/state?jsonp=cb" ]
	check "follower_${i}_snapshot_own" sh -c "curl -sf http://127.0.0.1:$_p/metrics/snapshot | jq -e '.\"master/elected\" == 0'"
done
check leader_snapshot_elected sh -c "curl -sf http://127.0.0.1:$LP/metrics/snapshot | jq -e '.\"master/elected\" == 1'"

# kill -9 the leader: the detector and Drover agree on the new one
eval "_pid=\$MPID_$L"
kill -9 "$_pid"
wait "$_pid" 2>/dev/null
eval "MPID_$L="
WAIT_S=30 wait_for leader
L2=$(leader)
check new_leader sh -c "[ -n '$L2' ] && [ '$L2' != '$L' ]"
eval "LP2=\$MPORT_$L2"
WAIT_S=20 check detector_finds_new_leader wait_for detector_agrees "$LP2"
cat "$WORK/detected.json"
for i in 1 2 3; do
	[ "$i" = "$L" ] && continue
	eval "_p=\$MPORT_$i"
	redir_new() {
		curl -s -o /dev/null -D "$WORK/r.hdrs" "http://127.0.0.1:$_p/master/redirect"
		[ "$(header_value "$WORK/r.hdrs" Location)" = "//127.0.0.1:$LP2" ]
	}
	check "redirect_${i}_to_new_leader" wait_for redir_new
done
finish
