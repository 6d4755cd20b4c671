# SPDX-License-Identifier: Apache-2.0
# The golden messages of every call and event type (tests/golden/pb) read by Mesos's own
# schema: classes protoc generates from Apache Mesos's .proto files (tests/mesos-proto).
# Each case's protobuf bytes and its JSON (Drover's documented extensions taken out, then
# unknown fields rejected) are the same Mesos message, and protobuf serializes the JSON
# to exactly the golden bytes (tests/golden/mesos/check.py). No daemons.
. "$(dirname "$0")/lib.sh"
need_mesos_proto
WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

check protoc-generates protoc -I"$SRC/tests/mesos-proto" -I"$SRC/proto" --python_out="$WORK" \
	mesos/v1/mesos.proto mesos/v1/scheduler/scheduler.proto mesos/v1/master/master.proto \
	mesos/v1/agent/agent.proto mesos/v1/executor/executor.proto \
	mesos/v1/allocator/allocator.proto mesos/v1/maintenance/maintenance.proto \
	mesos/v1/quota/quota.proto
"$PY" "$SRC/tests/golden/mesos/check.py" "$SRC/tests/golden/pb" "$WORK" >"$WORK/check.out" 2>&1
rc=$?
cat "$WORK/check.out"
check golden-read-by-mesos-schema [ "$rc" -eq 0 ]

# the checker refuses what it must: a member outside Mesos's schema, and bytes that are not
# the JSON's
mkdir -p "$WORK/bad/mesos.v1.scheduler.Event"
cp "$SRC/tests/golden/pb/mesos.v1.scheduler.Event/heartbeat.bin" "$WORK/bad/mesos.v1.scheduler.Event/"
echo '{"type":"HEARTBEAT","heartbeat":{}}' >"$WORK/bad/mesos.v1.scheduler.Event/heartbeat.json"
check checker-refuses-unknown-member sh -c "! '$PY' '$SRC/tests/golden/mesos/check.py' '$WORK/bad' '$WORK'"
echo '{"type":"ERROR"}' >"$WORK/bad/mesos.v1.scheduler.Event/heartbeat.json"
check checker-refuses-other-message sh -c "! '$PY' '$SRC/tests/golden/mesos/check.py' '$WORK/bad' '$WORK'"
finish
