# SPDX-License-Identifier: Apache-2.0
# Quota at run time (UPDATE_QUOTA / GET_QUOTA, Mesos's v2 QuotaConfig): --roles gives the
# initial value; an update is checked whole (guarantee within limit, guarantees within the
# cluster unless forced), authorized by update_quotas, takes effect in the allocator at once
# (the role's offers shrink to the new limit) and is kept in the registry, where it wins over
# --roles after a restart; `drover role quota` drives it. SET_LOGGING_LEVEL's level reverts
# after its duration. The read
# calls answer Mesos's shapes. Agents and frameworks are curl: no root needed.
. "$(dirname "$0")/lib.sh"
need_jq
WORK=$(mktemp -d /tmp/drover-it.XXXXXX)
cat >"$WORK/roles.json" <<'J'
{"roles": [{"role": "eng", "quota": {"guarantee": "cpus:1", "limit": "cpus:3"}},
           {"role": "ops", "quota": {"limit": "cpus:2"}}]}
J
cat >"$WORK/acls.json" <<'J'
{"permissive": true,
 "update_quotas": [{"principals": "ANY", "roles": ["eng", "ops", "big"]},
                   {"principals": "ANY", "roles": "NONE"}]}
J
BG_PIDS=
trap master_cleanup EXIT
FLAGS="--roles $WORK/roles.json --acls $WORK/acls.json"
# shellcheck disable=SC2086
start_master $FLAGS || exit 1

quota_of() { # ROLE -> its QuotaConfig, compact ("" when none)
	op GET_QUOTA | jq -c --arg r "$1" '.get_quota.status.configs[]? | select(.role == $r)'
}
upd() { api_post /api/v1 "{\"type\":\"UPDATE_QUOTA\",\"update_quota\":$1}"; }

# ---- --roles is the initial value, and GET_QUOTA shows it
check roles-file-quota [ "$(quota_of eng)" = '{"role":"eng","guarantees":{"cpus":{"value":1}},"limits":{"cpus":{"value":3}}}' ]

fake_agent a1 "$(res_json 4 4096)" || exit 1
A1=$AG_ID

# ---- checked whole: nothing of a refused update is applied
check guarantee-above-limit-400 [ "$(upd '{"quota_configs":[{"role":"ops","limits":{"cpus":{"value":1}}},{"role":"eng","guarantees":{"cpus":{"value":3}},"limits":{"cpus":{"value":2}}}]}')" = 400 ]
check refused-names-field grep -q 'quota_configs\[1\]' "$WORK/reply"
check refused-changes-nothing [ "$(quota_of ops)" = '{"role":"ops","limits":{"cpus":{"value":2}}}' ]
check over-capacity-400 [ "$(upd '{"quota_configs":[{"role":"big","guarantees":{"cpus":{"value":100}}}]}')" = 400 ]
check over-capacity-says-force grep -q force "$WORK/reply"
check forced-200 [ "$(upd '{"force":true,"quota_configs":[{"role":"big","guarantees":{"cpus":{"value":100}}}]}')" = 200 ]
check bad-value-400 [ "$(upd '{"quota_configs":[{"role":"eng","limits":{"cpus":{"value":-1}}}]}')" = 400 ]
check star-role-400 [ "$(upd '{"quota_configs":[{"role":"*","limits":{"cpus":{"value":1}}}]}')" = 400 ]
check unauthorized-403 [ "$(upd '{"quota_configs":[{"role":"prod","limits":{"cpus":{"value":1}}}]}')" = 403 ]
check bare-config-200 [ "$(upd '{"quota_configs":{"role":"big"}}')" = 200 ]
check removed-by-empty-config [ -z "$(quota_of big)" ]

# ---- at once in the allocator: a framework of role ops is offered at most the new limit
fw_subscribe f1 '{"name":"f1","user":"nobody","role":"ops"}' || exit 1
offered_cpus() { recordio_json "$FW_OUT" | jq -s '[.[] | select(.type == "OFFERS") | .offers.offers[] | .resources[] | select(.name == "cpus") | .scalar.value] | last // 0'; }
first=$(wait_json "$FW_OUT" 'select(.type == "OFFERS") | .offers.offers[0].resources[] | select(.name == "cpus") | .scalar.value')
check first-offer-capped [ "$first" = 2 ]
check lower-limit-200 [ "$(upd '{"quota_configs":[{"role":"ops","limits":{"cpus":{"value":1}}}]}')" = 200 ]
# the outstanding offer (2 cpus) is rescinded, the next one is within the new limit
check offer-rescinded wait_json "$FW_OUT" 'select(.type == "RESCIND") | .type'
one_cpu() { [ "$(offered_cpus)" = 1 ]; }
check next-offer-within-new-limit wait_for one_cpu
check get-roles-limit [ "$(op GET_ROLES | jq '.get_roles.roles[] | select(.name == "ops") | .quota_limit[] | select(.name == "cpus") | .scalar.value')" = 1 ]

# ---- kept: after a restart the registry's quota wins over --roles
check eng-update-200 [ "$(upd '{"quota_configs":[{"role":"eng","limits":{"cpus":{"value":2}}}]}')" = 200 ]
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
# shellcheck disable=SC2086
start_master $FLAGS || exit 1
check ops-kept-after-restart [ "$(quota_of ops)" = '{"role":"ops","limits":{"cpus":{"value":1}}}' ]
check registry-wins-over-roles-file [ "$(quota_of eng)" = '{"role":"eng","limits":{"cpus":{"value":2}}}' ]

# ---- logging level: Mesos's verbosity; back to the start level after the duration
check log-level-0 [ "$(op GET_LOGGING_LEVEL | jq .get_logging_level.level)" = 0 ]
check set-level-200 [ "$(api_post /api/v1 '{"type":"SET_LOGGING_LEVEL","set_logging_level":{"level":1,"duration":{"nanoseconds":2000000000}}}')" = 200 ]
check log-level-1 [ "$(op GET_LOGGING_LEVEL | jq .get_logging_level.level)" = 1 ]
level0() { [ "$(op GET_LOGGING_LEVEL | jq .get_logging_level.level)" = 0 ]; }
check log-level-reverts wait_for level0
check set-level-no-duration-400 [ "$(api_post /api/v1 '{"type":"SET_LOGGING_LEVEL","set_logging_level":{"level":1}}')" = 400 ]

# ---- the CLI: drover role quota
D="$BIN/drover --master $MASTER"
check cli-quota-set $D role quota big limit 'cpus:3;mem:256'
check cli-quota-shown [ "$(quota_of big)" = '{"role":"big","limits":{"cpus":{"value":3},"mem":{"value":256}}}' ]
check cli-quota-listed sh -c "$D role list | grep -q 'cpus:3;mem:256'"
check cli-quota-refused [ "$($D role quota big guarantee cpus:100 >/dev/null 2>&1; echo $?)" != 0 ]
check cli-quota-removed $D role quota big
check cli-quota-gone [ -z "$(quota_of big)" ]

# ---- read calls in Mesos's shapes
check get-executors [ "$(op GET_EXECUTORS | jq -c .get_executors.executors)" = '[]' ]
check get-operations [ "$(op GET_OPERATIONS | jq -c .get_operations.operations)" = '[]' ]
check get-metrics-names [ "$(op GET_METRICS | jq '[.get_metrics.metrics[] | select(.name == "master/cpus_total" or .name == "master/elected" or .name == "master/tasks_running")] | length')" = 3 ]
check get-state-parts [ "$(op GET_STATE | jq '.get_state | [has("get_tasks"), has("get_executors"), has("get_frameworks"), has("get_agents")] | all')" = true ]
finish
