# SPDX-License-Identifier: Apache-2.0
# Least privilege (docs/security.md): a task runs as its framework's dynamic uid with no
# capabilities, an empty bounding set and NO_NEW_PRIVS; root only when asked for by name
# and allowed by an ACL, and even then without capabilities; --task-user root is refused;
# the master serves as an unprivileged user.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
need_root
need_cgroup2
need_jq
id nobody >/dev/null 2>&1 || skip_all "needs the user 'nobody'"
command -v setpriv >/dev/null || skip_all "needs setpriv (util-linux)"

ACLS=$(mktemp /tmp/drover-acls.XXXXXX)
echo '{"run_tasks": [{"principals": "ANY", "users": ["root"]}]}' >"$ACLS"
start_cluster --acls "$ACLS" || exit 1
UMASTER_PID=
trap 'stop_pid "$UMASTER_PID"; rm -f "$ACLS"; stop_cluster' EXIT
D="$BIN/drover --master $MASTER"

# status_field FILE NAME: the value of NAME: in a copy of /proc/self/status
status_field() { sed -n "s/^$2:[[:space:]]*//p" "$1" | awk '{print $1}'; }

$D task run -v --name caps -- 'cat /proc/self/status' >"$WORK/caps.out" 2>&1
check default-task-runs [ $? -eq 0 ]
sb=$(sed -n 's/.* output: \(.*\)\/stdout and .*/\1/p' "$WORK/caps.out" | head -1)
st="$sb/stdout"
nobody=$(id -u nobody)
uid=$(status_field "$st" Uid)
in_dynamic_range() { [ "$1" -ge 6100000 ] 2>/dev/null && [ "$1" -le 6165535 ]; }
check default-user-dynamic in_dynamic_range "$uid"
check default-gid-dynamic [ "$(status_field "$st" Gid)" = "$uid" ]
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
	check "default-$f-empty" [ "$(status_field "$st" $f)" = 0000000000000000 ]
done
check default-no-new-privs [ "$(status_field "$st" NoNewPrivs)" = 1 ]

# root by name, allowed by the ACL above: uid 0 but no capability at all
$D task run -v --name rootcaps --user root -- 'cat /proc/self/status' >"$WORK/root.out" 2>&1
check root-task-allowed-by-acl [ $? -eq 0 ]
sb=$(sed -n 's/.* output: \(.*\)\/stdout and .*/\1/p' "$WORK/root.out" | head -1)
st="$sb/stdout"
check root-task-uid-0 [ "$(status_field "$st" Uid)" = 0 ]
check root-task-CapEff-empty [ "$(status_field "$st" CapEff)" = 0000000000000000 ]
check root-task-CapBnd-empty [ "$(status_field "$st" CapBnd)" = 0000000000000000 ]
# ... so even root cannot do what needs a capability (CAP_SYS_ADMIN: mount)
$D task run --user root -- 'mount -t tmpfs none /mnt' >/dev/null 2>&1
check root-task-cannot-mount [ $? -ne 0 ]

# --task-user root is refused at start
"$BIN/drover-agent" --master "$MASTER" --listen 127.0.0.1:$(free_port) --work-dir "$WORK/a2" \
	--cgroup-root "drover-it-priv-$$.slice" --enforce best-effort --bpf off --task-user root \
	>"$WORK/a2.log" 2>&1
check task-user-root-refused [ $? -ne 0 ]
check task-user-root-says-why grep -q "task-user.*root" "$WORK/a2.log"
check task-user-root-creates-nothing [ ! -e "$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)/drover-it-priv-$$.slice" ]

# the master as 'nobody' with no capabilities: it serves
UW=$(mktemp -d /tmp/drover-umaster.XXXXXX)
chown nobody "$UW"
UM=127.0.0.1:$(free_port)
setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups --inh-caps=-all \
	--bounding-set=-all --no-new-privs "$BIN/drover-master" --listen "$UM" \
	--work-dir "$UW/master" >"$WORK/umaster.log" 2>&1 &
UMASTER_PID=$!
WAIT_S=10 wait_for curl -sf "http://$UM/health"
check unprivileged-master-health [ $? -eq 0 ]
check unprivileged-master-uid [ "$(awk '/^Uid:/ {print $2}' /proc/$UMASTER_PID/status)" = "$nobody" ]
check unprivileged-master-no-caps [ "$(awk '/^CapEff:/ {print $2}' /proc/$UMASTER_PID/status)" = 0000000000000000 ]
curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"GET_STATE"}' "http://$UM/api/v1" >"$WORK/ustate"
check unprivileged-master-serves-state jq -e '.get_state' "$WORK/ustate"
check unprivileged-master-registry [ -s "$UW/master/registry.db" ]
stop_pid "$UMASTER_PID"
UMASTER_PID=
rm -rf "$UW"
finish
