# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-description: simultaneous IKE SA rekeys against charon (RFC 7296 §2.8.2): our IKE datagrams leave 5 s late (netem, ESP not delayed), our rekey at ~90 % of ikelifetime=80s is caught leaving (NFLOG) and charon is told to rekey at once (vici), so both CREATE_CHILD_SA requests cross; both logs name the collision and agree who won, one IKE SA is left on each side with the same SPIs, the Child SA is kept and a 0.2-s ping through it loses nothing

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-rekey-collision-sw-0123456789"
# How long our IKE datagrams are held: charon's request must leave before ours arrives (the
# scenario reacts within 1.5-3.5 s under emulation), and our rekey must be answered before our
# IKE SA's lifetime ends (rekey at 85-90 % of ikelifetime=80s: 8 s left at least).
DELAY_MS=5000
PINGS=400

# charon's IKE SAs of the connection rw, one line each ("rw: #N, ESTABLISHED, ...")
gw_ike_lines() {
	lab_charon_sas gw 2>/dev/null | grep -E '^rw: #[0-9]+,' || true
}

# true once charon holds exactly one IKE SA, established, with our SPIs ($1_i $2_r)
gw_single_ike_sa() {
	local lines
	lines=$(gw_ike_lines)
	[ "$(printf '%s\n' "$lines" | grep -c .)" = 1 ] &&
		printf '%s\n' "$lines" | lab_grepq "ESTABLISHED, IKEv2, ${1}_i\*\? ${2}_r"
}

ping_done() {
	! lab_daemon_alive ping
}

trigger_done() {
	! lab_daemon_alive trigger
}

