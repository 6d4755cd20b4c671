# SPDX-License-Identifier: Apache-2.0
# An unmodified Mesos client: a Python 3 scheduler built from the classes protoc generates
# from Mesos's own .proto files (tests/mesos-proto, Apache Mesos at c1b42f79) runs a task to
# TASK_FINISHED against a real master and agent, acknowledging every update, once over
# JSON and once over protobuf (Content-Type and Accept both ways).
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
need_mesos_proto

start_cluster || exit 1
trap stop_cluster EXIT

mkdir -p "$WORK/py"
# (google/protobuf/duration.proto from Drover's schema folder: the same file)
check protoc-generates protoc -I"$SRC/tests/mesos-proto" -I"$SRC/proto" --python_out="$WORK/py" \
	mesos/v1/mesos.proto mesos/v1/scheduler/scheduler.proto mesos/v1/master/master.proto \
	mesos/v1/agent/agent.proto mesos/v1/allocator/allocator.proto \
	mesos/v1/maintenance/maintenance.proto mesos/v1/quota/quota.proto

# the operator APIs of the master and the agent in protobuf both ways: GET_HEALTH and
# GET_VERSION answered as Mesos's Response bytes; a Content-Type other than the two is
# 415, an Accept neither allows is 406
cat >"$WORK/opcheck.py" <<'PY'
import http.client, sys
sys.path.insert(0, sys.argv[2])
from mesos.v1.master import master_pb2
from mesos.v1.agent import agent_pb2
host, port = sys.argv[1].rsplit(":", 1)
mod = master_pb2 if sys.argv[3] == "master" else agent_pb2
def post(body, ct, accept):
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    c.request("POST", "/api/v1", body=body, headers={"Content-Type": ct, "Accept": accept})
    r = c.getresponse()
    return r.status, r.getheader("Content-Type"), r.read()
PB = "application/x-protobuf"
for t in ("GET_HEALTH", "GET_VERSION"):
    call = mod.Call(type=mod.Call.Type.Value(t))
    st, ct, body = post(call.SerializeToString(), PB, PB)
    assert st == 200 and ct == PB, (t, st, ct, body[:200])
    resp = mod.Response()
    resp.ParseFromString(body)
    assert resp.type == mod.Response.Type.Value(t), resp
    if t == "GET_HEALTH":
        assert resp.get_health.healthy, resp
    else:
        assert resp.get_version.version_info.version, resp
# every GET_* the master answers, in protobuf (test_operator_protobuf.sh reads each one
# field by field)
if mod is master_pb2:
    for t in ("GET_STATE", "GET_AGENTS", "GET_FRAMEWORKS", "GET_TASKS", "GET_ROLES",
              "GET_WEIGHTS", "GET_METRICS", "GET_FLAGS"):
        st, ct, body = post(mod.Call(type=mod.Call.Type.Value(t)).SerializeToString(), PB, PB)
        assert st == 200 and ct == PB, (t, st, body[:200])
        mod.Response().ParseFromString(body)
        if st == 200:
            resp = mod.Response()
            resp.ParseFromString(body)
            assert resp.IsInitialized() and ct == PB, (t, resp)
# hostile protobuf on the scheduler endpoint: truncated varint, wrong wire type, a length
# far past the end, an unknown enum value, a required field missing: each a clear 400 that
# changes nothing (GET_STATE in JSON before and after)
if mod is master_pb2:
    def state():
        return post(b'{"type":"GET_STATE"}', "application/json", "application/json")[2]
    before = state()
    for bad in (b"\x10\x80", b"\x12\x01\x01", b"\x10\x01\x1a\xff\xff\xff\xff\x0f",
                b"\x10\xe7\x07", b"\x10\x01\x1a\x00"):
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        c.request("POST", "/api/v1/scheduler", body=bad,
                  headers={"Content-Type": PB, "Accept": PB})
        r = c.getresponse()
        msg = r.read()
        assert r.status == 400 and msg, (bad, r.status, msg)
    assert state() == before, "a refused call changed the master's state"
st, _, body = post(b'{"type":"GET_HEALTH"}', "text/plain", PB)
assert st == 415, (st, body)
st, _, body = post(b'{"type":"GET_HEALTH"}', "application/json", "text/html")
assert st == 406, (st, body)
st, _, body = post(b'\x10\x80', PB, PB)
assert st == 400, (st, body)
print("OK")
PY
check master-operator-protobuf "$PY" "$WORK/opcheck.py" "$MASTER" "$WORK/py" master
check agent-operator-protobuf "$PY" "$WORK/opcheck.py" "127.0.0.1:$APORT" "$WORK/py" agent

for codec in json protobuf; do
	timeout 90 "$PY" "$SRC/tests/integration/mesos_protoc_client.py" "$MASTER" "$codec" \
		"$WORK/py" >"$WORK/client-$codec.out" 2>&1
	rc=$?
	cat "$WORK/client-$codec.out"
	check "client-$codec-finishes" [ "$rc" -eq 0 ]
	check "client-$codec-ok" grep -qx OK "$WORK/client-$codec.out"
	check "client-$codec-finished" grep -q "TASK_FINISHED uuid=16 bytes" "$WORK/client-$codec.out"
	check "client-$codec-acknowledged" grep -q "^acknowledged: the master holds no" \
		"$WORK/client-$codec.out"
done
finish
