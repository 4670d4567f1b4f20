# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Core of the lab library: logging, failing, waiting, the registry of everything a scenario
# creates (namespaces, processes) and the cleanup that undoes exactly that.
#
# Context variables, set by lib/exec-scenario before a scenario runs:
#   LAB_SCENARIO    scenario name
#   LAB_OUT         results directory of this scenario (logs end up here)
#   LAB_RUN         runtime directory of this scenario (sockets, pid files, configs; on local /tmp)
#   LAB_NS_PREFIX   prefix of every namespace name of this scenario (unique per run and scenario)
#   LAB_IN_VM       1 inside the virtme-ng VM, 0 on the host
#   LAB_SLOW        1 when running under software emulation (the VM): be generous with waits

: "${LAB_DIR:?LAB_DIR must be set before sourcing common.sh}"
# shellcheck source=paths.sh
source "$LAB_DIR/lib/paths.sh"

LAB_IN_VM=${LAB_IN_VM:-0}
LAB_SLOW=${LAB_SLOW:-$LAB_IN_VM}

# ---- logging and failing -------------------------------------------------------------------------

# lab_grepq ARGS...: `grep -q ARGS` for the end of a pipeline. A plain `grep -q` exits at its first
# match; a writer that still has lines to write (ip flushes after each route) then dies of SIGPIPE,
# and under the runner's pipefail the pipeline fails although it matched (nm-cert-ls failed so in
# one CI run, 2026-12-07). This grep reads its whole input.
lab_grepq() { grep "$@" >/dev/null; }

# lab_log MSG...: timestamped line on stderr (the scenario log)
lab_log() {
	printf '[%(%H:%M:%S)T %6.2fs] %s\n' -1 "$(_lab_elapsed)" "$*" >&2
}

_lab_elapsed() { # in bash alone: a log line costs no process (they add up in the emulated VM)
	local now=${EPOCHREALTIME/[.,]/} cs
	if [ -n "${_LAB_T0:-}" ]; then
		cs=$(((now - _LAB_T0) / 10000))
		printf '%d.%02d' $((cs / 100)) $((cs % 100))
	else
		echo 0
	fi
}

# lab_fail REASON...: the scenario fails with REASON (first reason wins), exits 1
lab_fail() {
	lab_log "FAIL: $*"
	if [ -n "${LAB_OUT:-}" ] && [ ! -s "$LAB_OUT/.reason" ]; then
		printf '%s\n' "$*" >"$LAB_OUT/.reason"
	fi
	exit 1
}

# lab_require CMD...: fail unless every command (name or path) is available
lab_require() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || lab_fail "required command '$c' not found (run tests/lab/install-deps)"
	done
}

# lab_scale SECONDS: prints SECONDS scaled for the environment (x4 under emulation)
lab_scale() {
	if [ "$LAB_SLOW" = 1 ]; then echo $(($1 * 4)); else echo "$1"; fi
}

# _lab_poll_pause START: the pause between two polls of a wait that began at SECONDS=START: 0.2 s
# for the first 2 s, then 0.5 s.  A poll forks a shell and a command or two, which costs about
# 0.1 s of CPU in the emulated VM; four scenarios polling every 0.2 s through a long wait
# (lifetimes, DPD) kept its CPUs busy for nothing.
_lab_poll_pause() {
	if [ $((SECONDS - $1)) -lt 2 ]; then sleep 0.2; else sleep 0.5; fi
}

# lab_wait TIMEOUT DESCRIPTION CMD...: poll CMD (every 0.2 s, after 2 s every 0.5 s) until it
# succeeds; fails the scenario with "timeout waiting for DESCRIPTION" after TIMEOUT seconds.
# TIMEOUT is used as given (use lab_scale for emulation).
lab_wait() {
	local timeout=$1 desc=$2
	shift 2
	local start=$SECONDS deadline=$((SECONDS + timeout))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			lab_fail "timeout (${timeout}s) waiting for $desc"
		fi
		_lab_poll_pause "$start"
	done
}

# lab_retry TIMEOUT CMD...: like lab_wait but returns 1 instead of failing
lab_retry() {
	local timeout=$1
	shift
	local start=$SECONDS deadline=$((SECONDS + timeout))
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		_lab_poll_pause "$start"
	done
}

# lab_timing LABEL: records the seconds since the scenario started in $LAB_OUT/timings
lab_timing() {
	local t
	t=$(_lab_elapsed)
	lab_log "timing: $1 at ${t}s"
	[ -z "${LAB_OUT:-}" ] || echo "$1 $t" >>"$LAB_OUT/timings"
}

# ---- registry of created resources ---------------------------------------------------------------
# $LAB_RUN/registry holds one line per resource: "netns NAME" or "pid PID STARTTIME DESC".  It is a
# file (not a shell variable) so that functions called in subshells register too, and so that the
# runner can clean up after a scenario that was killed without running its own cleanup.

_lab_registry() { echo "${LAB_RUN:?no scenario context (LAB_RUN unset)}/registry"; }

