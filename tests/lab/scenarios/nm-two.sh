# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: two VPN connections of ours active at once through NetworkManager (supports-multiple-connections: one nm-ike-service per connection) to two charon gateways protecting two different networks; both activated, both SAs up, both networks answer through ESP; nmcli down of the first leaves the second working and its kernel state intact

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK1="lab-nm-two-first-0123456789"
PSK2="lab-nm-two-second-0123456789"
GW2_IP=$LAB_GW2_IP # the second gateway (lab_nm_ike_two_gateways)
NET2=$LAB_NET2     # its protected network
# ESP, plain or UDP-encapsulated (a second service may float to 4500: not a leak); keepalives
# (1 byte) and IKE (non-ESP marker 0) excluded
ESP='(esp or (udp port 4500 and udp[8:4] != 0))'

scenario_run() {
	lab_nm_ike_two_gateways "$PSK1" "$PSK2"
	lab_nm_ike_add vpn1 "right=$LAB_RIGHT_IP, rightid=gw1.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, esp=aes_gcm128, pskvalue-flags=0" \
		"pskvalue=$PSK1"
	lab_nm_ike_add vpn2 "right=$GW2_IP, rightid=gw2.lab.test, leftid=client.lab.test, rightsubnet=$NET2, esp=aes_gcm128, pskvalue-flags=0" \
		"pskvalue=$PSK2"
	lab_nm_vpn_up vpn1
	lab_nm_vpn_up vpn2
	lab_timing both-up
	lab_assert_nm_state vpn1 activated
	lab_assert_nm_state vpn2 activated
	lab_check "gw1's CHILD_SA is not INSTALLED" lab_charon_child_installed gw1 c
	lab_check "gw2's CHILD_SA is not INSTALLED" lab_charon_child_installed gw2 c
	lab_assert_xfrm_state left "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" "src $LAB_LEFT_IP dst $GW2_IP"
	local n
	n=$(lab_ns_count_procs left nm-ike-service)
	lab_log "nm-ike-service processes: $n"
	[ "$n" = 2 ] || lab_fail "expected two nm-ike-service processes (one per connection), found ${n:-0}"

	lab_wait "$(lab_scale 10)" "routes of both connections in table 2749" eval \
		"lab_ip left route show table 2749 | lab_grepq '^$LAB_RIGHT_LAN .*src 10\.3\.0\.' && lab_ip left route show table 2749 | lab_grepq '^$NET2 .*src 10\.5\.0\.'"
	lab_ike_assert_routed left "$LAB_RIGHT_LAN"
	lab_ike_assert_routed left "$NET2"
	lab_ip left route show table all >"$LAB_OUT/client-routes.txt" 2>&1 || true

	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$LAB_RIGHT_LAN_IP"
	lab_assert_ping left 10.4.0.1
	lab_capture_stop wire
	local esp1 esp2 plain
	esp1=$(lab_capture_count wire dst host "$LAB_RIGHT_IP" and "$ESP")
	esp2=$(lab_capture_count wire dst host "$GW2_IP" and "$ESP")
	plain=$(lab_capture_count wire icmp)
	lab_log "wan0 out: $esp1 ESP to gw1, $esp2 ESP to gw2, $plain plaintext ICMP"
	[ "$esp1" -ge 3 ] || lab_fail "only $esp1 ESP packets to gw1"
	[ "$esp2" -ge 3 ] || lab_fail "only $esp2 ESP packets to gw2"
	[ "$plain" = 0 ] || lab_fail "$plain plaintext ICMP packets left wan0"
	lab_ip left -s xfrm state 2>/dev/null | grep -Ev '^\s*(aead|enc|auth|auth-trunc|comp) ' >"$LAB_OUT/client-xfrm.txt" || true
	lab_assert_xfrm_traffic left 12

	# Down the first: the second keeps working, its SAs and routes stay.
	lab_nmcli connection down vpn1 >/dev/null || lab_fail "nmcli connection down vpn1 failed"
	lab_wait "$(lab_scale 10)" "gw1 to drop the IKE SA" eval "! lab_charon_ike_established gw1 rw"
	lab_wait "$(lab_scale 10)" "vpn1's SAs to go" eval \
		"! lab_ip left xfrm state | lab_grepq 'dst $LAB_RIGHT_IP'"
	lab_assert_nm_state vpn2 activated
	lab_check "gw2's CHILD_SA is gone after vpn1 went down" lab_charon_child_installed gw2 c
	lab_assert_xfrm_state left "src $LAB_LEFT_IP dst $GW2_IP"
	lab_ike_assert_routed left "$NET2"
	if lab_ip left route show table 2749 | lab_grepq "^$LAB_RIGHT_LAN "; then lab_fail "vpn1's route stayed in table 2749"; fi
	lab_capture_start wire2 left wan0 -Q out
	lab_assert_ping left 10.4.0.1
	lab_capture_stop wire2
	esp2=$(lab_capture_count wire2 dst host "$GW2_IP" and "$ESP")
	[ "$esp2" -ge 3 ] || lab_fail "after vpn1 went down, only $esp2 ESP packets to gw2"

	lab_nmcli connection down vpn2 >/dev/null || lab_fail "nmcli connection down vpn2 failed"
	lab_ike_assert_clean left "after both connections went down"
}
