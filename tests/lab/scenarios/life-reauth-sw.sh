# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-description: reauthentication asked for by the gateway (AUTH_LIFETIME, RFC 4478) against charon: reauth_time=60s (rekey_time=0) with a virtual address pool, nmcli -> NetworkManager -> our service (XFRM); our engine sets up a new IKE SA and its Child SA before the lifetime ends and only then deletes the old one, twice while a ping runs; charon shows new IKE SPIs each time and one IKE SA at the end, our kernel holds only the current SAs, the virtual address stays, NetworkManager stays activated, at most 2 pings lost per reauthentication

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-reauth-sw-0123456789"
REAUTHS=2
PINGS=230 # 0.5 s apart: 115 s, two reauthentications 44-50 s apart, a third not before 132 s
MAX_LOST_PER_REAUTH=2
DONE_LINE="authenticated again as the gateway asked"

# The IKE SAs of connection rw in a `swanctl --list-sas` output: "#N SPI_i SPI_r" per line.
_ike_sas() {
	sed -n 's/^rw: #\([0-9]*\), ESTABLISHED, IKEv2, \([0-9a-f]*\)_i\*\{0,1\} \([0-9a-f]*\)_r\*\{0,1\}.*/\1 \2 \3/p' "$1"
}

_reauths_seen() {
	grep -c "$DONE_LINE" "$(lab_nm_dir)/nm.out" 2>/dev/null || true
}

# From charon's log (times of day in seconds): "established N T" when IKE SA rw[N] came up and
# "deleted N T" when charon started deleting it, one per line.
_charon_ike_times() {
	sed -n 's/^\([0-9]*\):\([0-9]*\):\([0-9]*\) .*IKE_SA rw\[\([0-9]*\)\] established.*/established \4 \1 \2 \3/p
		s/^\([0-9]*\):\([0-9]*\):\([0-9]*\) .*deleting IKE_SA rw\[\([0-9]*\)\].*/deleted \4 \1 \2 \3/p' \
		"$(lab_charon_dir gw)/charon.log" | awk '{ print $1, $2, ($3 * 3600 + $4 * 60 + $5) }'
}

# The newest IKE SA of connection rw in a `swanctl --list-sas` output: "#N SPI_i SPI_r".
_newest_ike_sa() {
	_ike_sas "$1" | sort -n | tail -n1
}

# charon shows exactly one IKE SA of rw (the old one's Delete may take a moment).
_one_ike_sa() {
	lab_charon_sas gw >"$LAB_OUT/gw-sas-end.txt" 2>&1
	_ike_sas "$LAB_OUT/gw-sas-end.txt" >"$LAB_OUT/gw-ike-end.txt"
	[ "$(wc -l <"$LAB_OUT/gw-ike-end.txt")" = 1 ]
}

