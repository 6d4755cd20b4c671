# SPDX-License-Identifier: Apache-2.0
# The protoc-generated Mesos client (mesos_protoc_client.py, classes from Mesos's own .proto
# files) finds the leader among three masters through ZooKeeper, as Mesos's detectors do:
# the lowest-sequence json.info_ member (mesos_detector.py), whose data is read as a
# MasterInfo by the generated classes' JSON parser (json_format.Parse: a field that is not
# Mesos's fails it). It then runs a task to TASK_FINISHED on that leader over JSON and over
# protobuf, acknowledging every update; after a kill -9 of the leader, it finds the new one
# the same way and runs a task there again (protobuf).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zk_lib.sh"
need_mesos_proto
ha_begin

mkdir -p "$WORK/py"
check protoc-generates protoc -I"$SRC/tests/mesos-proto" -I"$SRC/proto" --python_out="$WORK/py" \
	mesos/v1/mesos.proto mesos/v1/scheduler/scheduler.proto

for i in 1 2 3; do start_ha_master $i; done
WAIT_S=30 wait_for leader
L=$(leader)
check one-leader [ -n "$L" ]
start_ha_agent 1
check agent-registered wait_op GET_AGENTS '.get_agents.agents | length == 1 and all(.active)'

ZHOSTS=${ZK#zk://}
ZHOSTS=${ZHOSTS%%/*}
ZPATH=/${ZK##*/}

# detect NAME: the leader by Mesos's rule, its MasterInfo parsed by the generated classes;
# prints HOST:PORT (MasterInfo.address) into $WORK/NAME.addr
cat >"$WORK/detect.py" <<'PY'
import json, subprocess, sys
sys.path.insert(0, sys.argv[4])
from google.protobuf import json_format
from mesos.v1 import mesos_pb2
out = subprocess.run([sys.executable, sys.argv[1], sys.argv[2], sys.argv[3]],
                     capture_output=True, text=True)
assert out.returncode == 0, ("no leader", out.returncode, out.stdout, out.stderr)
found = json.loads(out.stdout)
assert found["node"].startswith("json.info_"), found
info = json_format.Parse(json.dumps(found["info"]), mesos_pb2.MasterInfo())
assert info.IsInitialized(), info
assert info.address.ip == "127.0.0.1" and info.address.port == info.port, info
print("%s:%d" % (info.address.ip, info.address.port))
PY
detect() {
	"$PY" "$WORK/detect.py" "$SRC/tests/integration/mesos_detector.py" "$ZHOSTS" "$ZPATH" \
		"$WORK/py" >"$WORK/$1.addr" 2>"$WORK/$1.err"
	_rc=$?
	cat "$WORK/$1.addr" "$WORK/$1.err"
	return $_rc
}
# run NAME CODEC ADDR: the client to TASK_FINISHED with every update acknowledged
run() {
	timeout 90 "$PY" "$SRC/tests/integration/mesos_protoc_client.py" "$3" "$2" "$WORK/py" \
		>"$WORK/$1.out" 2>&1
	_rc=$?
	cat "$WORK/$1.out"
	check "$1-finishes" [ "$_rc" -eq 0 ]
	check "$1-ok" grep -qx OK "$WORK/$1.out"
	check "$1-finished" grep -q "TASK_FINISHED uuid=16 bytes" "$WORK/$1.out"
	check "$1-acknowledged" grep -q "^acknowledged: the master holds no" "$WORK/$1.out"
}

check detect-leader detect first
eval "LP=\$MPORT_$L"
check detected-is-leader [ "$(cat "$WORK/first.addr")" = "127.0.0.1:$LP" ]
for codec in json protobuf; do
	run "client-$codec" "$codec" "$(cat "$WORK/first.addr")"
done

# the leader dies: the detector's next answer is the new leader, where the client runs again
eval "kill -9 \$MPID_$L"
eval "wait \$MPID_$L 2>/dev/null"
eval "MPID_$L="
new_leader() { N=$(leader) && [ -n "$N" ] && [ "$N" != "$L" ]; }
WAIT_S=60 wait_for new_leader
N=$(leader)
check failover-new-leader test -n "$N" -a "$N" != "$L"
eval "NP=\$MPORT_$N"
detected_new() { detect second >/dev/null && [ "$(cat "$WORK/second.addr")" = "127.0.0.1:$NP" ]; }
WAIT_S=30 wait_for detected_new
check detect-new-leader [ "$(cat "$WORK/second.addr")" = "127.0.0.1:$NP" ]
check agent-reregistered wait_op GET_AGENTS '.get_agents.agents | length == 1 and all(.active)' 60
run client-after-failover protobuf "$(cat "$WORK/second.addr")"
finish
