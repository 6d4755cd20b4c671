# SPDX-License-Identifier: Apache-2.0
# An unmodified Mesos client: a Python 3 scheduler built from the classes protoc generates
# from Mesos's own .proto files (tests/mesos-proto, Apache Mesos at c1b42f79) runs a task to
# TASK_FINISHED against a real master and agent, acknowledging every update, once over
# JSON and once over protobuf (Content-Type and Accept both ways).
. "$(dirname "$0")/lib.sh"
need_root
need_cgroup2
command -v protoc >/dev/null || skip_all "needs protoc (protobuf-compiler)"
PY=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import google.protobuf' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || skip_all "needs python3-protobuf"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

start_cluster || exit 1
trap stop_cluster EXIT

mkdir -p "$WORK/py"
# (google/protobuf/duration.proto from Drover's schema folder: the same file)
check protoc-generates protoc -I"$SRC/tests/mesos-proto" -I"$SRC/proto" --python_out="$WORK/py" \
	mesos/v1/mesos.proto mesos/v1/scheduler/scheduler.proto

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