# _lab_starttime PID: the process start time (field 22 of /proc/PID/stat), empty if gone
_lab_starttime() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo "${20}"
}

# lab_register_pid PID [DESC]: kill PID at cleanup (only if it is still the same process)
lab_register_pid() {
	echo "pid $1 $(_lab_starttime "$1") ${2:-process}" >>"$(_lab_registry)"
}

# lab_register_netns NAME: delete namespace NAME (and kill every process in it) at cleanup
lab_register_netns() {
	echo "netns $1" >>"$(_lab_registry)"
}

# lab_on_cleanup CMD...: run CMD (e.g. a status dump into $LAB_OUT) at cleanup, before processes are
# stopped.  Hooks run in registration order; their failures are ignored.
_LAB_HOOKS=()
lab_on_cleanup() {
	_LAB_HOOKS+=("$(printf '%q ' "$@")")
}

_lab_pid_alive() { # PID STARTTIME
	[ -d "/proc/$1" ] || return 1
	[ -z "$2" ] || [ "$(_lab_starttime "$1")" = "$2" ]
}

# lab_cleanup_registry RUNDIR [GRACE]: stop every registered process and every process inside a
# registered namespace (TERM, then KILL after GRACE seconds), then delete the namespaces.
# Safe to call several times; used by the scenario's own trap and by the runner as a safety net.
lab_cleanup_registry() {
	local grace=${2:-5} reg="$1/registry"
	[ -f "$reg" ] || return 0
	local kind a b _desc pids=() starts=() nss=() i
	while read -r kind a b _desc; do
		case $kind in
		pid)
			pids+=("$a")
			starts+=("$b")
			;;
		netns) nss+=("$a") ;;
		esac
	done <"$reg"
	local ns p
	for ns in "${nss[@]}"; do
		[ -e "/run/netns/$ns" ] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			[ "$p" = "$$" ] && continue
			pids+=("$p")
			starts+=("$(_lab_starttime "$p")")
		done
	done
	local alive=()
	for i in "${!pids[@]}"; do
		if _lab_pid_alive "${pids[$i]}" "${starts[$i]}"; then
			kill -TERM "${pids[$i]}" 2>/dev/null || true
			alive+=("$i")
		fi
	done
	local deadline=$((SECONDS + grace)) left
	while [ "${#alive[@]}" -gt 0 ]; do
		left=()
		for i in "${alive[@]}"; do
			_lab_pid_alive "${pids[$i]}" "${starts[$i]}" && left+=("$i")
		done
		alive=("${left[@]+"${left[@]}"}")
		[ "${#alive[@]}" -gt 0 ] || break
		if [ "$SECONDS" -ge "$deadline" ]; then
			for i in "${alive[@]}"; do
				echo "cleanup: pid ${pids[$i]} ($(cat "/proc/${pids[$i]}/comm" 2>/dev/null)) ignored TERM for ${grace}s, killing" >&2
				kill -KILL "${pids[$i]}" 2>/dev/null || true
			done
			sleep 0.2
			break
		fi
		sleep 0.1
	done
	# processes that appeared meanwhile inside our namespaces (e.g. plugins spawned late)
	for ns in "${nss[@]}"; do
		[ -e "/run/netns/$ns" ] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			[ "$p" = "$$" ] || kill -KILL "$p" 2>/dev/null || true
		done
	done
	for ns in "${nss[@]}"; do
		[ -e "/run/netns/$ns" ] || continue
		ip netns del "$ns" 2>/dev/null || { sleep 0.5 && ip netns del "$ns" 2>/dev/null; } || true
	done
}

# lab_collect_logs: copy the regular files of $LAB_RUN (daemon logs, generated configs) to $LAB_OUT.
# Sockets and big files stay behind.  Runs automatically at cleanup.
lab_collect_logs() {
	[ -n "${LAB_RUN:-}" ] && [ -d "$LAB_RUN" ] && [ -n "${LAB_OUT:-}" ] || return 0
	# one find + one tar pair: spawning a cp per file is slow under emulation
	(cd "$LAB_RUN" && find . -type f -size -20M ! -name '*.db' ! -name 'pkcs11.txt' -print0 |
		tar --null -T - -cf - | tar -xf - -C "$LAB_OUT") 2>/dev/null || true
}

# Runs once, from the scenario's EXIT trap.
_lab_cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP ERR
	set +eu
	[ "$rc" = 0 ] || lab_log "scenario exiting with status $rc, cleaning up"
	local h
	for h in "${_LAB_HOOKS[@]+"${_LAB_HOOKS[@]}"}"; do
		eval "$h" >/dev/null 2>&1 </dev/null || true
	done
	lab_log "cleanup: status dumps done"
	lab_cleanup_registry "$LAB_RUN" "$(lab_scale 3)"
	lab_log "cleanup: processes and namespaces gone"
	lab_collect_logs
	[ "${LAB_KEEP:-0}" = 1 ] || rm -rf "$LAB_RUN"
	lab_log "cleanup done"
	exit "$rc"
}

