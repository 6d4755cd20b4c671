# SPDX-License-Identifier: Apache-2.0
# The three binaries answer --help and --version, parse their flags and environment the
# same way, and refuse bad values with an error naming the option.
. "$(dirname "$0")/lib.sh"

for b in drover-master drover-agent drover; do
	check "$b-version" sh -c "'$BIN/$b' --version | grep -q '^$b [0-9]'"
	check "$b-help" sh -c "'$BIN/$b' --help 2>&1 | grep -qi 'usage'"
done

out=$("$BIN/drover-master" --allocation-interval soon 2>&1)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q -- "--allocation-interval"; then
	pass master-bad-flag
else
	fail master-bad-flag "rc=$rc out=$out"
fi

out=$(DROVER_AGENT_ENFORCE=loose "$BIN/drover-agent" 2>&1)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q 'DROVER_AGENT_ENFORCE'; then
	pass agent-bad-env
else
	fail agent-bad-env "rc=$rc out=$out"
fi

out=$("$BIN/drover" -j nosuchobject)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q '^{"error": *"unknown command'; then
	pass cli-json-error
else
	fail cli-json-error "rc=$rc out=$out"
fi
check cli-prefix sh -c "'$BIN/drover' -j ver | grep -q '\"version\"'"
finish
