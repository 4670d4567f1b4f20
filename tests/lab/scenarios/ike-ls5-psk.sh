# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: our nm-ike initiator -> Libreswan 5 (Debian 13's pluto from the lab's Debian 13 root), IKEv2 PSK, site to site with AES-GCM-256 and DH19; pluto 5's log and trafficstatus show the IKE SA and Child SA; ping between the LANs is counted by pluto; our delete clears pluto's SA

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-ls5-psk-0123456789"

scenario_run() {
	lab_topo
	lab_pluto_debian13 right
	lab_pluto_s2s_psk "$PSK"
	grep -q "Libreswan.* 5\." "$(lab_pluto_dir right)/pluto.log" ||
		lab_fail "the gateway is not Libreswan 5: $(grep -m1 -i 'starting pluto' "$(lab_pluto_dir right)/pluto.log")"
	lab_log "gateway: $(grep -m1 -o 'Libreswan[^(]* 5\.[0-9.]*' "$(lab_pluto_dir right)/pluto.log")"
	lab_route right "$LAB_LEFT_LAN" via "$LAB_LEFT_IP"
	lab_ike_up left left
	lab_ike_wait left CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_check "pluto 5 trafficstatus shows no SA for s2s" lab_pluto_has_sa right s2s
	lab_ls_assert_log right "established Child SA.*xfrm=AES_GCM_16_256"
	lab_ike_event left CHILD_SA_UP | lab_grepq "local_ts=$LAB_LEFT_LAN remote_ts=$LAB_RIGHT_LAN" ||
		lab_fail "our selectors differ: $(lab_ike_event left CHILD_SA_UP)"
	lab_assert_ping left "$LAB_RIGHT_LAN_IP" -I "$LAB_LEFT_LAN_IP"
	local in
	in=$(lab_pluto_sa_bytes right s2s in)
	lab_log "pluto 5 inBytes: ${in:-none}"
	[ "${in:-0}" -gt 0 ] || lab_fail "pluto 5 counted no inbound bytes"
	lab_daemon_stop left 10
	lab_wait "$(lab_scale 10)" "pluto 5 to drop the SA" eval "! lab_pluto_has_sa right s2s"
}