_lab_on_signal() {
	lab_fail "interrupted by SIG$1"
}

_lab_on_error() {
	local rc=$1 cmd=$2 where=$3
	if [ -n "${LAB_OUT:-}" ] && [ ! -s "$LAB_OUT/.reason" ]; then
		printf 'command failed (exit %s) at %s: %s\n' "$rc" "$where" "$cmd" >"$LAB_OUT/.reason"
	fi
}

# lab_scenario_begin: installs traps (EXIT/INT/TERM/HUP -> cleanup, ERR -> failure reason).
# Called by lib/exec-scenario; scenarios never call it themselves.
lab_scenario_begin() {
	: "${LAB_RUN:?}" "${LAB_OUT:?}" "${LAB_NS_PREFIX:?}"
	_LAB_T0=${EPOCHREALTIME/[.,]/}
	mkdir -p "$LAB_RUN" "$LAB_OUT"
	: >>"$LAB_RUN/registry"
	trap _lab_cleanup EXIT
	trap '_lab_on_signal INT' INT
	trap '_lab_on_signal TERM' TERM
	trap '_lab_on_signal HUP' HUP
	set -E
	trap '_lab_on_error $? "$BASH_COMMAND" "${BASH_SOURCE[0]##*/}:$LINENO"' ERR
}

# ---- daemons ---------------------------------------------------------------------------------------

# lab_dir NAME: creates and prints $LAB_RUN/NAME (a daemon's private directory)
lab_dir() {
	mkdir -p "$LAB_RUN/$1"
	echo "$LAB_RUN/$1"
}

# lab_daemon [options] NAME NSROLE CMD [ARGS...]
#   Starts CMD in the background inside namespace role NSROLE (see lab_ns) with its own mount
#   namespace (ip netns exec), stdout+stderr to $LAB_RUN/NAME/NAME.out, registers its PID and
#   writes it to $LAB_RUN/NAME/pid.  The PID is that of CMD itself (exec chain).
#   Options:
#     --tmpfs-run        mount a private tmpfs on /run first (hard-coded pid files, e.g. charon)
#     --setup CODE       shell code run (sh -c) in the new mount namespace before exec CMD
#     --env VAR=VALUE    environment for CMD (repeatable)
#   Must not be called in a subshell/command substitution (the job must belong to the scenario).
lab_daemon() {
	local setup="" envs=()
	while [ $# -gt 0 ]; do
		case $1 in
		--tmpfs-run)
			setup+="mount -t tmpfs -o mode=755 tmpfs /run && "
			shift
			;;
		--setup)
			setup+="$2 && "
			shift 2
			;;
		--env)
			envs+=("$2")
			shift 2
			;;
		*) break ;;
		esac
	done
	local name=$1 role=$2
	shift 2
	local dir ns
	dir=$(lab_dir "$name")
	ns=$(lab_ns "$role")
	# setsid -> ip netns exec -> sh (setup) -> exec env -> exec CMD: one PID all along.
	# Own session: a signal to the scenario's process group (timeout, Ctrl-C) does not reach the
	# daemons, so the cleanup can still dump their state before stopping them.
	setsid ip netns exec "$ns" sh -c "${setup}exec env \"\$@\"" sh "${envs[@]+"${envs[@]}"}" "$@" \
		>"$dir/$name.out" 2>&1 </dev/null &
	local pid=$!
	echo "$pid" >"$dir/pid"
	lab_register_pid "$pid" "$name"
	lab_log "started $name (pid $pid) in $ns: $*"
}

# lab_daemon_pid NAME: prints the PID of a daemon started with lab_daemon
lab_daemon_pid() { cat "$LAB_RUN/$1/pid"; }

# lab_daemon_alive NAME: true while the daemon runs
lab_daemon_alive() {
	local pid
	pid=$(lab_daemon_pid "$1" 2>/dev/null) || return 1
	kill -0 "$pid" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# lab_daemon_stop NAME [GRACE]: TERM the daemon, KILL after GRACE seconds
lab_daemon_stop() {
	local pid grace=${2:-5}
	pid=$(lab_daemon_pid "$1") || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	lab_retry "$grace" eval "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# lab_wait_file TIMEOUT PATH [DAEMON]: wait for PATH to exist (a socket, a pid file...); fails early
# when DAEMON (a lab_daemon NAME) died meanwhile.
lab_wait_file() {
	local timeout=$1 path=$2 daemon=${3:-}
	local start=$SECONDS deadline=$((SECONDS + timeout))
	while [ ! -e "$path" ]; do
		if [ -n "$daemon" ] && ! lab_daemon_alive "$daemon"; then
			lab_fail "$daemon died during startup (see $daemon/$daemon.out): $(tail -n 3 "$LAB_RUN/$daemon/$daemon.out" 2>/dev/null | tr '\n' ' ')"
		fi
		[ "$SECONDS" -lt "$deadline" ] || lab_fail "timeout (${timeout}s) waiting for $path"
		_lab_poll_pause "$start"
	done
}
