# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: post-quantum hybrid key exchange between our own peers (the Debian peers have no ML-KEM): our nm-ike respond as the gateway offers aes256gcm16-prfsha384-x25519-ke1_mlkem768; nmcli -> NetworkManager -> our service connects with that proposal (IKE_INTERMEDIATE with the ML-KEM-768 key and ciphertext, IntAuth in AUTH); both sides report the hybrid IKE SA, NetworkManager "activated", pings pass through kernel ESP

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-auth-mlkem-resp-0123456789"
PROPOSAL="aes256gcm16-prfsha384-x25519-ke1_mlkem768"

scenario_run() {
	lab_topo --left-unconfigured --rhost
	lab_ike_profile gw resp.listen="$LAB_RIGHT_IP" resp.local_id=gw.lab.test \
		resp.remote_id=client.lab.test resp.psk="$PSK" resp.local_ts="$LAB_RIGHT_LAN" \
		resp.pool_v4=10.3.0.10-10.3.0.20 resp.ike="$PROPOSAL" resp.esp=aes256gcm16
	lab_ike_respond gw right
	# Our responder installs SAs and policies, no routes: the pool goes towards the client.
	lab_route right "$LAB_POOL" via "$LAB_LEFT_IP"
	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, ike=$PROPOSAL, esp=aes256gcm16, pskvalue-flags=0" \
		"pskvalue=$PSK"
	lab_nm_vpn_up ikevpn
	lab_timing vpn-up
	lab_assert_nm_state ikevpn activated
	lab_ike_wait gw CHILD_SA_UP 10
	lab_ike_event gw IKE_SA_UP | lab_grepq "proposal=$PROPOSAL" ||
		lab_fail "the gateway's IKE SA is not $PROPOSAL: $(lab_ike_event gw IKE_SA_UP)"
	grep -q "IKE SA established.*ke1_mlkem768" "$(lab_nm_dir)/nm.out" ||
		lab_fail "our service's log does not name ke1_mlkem768 (see nm/nm.out)"
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_assert_xfrm_state left 'rfc4106(gcm(aes))'
	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
