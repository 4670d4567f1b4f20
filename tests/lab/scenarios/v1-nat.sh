# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: IKEv1 (ikev2=never) behind the lab's NAT router: our nm-ike -> Libreswan pluto (ikev2=no), NAT-D finds the NAT, Main Mode floats to UDP 4500, the IPsec SA is UDP-encapsulated on both sides and pings cross the NAT as ESP in UDP

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-v1-nat-0123456789"

scenario_run() {
	lab_topo_client_nat_gw
	lab_pluto_setup gw ikev1-policy=accept
	lab_pluto_conn gw rw ikev2=no authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid=@gw.lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right=%any rightid=@client.lab.test rightsubnet="$LAB_LEFT_IP/32" \
		"ike=aes128-sha2_256;modp2048" "esp=aes128-sha2_256"
	lab_pluto_start gw right
	lab_route right "$LAB_LEFT_IP/32" via "$LAB_LEFT_PUBLIC_IP"
	lab_timing gateway-up

	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=@gw.lab.test leftid=@client.lab.test \
		ikev2=never leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		"ike=aes128-sha2_256;modp2048" "esp=aes128-sha2_256" secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_ike_event client IKE_SA_UP | lab_grepq "nat_local=true" ||
		lab_fail "we did not detect our NAT: $(lab_ike_event client IKE_SA_UP)"
	lab_ike_event client CHILD_SA_UP | lab_grepq "encap=true" ||
		lab_fail "the IPsec SA is not UDP-encapsulated: $(lab_ike_event client CHILD_SA_UP)"
	lab_ip left xfrm state >"$LAB_OUT/left-xfrm-state.txt" 2>&1 || true
	lab_assert_xfrm_state left "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" 'encap type espinudp sport 4500 dport 4500' \
		'enc cbc(aes)'
	lab_assert_xfrm_state right "src $LAB_LEFT_PUBLIC_IP dst $LAB_RIGHT_IP" 'encap type espinudp'

	lab_capture_start outer nat out0
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_timing ping
	lab_capture_stop outer
	local up icmp
	up=$(lab_capture_count outer "src $LAB_LEFT_PUBLIC_IP and dst $LAB_RIGHT_IP and udp dst port 4500 and udp[8:4] != 0")
	icmp=$(lab_capture_count outer icmp)
	lab_log "NAT out0: $up ESP-in-UDP up, $icmp plaintext ICMP"
	[ "$up" -ge 1 ] || lab_fail "no ESP-in-UDP towards the gateway on the NAT's outer link"
	[ "$icmp" = 0 ] || lab_fail "$icmp plaintext ICMP packets on the NAT's outer link"
	lab_daemon_stop client 20
	lab_ike_assert_clean left "after disconnect"
}
