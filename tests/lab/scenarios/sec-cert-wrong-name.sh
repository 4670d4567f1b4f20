# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 180
# lab-description: certificate authentication without rightid: a gateway whose certificate from the trusted CA names another host is refused (LOGIN_FAILED, our line names the expected and the presented identities); after it gets a certificate with the gateway's address as IP SAN, the same profile connects

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	local pki=$LAB_RUN/pki
	lab_topo --left-unconfigured
	lab_ca_create "$pki" ecdsa
	lab_cert_issue "$pki" other ecdsa other.lab.test DNS:other.lab.test
	lab_cert_issue "$pki" gwip ecdsa "$LAB_RIGHT_IP" "IP:$LAB_RIGHT_IP"
	lab_cert_issue "$pki" client ecdsa client.lab.test DNS:client.lab.test
	# 1. The CA we trust issued the gateway a certificate for other.lab.test only.
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" auth=pubkey local_id=other.lab.test \
		cert="$pki/other.crt" key="$pki/other.key" cacert="$pki/ca.crt" remote_id=client.lab.test \
		pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN"
	lab_charon_start gw right --libipsec
	# The host kernel has no ESP: IKE only (record), which is all this scenario is about.
	lab_nm_ike_client --env NM_IKE_KERNEL=record
	# No rightid: the gateway must prove the address in `right`.
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, leftid=client.lab.test, authby=rsasig, leftcert=$pki/client.crt, leftkey=$pki/client.key, rightca=$pki/ca.crt, rightsubnet=$LAB_RIGHT_LAN"
	local secs
	secs=$(lab_nm_ike_up_fails ikevpn "$LAB_OUT/up-wrong-name.txt" 60)
	lab_log "nmcli up failed after ${secs}s: $(tr '\n' ' ' <"$LAB_OUT/up-wrong-name.txt")"
	lab_nm_log_wait 'VPN plugin: failed: login-failed|plugin-failed.*login|vpn.*login-failed'
	grep -E 'login-failed' "$(lab_nm_dir)/nm.out" >"$LAB_OUT/nm-reason.txt" || true
	# Our line names what we expected (the address in `right`) and what the certificate names.
	lab_nm_log_wait "certificate .*${LAB_RIGHT_IP//./\\.}.*other\\.lab\\.test"
	grep -E "certificate .*other\\.lab\\.test" "$(lab_nm_dir)/nm.out" >"$LAB_OUT/our-line.txt" || true
	lab_assert_nm_state_not_activated ikevpn

	# 2. The gateway gets a certificate for its address: the same profile connects.
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" auth=pubkey local_id="$LAB_RIGHT_IP" \
		cert="$pki/gwip.crt" key="$pki/gwip.key" cacert="$pki/ca.crt" remote_id=client.lab.test \
		pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN"
	lab_charon_load gw
	lab_nm_vpn_up ikevpn
	lab_assert_nm_state ikevpn activated
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
}

lab_assert_nm_state_not_activated() {
	local st
	st=$(lab_nm_con_state "$1" 2>/dev/null || true)
	[ "$st" != activated ] || lab_fail "$1 is activated"
}