scenario_run() {
	lab_topo --left-unconfigured --rhost
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" ike.pools=p4 \
		esp_proposals=aes128gcm16 reauth_time=60s rekey_time=0 child.rekey_time=0
	lab_swanctl_raw gw pools "  p4 {
    addrs = $LAB_POOL
  }"
	lab_charon_start gw right
	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, esp=aes_gcm128, pskvalue-flags=0" \
		"pskvalue=$PSK"
	# NetworkManager gives a VPN service a few seconds to appear on the bus; read its binary
	# once (over 9p, under emulation) so that a busy host does not spend them loading it.
	cat "$(lab_nm_ike_service)" >/dev/null
	lab_nm_vpn_up ikevpn
	local vip
	vip=$(lab_nmcli -g IP4.ADDRESS connection show ikevpn | cut -d/ -f1)
	[ -n "$vip" ] || lab_fail "no virtual address after nmcli connection up"
	lab_charon_sas gw >"$LAB_OUT/gw-sas-0.txt"
	_ike_sas "$LAB_OUT/gw-sas-0.txt" >"$LAB_OUT/gw-ike-0.txt"
	[ "$(wc -l <"$LAB_OUT/gw-ike-0.txt")" = 1 ] || lab_fail "charon does not show one IKE SA at the start (see gw-sas-0.txt)"
	lab_ip left xfrm policy >"$LAB_OUT/xfrm-policy-before.txt" 2>&1 || true

	lab_log "ping through the tunnel while charon's authentication lifetime runs out $REAUTHS times"
	lab_nsx left ping -c "$PINGS" -i 0.5 -W 2 "$LAB_RHOST_IP" >"$LAB_OUT/ping.txt" 2>&1 &
	local ping=$! n=0 seen state t_up=$SECONDS
	local -a at=()
	while kill -0 "$ping" 2>/dev/null; do
		state=$(lab_nm_con_state ikevpn || true)
		[ "$state" = activated ] || lab_fail "NetworkManager left 'activated' ($state) during the reauthentications"
		seen=$(_reauths_seen)
		while [ "$n" -lt "${seen:-0}" ] && [ "$n" -lt "$REAUTHS" ]; do
			n=$((n + 1))
			at+=("$SECONDS")
			lab_log "reauthentication $n seen $((SECONDS - t_up)) s after the connection came up"
			lab_charon_sas gw >"$LAB_OUT/gw-sas-$n.txt"
			_newest_ike_sa "$LAB_OUT/gw-sas-$n.txt" >"$LAB_OUT/gw-ike-$n.txt"
		done
		sleep 1
	done
	wait "$ping" || true
	[ "$n" -ge "$REAUTHS" ] || lab_fail "only $n of $REAUTHS reauthentications in $((SECONDS - t_up)) s (see NetworkManager's log)"

	# charon: a new IKE SA (new SPIs) each time, one IKE SA at the end.
	lab_retry "$(lab_scale 5)" _one_ike_sa ||
		lab_fail "charon shows $(wc -l <"$LAB_OUT/gw-ike-end.txt") IKE SAs at the end, expected 1 (see gw-sas-end.txt)"
	local spis i
	spis=$(for i in $(seq 0 "$n"); do cut -d' ' -f2,3 "$LAB_OUT/gw-ike-$i.txt"; done | sort -u | grep -c .)
	[ "$spis" = $((n + 1)) ] ||
		lab_fail "charon's IKE SA did not get new SPIs at each reauthentication (see gw-sas-*.txt)"
	lab_log "charon's IKE SAs: $(for i in $(seq 0 "$n"); do tr '\n' ' ' <"$LAB_OUT/gw-ike-$i.txt"; echo -n '; '; done)end: $(cat "$LAB_OUT/gw-ike-end.txt")"
	lab_check "charon's CHILD_SA is not INSTALLED after the reauthentications" lab_charon_child_installed gw c

	# Our kernel: only the current SAs (the Child SA of the last reauthentication), the
	# policies untouched.
	lab_ip left xfrm state >"$LAB_OUT/xfrm-state-end.txt" 2>&1 || true
	lab_ip left xfrm policy >"$LAB_OUT/xfrm-policy-end.txt" 2>&1 || true
	local states last_in
	states=$(grep -cE 'reqid 1313(6[6-9]|7[0-3])[0-9]{4}' "$LAB_OUT/xfrm-state-end.txt" || true)
	[ "$states" = 2 ] || lab_fail "our kernel holds $states SAs, expected the current 2 (see xfrm-state-end.txt)"
	last_in=$(grep -o 'IPsec SA rekeyed: SPIs [0-9a-f]*' "$(lab_nm_dir)/nm.out" | tail -n1 | awk '{print $NF}')
	[ -n "$last_in" ] || lab_fail "our service did not report the new Child SAs"
	grep -q "spi 0x$last_in " "$LAB_OUT/xfrm-state-end.txt" ||
		lab_fail "the newest Child SA 0x$last_in is not in our kernel (see xfrm-state-end.txt)"
	diff <(grep -E '^(src|dst)' "$LAB_OUT/xfrm-policy-before.txt" | sort) \
		<(grep -E '^(src|dst)' "$LAB_OUT/xfrm-policy-end.txt" | sort) >/dev/null ||
		lab_fail "the policies changed during the reauthentications (see xfrm-policy-*.txt)"

	# The virtual address stayed; NetworkManager still activated.
	local vip2
	vip2=$(lab_nmcli -g IP4.ADDRESS connection show ikevpn | cut -d/ -f1)
	[ "$vip2" = "$vip" ] || lab_fail "the virtual address changed from $vip to $vip2"
	lab_assert_nm_state ikevpn activated

	# The figures: pings lost per reauthentication, seconds between reauthentications.
	local received lost gap
	received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_OUT/ping.txt")
	lost=$((PINGS - ${received:-0}))
	# charon's clock: when each IKE SA came up, and that the one before it was deleted only
	# after that (make-before-break).
	_charon_ike_times >"$LAB_OUT/gw-ike-times.txt"
	local k up_k up_next del_k
	for k in $(seq 1 "$n"); do
		up_k=$(awk -v k="$k" '$1 == "established" && $2 == k { print $3; exit }' "$LAB_OUT/gw-ike-times.txt")
		up_next=$(awk -v k="$((k + 1))" '$1 == "established" && $2 == k { print $3; exit }' "$LAB_OUT/gw-ike-times.txt")
		del_k=$(awk -v k="$k" '$1 == "deleted" && $2 == k { print $3; exit }' "$LAB_OUT/gw-ike-times.txt")
		[ -n "$up_k" ] && [ -n "$up_next" ] && [ -n "$del_k" ] ||
			lab_fail "charon's log does not show IKE SA #$k, #$((k + 1)) and the deletion of #$k (see gw-ike-times.txt)"
		[ "$del_k" -ge "$up_next" ] || lab_fail "charon deleted IKE SA #$k before #$((k + 1)) was up"
		lab_log "IKE SA #$((k + 1)) up $((up_next - up_k)) s after #$k (charon's clock), #$k deleted $((del_k - up_next)) s later"
	done
	gap=$(awk '$1 == "established" && $2 == 2 { a = $3 } $1 == "established" && $2 == 3 { b = $3 } END { if (a && b) print b - a }' "$LAB_OUT/gw-ike-times.txt")
	[ -n "$gap" ] || gap="$((at[1] - at[0])) (as polled)"
	lab_log "measured: $lost of $PINGS pings lost across $n reauthentications ($((lost / n)) per reauthentication, at most $MAX_LOST_PER_REAUTH allowed); $gap s between reauthentications 1 and 2; virtual address $vip kept"
	echo "reauths=$n lost=$lost pings=$PINGS seconds_between=$gap vip=$vip" >"$LAB_OUT/figures.txt"
	[ "$lost" -le $((MAX_LOST_PER_REAUTH * n)) ] ||
		lab_fail "$lost pings lost across $n reauthentications (at most $((MAX_LOST_PER_REAUTH * n)); see ping.txt)"

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