scenario_run() {
	lab_require tc nft tcpdump python3
	lab_topo_client_gw
	# The first AES-GCM SA after the VM booted instantiates and self-tests the kernel's
	# rfc4106(gcm(aes)), 6-25 s under emulation, which can outlast the handshake's
	# retransmissions: pay for it here, where no timer runs.
	lab_nsx left sh -c "ip xfrm state add src $LAB_LEFT_IP dst $LAB_RIGHT_IP proto esp spi 0x0badc0de \
		mode tunnel aead 'rfc4106(gcm(aes))' 0x$(printf '%040d' 0) 128 &&
		ip xfrm state del src $LAB_LEFT_IP dst $LAB_RIGHT_IP proto esp spi 0x0badc0de" ||
		lab_fail "cannot add an AES-GCM SA in the kernel"
	lab_timing "kernel AES-GCM ready"
	lab_ike_rekey_sw_tunnel "$PSK" 80s
	lab_timing "tunnel up"
	local first
	first=$(lab_ike_event client CHILD_SA_UP | sed -n 's/.*spi_in=\([0-9a-f]*\).*/\1/p')
	# From now on our IKE datagrams (UDP) wait DELAY_MS on left's wan0; ESP does not. The
	# first one is our IKE SA rekey request (no DPD, no NAT keepalives here): the output hook
	# sees it before the delay and hands a copy to NFLOG group 14.
	lab_delay_udp left wan0 "${DELAY_MS}ms"
	lab_nsx left nft -f - <<-EOF || lab_fail "nft NFLOG rule failed"
		table inet lab_coll {
			chain out {
				type filter hook output priority 0; policy accept;
				oifname "wan0" udp dport 500 log group 14
			}
		}
	EOF
	lab_daemon ping left ping -n -c "$PINGS" -i 0.2 -W 2 "$LAB_RHOST_IP"
	# Our rekey is due 68-72 s after the tunnel came up (90 % of 80 s minus up to 5 % jitter).
	# vici-when, connected to charon beforehand, asks it to rekey the moment tcpdump prints
	# the packet (with its timestamp): within milliseconds, where starting swanctl takes seconds.
	lab_daemon trigger left "$LAB_DIR/lib/vici-when" "$(lab_charon_dir gw)/charon.vici" rekey ike=rw -- \
		tcpdump -i nflog:14 --immediate-mode -l -c 1 -n -q -tt
	lab_wait 130 "our IKE SA rekey request (vici-when)" trigger_done
	local out pkt sent react
	out="$LAB_RUN/trigger/trigger.out"
	grep -q '^answer .* success=yes' "$out" || lab_fail "charon did not start a rekey: $(tr '\n' ' ' <"$out")"
	lab_timing "charon told to rekey"
	pkt=$(sed -n 's/^line [0-9.]* \([0-9.]*\) .*/\1/p' "$out")
	sent=$(sed -n 's/^sent \([0-9.]*\)$/\1/p' "$out")
	react=$(awk "BEGIN { printf \"%.3f\", $sent - $pkt }")
	lab_log "charon told to rekey ${react} s after our request left (which reaches charon after ${DELAY_MS} ms)"
	lab_ike_wait client IKE_SA_REKEYED 30
	lab_timing "our IKE SA rekeyed"
	local line spi_i spi_r ours
	line=$(lab_ike_event client IKE_SA_REKEYED)
	lab_log "ours: $line"
	spi_i=$(echo "$line" | sed -n 's/.* spi_i=\([0-9a-f]*\).*/\1/p')
	spi_r=$(echo "$line" | sed -n 's/.* spi_r=\([0-9a-f]*\).*/\1/p')
	ours=$(echo "$line" | sed -n 's/.* initiator=\([a-z]*\).*/\1/p')
	echo "$line" | lab_grepq ' collision=true$' ||
		lab_fail "our IKE SA was rekeyed without a collision (charon told ${react} s after our request left): $line"
	local log
	log="$(lab_charon_dir gw)/charon.log"
	lab_wait "$(lab_scale 10)" "charon's log line 'IKE_SA rekey collision won|lost'" \
		grep -Eq 'IKE_SA rekey collision (won|lost)' "$log"
	grep -q 'detected IKE_REKEY collision with IKE_REKEY' "$log" ||
		lab_fail "charon did not detect the collision (no 'detected IKE_REKEY collision with IKE_REKEY' in charon.log)"
	local verdict
	verdict=$(grep -Eo 'IKE_SA rekey collision (won|lost)' "$log" | tail -n 1)
	lab_log "charon: $(grep -E 'detected IKE_REKEY collision|IKE_SA rekey collision' "$log" | sed 's/^.*\] //' | tr '\n' '|')"
	# The nonces decide for both: charon won exactly when the IKE SA we kept is not ours.
	case "$ours,$verdict" in
	true,*lost | false,*won) lab_log "both agree: the surviving IKE SA was made by $([ "$ours" = true ] && echo us || echo charon)" ;;
	*) lab_fail "the sides disagree: our surviving IKE SA initiator=$ours, charon says '$verdict'" ;;
	esac
	# The old and the redundant IKE SA go by Delete exchanges (charon's own fallback for a
	# redundant IKE SA is 30 s, for an old one 90 s): one IKE SA, our SPIs.
	lab_wait "$(lab_scale 5)" "one IKE SA at charon with our SPIs ${spi_i}_i ${spi_r}_r" \
		gw_single_ike_sa "$spi_i" "$spi_r"
	lab_timing "one IKE SA left"
	gw_ike_lines >"$LAB_OUT/gw-ike-after.txt"
	lab_log "charon's IKE SA: $(cat "$LAB_OUT/gw-ike-after.txt")"
	lab_wait "$(lab_scale 30)" "the ping to end" ping_done
	local received
	received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_RUN/ping/ping.out")
	lab_log "ping every 0.2 s across the colliding rekeys: ${received:-0}/$PINGS answered"
	[ "${received:-0}" = "$PINGS" ] ||
		lab_fail "only ${received:-0}/$PINGS pings answered across the colliding IKE SA rekeys (see ping/ping.out)"
	if grep -Eq "^(CHILD_SA_DOWN|FAILED|EXCHANGE_FAILED|IKE_SA_DOWN)" "$LAB_RUN/client/client.out"; then
		lab_fail "our side reported: $(grep -E "^(CHILD_SA_DOWN|FAILED|EXCHANGE_FAILED|IKE_SA_DOWN)" "$LAB_RUN/client/client.out" | head -n 1)"
	fi
	[ "$(grep -c '^IKE_SA_REKEYED' "$LAB_RUN/client/client.out")" = 1 ] ||
		lab_fail "our IKE SA was rekeyed more than once"
	lab_ip left xfrm state >"$LAB_OUT/xfrm-after.txt" 2>&1 || true
	grep -q "spi 0x$first " "$LAB_OUT/xfrm-after.txt" || lab_fail "the Child SA 0x$first is gone after the colliding rekeys"
	lab_check "charon's CHILD_SA is not INSTALLED after the colliding rekeys" lab_charon_child_installed gw c
	lab_daemon_stop client 20
	lab_ike_assert_clean left "after disconnect"
}
