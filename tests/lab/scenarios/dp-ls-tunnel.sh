# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: data plane: our nm-ike (XFRM kernel backend) <-> Libreswan pluto, policy-based tunnel, kernel ESP AES-GCM-256; ping both ways, ESP on the wire, our counters and pluto's rise, nothing left after disconnect

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-ls-tunnel-0123456789"

scenario_run() {
	lab_topo_client_gw
	lab_pluto_conn gw rw authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid=@gw.lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_IP" rightid=@client.lab.test rightsubnet="$LAB_LEFT_IP/32" \
		ike=aes_gcm256-sha2_512-dh19 esp=aes_gcm256
	lab_pluto_start gw right
	lab_timing gateway-up
	lab_assert_no_ping rhost "$LAB_LEFT_IP"

	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=@gw.lab.test leftid=@client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike=aes_gcm256-sha2_512-dh19 esp=aes_gcm256 secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_check "pluto trafficstatus shows no SA for rw" lab_pluto_has_sa gw rw
	lab_ip left xfrm state >"$LAB_OUT/left-xfrm-state.txt" 2>&1 || true
	lab_assert_xfrm_state left 'aead rfc4106(gcm(aes))' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" \
		"src $LAB_RIGHT_IP dst $LAB_LEFT_IP" 'mode tunnel'
	lab_ike_assert_routed left "$LAB_RIGHT_LAN"

	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_assert_ping rhost "$LAB_LEFT_IP"
	lab_timing ping
	lab_capture_stop wire
	lab_assert_xfrm_traffic left 12
	local in out
	lab_assert_wire_protected 6 "left wan0" wire
	lab_pluto_trafficstatus gw >"$LAB_OUT/pluto-traffic.txt" 2>&1 || true
	in=$(lab_pluto_sa_bytes gw rw in)
	out=$(lab_pluto_sa_bytes gw rw out)
	lab_log "pluto counters: in=$in out=$out"
	[ "${in:-0}" -gt 0 ] && [ "${out:-0}" -gt 0 ] || lab_fail "pluto's counters did not rise (in=$in out=$out)"

	lab_daemon_stop client 20
	lab_ike_assert_clean left "after disconnect"
	lab_wait "$(lab_scale 10)" "pluto to drop the SA" eval "! lab_pluto_has_sa gw rw"
}
