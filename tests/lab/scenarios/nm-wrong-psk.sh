# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: nmcli up with a wrong PSK (saved in the profile) to a charon gateway: NM shows the activation failed with the VPN failure reason LOGIN_FAILED, and our journal line (in NM's log) says the PSK or identity was rejected

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	lab_topo --left-unconfigured
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="the-right-psk-0123456789" local_ts="$LAB_RIGHT_LAN" pool="$LAB_POOL"
	lab_charon_start gw right --libipsec
	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, pskvalue-flags=0" \
		"pskvalue=a-wrong-psk-0123456789"
	local secs
	secs=$(lab_nm_ike_up_fails ikevpn "$LAB_OUT/up.txt" 60)
	lab_log "nmcli up failed after ${secs}s: $(tr '\n' ' ' <"$LAB_OUT/up.txt")"
	# NM's own record of the failure: the VPN plugin's failure reason and the state reason.
	lab_nm_log_wait 'VPN plugin: failed: login-failed|plugin-failed.*login|vpn.*login-failed'
	grep -Eq 'login-failed|LOGIN_FAILED|[Ll]ogin failed' "$LAB_OUT/up.txt" "$(lab_nm_dir)/nm.out" ||
		lab_fail "no LOGIN_FAILED in NM's log or nmcli's output"
	grep -E 'login-failed' "$(lab_nm_dir)/nm.out" >"$LAB_OUT/nm-reason.txt" || true
	# Our plain-language line.
	lab_nm_log_wait 'rejected our authentication.*pre-shared key or our identity'
	grep -E 'rejected our authentication' "$(lab_nm_dir)/nm.out" >"$LAB_OUT/our-line.txt" || true
	lab_assert_nm_state_not_activated ikevpn
}

lab_assert_nm_state_not_activated() {
	local st
	st=$(lab_nm_con_state "$1" 2>/dev/null || true)
	[ "$st" != activated ] || lab_fail "$1 is activated"
}
