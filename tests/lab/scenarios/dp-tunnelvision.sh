# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: data plane, TunnelVision (CVE-2024-3661): a rogue LAN router injects a more specific route for the protected network into main; our table 2749 + rule still send the traffic through the tunnel: no plaintext to the protected network on the LAN or the outer link, ESP on the outer link, ping works; without our rule the same route would leak

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-tunnelvision-0123456789"

scenario_run() {
	lab_topo --lhost --rhost # lhost plays the rogue LAN router (DHCP option 121 / RA)
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" \
		esp_proposals=aes128gcm16 child.start_action=none
	lab_charon_start gw right
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		esp=aes_gcm128 secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_ike_assert_routed left "$LAB_RIGHT_LAN"

	# The attack: a more specific route for the protected host via the rogue LAN router.
	lab_route left 10.2.0.0/25 via "$LAB_LHOST_IP" dev lan0
	lab_ip left route get "$LAB_RHOST_IP" >"$LAB_OUT/route-get.txt" 2>&1 || true
	lab_log "route get $LAB_RHOST_IP: $(tr '\n' ' ' <"$LAB_OUT/route-get.txt")"
	grep -q "table 2749" "$LAB_OUT/route-get.txt" || lab_fail "the kernel does not choose table 2749: $(cat "$LAB_OUT/route-get.txt")"

	lab_capture_start lan left lan0
	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_assert_ping rhost "$LAB_LEFT_IP"
	lab_capture_stop wire
	lab_capture_stop lan
	local esp plain lanplain
	esp=$(lab_capture_count wire esp)
	plain=$(lab_capture_count wire net "$LAB_RIGHT_LAN")
	lanplain=$(lab_capture_count lan net "$LAB_RIGHT_LAN")
	lab_log "wan0 out: $esp ESP, $plain plaintext to $LAB_RIGHT_LAN; lan0: $lanplain to $LAB_RIGHT_LAN"
	[ "$esp" -ge 3 ] || lab_fail "only $esp ESP packets on the outer link"
	[ "$plain" = 0 ] || lab_fail "$plain plaintext packets to $LAB_RIGHT_LAN on the outer link"
	[ "$lanplain" = 0 ] || lab_fail "$lanplain packets to $LAB_RIGHT_LAN went to the rogue LAN router"

	# Control: without our rule, the rogue route wins (proves the capture would see a leak).
	lab_ip left rule del pref 2749
	lab_capture_start lan2 left lan0
	lab_ping left "$LAB_RHOST_IP" >/dev/null 2>&1 || true
	lab_capture_stop lan2
	lanplain=$(lab_capture_count lan2 net "$LAB_RIGHT_LAN")
	lab_log "without our rule: $lanplain packets to $LAB_RIGHT_LAN on lan0"
	[ "$lanplain" -ge 1 ] || lab_fail "control failed: even without our rule nothing went to the rogue router"
	lab_ip left rule add pref 2749 lookup 2749 proto 78

	lab_daemon_stop client 20
	lab_ip left route del 10.2.0.0/25 via "$LAB_LHOST_IP" dev lan0
	lab_ike_assert_clean left "after disconnect"
}
