# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: IKEv1 with a Yamaha RTX's parameter set, named explicitly (aes128-sha1-modp1024 in both phases, PFS, IP addresses as IDs, ISAKMP SA 28800 s, IPsec SA 3600 s, DPD every 3 s here): our nm-ike -> strongSwan charon (version 1; Debian's Libreswan has no modp1024); charon's IKEv1 SAs and ours carry pings and charon answers our R-U-THERE checks while the tunnel stays up

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-v1-yamaha-0123456789"

scenario_run() {
	lab_topo_site2site
	lab_swanctl_conn gw conn=site version=1 local_addrs="$LAB_RIGHT_IP" remote_addrs="$LAB_LEFT_IP" \
		local_id="$LAB_RIGHT_IP" remote_id="$LAB_LEFT_IP" psk="$PSK" \
		local_ts="$LAB_RIGHT_LAN" remote_ts="$LAB_LEFT_LAN" \
		proposals=aes128-sha1-modp1024 esp_proposals=aes128-sha1-modp1024 \
		ike.rekey_time=0 child.rekey_time=0 child.start_action=none
	lab_charon_start gw right
	lab_timing gateway-up

	lab_ike_profile site1 right="$LAB_RIGHT_IP" ikev2=never \
		leftsubnet="$LAB_LEFT_LAN" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		"ike=aes128-sha1;modp1024" "esp=aes128-sha1;modp1024" ikelifetime=28800s salifetime=3600s \
		dpddelay=3s dpdtimeout=15s secret.pskvalue="$PSK"
	lab_ike_up site1 left --kernel xfrm
	lab_ike_wait site1 CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	grep -q "IKEv1" "$LAB_OUT/gw-sas.txt" || lab_fail "charon's IKE SA is not IKEv1 (see gw-sas.txt)"
	grep -q "AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024" "$LAB_OUT/gw-sas.txt" ||
		lab_fail "charon's IKE SA does not use aes128-sha1-modp1024 (see gw-sas.txt)"
	grep -q "AES_CBC-128/HMAC_SHA1_96/MODP_1024" "$LAB_OUT/gw-sas.txt" ||
		lab_fail "charon's IPsec SA does not use aes128-sha1 with PFS modp1024 (see gw-sas.txt)"
	lab_assert_xfrm_state left 'enc cbc(aes)' 'auth-trunc hmac(sha1)' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP"
	lab_assert_ping lhost "$LAB_RHOST_IP"
	lab_timing ping

	# Liveness: our R-U-THERE checks go out every 3 s and are answered.
	lab_capture_start ike left wan0 udp port 500 or udp port 4500
	lab_wait "$(lab_scale 20)" "two answered liveness checks" eval \
		'[ "$(lab_capture_count ike "src $LAB_RIGHT_IP and udp and udp[8:4] != 0")" -ge 2 ]'
	lab_capture_stop ike
	[ -z "$(lab_ike_event site1 FAILED)" ] || lab_fail "the connection failed: $(lab_ike_event site1 FAILED)"
	lab_daemon_alive site1 || lab_fail "nm-ike exited"
	lab_daemon_stop site1 20
	lab_ike_assert_clean left "after disconnect"
}
