# SPDX-License-Identifier: Apache-2.0
# TLS and authentication (docs/security.md): a master with --tls-cert/--tls-key and
# --credentials; curl, a real agent and `drover task run` over HTTPS with HTTP Basic or a
# bearer token; 401 with WWW-Authenticate otherwise; agents verify the master's
# certificate (a master signed by another CA is refused); frameworks stay their principal's;
# the agent's own API with --api-credentials.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
need_root
need_cgroup2
need_jq
need_openssl
WORK=$(mktemp -d /tmp/drover-sec.XXXXXX)
CGROOT=drover-it-tls-$$.slice
AGENT_PID= AGENT2_PID= MASTER_PID=
cleanup() {
	stop_pid "$AGENT_PID"
	stop_pid "$AGENT2_PID"
	stop_pid "$MASTER_PID"
	echo "---- master log"; cat "$WORK/m.log"
	echo "---- agent log"; cat "$WORK/a.log" 2>/dev/null
	CGMOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	for k in $(find "$CGMOUNT/$CGROOT" -name cgroup.kill 2>/dev/null); do echo 1 >"$k"; done
	for _ in $(seq 20); do
		find "$CGMOUNT/$CGROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
		[ -d "$CGMOUNT/$CGROOT" ] || break
		sleep 0.1
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

make_ca "$WORK" ca && make_cert "$WORK" master ca && make_ca "$WORK" rogue ||
	{ echo "cannot make certificates"; exit 1; }
cat >"$WORK/creds.json" <<'J'
{"credentials": [
  {"principal": "fw1", "secret": "fw1-secret"},
  {"principal": "fw2", "secret": "fw2-secret"},
  {"principal": "agent", "secret": "agent-secret"},
  {"principal": "ops", "secret": "ops-secret", "token": "ops-token-123"}
]}
J
echo '{"principal": "agent", "secret": "agent-secret"}' >"$WORK/agent.cred"
echo '{"principal": "agent", "secret": "wrong"}' >"$WORK/bad.cred"
echo '{"principal": "fw1", "secret": "fw1-secret"}' >"$WORK/fw1.cred"
# with --credentials, agents register only where a rule allows their principal
echo '{"register_agents": [{"principals": ["agent"], "agents": "ANY"}]}' >"$WORK/acls.json"
chmod 600 "$WORK"/*.cred "$WORK/creds.json" "$WORK"/*.key

run_master "$WORK/m.log" --tls-cert "$WORK/master.crt" --tls-key "$WORK/master.key" \
	--credentials "$WORK/creds.json" --acls "$WORK/acls.json" || { cat "$WORK/m.log"; exit 1; }
check master-says-tls grep -q 'listening on .*(TLS)' "$WORK/m.log"
U="https://$MASTER"
C="--cacert $WORK/ca.crt"

# ---- TLS
check health-over-tls [ "$(status_of $C "$U/health")" = 200 ]
check plain-http-refused [ "$(status_of "http://$MASTER/health")" != 200 ]
check rogue-ca-refused [ "$(status_of --cacert "$WORK/rogue.crt" "$U/health")" = 000 ]
# TLS 1.2 at least (issue 17 item 20): a client offering at most TLS 1.1 (with OpenSSL's
# security level lowered, or OpenSSL itself would not offer it) gets no session
echo | openssl s_client -connect "$MASTER" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
	-CAfile "$WORK/ca.crt" >"$WORK/tls11" 2>&1
check tls11-refused grep -q '^New, (NONE), Cipher is (NONE)' "$WORK/tls11"
echo | openssl s_client -connect "$MASTER" -tls1_2 -CAfile "$WORK/ca.crt" >"$WORK/tls12" 2>&1
check tls12-accepted grep -q 'Protocol *: TLSv1.2' "$WORK/tls12"
check tls12-aead grep -q '^New, TLSv1.2, Cipher is .*GCM' "$WORK/tls12"
check tls11-curl-refused [ "$(status_of $C --tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0' "$U/health")" = 000 ]

# ---- authentication
op='{"type":"GET_STATE"}'
code=$(status_of $C -D "$WORK/h" -X POST -H 'Content-Type: application/json' -d "$op" "$U/api/v1")
check no-credentials-401 [ "$code" = 401 ]
check 401-www-authenticate-basic grep -qi '^WWW-Authenticate: Basic realm="drover"' "$WORK/h"
check 401-www-authenticate-bearer grep -qi '^WWW-Authenticate: Bearer realm="drover"' "$WORK/h"
code=$(status_of $C -u ops:nope -X POST -H 'Content-Type: application/json' -d "$op" "$U/api/v1")
check wrong-secret-401 [ "$code" = 401 ]
code=$(status_of $C -u nobody:ops-secret -X POST -H 'Content-Type: application/json' -d "$op" "$U/api/v1")
check unknown-principal-401 [ "$code" = 401 ]
code=$(status_of $C -u ops:ops-secret -X POST -H 'Content-Type: application/json' -d "$op" "$U/api/v1")
check basic-200 [ "$code" = 200 ]
code=$(status_of $C -H 'Authorization: Bearer ops-token-123' -X POST -H 'Content-Type: application/json' -d "$op" "$U/api/v1")
check bearer-200 [ "$code" = 200 ]
code=$(status_of $C -H 'Authorization: Bearer ops-token-12' -X POST -H 'Content-Type: application/json' -d "$op" "$U/api/v1")
check bad-bearer-401 [ "$code" = 401 ]
check metrics-needs-auth [ "$(status_of $C "$U/metrics")" = 401 ]
check metrics-with-auth [ "$(status_of $C -u ops:ops-secret "$U/metrics")" = 200 ]
code=$(status_of $C -X POST -H 'Content-Type: application/json' \
	-d '{"type":"SUBSCRIBE","subscribe":{"agent_info":{"hostname":"x","resources":[]}}}' "$U/api/v1/agent")
check agent-api-needs-auth [ "$code" = 401 ]

# ---- agents: verify the master, authenticate
start_agent() { # LOG CREDENTIAL CA
	"$BIN/drover-agent" --master "$MASTER" --listen 127.0.0.1:$(free_port) \
		--work-dir "$WORK/agent-$(basename "$1")" --cgroup-root "$CGROOT" --enforce best-effort \
		--bpf off --resources 'cpus:2;mem:1024' --credential "$2" --tls-ca "$3" >"$1" 2>&1 &
}
start_agent "$WORK/rogue.log" "$WORK/agent.cred" "$WORK/rogue.crt"
AGENT2_PID=$!
sleep 2
check agent-rogue-ca-not-subscribed sh -c "! grep -q 'subscribed to the master' '$WORK/rogue.log'"
check agent-rogue-ca-says-certificate grep -qi 'certificate' "$WORK/rogue.log"
stop_pid "$AGENT2_PID"
start_agent "$WORK/bad.log" "$WORK/bad.cred" "$WORK/ca.crt"
AGENT2_PID=$!
sleep 2
check agent-bad-secret-not-subscribed sh -c "! grep -q 'subscribed to the master' '$WORK/bad.log'"
check agent-bad-secret-401 grep -q '401' "$WORK/bad.log"
stop_pid "$AGENT2_PID"
AGENT2_PID=
start_agent "$WORK/a.log" "$WORK/agent.cred" "$WORK/ca.crt"
AGENT_PID=$!
WAIT_S=10 wait_for grep -q 'subscribed to the master' "$WORK/a.log"
check agent-subscribed-over-tls [ $? -eq 0 ]

# ---- a framework over TLS with its principal: the CLI
D="$BIN/drover --master $MASTER --tls-ca $WORK/ca.crt"
$D --credential "$WORK/fw1.cred" task run --detach --name sleeper -- 'sleep 30' >"$WORK/run.out" 2>&1
check cli-task-run-tls-auth [ $? -eq 0 ]
$D task list >/dev/null 2>&1
check cli-without-credential-fails [ $? -ne 0 ]
$D --credential "$WORK/fw1.cred" -j framework list >"$WORK/fws.json" 2>&1
check framework-principal-recorded jq -e '.[0].framework_info.principal == "fw1"' "$WORK/fws.json"
FWID=$(jq -r '.[0].framework_info.id.value' "$WORK/fws.json")
# another principal cannot fail over (take over) fw1's framework ...
code=$(status_of $C -u fw2:fw2-secret --max-time 3 -X POST -H 'Content-Type: application/json' \
	-d "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"name\":\"x\",\"id\":{\"value\":\"$FWID\"}}}}" \
	"$U/api/v1/scheduler")
check takeover-by-other-principal-403 [ "$code" = 403 ]
# ... nor claim another principal in framework_info
code=$(status_of $C -u fw2:fw2-secret --max-time 3 -X POST -H 'Content-Type: application/json' \
	-d '{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"x","principal":"fw1"}}}' \
	"$U/api/v1/scheduler")
check claimed-principal-mismatch-403 [ "$code" = 403 ]
# fw1 itself can (the CLI kills its task by failing over to the framework)
TID=$($D --credential "$WORK/fw1.cred" -j task list | jq -r '.[0].task_id.value')
$D --credential "$WORK/fw1.cred" task kill "$TID" >/dev/null 2>&1
check owner-can-kill [ $? -eq 0 ]

# ---- the agent's own API with --api-credentials (the master's credentials format)
stop_pid "$AGENT_PID"
AP=$(free_port)
"$BIN/drover-agent" --master "$MASTER" --listen 127.0.0.1:$AP \
	--work-dir "$WORK/agent-a.log" --cgroup-root "$CGROOT" --enforce best-effort \
	--bpf off --resources 'cpus:2;mem:1024' --credential "$WORK/agent.cred" \
	--tls-ca "$WORK/ca.crt" --api-credentials "$WORK/creds.json" >>"$WORK/a.log" 2>&1 &
AGENT_PID=$!
WAIT_S=10 wait_for curl -sf -o /dev/null "http://127.0.0.1:$AP/health"
check agent-api-health-open [ "$(status_of "http://127.0.0.1:$AP/health")" = 200 ]
check agent-api-metrics-401 [ "$(status_of "http://127.0.0.1:$AP/metrics")" = 401 ]
check agent-api-call-401 [ "$(status_of -X POST -H 'Content-Type: application/json' \
	-d '{"type":"GET_CONTAINERS"}' "http://127.0.0.1:$AP/api/v1")" = 401 ]
check agent-api-bad-secret-401 [ "$(status_of -u ops:nope "http://127.0.0.1:$AP/metrics")" = 401 ]
check agent-api-basic-200 [ "$(status_of -u ops:ops-secret "http://127.0.0.1:$AP/metrics")" = 200 ]
check agent-api-token-200 [ "$(status_of -H 'Authorization: Bearer ops-token-123' -X POST \
	-H 'Content-Type: application/json' -d '{"type":"GET_CONTAINERS"}' "http://127.0.0.1:$AP/api/v1")" = 200 ]
check agent-api-cli-credential "$BIN/drover" --agent 127.0.0.1:$AP --credential "$WORK/fw1.cred" metrics
check agent-api-cli-no-credential sh -c "! '$BIN/drover' --agent 127.0.0.1:$AP metrics >/dev/null 2>&1"
finish
