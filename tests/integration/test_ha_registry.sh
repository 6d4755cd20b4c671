# SPDX-License-Identifier: Apache-2.0
# The ZooKeeper registry's unit cases (tests/unit/test_master_registry_zk) against a
# private ZooKeeper server: round trip, commits split into several transactions, bounded
# history, and the fence (a master whose election znode is gone cannot write).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zk_lib.sh"
need_zookeeper
T="$DROVER_BUILD/tests/unit/test_master_registry_zk"
[ -x "$T" ] || skip_all "no $T (make tests)"
WORK=$(mktemp -d /tmp/drover-ha.XXXXXX)
trap 'kill "$ZK_PID" 2>/dev/null; wait "$ZK_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
start_zk || exit 1
DROVER_TEST_ZK=127.0.0.1:$ZK_PORT CMOCKA_MESSAGE_OUTPUT=TAP "$T" >"$WORK/tap" 2>&1
cat "$WORK/tap"
for c in test_zk_round_trip test_zk_large_commit_and_history test_zk_fence; do
	check "$c" grep -q "^ok [0-9]* - $c\$" "$WORK/tap"
done

# bad --zk input: a clear error, the master does not start
bad_master() {
	out=$(timeout 10 "$BIN/drover-master" --listen "127.0.0.1:$(free_port)" \
		--work-dir "$WORK/bad" "$@" 2>&1)
	rc=$?
	echo "$out"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && echo "$out" | grep -q "$BAD_MSG"
}
BAD_MSG="no host list or no path"
check master_zk_no_path bad_master --zk "zk://127.0.0.1:$ZK_PORT"
BAD_MSG="empty host or port"
check master_zk_empty_host bad_master --zk "zk://127.0.0.1:$ZK_PORT,/drover"
BAD_MSG="cannot be combined"
check master_zk_and_registry bad_master --zk "zk://127.0.0.1:$ZK_PORT/d" --registry "sqlite:$WORK/r.db"
BAD_MSG="out of range"
check master_zk_session_range bad_master --zk "zk://127.0.0.1:$ZK_PORT/d" --zk-session-timeout 0s
finish
