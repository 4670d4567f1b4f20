# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 360
# lab-description: dead peer detection, dpdaction=restart against Libreswan: nmcli -> NetworkManager -> our service -> pluto (address pool); pluto is killed (SIGKILL) and started again; the service notices, re-establishes with backoff, the tunnel carries traffic again within dpddelay+dpdtimeout+5 s of the gateway answering, with the same virtual address, NetworkManager never left "activated", nothing went out in the clear

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-dpd-restart-ls-0123456789"
DELAY=5
TIMEOUT=5

# _pluto_gw: (re)starts the gateway; a pluto killed before leaves its lock and control socket.
_pluto_gw() {
	rm -f "$(lab_pluto_dir gw)/run/pluto.pid" "$(lab_pluto_dir gw)/run/pluto.ctl"
	lab_pluto_start gw right
}

scenario_run() {
	lab_topo --left-unconfigured --rhost
	lab_pluto_conn gw rw authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid=@gw.lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right=%any rightid=@client.lab.test rightaddresspool=10.3.0.10-10.3.0.20 \
		leftmodecfgserver=yes rightmodecfgclient=yes \
		ike=aes_gcm256-sha2_256-dh19 esp=aes_gcm128
	_pluto_gw
	# pluto runs without updown: the pool is routed towards the client by hand.
	lab_route right "$LAB_POOL" via "$LAB_LEFT_IP"
	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, ike=aes_gcm256-sha2_256;dh19, esp=aes_gcm128, dpddelay=${DELAY}s, dpdtimeout=${TIMEOUT}s, dpdaction=restart, pskvalue-flags=0" \
		"pskvalue=$PSK"
	lab_nm_vpn_up ikevpn
	lab_timing vpn-up
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_dpd_restart_check ikevpn "$DELAY" "$TIMEOUT" 'kill -KILL "$(lab_daemon_pid gw)"' _pluto_gw \
		'lab_check "pluto trafficstatus shows no SA for rw after the restart" lab_pluto_has_sa gw rw'

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
