# SPDX-License-Identifier: Apache-2.0
# ZooKeeper authentication: masters with --zk-credential (digest). The election
# znodes are readable by anyone (an agent without the credential finds the leader) and
# writable by the masters' identity only; the registry is theirs alone. A master with
# another secret cannot join the election. Checked with ZooKeeper's own CLI
# (org.apache.zookeeper.ZooKeeperMain), an unauthenticated client.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zk_lib.sh"
ha_begin
ROOT=${ZK#zk://*/}
ROOT=/${ZK##*/}

# zkcli CMD ARGS...: ZooKeeper's CLI, unauthenticated, output on stdout
zkcli() {
	java -Xmx64m -cp "$ZK_CP" org.apache.zookeeper.ZooKeeperMain -server "127.0.0.1:$ZK_PORT" \
		"$@" 2>&1
}

printf '{"principal": "drover", "secret": "s3cret-zk"}\n' >"$WORK/zkcred.json"
printf '{"principal": "drover", "secret": "other"}\n' >"$WORK/zkwrong.json"
chmod 600 "$WORK/zkcred.json" "$WORK/zkwrong.json"

for i in 1 2 3; do start_ha_master $i --zk-credential "$WORK/zkcred.json"; done
WAIT_S=30 wait_for leader
L=$(leader)
check one_leader [ -n "$L" ]
check auth_logged grep -q "authenticated as 'drover' (digest)" "$WORK/master$L.log"
check secret_not_logged sh -c "! grep -q s3cret-zk '$WORK'/master*.log"
# the agent has no ZooKeeper credential: it reads the election to find the leader
start_ha_agent 1
check agent_registered wait_op GET_AGENTS '.get_agents.agents | length == 1 and all(.active)'
AID=$(op GET_AGENTS | jq -r '.get_agents.agents[0].agent_info.id.value')

zkcli ls "$ROOT" >"$WORK/ls.out"
cat "$WORK/ls.out"
check election_listable grep -q 'json.info_' "$WORK/ls.out"
M=$(grep -o 'json.info_[0-9]*' "$WORK/ls.out" | head -1)
zkcli getAcl "$ROOT/$M" >"$WORK/member.acl"
cat "$WORK/member.acl"
check member_acl_digest grep -q "'digest,'drover:" "$WORK/member.acl"
check member_acl_world_read sh -c "grep -A1 \"'world,'anyone\" '$WORK/member.acl' | grep -q ': r\$'"
# its ACL, read as the masters' identity (getAcl needs a permission on the node)
printf 'addauth digest drover:s3cret-zk\ngetAcl %s\nquit\n' "$ROOT/registry/agents/$AID" |
	zkcli >"$WORK/agent.acl"
cat "$WORK/agent.acl"
check registry_acl_digest grep -q "'digest,'drover:" "$WORK/agent.acl"
check registry_acl_not_world sh -c "! grep -q \"'world,\" '$WORK/agent.acl'"
zkcli get "$ROOT/registry/agents/$AID" >"$WORK/agent.get"
cat "$WORK/agent.get"
check registry_unreadable_without_auth grep -q 'Insufficient permission' "$WORK/agent.get"
check registry_not_deletable_without_auth sh -c \
	"zkcli() { java -Xmx64m -cp '$ZK_CP' org.apache.zookeeper.ZooKeeperMain -server 127.0.0.1:$ZK_PORT \"\$@\" 2>&1; }; \
	 zkcli delete '$ROOT/registry/agents/$AID' | grep -q 'Insufficient permission'"
check registry_still_there wait_op GET_AGENTS '.get_agents.agents | length == 1'

# another secret: the same principal name is another identity; it cannot join
P4=$(free_port)
"$BIN/drover-master" --listen "127.0.0.1:$P4" --work-dir "$WORK/master4" --zk "$ZK" \
	--zk-session-timeout 4s --zk-credential "$WORK/zkwrong.json" >"$WORK/master4.log" 2>&1 &
M4=$!
BG_PIDS="$BG_PIDS $M4"
for _ in $(seq 100); do
	grep -q 'cannot join the election' "$WORK/master4.log" && break
	sleep 0.1
done
cat "$WORK/master4.log"
check wrong_secret_cannot_join grep -q 'cannot join the election.*not authenticated' "$WORK/master4.log"
check wrong_secret_not_leading [ "$(leader)" = "$L" ]
finish
