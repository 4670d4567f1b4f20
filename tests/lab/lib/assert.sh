# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Assertions on real effects.  Each one fails the scenario (lab_fail) with a readable reason.
#
#   lab_check DESC CMD...                    CMD must succeed, else fail with DESC
#   lab_assert_ping ROLE DST [PING-ARGS]     ping replies from DST (3 pings)
#   lab_assert_no_ping ROLE DST [PING-ARGS]  no reply at all (e.g. before the tunnel is up)
#   lab_assert_xfrm_state ROLE PATTERN...    `ip xfrm state` in ROLE contains every fixed PATTERN
#                                            (e.g. 'rfc4106(gcm(aes))', 'encap type espinudp')
#   lab_xfrm_packets ROLE                    prints the packets counted by all xfrm states of ROLE
#   lab_assert_xfrm_traffic ROLE [MIN]       at least MIN (default 1) packets went through ESP
#   lab_assert_nm_state CON STATE            NM's GENERAL.STATE of CON is STATE (e.g. activated)

lab_check() {
	local desc=$1
	shift
	"$@" >/dev/null 2>&1 || lab_fail "$desc"
}

lab_assert_ping() {
	local role=$1 dst=$2 out
	shift 2
	out="$LAB_RUN/ping-$role-$dst.out"
	if ! lab_ping "$role" "$dst" "$@" >"$out" 2>&1; then
		lab_fail "no ping reply from $dst in $role: $(grep -E 'transmitted|error|unreachable|ping:' "$out" | head -n 2 | tr '\n' ' ' || true)"
	fi
	lab_log "ping $role -> $dst: $(grep transmitted "$out")"
}

lab_assert_no_ping() {
	local role=$1 dst=$2
	shift 2
	if lab_nsx "$role" ping -n -c 1 -W 1 "$@" "$dst" >/dev/null 2>&1; then
		lab_fail "unexpected ping reply from $dst in $role"
	fi
}

lab_assert_xfrm_state() {
	local role=$1 p states
	shift
	states=$(lab_ip "$role" xfrm state 2>&1)
	for p in "$@"; do
		grep -Fq -- "$p" <<<"$states" ||
			lab_fail "no xfrm state with '$p' in $role (states: $(grep -E '^src|aead|enc |auth' <<<"$states" | tr '\n' ' ' | cut -c1-300 || true))"
	done
}

lab_xfrm_packets() {
	# the line after "lifetime current:" reads "  84(bytes), 1(packets)"
	lab_ip "$1" -s xfrm state 2>/dev/null | awk '
		cur { if (match($0, /[0-9]+\(packets\)/)) s += substr($0, RSTART, RLENGTH - 9); cur = 0 }
		/lifetime current:/ { cur = 1 }
		END { print s + 0 }'
}

lab_assert_xfrm_traffic() {
	local role=$1 min=${2:-1} n
	n=$(lab_xfrm_packets "$role")
	[ "$n" -ge "$min" ] || lab_fail "only $n packets through the xfrm states of $role (expected >= $min)"
	lab_log "xfrm states of $role counted $n packets"
}

lab_assert_nm_state() {
	local con=$1 want=$2 got
	got=$(lab_nm_con_state "$con" || true)
	[ "$got" = "$want" ] || lab_fail "NM connection $con is '${got:-not active}', expected '$want'"
}
