# SPDX-License-Identifier: Apache-2.0
# A private ZooKeeper server and a three-master HA cluster for test_ha*.sh (sourced after
# lib.sh). Sets ZK_PORT, ZK_PID, ZK (the zk:// URL), MPORTS/MPIDS (per master, 1..3).

# ASan builds: the ZooKeeper client's own leak is not ours (lsan-zookeeper.supp)
: "${LSAN_OPTIONS:=suppressions=$(cd "$(dirname "$0")" 2>/dev/null && pwd)/lsan-zookeeper.supp}"
export LSAN_OPTIONS

# need_zookeeper: skip unless java and the ZooKeeper jars are here
need_zookeeper() {
	command -v java >/dev/null || skip_all "needs java (Debian package zookeeper)"
	[ -f /usr/share/java/zookeeper.jar ] || skip_all "needs /usr/share/java/zookeeper.jar (Debian package zookeeper)"
	ZK_CP=
	for j in zookeeper zookeeper-jute slf4j-api slf4j-nop netty-handler netty-common \
		netty-buffer netty-transport netty-codec netty-resolver \
		netty-transport-native-epoll netty-transport-native-unix-common commons-cli \
		metrics-core snappy-java; do
		[ -f "/usr/share/java/$j.jar" ] && ZK_CP="$ZK_CP${ZK_CP:+:}/usr/share/java/$j.jar"
	done
}

# start_zk: a standalone server on a free port with its data in $WORK/zk (kept across
# restarts, so that a restarted server has the same state)
start_zk() {
	: "${ZK_PORT:=$(free_port)}"
	mkdir -p "$WORK/zk/data"
	cat >"$WORK/zk/zoo.cfg" <<CFG
tickTime=${ZK_TICK:-250}
dataDir=$WORK/zk/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
minSessionTimeout=500
maxSessionTimeout=60000
CFG
	java -Xmx96m -XX:+UseSerialGC -cp "$ZK_CP" org.apache.zookeeper.server.ZooKeeperServerMain \
		"$WORK/zk/zoo.cfg" >>"$WORK/zk/log" 2>&1 &
	ZK_PID=$!
	ZK="zk://127.0.0.1:$ZK_PORT/drover-ha-$$"
	for _ in $(seq 300); do
		ss -Htln "sport = :$ZK_PORT" | grep -q . && return 0
		kill -0 "$ZK_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "zookeeper did not come up"; cat "$WORK/zk/log"
	return 1
}

# ha_begin: what every test of a whole HA cluster starts with: its needs, $WORK, a cleanup
# at exit (the background $BG_PIDS, then stop_ha) and a private ZooKeeper
ha_begin() {
	need_root
	need_cgroup2
	need_jq
	need_zookeeper
	WORK=$(mktemp -d /tmp/drover-ha.XXXXXX)
	BG_PIDS=
	trap ha_cleanup EXIT
	start_zk || exit 1
}
ha_cleanup() {
	# (a bare "wait" would wait for the masters too)
	if [ -n "$BG_PIDS" ]; then
		kill $BG_PIDS 2>/dev/null
		wait $BG_PIDS 2>/dev/null
	fi
	stop_ha
}

# start_ha_master I [FLAGS...]: master I (1..3) on its own port and work dir
start_ha_master() {
	_i=$1
	shift
	eval "_p=\${MPORT_$_i:-}"
	[ -n "$_p" ] || { _p=$(free_port); eval "MPORT_$_i=$_p"; }
	"$BIN/drover-master" --listen "127.0.0.1:$_p" --work-dir "$WORK/master$_i" \
		--allocation-interval 200ms --zk "$ZK" --zk-session-timeout "${ZK_SESSION:-4s}" \
		--agent-reregister-timeout 60s "$@" >>"$WORK/master$_i.log" 2>&1 &
	eval "MPID_$_i=$!"
}

# master_status I: the HTTP status master I answers GET_HEALTH with (200 leader, 307 follower)
master_status() {
	eval "_p=\$MPORT_$1"
	curl -s -o /dev/null -m 2 -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d '{"type":"GET_HEALTH"}' "http://127.0.0.1:$_p/api/v1"
}

# leader: the index of the master answering 200 (exactly one), else fails
leader() {
	_ld= _ldn=0
	for _ldi in 1 2 3; do
		eval "_ldpid=\${MPID_$_ldi:-}"
		[ -n "$_ldpid" ] && kill -0 "$_ldpid" 2>/dev/null || continue
		if [ "$(master_status "$_ldi")" = 200 ]; then
			_ld=$_ldi
			_ldn=$((_ldn + 1))
		fi
	done
	[ "$_ldn" -eq 1 ] && echo "$_ld"
}

# start_ha_agent I: agent I following the leader through ZooKeeper
start_ha_agent() {
	_ap=$(free_port)
	mkdir -p "$WORK/bpffs$1" && mount -t bpf bpf "$WORK/bpffs$1" 2>/dev/null
	"$BIN/drover-agent" --master "$ZK" --listen "127.0.0.1:$_ap" --work-dir "$WORK/agent$1" \
		--cgroup-root "drover-ha-$$-$1.slice" --enforce best-effort \
		--bpf-pin-dir "$WORK/bpffs$1/drover" \
		--resources 'cpus:2;mem:1024;ports:[31000-31099]' >>"$WORK/agent$1.log" 2>&1 &
	eval "APID_$1=$!"
}

# stop_ha: everything down, logs out, cgroups and mounts gone
stop_ha() {
	for v in APID_1 APID_2 MPID_1 MPID_2 MPID_3 ZK_PID; do
		eval "_pid=\${$v:-}"
		[ -n "$_pid" ] && kill "$_pid" 2>/dev/null
	done
	for v in APID_1 APID_2 MPID_1 MPID_2 MPID_3 ZK_PID; do
		eval "_pid=\${$v:-}"
		[ -n "$_pid" ] && wait "$_pid" 2>/dev/null
	done
	for f in "$WORK"/master*.log "$WORK"/agent*.log "$WORK"/fw*.out "$WORK"/fw*.err; do
		[ -f "$f" ] && { echo "---- $f"; cat "$f"; }
	done
	CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	for i in 1 2; do
		CG="$CGMOUNT/drover-ha-$$-$i.slice"
		[ -n "$CGMOUNT" ] && [ -d "$CG" ] || continue
		for k in $(find "$CG" -name cgroup.kill 2>/dev/null); do echo 1 >"$k" 2>/dev/null; done
		for _ in $(seq 20); do
			find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
			[ -d "$CG" ] || break
			sleep 0.1
		done
	done
	for i in 1 2; do mountpoint -q "$WORK/bpffs$i" && umount "$WORK/bpffs$i"; done
	rm -rf "$WORK"
}

# op TYPE: the operator API of the current leader
op() {
	eval "_p=\$MPORT_$(leader)"
	curl -s -m 5 -X POST -H 'Content-Type: application/json' -d "{\"type\":\"$1\"}" \
		"http://127.0.0.1:$_p/api/v1"
}
# wait_op TYPE JQ [SECONDS]: until JQ on the leader's TYPE answer prints true
wait_op() {
	for _ in $(seq $((${3:-20} * 10))); do
		[ "$(op "$1" | jq "$2" 2>/dev/null)" = true ] && return 0
		sleep 0.1
	done
	return 1
}
