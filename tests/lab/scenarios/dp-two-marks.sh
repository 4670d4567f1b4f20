# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-description: data plane, OCI style (mark-based): two route-based tunnels at once through VTI devices keyed with distinct XFRM marks (mark=5/0xffffffff vti-interface=vti01, mark=6 vti-interface=vti02 with encapsulation=yes as OCI asks), two nm-ike connections to two gateway addresses of one charon; SAs and policies carry the marks, both tunnels carry pings simultaneously both ways through their own device, ESP (and ESP-in-UDP for tunnel 2) on the wire; stopping one leaves the other working; nothing left at the end

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-two-marks-0123456789"
NET1=10.2.1.1
NET2=10.2.2.1
# The second tunnel: its own gateway address and its own local address (two tunnel endpoints,
# as OCI gives them), so both processes use the standard IKE ports.
GW2=192.0.2.3
LEFT2=192.0.2.11

# dp_assert_vti NAME MARK LOCAL REMOTE: a VTI device of ours with key MARK between LOCAL and REMOTE
dp_assert_vti() {
	local ifn=$1 key=$2 local=$3 remote=$4 link keyq
	keyq="0.0.0.$key"
	link=$(lab_ip left -d link show "$ifn" 2>&1) || lab_fail "no device $ifn"
	echo "$link" >"$LAB_OUT/left-$ifn-link.txt"
	grep -Eq "vti remote $remote local $local .*ikey $keyq +okey $keyq" <<<"$link" ||
		lab_fail "$ifn is not a VTI $local -> $remote with key $key: $(echo "$link" | tr '\n' ' ' | cut -c1-300)"
	grep -q 'alias nm-ike:block=' <<<"$link" || lab_fail "$ifn does not carry our alias"
	grep -q '[<,]UP[,>]' <<<"$link" || lab_fail "$ifn is not up"
	lab_log "$ifn: vti $local -> $remote, key $key"
}

scenario_run() {
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
		mark=5/0xffffffff vti-interface=vti01 esp=aes_gcm128 secret.pskvalue="$PSK"
	lab_ike_profile t2 right="$GW2" rightid=gw.lab.test leftid=client2.lab.test \
		leftsubnet="$LAB_LEFT_LAN_IP/32" rightsubnet="$NET2/32" leftmodecfgclient=no \
		mark=6 vti-interface=vti02 encapsulation=yes esp=aes_gcm128 secret.pskvalue="$PSK"
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
	dp_assert_vti vti01 5 "$LAB_LEFT_IP" "$LAB_RIGHT_IP"
	dp_assert_vti vti02 6 "$LEFT2" "$GW2"
	[ "$(sed -n 's/.*alias nm-ike:block=\([0-9]*\).*/\1/p' "$LAB_OUT/left-vti01-link.txt")" != \
		"$(sed -n 's/.*alias nm-ike:block=\([0-9]*\).*/\1/p' "$LAB_OUT/left-vti02-link.txt")" ] ||
		lab_fail "both devices carry the same owner block"
	[ "$(grep -c 'mark 0x5/0xffffffff' "$LAB_OUT/left-xfrm-state.txt")" -ge 2 ] || lab_fail "tunnel 1 has not 2 SAs with mark 5 (see left-xfrm-state.txt)"
	[ "$(grep -c 'mark 0x6/0xffffffff' "$LAB_OUT/left-xfrm-state.txt")" -ge 2 ] || lab_fail "tunnel 2 has not 2 SAs with mark 6 (see left-xfrm-state.txt)"
	grep -q 'mark 0x5/0xffffffff' "$LAB_OUT/left-xfrm-policy.txt" || lab_fail "tunnel 1's policies carry no mark 5"
	grep -q 'mark 0x6/0xffffffff' "$LAB_OUT/left-xfrm-policy.txt" || lab_fail "tunnel 2's policies carry no mark 6"
	grep -q 'encap type espinudp' "$LAB_OUT/left-xfrm-state.txt" || lab_fail "tunnel 2's SAs are not UDP-encapsulated (encapsulation=yes)"
	lab_ip left route show table 2749 >"$LAB_OUT/left-table-2749.txt" 2>&1 || true
	grep -q "^$NET1 dev vti01 " "$LAB_OUT/left-table-2749.txt" || lab_fail "$NET1 not routed via vti01: $(tr '\n' ';' <"$LAB_OUT/left-table-2749.txt")"
	grep -q "^$NET2 dev vti02 " "$LAB_OUT/left-table-2749.txt" || lab_fail "$NET2 not routed via vti02: $(tr '\n' ';' <"$LAB_OUT/left-table-2749.txt")"

	# Both at once.
	local p1 p2 a1 a2 b1 b2 r1=0 r2=0
	a1=$(lab_ike_link_packets left vti01)
	a2=$(lab_ike_link_packets left vti02)
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
	b1=$(lab_ike_link_packets left vti01)
	b2=$(lab_ike_link_packets left vti02)
	lab_log "vti01 packets $a1 -> $b1, vti02 packets $a2 -> $b2"
	[ "$((b1 - a1))" -ge 20 ] || lab_fail "only $((b1 - a1)) packets through vti01"
	[ "$((b2 - a2))" -ge 20 ] || lab_fail "only $((b2 - a2)) packets through vti02"
	local esp icmp
	esp=$(lab_capture_count wire esp)
	icmp=$(lab_capture_count wire icmp)
	# Tunnel 1 is plain ESP, tunnel 2 ESP-in-UDP (encapsulation=yes): 10 pings each.
	[ "$esp" -ge 10 ] || lab_fail "only $esp ESP packets (tunnel 1) left wan0"
	[ "$icmp" = 0 ] || lab_fail "$icmp plaintext ICMP packets left wan0"
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	grep -q "remote 'client1.lab.test' @ $LAB_LEFT_IP\[500\]" "$LAB_OUT/gw-sas.txt" || lab_fail "charon does not see tunnel 1 from $LAB_LEFT_IP:500"
	grep -q "remote 'client2.lab.test' @ $LEFT2\[4500\]" "$LAB_OUT/gw-sas.txt" || lab_fail "charon does not see tunnel 2 from $LEFT2:4500 (forced encapsulation)"
	[ "$(lab_capture_count wire 'udp port 4500')" -ge 10 ] || lab_fail "tunnel 2's ESP did not leave as ESP-in-UDP 4500"

	# Independence: stopping tunnel 1 leaves tunnel 2 untouched.
	lab_daemon_stop t1 20
	lab_retry "$(lab_scale 5)" eval "! lab_ip left link show vti01 >/dev/null 2>&1" || lab_fail "vti01 still exists after its connection stopped"
	dp_assert_vti vti02 6 "$LEFT2" "$GW2"
	lab_assert_ping left "$NET2"
	lab_daemon_stop t2 20
	lab_ike_assert_clean left "after both disconnected"
}
