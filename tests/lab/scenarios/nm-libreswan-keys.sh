# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: a profile written with NetworkManager-libreswan key names only (right, rightid, leftid, ike, esp, ikelifetime, salifetime, pfs, rightsubnet, leftsubnet, narrowing, fragmentation, dpddelay/dpdtimeout/dpdaction, ikev2=insist, pskvalue) connects through NM to a charon gateway with exactly those algorithms

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-nm-libreswan-keys-0123456789"

scenario_run() {
	lab_topo --left-unconfigured
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" remote_ts="$LAB_LEFT_LAN" \
		proposals=aes256-sha256-modp2048 esp_proposals=aes128-sha256-modp2048
	lab_charon_start gw right --libipsec
	lab_nm_ike_client
	# Exactly the keys (and value syntax) NetworkManager-libreswan writes.
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=@gw.lab.test, leftid=@client.lab.test, ike=aes256-sha2_256;modp2048, esp=aes128-sha2_256;modp2048, ikelifetime=3h, salifetime=1h, pfs=yes, rightsubnet=$LAB_RIGHT_LAN, leftsubnet=$LAB_LEFT_LAN, narrowing=yes, fragmentation=yes, dpddelay=30, dpdtimeout=120, dpdaction=clear, ikev2=insist, pskvalue-flags=0" \
		"pskvalue=$PSK"
	lab_nm_vpn_up ikevpn
	lab_assert_nm_state ikevpn activated
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	grep -Eq 'AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048' "$LAB_OUT/gw-sas.txt" || lab_fail "charon's IKE SA does not use aes256-sha256-modp2048 (see gw-sas.txt)"
	grep -Eq 'ESP:AES_CBC-128/HMAC_SHA2_256_128' "$LAB_OUT/gw-sas.txt" || lab_fail "charon's CHILD SA does not use aes128-sha256 (see gw-sas.txt)"
	grep -Eq "^ +local +$LAB_RIGHT_LAN\$" "$LAB_OUT/gw-sas.txt" || lab_fail "the CHILD SA's local selector is not $LAB_RIGHT_LAN"
	grep -Eq "^ +remote +$LAB_LEFT_LAN\$" "$LAB_OUT/gw-sas.txt" || lab_fail "the CHILD SA's remote selector is not $LAB_LEFT_LAN"
	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
}
