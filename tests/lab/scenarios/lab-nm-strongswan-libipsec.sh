# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: host-only NM check: nmcli -> NetworkManager -> charon-nm -> charon gateway through the NAT router, PSK, virtual IP, userspace ESP (kernel-libipsec) on both sides, NM state activated

PSK="lab-libipsec-psk-0123456789"

scenario_run() {
	lab_topo --nat --rhost --left-unconfigured
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" \
		local_id=gw@lab.test remote_id=client@lab.test psk="$PSK" \
		pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN"
	lab_charon_start gw right --libipsec

	lab_nm_start left --iface wan0 --env "STRONGSWAN_CONF=$(lab_nm_strongswan_conf --libipsec)"
	lab_timing nm-up
	lab_nm_base_up wan0 "$LAB_LEFT_IP/24" "$LAB_LEFT_GW"
	lab_nmcli connection add type vpn vpn-type strongswan con-name labvpn connection.autoconnect no \
		vpn.data "address=$LAB_RIGHT_IP, method=psk, virtual=yes, encap=yes, ipcomp=no, proposal=no, local-identity=client@lab.test, remote-identity=gw@lab.test, remote-ts=$LAB_RIGHT_LAN, password-flags=0" \
		vpn.secrets "password=$PSK" >/dev/null || lab_fail "nmcli connection add labvpn failed"
	lab_nm_vpn_up labvpn
	lab_timing vpn-up

	lab_assert_nm_state labvpn activated
	lab_nmcli connection show labvpn | lab_grepq -E '^VPN.VPN-STATE: .*VPN connected' ||
		lab_fail "VPN.VPN-STATE is not 'VPN connected'"
	lab_check "child SA not INSTALLED on the gateway" lab_charon_child_installed gw c
	lab_wait_addr left 'inet 10\.3\.0\.' "no virtual IP from $LAB_POOL on the client"
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_timing ping
	lab_charon_sas gw | lab_grepq -E 'in .* [1-9][0-9]* packets' || lab_fail "gateway child SA counted no inbound packets"
}
