# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: data plane: our nm-ike (XFRM) <-> charon over IPv6 (outer 2001:db8:2::/64, inner 2001:db8:1::1 <-> 2001:db8:20::/64), IPv6 SAs and policies, routed in table 2749, ping6 both ways, ESP on the wire, nothing left after disconnect

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-sw-ipv6-0123456789"
LEFT_IN6=2001:db8:1::1
RIGHT_LAN6=2001:db8:20::/64
RIGHT_LAN6_IP=2001:db8:20::1
RHOST6=2001:db8:20::2

scenario_run() {
	lab_topo_client_gw
	lab_addr left lo "$LEFT_IN6/128"
	lab_addr right lan0 "$RIGHT_LAN6_IP/64"
	lab_addr rhost eth0 "$RHOST6/64"
	lab_ip rhost -6 route add default via "$RIGHT_LAN6_IP"
	lab_swanctl_conn gw conn=rw6 local_addrs="$LAB_RIGHT_IP6" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$RIGHT_LAN6" remote_ts="$LEFT_IN6/128" \
		proposals=aes256gcm16-prfsha384-x25519 esp_proposals=aes128gcm16 child.start_action=none
	lab_charon_start gw right
	lab_timing gateway-up
	lab_assert_no_ping left "$RHOST6"

	lab_ike_profile client right="$LAB_RIGHT_IP6" rightid=gw.lab.test leftid=client.lab.test \
		leftsubnet="$LEFT_IN6/128" rightsubnet="$RIGHT_LAN6" leftmodecfgclient=no \
		ike=aes256gcm16-prfsha384-x25519 esp=aes128gcm16 secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_ip left xfrm state >"$LAB_OUT/left-xfrm-state.txt" 2>&1 || true
	lab_ip left xfrm policy >"$LAB_OUT/left-xfrm-policy.txt" 2>&1 || true
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_assert_xfrm_state left 'aead rfc4106(gcm(aes))' "src $LAB_LEFT_IP6 dst $LAB_RIGHT_IP6" \
		"src $LAB_RIGHT_IP6 dst $LAB_LEFT_IP6" 'mode tunnel'
	grep -q "src $LEFT_IN6/128 dst $RIGHT_LAN6" "$LAB_OUT/left-xfrm-policy.txt" ||
		lab_fail "no IPv6 outbound policy (see left-xfrm-policy.txt)"
	lab_ip left -6 route show table 2749 >"$LAB_OUT/left-table6.txt" 2>&1 || true
	grep -Eq "^$RIGHT_LAN6 .*proto 78" "$LAB_OUT/left-table6.txt" ||
		lab_fail "$RIGHT_LAN6 is not routed in table 2749: $(tr '\n' ';' <"$LAB_OUT/left-table6.txt")"
	grep -q "lookup 2749 proto 78" <<<"$(lab_ip left -6 rule)" || lab_fail "no IPv6 rule looks up table 2749"

	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$RHOST6"
	lab_assert_ping rhost "$LEFT_IN6"
	lab_timing ping
	lab_capture_stop wire
	lab_assert_xfrm_traffic left 12
	lab_assert_wire_protected --esp "ip6 and esp" --plain "icmp6 and (ip6[40] == 128 or ip6[40] == 129)" \
		--plain-name "ICMPv6 echo" 6 "left wan0" wire

	lab_daemon_stop client 20
	lab_ike_assert_clean left "after disconnect"
}
