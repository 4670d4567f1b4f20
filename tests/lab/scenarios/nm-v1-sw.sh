# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: IKEv1 through NetworkManager: nmcli -> NetworkManager -> our nm-ike-service with ikev2=never -> charon (version=1, PSK, site to site): Main Mode and Quick Mode complete, NM shows the VPN activated and connected, nmcli down deletes charon's IKEv1 SAs (IKE only: no kernel data plane on the host)

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-nm-v1-sw-0123456789"

scenario_run() {
	lab_topo --left-unconfigured
	lab_swanctl_conn gw conn=site version=1 local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" remote_ts="$LAB_LEFT_LAN" \
		"proposals=aes256-sha256-modp2048" "esp_proposals=aes256-sha256-modp2048"
	lab_charon_start gw right --libipsec
	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, ikev2=never, leftsubnet=$LAB_LEFT_LAN, rightsubnet=$LAB_RIGHT_LAN, leftmodecfgclient=no, ike=aes256-sha2_256;modp2048, esp=aes256-sha2_256;modp2048, pskvalue-flags=0" \
		"pskvalue=$PSK"
	lab_nm_vpn_up ikevpn
	lab_timing vpn-up
	lab_assert_nm_state ikevpn activated
	lab_nmcli connection show ikevpn >"$LAB_OUT/ikevpn.txt"
	grep -Eq '^VPN.VPN-STATE: .*VPN connected' "$LAB_OUT/ikevpn.txt" || lab_fail "VPN.VPN-STATE is not 'VPN connected'"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	grep -q "IKEv1" "$LAB_OUT/gw-sas.txt" || lab_fail "charon's IKE SA is not IKEv1 (see gw-sas.txt)"

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_wait "$(lab_scale 10)" "charon to drop the IKEv1 SA after our Deletes" eval "! lab_charon_ike_established gw"
}
