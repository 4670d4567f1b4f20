# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: data plane: our nm-ike (XFRM kernel backend) <-> charon, policy-based tunnel, kernel ESP AES-GCM; ping both ways, ESP on the wire, counters rise, routed in table 2749 by our rule, nothing (SA, policy, route, rule) left after disconnect

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-sw-tunnel-0123456789"

# our xfrm state/policy lines (reqid 0x4e4dXXXX = 1313669120 + n)
dp_own_states() { lab_ip left xfrm state | grep -c "reqid 13136[0-9]*" || true; }
dp_own_policies() { lab_ip left xfrm policy | grep -c "reqid 13136[0-9]*" || true; }

scenario_run() {
	lab_topo_client_gw
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" \
		proposals=aes256gcm16-prfsha384-x25519 esp_proposals=aes128gcm16 child.start_action=none
	lab_charon_start gw right
	lab_timing gateway-up
	lab_assert_no_ping rhost "$LAB_LEFT_IP"

	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike=aes256gcm16-prfsha384-x25519 esp=aes128gcm16 secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_ip left xfrm state >"$LAB_OUT/left-xfrm-state.txt" 2>&1 || true
	lab_ip left xfrm policy >"$LAB_OUT/left-xfrm-policy.txt" 2>&1 || true
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_assert_xfrm_state left 'aead rfc4106(gcm(aes))' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" \
		"src $LAB_RIGHT_IP dst $LAB_LEFT_IP" 'mode tunnel'
	[ "$(dp_own_states)" -ge 2 ] || lab_fail "our two SAs (reqid 0x4e4d....) are not installed (see left-xfrm-state.txt)"
	[ "$(dp_own_policies)" -ge 2 ] || lab_fail "our policies are not installed (see left-xfrm-policy.txt)"

	# No hand-made route: ours in table 2749 (TunnelVision defence) carries the traffic.
	lab_ike_assert_routed left "$LAB_RIGHT_LAN"
	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_assert_ping rhost "$LAB_LEFT_IP"
	lab_timing ping
	lab_capture_stop wire
	lab_assert_xfrm_traffic left 12
	lab_ip left -s xfrm state >"$LAB_OUT/left-xfrm-counters.txt" 2>&1 || true
	lab_assert_wire_protected 6 "left wan0" wire

	# Disconnect: the SAs and policies go away on our side.
	lab_daemon_stop client 20
	lab_wait "$(lab_scale 10)" "our SAs to be removed" eval '[ "$(dp_own_states)" = 0 ]'
	[ "$(dp_own_policies)" = 0 ] || lab_fail "policies left after disconnect: $(lab_ip left xfrm policy | tr '\n' ' ' | cut -c1-300)"
	lab_ike_assert_clean left "after disconnect"
	if grep -q "$PSK" "$LAB_RUN/client/client.out"; then lab_fail "the PSK appears in our log"; fi
}
