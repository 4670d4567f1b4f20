# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: anchor: charon (initiator) <-> Libreswan pluto, IKEv2 PSK, site to site, kernel ESP AES-CBC/HMAC-SHA256, ping through, pluto trafficstatus shows the SA

PSK="lab-anchor-psk-0123456789"

scenario_run() {
	lab_topo_site2site
	lab_pluto_conn right s2s authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid=right@lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_PUBLIC_IP" rightid=left@lab.test rightsubnet="$LAB_LEFT_LAN" \
		ike=aes256-sha2_256-dh19 esp=aes256-sha2_256
	# updown is disabled for pluto: its route back to the other site
	lab_route right "$LAB_LEFT_LAN" via "$LAB_LEFT_PUBLIC_IP"
	lab_swanctl_conn left conn=s2s local_addrs="$LAB_LEFT_IP" remote_addrs="$LAB_RIGHT_IP" \
		local_id=left@lab.test remote_id=right@lab.test psk="$PSK" \
		local_ts="$LAB_LEFT_LAN" remote_ts="$LAB_RIGHT_LAN" \
		proposals=aes256-sha256-ecp256 esp_proposals=aes256-sha256
	lab_pluto_spawn right right
	lab_charon_spawn left left
	lab_pluto_ready right
	lab_charon_ready left
	lab_timing daemons-up

	lab_charon_initiate left c s2s
	lab_timing tunnel-up
	lab_check "child SA not INSTALLED on charon" lab_charon_child_installed left c
	lab_check "pluto trafficstatus shows no SA for s2s" lab_pluto_has_sa right s2s
	lab_assert_xfrm_state left 'enc cbc(aes)' 'auth-trunc hmac(sha256)' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP"
	lab_assert_xfrm_state right 'enc cbc(aes)' 'auth-trunc hmac(sha256)' "src $LAB_RIGHT_IP dst $LAB_LEFT_IP"

	lab_assert_ping lhost "$LAB_RHOST_IP"
	lab_timing ping
	lab_assert_xfrm_traffic left 6
	lab_assert_xfrm_traffic right 6
	lab_pluto_trafficstatus right | tee "$LAB_OUT/pluto-trafficstatus.txt" >&2
	local in out
	in=$(lab_pluto_sa_bytes right s2s in)
	out=$(lab_pluto_sa_bytes right s2s out)
	if [ "${in:-0}" -le 0 ] || [ "${out:-0}" -le 0 ]; then
		lab_fail "pluto counted no traffic on its SA (inBytes=${in:-?} outBytes=${out:-?})"
	fi
}
