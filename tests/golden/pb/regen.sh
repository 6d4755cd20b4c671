#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Remake the golden protobuf bytes: each tests/golden/pb/<type>/<case>.txtpb (protobuf text
# format, written by hand) is encoded by the real protobuf implementation (protoc, Debian
# protobuf-compiler) into <case>.bin. The <case>.json beside it is Mesos's JSON for the same
# message: `PBJSON_GOLDEN_UPDATE=1 build/tests/unit/test_pbjson` writes the missing ones,
# to be reviewed against docs/api.md "Protobuf codec" before they are committed.
set -eu
cd "$(dirname "$0")"
for dir in */; do
	type=${dir%/}
	for f in "$dir"*.txtpb; do
		protoc -I../../../proto --encode="$type" mesos/v1/scheduler/scheduler.proto \
			mesos/v1/master/master.proto mesos/v1/agent/agent.proto \
			mesos/v1/executor/executor.proto <"$f" >"${f%.txtpb}.bin"
	done
done
echo "regen: $(ls */*.bin | wc -l) golden messages"
