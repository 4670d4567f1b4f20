# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Two route-based tunnels of ours at once (two nm-ike processes, two gateway addresses of one
# charon, two local addresses), shared by dp-two-marks (VTI devices keyed with XFRM marks, the
# OCI guide's variant) and dp-two-xfrmi (XFRM interfaces with distinct if_ids).
#
# The scenario sets, before calling lab_two_tunnels:
#   PSK, TT_OPTS1 / TT_OPTS2 (arrays of profile keys making each tunnel route-based),
#   TT_DEV1 / TT_DEV2 (the interface names), and defines
#   tt_assert_devices        both interfaces exist as expected, SAs/policies bound to them
#   tt_assert_device N       interface N is still intact (after the other stopped)
#   tt_assert_wire ESP       what left wan0 during the pings (ESP = plain ESP packets counted)
#   tt_assert_gateway        what charon sees (ports, encapsulation) in $LAB_OUT/gw-sas.txt

NET1=10.2.1.1
NET2=10.2.2.1
# The second tunnel: its own gateway address and its own local address (two tunnel endpoints,
# as OCI gives them), so both processes use the standard IKE ports.
GW2=192.0.2.3
LEFT2=192.0.2.11

lab_two_tunnels() {
	lab_topo_client_gw
	lab_addr right lo "$NET1/32" "$NET2/32"
	lab_addr right wan0 "$GW2/24"
	lab_addr left wan0 "$LEFT2/24"
	lab_route left "$GW2/32" dev wan0 src "$LEFT2"
	lab_route right "$LAB_LEFT_LAN_IP/32" via "$LAB_LEFT_IP"
	local i net gw
	for i in 1 2; do
		net=$NET1 gw=$LAB_RIGHT_IP
		[ "$i" = 1 ] || net=$NET2 gw=$GW2
		lab_swanctl_conn gw conn="t$i" child="c$i" local_addrs="$gw" local_id=gw.lab.test \
			remote_id="client$i.lab.test" psk="$PSK" local_ts="$net/32" remote_ts="$LAB_LEFT_LAN_IP/32" \
			esp_proposals=aes128gcm16 child.start_action=none
	done
	lab_charon_start gw right
	lab_timing gateway-up

	lab_ike_profile t1 right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client1.lab.test \
		leftsubnet="$LAB_LEFT_LAN_IP/32" rightsubnet="$NET1/32" leftmodecfgclient=no \
		"${TT_OPTS1[@]}" esp=aes_gcm128 secret.pskvalue="$PSK"
	lab_ike_profile t2 right="$GW2" rightid=gw.lab.test leftid=client2.lab.test \
		leftsubnet="$LAB_LEFT_LAN_IP/32" rightsubnet="$NET2/32" leftmodecfgclient=no \
		"${TT_OPTS2[@]}" esp=aes_gcm128 secret.pskvalue="$PSK"
	lab_ike_up t1 left --kernel xfrm
	lab_ike_wait t1 CHILD_SA_UP 60
	# A second process on the same host: its own local address and its own reqid block.
	lab_ike_up t2 left --kernel xfrm
	lab_ike_wait t2 CHILD_SA_UP 60
	lab_timing tunnels-up
	lab_ip left xfrm state >"$LAB_OUT/left-xfrm-state.txt" 2>&1 || true
	lab_ip left xfrm policy >"$LAB_OUT/left-xfrm-policy.txt" 2>&1 || true
	lab_check "charon's CHILD_SA c1 is not INSTALLED" lab_charon_child_installed gw c1
	lab_check "charon's CHILD_SA c2 is not INSTALLED" lab_charon_child_installed gw c2
	tt_assert_devices
	[ "$(sed -n 's/.*alias nm-ike:block=\([0-9]*\).*/\1/p' "$LAB_OUT/left-$TT_DEV1-link.txt")" != \
		"$(sed -n 's/.*alias nm-ike:block=\([0-9]*\).*/\1/p' "$LAB_OUT/left-$TT_DEV2-link.txt")" ] ||
		lab_fail "both devices carry the same owner block"
	lab_ip left route show table 2749 >"$LAB_OUT/left-table-2749.txt" 2>&1 || true
	grep -q "^$NET1 dev $TT_DEV1 " "$LAB_OUT/left-table-2749.txt" || lab_fail "$NET1 not routed via $TT_DEV1: $(tr '\n' ';' <"$LAB_OUT/left-table-2749.txt")"
	grep -q "^$NET2 dev $TT_DEV2 " "$LAB_OUT/left-table-2749.txt" || lab_fail "$NET2 not routed via $TT_DEV2: $(tr '\n' ';' <"$LAB_OUT/left-table-2749.txt")"

	# Both at once.
	local p1 p2 a1 a2 b1 b2 r1=0 r2=0
	a1=$(lab_ike_link_packets left $TT_DEV1)
	a2=$(lab_ike_link_packets left $TT_DEV2)
	lab_capture_start wire left wan0 -Q out
	lab_nsx left ping -n -c 10 -i 0.2 -W "$(lab_scale 2)" "$NET1" >"$LAB_OUT/ping1.txt" 2>&1 &
	p1=$!
	lab_nsx left ping -n -c 10 -i 0.2 -W "$(lab_scale 2)" "$NET2" >"$LAB_OUT/ping2.txt" 2>&1 &
	p2=$!
	wait "$p1" || r1=$?
	wait "$p2" || r2=$?
	lab_capture_stop wire
	[ "$r1" = 0 ] || lab_fail "tunnel 1: no ping replies from $NET1: $(grep transmitted "$LAB_OUT/ping1.txt")"
	[ "$r2" = 0 ] || lab_fail "tunnel 2: no ping replies from $NET2: $(grep transmitted "$LAB_OUT/ping2.txt")"
	lab_log "simultaneous: $(grep transmitted "$LAB_OUT/ping1.txt") / $(grep transmitted "$LAB_OUT/ping2.txt")"
	lab_assert_ping right "$LAB_LEFT_LAN_IP" -I "$NET1"
	lab_assert_ping right "$LAB_LEFT_LAN_IP" -I "$NET2"
	lab_timing ping
	b1=$(lab_ike_link_packets left $TT_DEV1)
	b2=$(lab_ike_link_packets left $TT_DEV2)
	lab_log "$TT_DEV1 packets $a1 -> $b1, $TT_DEV2 packets $a2 -> $b2"
	[ "$((b1 - a1))" -ge 20 ] || lab_fail "only $((b1 - a1)) packets through $TT_DEV1"
	[ "$((b2 - a2))" -ge 20 ] || lab_fail "only $((b2 - a2)) packets through $TT_DEV2"
	local esp icmp
	esp=$(lab_capture_count wire esp)
	icmp=$(lab_capture_count wire icmp)
	tt_assert_wire "$esp"
	[ "$icmp" = 0 ] || lab_fail "$icmp plaintext ICMP packets left wan0"
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	tt_assert_gateway
	# Independence: stopping tunnel 1 leaves tunnel 2 untouched.
	lab_daemon_stop t1 20
	lab_retry "$(lab_scale 5)" eval "! lab_ip left link show $TT_DEV1 >/dev/null 2>&1" || lab_fail "$TT_DEV1 still exists after its connection stopped"
	tt_assert_device 2
	lab_assert_ping left "$NET2"
	lab_daemon_stop t2 20
	lab_ike_assert_clean left "after both disconnected"
}
