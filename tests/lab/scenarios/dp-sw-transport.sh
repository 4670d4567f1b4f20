# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: data plane: our nm-ike (XFRM, type=transport) <-> charon (mode=transport), host to host: transport-mode SAs and policies on both sides, ping between the outer addresses is ESP on the wire (no plaintext ICMP), no tunnel routes, nothing left after disconnect

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-sw-transport-0123456789"

scenario_run() {
	lab_topo
	lab_swanctl_conn gw conn=host local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" mode=transport \
		proposals=aes256gcm16-prfsha384-x25519 esp_proposals=aes256gcm16 child.start_action=none
	lab_charon_start gw right
	lab_timing gateway-up

	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		type=transport rightsubnet="$LAB_RIGHT_IP/32" leftmodecfgclient=no \
		ike=aes256gcm16-prfsha384-x25519 esp=aes256gcm16 secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_ip left xfrm state >"$LAB_OUT/left-xfrm-state.txt" 2>&1 || true
	lab_ip left xfrm policy >"$LAB_OUT/left-xfrm-policy.txt" 2>&1 || true
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	grep -q "TRANSPORT" "$LAB_OUT/gw-sas.txt" || lab_fail "charon's Child SA is not in transport mode (see gw-sas.txt)"
	lab_assert_xfrm_state left "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" "src $LAB_RIGHT_IP dst $LAB_LEFT_IP" \
		'mode transport' 'aead rfc4106(gcm(aes))'
	if grep -q 'mode tunnel' "$LAB_OUT/left-xfrm-state.txt"; then lab_fail "a tunnel-mode SA on our side"; fi
	grep -q "src $LAB_LEFT_IP/32 dst $LAB_RIGHT_IP/32" "$LAB_OUT/left-xfrm-policy.txt" ||
		lab_fail "no host-to-host policy on our side (see left-xfrm-policy.txt)"
	grep -A3 "src $LAB_LEFT_IP/32 dst $LAB_RIGHT_IP/32" "$LAB_OUT/left-xfrm-policy.txt" | lab_grepq 'mode transport' ||
		lab_fail "our outbound policy's template is not transport mode"
	lab_assert_xfrm_state right 'mode transport'
	# Transport mode needs no route: nothing of ours in any table but the connection's exemption
	# of its own gateway (a throw route, so that no tunnel route of ours can capture its IKE).
	local ours
	ours=$(lab_ip left route show table all proto 78)
	echo "$ours" | lab_grepq "^throw $LAB_RIGHT_IP " || lab_fail "no throw route for the gateway: $ours"
	[ -z "$(echo "$ours" | grep -v "^throw $LAB_RIGHT_IP ")" ] || lab_fail "routes installed for a transport-mode SA: $ours"

	lab_capture_start wire left wan0 -Q out
	lab_capture_start wire-in right wan0 -Q out
	lab_assert_ping left "$LAB_RIGHT_IP"
	lab_assert_ping right "$LAB_LEFT_IP"
	lab_timing ping
	lab_capture_stop wire
	lab_capture_stop wire-in
	lab_assert_xfrm_traffic left 12
	lab_assert_xfrm_traffic right 12
	local esp icmp esp2 icmp2
	esp=$(lab_capture_count wire "esp and src $LAB_LEFT_IP and dst $LAB_RIGHT_IP")
	icmp=$(lab_capture_count wire icmp)
	esp2=$(lab_capture_count wire-in "esp and src $LAB_RIGHT_IP and dst $LAB_LEFT_IP")
	icmp2=$(lab_capture_count wire-in icmp)
	lab_log "left wan0 out: $esp ESP, $icmp ICMP; right wan0 out: $esp2 ESP, $icmp2 ICMP"
	[ "$esp" -ge 6 ] || lab_fail "only $esp ESP packets left our wan0"
	[ "$esp2" -ge 6 ] || lab_fail "only $esp2 ESP packets left the gateway's wan0"
	[ "$icmp" = 0 ] || lab_fail "$icmp plaintext ICMP packets left our wan0"
	[ "$icmp2" = 0 ] || lab_fail "$icmp2 plaintext ICMP packets left the gateway's wan0"

	lab_daemon_stop client 20
	lab_ike_assert_clean left "after disconnect"
}
