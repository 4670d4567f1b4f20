# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: EAP-MSCHAPv2 road warrior: nmcli -> NetworkManager -> our nm-ike-service (leftauth=eap-mschapv2, leftusername, saved password) -> charon gateway (certificate, eap-mschapv2 plugin, eap_id %any); the gateway's certificate is checked against rightca, charon logs the EAP method succeeding with an MSK and our MSK-based AUTH, a virtual address from its pool is on our interface, ping to a host behind the gateway is ESP; the password is in no log

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
USER_NAME="carol"
PASSWORD="lab-eap-mschapv2-Pa55word"

scenario_run() {
	lab_topo --left-unconfigured --rhost
	lab_eap_gateway eap-mschapv2 "$USER_NAME" "$PASSWORD"
	lab_nm_ike_client
	# NetworkManager waits 5 s for the service's bus name; under emulation on a busy machine the
	# first read of the debug binary over 9p can take most of that, so read it beforehand.
	cat "$(lab_nm_ike_service)" >/dev/null
	# The IKE identity (leftid) is not the EAP identity (leftusername).
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, rightca=$LAB_RUN/pki/ca.crt, leftid=laptop.lab.test, leftauth=eap-mschapv2, leftusername=$USER_NAME, rightsubnet=$LAB_RIGHT_LAN, esp=aes_gcm128, password-flags=0" \
		"password=$PASSWORD"
	lab_nm_vpn_up ikevpn
	lab_timing vpn-up
	lab_assert_nm_state ikevpn activated

	local log
	log=$(lab_charon_dir gw)/charon.log
	grep -Eq "EAP method EAP_MSCHAPV2 succeeded, MSK established" "$log" ||
		lab_fail "charon's log shows no EAP-MSCHAPv2 success with an MSK"
	grep -Eq "authentication of 'laptop.lab.test' with EAP successful" "$log" ||
		lab_fail "charon did not verify our MSK-based AUTH"
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt" 2>&1 || true
	grep -q "remote 'laptop.lab.test' @ $LAB_LEFT_IP\[[0-9]*\] EAP: '$USER_NAME'" "$LAB_OUT/gw-sas.txt" ||
		lab_fail "charon does not show our IKE identity laptop.lab.test with the EAP identity $USER_NAME (see gw-sas.txt)"

	local vip
	vip=$(lab_ip left -4 addr show | grep -Eo 'inet 10\.3\.0\.[0-9]+' | head -n1 | cut -d' ' -f2)
	[ -n "$vip" ] || lab_fail "no virtual address from the gateway's pool on the client"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_assert_xfrm_state left 'aead rfc4106(gcm(aes))' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" 'mode tunnel'
	lab_wait "$(lab_scale 10)" "our route from $vip in table 2749" eval \
		"lab_ip left route show table 2749 | lab_grepq '^$LAB_RIGHT_LAN .*src $vip'"
	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_capture_stop wire
	lab_assert_xfrm_traffic left 3
	lab_assert_wire_protected 3 "left wan0" wire

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
	if grep -rq "$PASSWORD" "$(lab_nm_dir)"/*.out "$log" 2>/dev/null; then lab_fail "the password appears in a log"; fi
}
