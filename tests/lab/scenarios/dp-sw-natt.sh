# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: data plane: our nm-ike (XFRM) behind the NAT router <-> charon (kernel ESP): NAT detected, ESP in UDP 4500 both ways on the NAT's outer link (no plain ESP, no plaintext), ping both ways, espinudp states on both sides, nothing left after disconnect

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-sw-natt-0123456789"

scenario_run() {
	lab_topo_client_nat_gw
	# No virtual IP: our inner address is our own (private) WAN address behind the NAT.
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" remote_ts="$LAB_LEFT_IP/32" \
		proposals=aes256gcm16-prfsha384-x25519 esp_proposals=aes128gcm16 child.start_action=none
	lab_charon_start gw right
	lab_timing gateway-up

	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike=aes256gcm16-prfsha384-x25519 esp=aes128gcm16 secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_ike_event client IKE_SA_UP | lab_grepq "nat_local=true" ||
		lab_fail "we did not detect our NAT: $(lab_ike_event client IKE_SA_UP)"
	lab_ike_event client CHILD_SA_UP | lab_grepq "encap=true" ||
		lab_fail "the Child SA is not UDP-encapsulated: $(lab_ike_event client CHILD_SA_UP)"
	lab_ip left xfrm state >"$LAB_OUT/left-xfrm-state.txt" 2>&1 || true
	lab_ip right xfrm state >"$LAB_OUT/right-xfrm-state.txt" 2>&1 || true
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	grep -q "TUNNEL-in-UDP" "$LAB_OUT/gw-sas.txt" || lab_fail "charon's Child SA is not UDP-encapsulated (see gw-sas.txt)"
	# Our SAs: ESP in UDP from our 4500 to the gateway's 4500.
	lab_assert_xfrm_state left "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" "src $LAB_RIGHT_IP dst $LAB_LEFT_IP" \
		'encap type espinudp sport 4500 dport 4500' 'aead rfc4106(gcm(aes))'
	# The gateway's kernel SAs see us at the NAT's public address, port 4500 (or the mapped port).
	lab_assert_xfrm_state right "src $LAB_LEFT_PUBLIC_IP dst $LAB_RIGHT_IP" 'encap type espinudp'
	lab_ike_assert_routed left "$LAB_RIGHT_LAN"

	lab_capture_start outer nat out0
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_assert_ping rhost "$LAB_LEFT_IP"
	lab_timing ping
	lab_capture_stop outer
	lab_assert_xfrm_traffic left 12
	lab_assert_xfrm_traffic right 12
	local up down esp icmp
	up=$(lab_capture_count outer "src $LAB_LEFT_PUBLIC_IP and dst $LAB_RIGHT_IP and udp dst port 4500 and udp[8:4] != 0")
	down=$(lab_capture_count outer "src $LAB_RIGHT_IP and dst $LAB_LEFT_PUBLIC_IP and udp src port 4500 and udp[8:4] != 0")
	esp=$(lab_capture_count outer esp)
	icmp=$(lab_capture_count outer icmp)
	tcpdump -n -r "$LAB_RUN/outer/outer.pcap" >"$LAB_OUT/outer.txt" 2>/dev/null || true
	lab_log "NAT out0: $up ESP-in-UDP up, $down down, $esp plain ESP, $icmp plaintext ICMP"
	[ "$up" -ge 6 ] || lab_fail "only $up ESP-in-UDP packets towards the gateway on the NAT's outer link"
	[ "$down" -ge 6 ] || lab_fail "only $down ESP-in-UDP packets from the gateway on the NAT's outer link"
	[ "$esp" = 0 ] || lab_fail "$esp plain ESP (protocol 50) packets on the NAT's outer link"
	[ "$icmp" = 0 ] || lab_fail "$icmp plaintext ICMP packets on the NAT's outer link"

	lab_daemon_stop client 20
	lab_ike_assert_clean left "after disconnect"
	if grep -q "$PSK" "$LAB_RUN/client/client.out"; then lab_fail "the PSK appears in our log"; fi
}
