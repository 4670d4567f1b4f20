# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: data plane, site to site: lhost (net 1) <-> our router (nm-ike, XFRM) <-> Libreswan router <-> rhost (net 3); traffic between the host nets is ESP on the middle link both ways (captures), forwarded through our fwd policies, pluto's counters rise, nothing left after disconnect

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-ls-site-0123456789"

scenario_run() {
	lab_topo_site2site
	lab_pluto_conn gw site authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid=@gw.lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_IP" rightid=@site1.lab.test rightsubnet="$LAB_LEFT_LAN" \
		ike=aes_gcm256-sha2_512-dh19 esp=aes_gcm256
	lab_pluto_start gw right
	# pluto runs without updown: route net 1 towards us by hand (the policy does the rest).
	lab_route right "$LAB_LEFT_LAN" via "$LAB_LEFT_IP"
	lab_timing gateway-up
	lab_assert_no_ping lhost "$LAB_RHOST_IP"

	lab_ike_profile site1 right="$LAB_RIGHT_IP" rightid=@gw.lab.test leftid=@site1.lab.test \
		leftsubnet="$LAB_LEFT_LAN" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike=aes_gcm256-sha2_512-dh19 esp=aes_gcm256 secret.pskvalue="$PSK"
	lab_ike_up site1 left --kernel xfrm
	lab_ike_wait site1 CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_check "pluto trafficstatus shows no SA for site" lab_pluto_has_sa gw site
	lab_ip left xfrm state >"$LAB_OUT/left-xfrm-state.txt" 2>&1 || true
	lab_ip left xfrm policy >"$LAB_OUT/left-xfrm-policy.txt" 2>&1 || true
	lab_assert_xfrm_state left 'aead rfc4106(gcm(aes))' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" \
		"src $LAB_RIGHT_IP dst $LAB_LEFT_IP" 'mode tunnel'
	grep -q "src $LAB_RIGHT_LAN dst $LAB_LEFT_LAN" "$LAB_OUT/left-xfrm-policy.txt" &&
		grep -q "dir fwd" "$LAB_OUT/left-xfrm-policy.txt" ||
		lab_fail "no fwd policy for net 3 -> net 1 on our router (see left-xfrm-policy.txt)"
	lab_ike_assert_routed left "$LAB_RIGHT_LAN"

	# The middle link, both directions (outbound only: decapsulated packets reappear on input).
	lab_capture_start mid-ab left wan0 -Q out
	lab_capture_start mid-ba right wan0 -Q out
	lab_assert_ping lhost "$LAB_RHOST_IP"
	lab_assert_ping rhost "$LAB_LHOST_IP"
	lab_timing ping
	lab_capture_stop mid-ab
	lab_capture_stop mid-ba
	lab_assert_xfrm_traffic left 12
	local ab ba icmp in out
	ab=$(lab_capture_count mid-ab "esp and src $LAB_LEFT_IP and dst $LAB_RIGHT_IP")
	ba=$(lab_capture_count mid-ba "esp and src $LAB_RIGHT_IP and dst $LAB_LEFT_IP")
	icmp=$(($(lab_capture_count mid-ab icmp) + $(lab_capture_count mid-ba icmp)))
	lab_log "middle link: $ab ESP net1->net3, $ba ESP net3->net1, $icmp plaintext ICMP"
	[ "$ab" -ge 6 ] || lab_fail "only $ab ESP packets from our router on the middle link"
	[ "$ba" -ge 6 ] || lab_fail "only $ba ESP packets from the Libreswan router on the middle link"
	[ "$icmp" = 0 ] || lab_fail "$icmp plaintext ICMP packets on the middle link"
	lab_pluto_trafficstatus gw >"$LAB_OUT/pluto-traffic.txt" 2>&1 || true
	in=$(lab_pluto_sa_bytes gw site in)
	out=$(lab_pluto_sa_bytes gw site out)
	lab_log "pluto counters: in=$in out=$out"
	[ "${in:-0}" -gt 0 ] && [ "${out:-0}" -gt 0 ] || lab_fail "pluto's counters did not rise (in=$in out=$out)"

	lab_daemon_stop site1 20
	lab_ike_assert_clean left "after disconnect"
	lab_assert_no_ping lhost "$LAB_RHOST_IP"
}
