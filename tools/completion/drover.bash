# SPDX-License-Identifier: Apache-2.0
# bash completion for drover(8), drover-master(8) and drover-agent(8).
# The object and command lists below are checked against `drover --list-commands` by
# tests/integration/test_cli_docs.sh: keep them in step with the cmds[] tables.

declare -gA _drover_cmds=(
	[agent]="list show drain deactivate reactivate gone"
	[framework]="list show"
	[role]="list weight quota"
	[offer]="list"
	[task]="list show kill run logs"
	[alloc]="simulate"
	[cgroup]="tree show top"
	[prog]="list"
	[map]="list dump"
	[metrics]="show"
	[version]=""
)

# Options of each "object command" (what follows the command).
declare -gA _drover_cmd_opts=(
	[agent drain]="--grace --no-kill"
	[task list]="--state --framework --all"
	[task kill]="--grace --force"
	[task run]="--name --role --cpus --mem --ports --limit-cpus --limit-mem --user --env --count --grace --detach --verbose -v --health-cmd --health-http --health-tcp --health-interval --health-timeout --health-delay --health-grace --health-retries --"
	[task logs]="-f --follow --stderr --tail --framework"
	[cgroup top]="-b -n -d -s"
	[prog list]="--all --stats"
	[map list]="--all"
	[metrics show]="agent master"
)

_drover_global_opts="-j --json -p --pretty --master --agent --cgroup-root --bpf-dir --tls-ca --credential -V --version -h --help"

# The one keyword of "$2" (a list) that "$1" is a unique prefix of, as drover matches them.
_drover_match() {
	local w m="" n=0
	for w in $2; do
		[[ $w == "$1" ]] && { echo "$w"; return; }
		[[ $w == "$1"* ]] && { m=$w; n=$((n + 1)); }
	done
	[[ $n -eq 1 ]] && echo "$m"
}

# IDs from the master for show/kill/drain arguments (quietly nothing when it is down).
_drover_ids() {
	local d=(drover "${_drover_conn[@]}" -j)
	command -v jq >/dev/null || return
	case $1 in
	agent) "${d[@]}" agent list 2>/dev/null | jq -r '.[].agent_info.id.value' 2>/dev/null ;;
	framework) "${d[@]}" framework list 2>/dev/null | jq -r '.[].framework_info.id.value' 2>/dev/null ;;
	task) "${d[@]}" task list 2>/dev/null | jq -r '.[].task_id.value' 2>/dev/null ;;
	map) "${d[@]}" map list 2>/dev/null | jq -r '.[].pinned // empty' 2>/dev/null | sed 's|.*/||' ;;
	esac
}

_drover() {
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	local i obj="" cmd="" objword=0 _drover_conn=()
	case $prev in
	--master | --agent | --cgroup-root | --bpf-dir) return ;;
	--tls-ca | --credential) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	esac
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--master | --agent | --cgroup-root | --bpf-dir | --tls-ca | --credential)
			_drover_conn+=("${words[i]}" "${words[i+1]}")
			i=$((i + 1))
			continue ;;
		-*) continue ;;
		esac
		if [[ -z $obj ]]; then
			obj=$(_drover_match "${words[i]}" "${!_drover_cmds[*]}")
			objword=$i
		elif [[ -z $cmd ]]; then
			cmd=$(_drover_match "${words[i]}" "${_drover_cmds[$obj]} help")
			break
		fi
	done
	if [[ -z $objword || $objword -eq 0 ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$_drover_global_opts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "${!_drover_cmds[*]} help" -- "$cur"))
		fi
		return
	fi
	[[ -n $obj ]] || return
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "${_drover_cmds[$obj]} help" -- "$cur"))
		return
	fi
	case "$obj $cmd" in
	"task run")
		local w
		for w in "${words[@]:1:cword-1}"; do
			[[ $w == -- ]] && { COMPREPLY=($(compgen -c -- "$cur")); return; }
		done ;;
	"alloc simulate")
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	"cgroup top")
		[[ $prev == -s ]] && { COMPREPLY=($(compgen -W "cpu mem runq" -- "$cur")); return; } ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "${_drover_cmd_opts["$obj $cmd"]} -j -p" -- "$cur"))
		return
	fi
	case "$obj $cmd" in
	"agent show" | "agent drain" | "agent deactivate" | "agent reactivate" | "agent gone")
		COMPREPLY=($(compgen -W "$(_drover_ids agent)" -- "$cur")) ;;
	"framework show")
		COMPREPLY=($(compgen -W "$(_drover_ids framework)" -- "$cur")) ;;
	"task show" | "task kill" | "task logs" | "cgroup show")
		COMPREPLY=($(compgen -W "$(_drover_ids task)" -- "$cur")) ;;
	"map dump")
		COMPREPLY=($(compgen -W "$(_drover_ids map) id" -- "$cur")) ;;
	*)
		COMPREPLY=($(compgen -W "${_drover_cmd_opts["$obj $cmd"]}" -- "$cur")) ;;
	esac
}
complete -F _drover drover

_drover_daemon() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	--enforce) COMPREPLY=($(compgen -W "strict best-effort" -- "$cur")); return ;;
	--recover) COMPREPLY=($(compgen -W "reconnect cleanup" -- "$cur")); return ;;
	--bpf) COMPREPLY=($(compgen -W "auto off" -- "$cur")); return ;;
	--bpf-oom) COMPREPLY=($(compgen -W "auto kprobe tracepoint" -- "$cur")); return ;;
	--log-level) COMPREPLY=($(compgen -W "error warn info debug" -- "$cur")); return ;;
	--work-dir | --bpf-pin-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--roles | --credentials | --credential | --acls | --tls-cert | --tls-key | --tls-ca)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	esac
	# the options come from the daemon's own --help
	COMPREPLY=($(compgen -W "$("$1" --help 2>&1 | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+')" -- "$cur"))
}
complete -F _drover_daemon drover-master drover-agent
