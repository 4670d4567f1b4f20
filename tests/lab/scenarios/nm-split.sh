# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: split tunnel through NetworkManager: nmcli -> NM -> our nm-ike-service (XFRM) -> charon with only the remote network 10.2.0.0/24 protected; NM adds no default route via the VPN, table 2749 holds only that network (plus our rule), pings to the protected host are ESP, traffic to another destination goes plaintext through main and matches no policy of ours

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-nm-split-0123456789"
OTHER=198.51.100.7 # not protected: an address on the gateway's lo, reached through main

scenario_run() {
	lab_topo --left-unconfigured --rhost
	lab_addr right lo "$OTHER/32"
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" pool="$LAB_POOL" \
		esp_proposals=aes128gcm16
	lab_charon_start gw right

	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, esp=aes_gcm128, pskvalue-flags=0" \
		"pskvalue=$PSK"
	lab_nm_vpn_up ikevpn
	lab_timing vpn-up
	lab_assert_nm_state ikevpn activated

	lab_nm_assert_vpn_routes ikevpn "$LAB_RIGHT_LAN" '0\.0\.0\.0/0'

	lab_vip_routed "$LAB_RIGHT_LAN"
	lab_ip left route show table all >"$LAB_OUT/client-routes.txt" 2>&1 || true
	# Table 2749: only the protected network (no default, nothing else).
	local others
	# Besides the network: the connection's exemption of its own gateway (throw, kernel/route.rs).
	grep -q "^throw $LAB_RIGHT_IP proto 78 " "$LAB_OUT/left-table-2749.txt" ||
		lab_fail "no throw route for the gateway $LAB_RIGHT_IP in table 2749"
	others=$(grep -Ev "^($LAB_RIGHT_LAN|throw $LAB_RIGHT_IP) " "$LAB_OUT/left-table-2749.txt" || true)
	[ -z "$others" ] || lab_fail "table 2749 holds more than $LAB_RIGHT_LAN: $(echo "$others" | tr '\n' ';')"
	# The only default route is main's, through the base connection, not the VPN.
	local defaults
	defaults=$(grep -E '^default' "$LAB_OUT/client-routes.txt" || true)
	[ "$(echo "$defaults" | grep -c .)" = 1 ] || lab_fail "expected one default route, got: $(echo "$defaults" | tr '\n' ';')"
	grep -q "^default via $LAB_LEFT_GW dev wan0" <<<"$defaults" || lab_fail "the default route is not the base one: $defaults"
	lab_ip left rule >"$LAB_OUT/client-rules.txt" 2>&1 || true
	[ "$(grep -c 'proto 78' "$LAB_OUT/client-rules.txt")" = 1 ] || lab_fail "expected exactly one rule of ours: $(tr '\n' ';' <"$LAB_OUT/client-rules.txt")"

	# Our outbound policies select only the protected network (the IKE socket's bypass
	# policies, "socket in/out", are per socket and select nothing else).
	lab_ip left xfrm policy >"$LAB_OUT/client-policies.txt" 2>&1 || true
	local outsel
	outsel=$(awk '/^src/ { sel = $0 } /^\tdir out / { print sel }' "$LAB_OUT/client-policies.txt" | sort -u)
	lab_log "outbound policy selectors: $(echo "$outsel" | tr '\n' ';')"
	grep -q "dst $LAB_RIGHT_LAN" <<<"$outsel" || lab_fail "no outbound policy towards $LAB_RIGHT_LAN (see client-policies.txt)"
	if grep -Fvq "dst $LAB_RIGHT_LAN" <<<"$outsel"; then lab_fail "an outbound policy covers more than $LAB_RIGHT_LAN: $(echo "$outsel" | tr '\n' ';')"; fi

	lab_ip left route get "$OTHER" >"$LAB_OUT/route-get-other.txt" 2>&1 || true
	lab_log "route get $OTHER: $(tr '\n' ' ' <"$LAB_OUT/route-get-other.txt")"
	if grep -q 'table 2749' "$LAB_OUT/route-get-other.txt"; then lab_fail "$OTHER is routed through table 2749"; fi
	grep -q "via $LAB_LEFT_GW dev wan0" "$LAB_OUT/route-get-other.txt" || lab_fail "$OTHER is not routed via main's default"
	lab_ip left route get "$LAB_RHOST_IP" >"$LAB_OUT/route-get-rhost.txt" 2>&1 || true
	grep -q 'table 2749' "$LAB_OUT/route-get-rhost.txt" || lab_fail "$LAB_RHOST_IP is not routed through table 2749: $(cat "$LAB_OUT/route-get-rhost.txt")"

	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$LAB_RHOST_IP"
	local before after
	before=$(lab_xfrm_packets left)
	lab_assert_ping left "$OTHER"
	after=$(lab_xfrm_packets left)
	lab_capture_stop wire
	lab_assert_xfrm_traffic left 6
	[ "$before" = "$after" ] || lab_fail "pings to $OTHER went through our SAs ($before -> $after packets)"
	local esp prot other
	esp=$(lab_capture_count wire esp)
	prot=$(lab_capture_count wire icmp and dst net "$LAB_RIGHT_LAN")
	other=$(lab_capture_count wire icmp and dst host "$OTHER")
	lab_log "wan0 out: $esp ESP, $prot plaintext ICMP to $LAB_RIGHT_LAN, $other plaintext ICMP to $OTHER"
	[ "$esp" -ge 3 ] || lab_fail "only $esp ESP packets left wan0"
	[ "$prot" = 0 ] || lab_fail "$prot plaintext packets to $LAB_RIGHT_LAN left wan0"
	[ "$other" -ge 3 ] || lab_fail "only $other plaintext pings to $OTHER left wan0 (split tunnel expected)"

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
