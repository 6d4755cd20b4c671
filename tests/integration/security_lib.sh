# SPDX-License-Identifier: Apache-2.0
# Helpers of the test_security_*.sh scripts (sourced after lib.sh).

# make_ca DIR NAME: a throwaway CA (DIR/NAME.crt, DIR/NAME.key), made at test time.
make_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=drover test $2" -keyout "$1/$2.key" -out "$1/$2.crt" >/dev/null 2>&1
}

# make_cert DIR NAME CA: a server certificate for 127.0.0.1/localhost signed by CA.
make_cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=$2" -keyout "$1/$2.key" -out "$1/$2.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$1/$2.ext" &&
	openssl x509 -req -in "$1/$2.csr" -CA "$1/$3.crt" -CAkey "$1/$3.key" -CAcreateserial \
		-days 2 -extfile "$1/$2.ext" -out "$1/$2.crt" >/dev/null 2>&1
}

need_openssl() { command -v openssl >/dev/null || skip_all "needs openssl (make deps)"; }

# run_master LOG ARGS...: a master on a free port; MASTER, MASTER_PID. Waits for its log line.
run_master() {
	_log=$1
	shift
	MASTER=127.0.0.1:$(free_port)
	"$BIN/drover-master" --listen "$MASTER" --work-dir "$WORK/master-$(basename "$_log")" \
		--allocation-interval 200ms "$@" >"$_log" 2>&1 &
	MASTER_PID=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$_log" 2>/dev/null && return 0
		kill -0 "$MASTER_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

stop_pid() { [ -n "${1:-}" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; return 0; }

# status_of ARGS...: curl's HTTP status (000 when there was no HTTP answer).
status_of() { curl -s -o "$WORK/reply" -w '%{http_code}' --max-time 10 "$@"; }
