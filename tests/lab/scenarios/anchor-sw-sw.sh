# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: anchor: charon <-> charon, IKEv2 PSK, site to site (4 namespaces), kernel ESP AES-GCM, ping host to host through the tunnel

PSK="lab-anchor-psk-0123456789"

scenario_run() {
	lab_topo_site2site
	lab_swanctl_conn right conn=s2s local_addrs="$LAB_RIGHT_IP" remote_addrs="$LAB_LEFT_PUBLIC_IP" \
		local_id=right@lab.test remote_id=left@lab.test psk="$PSK" \
		local_ts="$LAB_RIGHT_LAN" remote_ts="$LAB_LEFT_LAN" \
		proposals=aes128gcm16-prfsha256-x25519 esp_proposals=aes128gcm16
	lab_swanctl_conn left conn=s2s local_addrs="$LAB_LEFT_IP" remote_addrs="$LAB_RIGHT_IP" \
		local_id=left@lab.test remote_id=right@lab.test psk="$PSK" \
		local_ts="$LAB_LEFT_LAN" remote_ts="$LAB_RIGHT_LAN" \
		proposals=aes128gcm16-prfsha256-x25519 esp_proposals=aes128gcm16
	lab_charon_spawn right right
	lab_charon_spawn left left
	lab_charon_ready right
	lab_charon_ready left
	lab_timing daemons-up
	# without the tunnel there is no path between the sites
	lab_assert_no_ping lhost "$LAB_RHOST_IP"

	# outgoing direction only: decapsulated packets show up again on the receiving interface
	lab_capture_start wire-l left wan0 -Q out
	lab_capture_start wire-r right wan0 -Q out
	lab_charon_initiate left c s2s
	lab_timing tunnel-up
	lab_check "child SA not INSTALLED on left" lab_charon_child_installed left c
	lab_check "child SA not INSTALLED on right" lab_charon_child_installed right c
	lab_assert_xfrm_state left 'aead rfc4106(gcm(aes))' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" 'mode tunnel'
	lab_assert_xfrm_state right 'aead rfc4106(gcm(aes))' "src $LAB_RIGHT_IP dst $LAB_LEFT_IP"

	lab_assert_ping lhost "$LAB_RHOST_IP"
	lab_timing ping
	lab_assert_xfrm_traffic left 6
	lab_assert_xfrm_traffic right 6
	lab_capture_stop wire-l
	lab_capture_stop wire-r
	lab_assert_wire_protected 6 "on the wire" wire-l wire-r
	lab_charon_sas left >"$LAB_OUT/left-sas.txt"
}
