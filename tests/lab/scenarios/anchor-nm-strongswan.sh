# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: anchor: nmcli -> NetworkManager -> NetworkManager-strongswan (charon-nm) -> charon gateway, PSK, virtual IP, kernel ESP, ping through, NM state activated

PSK="lab-anchor-psk-0123456789"

scenario_run() {
	lab_topo --rhost --left-unconfigured
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" \
		local_id=gw@lab.test remote_id=client@lab.test psk="$PSK" \
		pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN" \
		proposals=aes128gcm16-prfsha256-x25519,default esp_proposals=aes128gcm16,default
	lab_charon_spawn gw right
	lab_nm_start left --iface wan0 --env "STRONGSWAN_CONF=$(lab_nm_strongswan_conf)"
	lab_timing nm-up
	lab_charon_ready gw
	lab_nm_base_up wan0 "$LAB_LEFT_IP/$LAB_WAN_PREFIXLEN" "$LAB_RIGHT_IP"
	lab_nmcli connection add type vpn vpn-type strongswan con-name labvpn connection.autoconnect no \
		vpn.data "address=$LAB_RIGHT_IP, method=psk, virtual=yes, encap=no, ipcomp=no, proposal=no, local-identity=client@lab.test, remote-identity=gw@lab.test, remote-ts=$LAB_RIGHT_LAN, password-flags=0" \
		vpn.secrets "password=$PSK" >/dev/null || lab_fail "nmcli connection add labvpn failed"
	lab_nm_vpn_up labvpn
	lab_timing vpn-up

	lab_assert_nm_state labvpn activated
	lab_nmcli connection show labvpn | lab_grepq -E '^VPN.VPN-STATE: .*VPN connected' ||
		lab_fail "VPN.VPN-STATE is not 'VPN connected'"
	lab_check "child SA not INSTALLED on the gateway" lab_charon_child_installed gw c
	lab_assert_xfrm_state left 'aead rfc4106(gcm(aes))' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP"
	# NM put the virtual IP from the gateway's pool on the client
	lab_wait_addr left 'inet 10\.3\.0\.' "no virtual IP from $LAB_POOL on the client"
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_timing ping
	lab_assert_xfrm_traffic left 6
	lab_nmcli connection show --active >"$LAB_OUT/nm-active.txt" 2>&1 || true
}
