# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-description: data plane, route-based: our nm-ike with ipsec-interface=7 <-> Libreswan pluto; XFRM interface ipsec7 (if_id 7, our alias, MTU with room for ESP), SAs and policies bound to if_id 7, the remote net routed via ipsec7 in table 2749; ping both ways through the interface, ESP on the wire, pluto's SA; interface gone after disconnect, and after kill -9 + restart

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-ls-xfrmi-0123456789"

scenario_run() {
	lab_topo_client_gw
	# Our inner address: the LAN address on lo, so the traffic really takes the interface route.
	lab_pluto_conn gw rw authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid=@gw.lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_IP" rightid=@client.lab.test rightsubnet="$LAB_LEFT_LAN_IP/32" \
		ike=aes_gcm256-sha2_512-dh19 esp=aes_gcm256
	lab_pluto_start gw right
	lab_route right "$LAB_LEFT_LAN_IP/32" via "$LAB_LEFT_IP"
	lab_timing gateway-up

	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=@gw.lab.test leftid=@client.lab.test \
		leftsubnet="$LAB_LEFT_LAN_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ipsec-interface=7 ike=aes_gcm256-sha2_512-dh19 esp=aes_gcm256 secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_check "pluto trafficstatus shows no SA for rw" lab_pluto_has_sa gw rw
	lab_ip left xfrm state >"$LAB_OUT/left-xfrm-state.txt" 2>&1 || true
	lab_ip left xfrm policy >"$LAB_OUT/left-xfrm-policy.txt" 2>&1 || true
	lab_assert_xfrm_state left 'aead rfc4106(gcm(aes))' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" 'mode tunnel'
	lab_ike_assert_xfrmi left ipsec7 7
	lab_ike_assert_routed left "$LAB_RIGHT_LAN"
	grep -Eq "^$LAB_RIGHT_LAN dev ipsec7 .*proto 78" "$LAB_OUT/left-table-2749.txt" ||
		lab_fail "$LAB_RIGHT_LAN is not routed via ipsec7: $(tr '\n' ';' <"$LAB_OUT/left-table-2749.txt")"
	lab_nsx left ip route get "$LAB_RHOST_IP" >"$LAB_OUT/left-route-get.txt" 2>&1 || true
	grep -q "dev ipsec7" "$LAB_OUT/left-route-get.txt" || lab_fail "traffic to $LAB_RHOST_IP does not take ipsec7: $(cat "$LAB_OUT/left-route-get.txt")"

	local before after
	before=$(lab_ike_link_packets left ipsec7)
	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_assert_ping rhost "$LAB_LEFT_LAN_IP"
	lab_timing ping
	lab_capture_stop wire
	after=$(lab_ike_link_packets left ipsec7)
	lab_ip left -s link show ipsec7 >"$LAB_OUT/left-ipsec7-stats.txt" 2>&1 || true
	lab_log "ipsec7 packets: $before -> $after"
	[ "$((after - before))" -ge 12 ] || lab_fail "only $((after - before)) packets went through ipsec7"
	lab_assert_xfrm_traffic left 12
	lab_assert_wire_protected 6 "left wan0" wire
	lab_pluto_trafficstatus gw >"$LAB_OUT/pluto-traffic.txt" 2>&1 || true

	# kill -9: the interface stays behind; a restart removes it (our alias, dead block) first.
	local pid
	pid=$(lab_daemon_pid client)
	kill -KILL "$pid"
	lab_retry "$(lab_scale 5)" eval "! kill -0 $pid" || lab_fail "nm-ike survived kill -9"
	lab_ike_residue left >"$LAB_OUT/residue-after-kill.txt"
	grep -q '^link: .*ipsec7' "$LAB_OUT/residue-after-kill.txt" || lab_fail "ipsec7 did not survive kill -9: the test proves nothing"
	cp "$LAB_RUN/client/client.toml" "$(lab_dir client2)/client2.toml"
	lab_ike_up client2 left --kernel xfrm
	lab_ike_wait client2 CHILD_SA_UP 60
	lab_timing tunnel-back
	grep -Eq 'removed 1 stale XFRM interfaces' "$LAB_RUN/client2/client2.out" ||
		lab_fail "the restarted nm-ike did not report removing the stale ipsec7"
	lab_ike_assert_xfrmi left ipsec7 7
	lab_assert_ping left "$LAB_RHOST_IP"

	lab_daemon_stop client2 20
	lab_ike_assert_clean left "after disconnect"
	if lab_ip left link show ipsec7 >/dev/null 2>&1; then lab_fail "ipsec7 still exists after disconnect"; fi
}
