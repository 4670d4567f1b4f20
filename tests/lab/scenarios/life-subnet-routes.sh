# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: split include pushed by the gateway: charon protects 0.0.0.0/0 but its pool pushes INTERNAL_IP4_SUBNET 10.2.0.0/24; our profile leaves rightsubnet at its default (nmcli -> NM -> nm-ike-service, kernel ESP), so only the pushed network is routed (table 2749, with the tunnel's MTU; NM gets it as its only VPN route and never-default), pings to it are ESP, and another network behind the same gateway (10.4.0.1) is not routed by us: it goes through main, in plaintext

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-subnet-routes-0123456789"
NOT_PUSHED=10.4.0.1 # on the gateway's lo: inside its selectors (0.0.0.0/0), not pushed

scenario_run() {
	lab_topo --left-unconfigured --rhost
	lab_addr right lo "$NOT_PUSHED/32"
	# The selectors cover everything; the pool's subnet attribute is INTERNAL_IP4_SUBNET.
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts=0.0.0.0/0 ike.pools=p4 \
		esp_proposals=aes128gcm16
	lab_swanctl_raw gw pools "  p4 {
    addrs = $LAB_POOL
    dns = 10.2.0.53
    subnet = $LAB_RIGHT_LAN
  }"
	lab_charon_start gw right

	lab_nm_ike_client
	# No rightsubnet: its default (0.0.0.0/0) leaves the remote networks to the gateway.
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, esp=aes_gcm128, pskvalue-flags=0" \
		"pskvalue=$PSK"
	lab_nm_vpn_up ikevpn
	lab_timing vpn-up
	lab_assert_nm_state ikevpn activated
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt" 2>&1 || true
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c

	# Our service's account of the pushed subnets.
	lab_nm_log_wait 'routes: [0-9]+ subnet\(s\) pushed, [0-9]+ routed \(IPv4: split'
	grep -E 'routes: [0-9]+ subnet\(s\) pushed' "$(lab_nm_dir)/nm.out" | tail -n1 >"$LAB_OUT/our-line.txt" || true
	local pushed
	pushed=$(sed -nE 's/.*routes: ([0-9]+) subnet\(s\) pushed.*/\1/p' "$LAB_OUT/our-line.txt")
	[ "$pushed" = 1 ] || lab_fail "expected 1 pushed subnet, our log says: $(cat "$LAB_OUT/our-line.txt")"

	# NetworkManager: the pushed network is the VPN's route, no default route via the VPN.
	lab_nm_assert_vpn_routes ikevpn "$LAB_RIGHT_LAN" '0\.0\.0\.0/[01]|128\.0\.0\.0/1'

	# Our table: only the pushed network, with the MTU inside the tunnel.
	lab_vip_routed "$LAB_RIGHT_LAN"
	lab_ip left route show table all >"$LAB_OUT/client-routes.txt" 2>&1 || true
	local installed others mtu
	installed=$(grep -c 'proto 78' "$LAB_OUT/left-table-2749.txt" || true)
	# Besides the network: the connection's exemption of its own gateway (throw, kernel/route.rs).
	grep -q "^throw $LAB_RIGHT_IP proto 78 " "$LAB_OUT/left-table-2749.txt" ||
		lab_fail "no throw route for the gateway $LAB_RIGHT_IP in table 2749"
	others=$(grep -Ev "^($LAB_RIGHT_LAN|throw $LAB_RIGHT_IP) " "$LAB_OUT/left-table-2749.txt" || true)
	[ -z "$others" ] || lab_fail "table 2749 holds more than the pushed $LAB_RIGHT_LAN: $(echo "$others" | tr '\n' ';')"
	mtu=$(sed -nE "s|^$LAB_RIGHT_LAN .* mtu ([0-9]+).*|\\1|p" "$LAB_OUT/left-table-2749.txt" | head -n1)
	# AES-GCM-16 over IPv4 without UDP encapsulation on a 1500-octet veth: 1500 - 20 (IP)
	# - 8 (SPI, sequence) - 8 (IV) - 16 (ICV) = 1448, less the 2 trailer octets.
	[ "${mtu:-}" = 1446 ] || lab_fail "the route to $LAB_RIGHT_LAN has MTU ${mtu:-none}, expected 1446: $(grep "^$LAB_RIGHT_LAN " "$LAB_OUT/left-table-2749.txt")"
	local defaults
	defaults=$(grep -E '^default' "$LAB_OUT/client-routes.txt" || true)
	[ "$(echo "$defaults" | grep -c .)" = 1 ] || lab_fail "expected one default route, got: $(echo "$defaults" | tr '\n' ';')"
	grep -q "^default via $LAB_LEFT_GW dev wan0" <<<"$defaults" || lab_fail "the default route is not the base one: $defaults"

	# The kernel's choice: the pushed network through our table, the other one through main.
	lab_ip left route get "$LAB_RHOST_IP" >"$LAB_OUT/route-get-pushed.txt" 2>&1 || true
	lab_log "route get $LAB_RHOST_IP: $(tr '\n' ' ' <"$LAB_OUT/route-get-pushed.txt")"
	grep -q 'table 2749' "$LAB_OUT/route-get-pushed.txt" || lab_fail "$LAB_RHOST_IP (pushed network) is not routed through table 2749: $(cat "$LAB_OUT/route-get-pushed.txt")"
	lab_ip left route get "$NOT_PUSHED" >"$LAB_OUT/route-get-not-pushed.txt" 2>&1 || true
	lab_log "route get $NOT_PUSHED: $(tr '\n' ' ' <"$LAB_OUT/route-get-not-pushed.txt")"
	if grep -q 'table 2749' "$LAB_OUT/route-get-not-pushed.txt"; then lab_fail "$NOT_PUSHED (not pushed) is routed through table 2749"; fi
	grep -q "via $LAB_LEFT_GW dev wan0" "$LAB_OUT/route-get-not-pushed.txt" || lab_fail "$NOT_PUSHED is not routed via main's default: $(cat "$LAB_OUT/route-get-not-pushed.txt")"

	# Traffic: ESP to the pushed network, plaintext (not through our SAs) to the other one.
	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$LAB_RHOST_IP"
	local before after
	before=$(lab_xfrm_packets left)
	lab_assert_ping left "$NOT_PUSHED"
	after=$(lab_xfrm_packets left)
	lab_capture_stop wire
	lab_assert_xfrm_traffic left 6
	[ "$before" = "$after" ] || lab_fail "pings to $NOT_PUSHED went through our SAs ($before -> $after packets)"
	local esp prot other
	esp=$(lab_capture_count wire esp)
	prot=$(lab_capture_count wire icmp and dst net "$LAB_RIGHT_LAN")
	other=$(lab_capture_count wire icmp and dst host "$NOT_PUSHED")
	lab_log "wan0 out: $esp ESP, $prot plaintext ICMP to $LAB_RIGHT_LAN, $other plaintext ICMP to $NOT_PUSHED"
	[ "$esp" -ge 3 ] || lab_fail "only $esp ESP packets left wan0"
	[ "$prot" = 0 ] || lab_fail "$prot plaintext packets to $LAB_RIGHT_LAN left wan0"
	[ "$other" -ge 3 ] || lab_fail "only $other plaintext pings to $NOT_PUSHED left wan0 (split include expected)"

	echo "routes: $pushed pushed, $installed installed in table 2749 (mtu $mtu); $NOT_PUSHED via main" >"$LAB_OUT/figure.txt"
	lab_log "$(cat "$LAB_OUT/figure.txt")"

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_wait "$(lab_scale 10)" "charon to drop the IKE SA" eval "! lab_charon_ike_established gw rw"
	lab_ike_assert_clean left "after nmcli connection down"
}
