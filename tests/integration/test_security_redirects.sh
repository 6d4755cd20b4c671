# SPDX-License-Identifier: Apache-2.0
# Redirects and TLS (docs/security.md, "Redirects"): a follower master
# with TLS sends clients on to https://, never http://; Drover's clients (the CLI's blocking
# calls and lib/http_client, which the agent and `drover task run` use) follow a redirect
# only to the protocol they started with, so an https:// call never goes on in clear text.
# A small Python server plays the redirecting peer; the follower part needs ZooKeeper.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
need_jq
need_openssl
command -v python3 >/dev/null || skip_all "needs python3 (the redirecting peer)"
WORK=$(mktemp -d /tmp/drover-redir.XXXXXX)
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "---- $f"; cat "$f"; }; done
	rm -rf "$WORK"
}
trap cleanup EXIT
make_ca "$WORK" ca && make_cert "$WORK" master ca || { echo "cannot make certificates"; exit 1; }

# peer PORT TARGET [tls]: answers every request with a 307 to TARGET + the path (TARGET
# empty: with 200 "{}"), over TLS when asked; each request's path is appended to
# $WORK/hits-PORT
cat >"$WORK/peer.py" <<'PY'
import http.server, ssl, sys
port, target, tls, work = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "tls", sys.argv[4]
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        with open("%s/hits-%d" % (work, port), "a") as f:
            f.write(self.path + "\n")
        if target:
            self.send_response(307)
            self.send_header("Location", target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
    do_POST = do_GET = answer
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", port), H)
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(work + "/master.crt", work + "/master.key")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
peer() {
	python3 "$WORK/peer.py" "$1" "$2" "${3:-plain}" "$WORK" >>"$WORK/peer-$1.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 50); do
		ss -Htln "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
hits() { [ -f "$WORK/hits-$1" ] && wc -l <"$WORK/hits-$1" || echo 0; }

PLAIN=$(free_port)   # the clear-text end of a downgrade
DOWN=$(free_port)    # https, redirects to http://127.0.0.1:$PLAIN
SAFE=$(free_port)    # https, redirects to the real master over https
run_master "$WORK/m.log" --tls-cert "$WORK/master.crt" --tls-key "$WORK/master.key" ||
	{ cat "$WORK/m.log"; exit 1; }
PIDS="$PIDS $MASTER_PID"
peer "$PLAIN" "" && peer "$DOWN" "http://127.0.0.1:$PLAIN" tls &&
	peer "$SAFE" "https://$MASTER" tls || { echo "the peers did not come up"; exit 1; }
D="$BIN/drover --tls-ca $WORK/ca.crt"

# ---- the CLI's blocking calls (tools/drover/api.c)
$D --master "https://127.0.0.1:$SAFE" agent list >"$WORK/safe.out" 2>&1
rc=$?
check cli-follows-https-to-https [ "$rc" = 0 ]
check cli-reached-master-through-safe [ "$(hits "$SAFE")" -ge 1 ]
$D --master "https://127.0.0.1:$DOWN" agent list >"$WORK/down.out" 2>&1
rc=$?
cat "$WORK/down.out"
check cli-https-to-http-fails [ "$rc" != 0 ]
check cli-redirect-was-offered [ "$(hits "$DOWN")" -ge 1 ]
check cli-never-sent-in-clear [ "$(hits "$PLAIN")" = 0 ]

# ---- lib/http_client (drover task run subscribes through it)
timeout 20 $D --master "https://127.0.0.1:$DOWN" task run --cpus 0.1 --mem 16 -- true \
	>"$WORK/run.out" 2>&1
rc=$?
cat "$WORK/run.out"
check client-https-to-http-fails [ "$rc" != 0 ]
check client-did-not-hang [ "$rc" != 124 ]
check client-never-sent-in-clear [ "$(hits "$PLAIN")" = 0 ]

# ---- a follower with TLS redirects to https:// (needs ZooKeeper)
if command -v java >/dev/null && [ -f /usr/share/java/zookeeper.jar ]; then
	. "$(dirname "$0")/zk_lib.sh"
	need_zookeeper
	start_zk || exit 1
	PIDS="$PIDS $ZK_PID"
	for i in 1 2; do
		start_ha_master $i --tls-cert "$WORK/master.crt" --tls-key "$WORK/master.key"
		eval "PIDS=\"\$PIDS \$MPID_$i\""
	done
	follower=
	for _ in $(seq 300); do
		for i in 1 2; do
			eval "_p=\$MPORT_$i"
			c=$(curl -s -o /dev/null -D "$WORK/h$i" -w '%{http_code}' -m 2 --cacert "$WORK/ca.crt" \
				-X POST -H 'Content-Type: application/json' -d '{"type":"GET_HEALTH"}' \
				"https://127.0.0.1:$_p/api/v1")
			[ "$c" = 307 ] && follower=$i
		done
		[ -n "$follower" ] && break
		sleep 0.1
	done
	check follower-found [ -n "$follower" ]
	loc=$(header_value "$WORK/h$follower" Location)
	echo "follower $follower: Location: $loc"
	check follower-redirects-to-https sh -c "echo '$loc' | grep -q '^https://127.0.0.1:[0-9]*/api/v1\$'"
	eval "_p=\$MPORT_$follower"
	$D --master "https://127.0.0.1:$_p" agent list >"$WORK/ha.out" 2>&1
	rc=$?
	check cli-follows-follower-to-leader [ "$rc" = 0 ]
else
	skip follower-redirects-to-https "needs java and /usr/share/java/zookeeper.jar"
fi

finish
