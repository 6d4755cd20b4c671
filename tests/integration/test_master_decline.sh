# SPDX-License-Identifier: Apache-2.0
# DECLINE as frameworks use it at scale: one call names offers of several agents, and offers
# that went away meanwhile (rescinded, expired, used) are skipped rather than failing the
# call, so the others do not stay outstanding (Mesos does the same). An offer named twice, or
# another framework's offer, is still a 400 that changes nothing.
. "$(dirname "$0")/lib.sh"
master_begin
fake_agent a1 "$(res_json 2 1024)" || { fail setup-agent1; exit 1; }
fake_agent a2 "$(res_json 2 1024)" || { fail setup-agent2; exit 1; }
fw_subscribe f1 '{"name":"f1"}' || { fail setup-fw1; exit 1; }
F1=$FW_ID H1="Mesos-Stream-Id: $FW_SID" OUT1=$FW_OUT
# f1, alone, is offered both agents (f2 subscribes after, for the other-framework case)
both_offered() {
	[ "$(recordio_json "$OUT1" | jq -r 'select(.type == "OFFERS") | .offers.offers[].agent_id.value' |
		sort -u | wc -l)" -ge 2 ]
}
wait_for both_offered || { fail setup-offers "f1 was not offered both agents"; exit 1; }
fw_subscribe f2 '{"name":"f2"}' || { fail setup-fw2; exit 1; }
F2=$FW_ID H2="Mesos-Stream-Id: $FW_SID"

offers_of() { recordio_json "$OUT1" | jq -r 'select(.type == "OFFERS") | .offers.offers[] | .id.value'; }
O1=$(offers_of | sed -n 1p) O2=$(offers_of | sed -n 2p)
ids() { printf '{"value":"%s"},' "$@" | sed 's/,$//'; }
decline() { # decline FW_ID HEADER OFFER...
	_f=$1 _h=$2
	shift 2
	api_post /api/v1/scheduler "{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"$_f\"},\"decline\":{\"offer_ids\":[$(ids "$@")],\"filters\":{\"refuse_seconds\":3600}}}" -H "$_h"
}
outstanding() { # f1's offers (the declined agents go to f2 next)
	op GET_STATE | jq '[.get_state.get_frameworks.frameworks[] | select(.framework_info.name == "f1") | .offers[]] | length'
}
before=$(op GET_STATE | jq -S .)

code=$(decline "$F1" "$H1" "$O1" "$O1")
check named-twice-400 [ "$code" = 400 ]
check named-twice-says-so grep -qF "appears twice" "$WORK/reply"
code=$(decline "$F2" "$H2" "$O1")
check other-frameworks-offer-400 [ "$code" = 400 ]
check bad-declines-change-nothing [ "$(op GET_STATE | jq -S .)" = "$before" ]

code=$(decline "$F1" "$H1" "$O1" 00000000-0000-4000-8000-00000000dead "$O2")
check several-agents-and-a-stale-offer-202 [ "$code" = 202 ] || cat "$WORK/reply"
check both-offers-gone [ "$(outstanding)" = 0 ]
code=$(decline "$F1" "$H1" "$O1")
check declining-again-is-harmless [ "$code" = 202 ]
finish
