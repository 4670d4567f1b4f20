# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: Yamaha RTX parameter set against charon: IKEv2 aes128-sha1-modp1024, ESP aes128-sha1 with PFS modp1024, lifetimes 28800 s / 3600 s, site to site

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-sw-yamaha-0123456789"

scenario_run() {
	lab_topo
	lab_swanctl_conn gw conn=s2s local_addrs="$LAB_RIGHT_IP" remote_addrs="$LAB_LEFT_IP" \
		local_id="$LAB_RIGHT_IP" remote_id="$LAB_LEFT_IP" psk="$PSK" \
		local_ts="$LAB_RIGHT_LAN" remote_ts="$LAB_LEFT_LAN" \
		proposals=aes128-sha1-modp1024 esp_proposals=aes128-sha1-modp1024 \
		ike.rekey_time=28800s child.rekey_time=3600s
	lab_charon_start gw right --libipsec
	lab_ike_profile rtx right="$LAB_RIGHT_IP" leftsubnet="$LAB_LEFT_LAN" rightsubnet="$LAB_RIGHT_LAN" \
		ike=aes128-sha1-modp1024 esp=aes128-sha1-modp1024 pfs=yes ikelifetime=28800s salifetime=3600s \
		leftmodecfgclient=no secret.pskvalue="$PSK"
	lab_ike_up rtx left
	lab_ike_wait rtx CHILD_SA_UP 30
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	grep -q "AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024" "$LAB_OUT/gw-sas.txt" ||
		lab_fail "IKE SA is not aes128-sha1-modp1024 (see gw-sas.txt)"
	grep -q "ESP:AES_CBC-128/HMAC_SHA1_96" "$LAB_OUT/gw-sas.txt" || lab_fail "ESP is not aes128-sha1 (see gw-sas.txt)"
	grep -Eq "local +$LAB_RIGHT_LAN" "$LAB_OUT/gw-sas.txt" || lab_fail "charon's local selector is not $LAB_RIGHT_LAN"
	grep -Eq "remote +$LAB_LEFT_LAN" "$LAB_OUT/gw-sas.txt" || lab_fail "charon's remote selector is not $LAB_LEFT_LAN"
	lab_ike_event rtx IKE_SA_UP | lab_grepq "proposal=aes128-sha1-modp1024" ||
		lab_fail "we report another IKE proposal: $(lab_ike_event rtx IKE_SA_UP)"
}
