# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The TunnelVision (CVE-2024-3661) scenario through NetworkManager, shared by nm-tunnelvision
# (defaults) and nm-tunnelvision-user-table (the user's own ipv4.route-table and
# ipv4.routing-rules on the VPN profile).

# lab_tunnelvision_scenario PSK [NMCLI-MODIFY-ARGS...]: client with our plugin, charon gateway
# with a virtual IP; after activation a rogue LAN route more specific than the protected network
# appears in main; asserts that only ESP leaves, nothing reaches the rogue router, ping works.
# With NMCLI-MODIFY-ARGS the VPN profile is modified first (e.g. ipv4.route-table 300); the
# kernel's route choice must then be table 2749 or the user's table ($TV_USER_TABLE).
# $TV_BASE_RULE: a routing rule for the LAN profile (ipv4.routing-rules), applied first.
lab_tunnelvision_scenario() {
	local PSK=$1
	shift
	local tables=2749
	[ -z "${TV_USER_TABLE:-}" ] || tables="(2749|$TV_USER_TABLE)"

	lab_topo --left-unconfigured --lhost --rhost # lhost plays the rogue LAN router
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" pool="$LAB_POOL" \
		esp_proposals=aes128gcm16
	lab_charon_start gw right

	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, esp=aes_gcm128, pskvalue-flags=0" \
		"pskvalue=$PSK"
	if [ $# -gt 0 ]; then
		lab_nmcli connection modify ikevpn "$@" || lab_fail "nmcli connection modify ikevpn $* failed"
	fi
	if [ -n "${TV_BASE_RULE:-}" ]; then
		# NetworkManager applies routing rules of device connections (not of VPNs): the user's
		# rule goes on the LAN profile.
		lab_nmcli connection modify base ipv4.routing-rules "$TV_BASE_RULE" ||
			lab_fail "nmcli connection modify base ipv4.routing-rules failed"
		lab_nmcli --wait "$(lab_scale 30)" connection up base >/dev/null || lab_fail "re-activating base failed"
	fi
	lab_nm_vpn_up ikevpn
	lab_timing vpn-up
	lab_assert_nm_state ikevpn activated
	lab_vip_routed "$LAB_RIGHT_LAN"
	grep -Eq '^2749:.*lookup 2749 proto 78' "$LAB_OUT/left-rules.txt" || lab_fail "our rule is not at priority 2749: $(tr '\n' ';' <"$LAB_OUT/left-rules.txt")"

	# The attack: a more specific route for the protected network via the rogue LAN router.
	lab_route left 10.2.0.0/25 via "$LAB_LHOST_IP" dev lan0
	lab_ip left route show table all >"$LAB_OUT/client-routes.txt" 2>&1 || true
	lab_ip left route get "$LAB_RHOST_IP" >"$LAB_OUT/route-get.txt" 2>&1 || true
	lab_log "route get $LAB_RHOST_IP: $(tr '\n' ' ' <"$LAB_OUT/route-get.txt")"
	grep -Eq "table $tables( |$)" "$LAB_OUT/route-get.txt" || lab_fail "the kernel chooses neither table $tables: $(cat "$LAB_OUT/route-get.txt")"

	lab_capture_start lan left lan0
	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_capture_stop wire
	lab_capture_stop lan
	lab_assert_xfrm_traffic left 6
	local esp plain lanplain
	esp=$(lab_capture_count wire esp)
	plain=$(lab_capture_count wire net "$LAB_RIGHT_LAN")
	lanplain=$(lab_capture_count lan net "$LAB_RIGHT_LAN")
	lab_log "wan0 out: $esp ESP, $plain plaintext to $LAB_RIGHT_LAN; lan0: $lanplain to $LAB_RIGHT_LAN"
	[ "$esp" -ge 3 ] || lab_fail "only $esp ESP packets on the outer link"
	[ "$plain" = 0 ] || lab_fail "$plain plaintext packets to $LAB_RIGHT_LAN on the outer link"
	[ "$lanplain" = 0 ] || lab_fail "$lanplain packets to $LAB_RIGHT_LAN went to the rogue LAN router"
	# The tunnel is still intact after the attack.
	lab_ike_assert_routed left "$LAB_RIGHT_LAN"
	lab_assert_nm_state ikevpn activated

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ip left route del 10.2.0.0/25 via "$LAB_LHOST_IP" dev lan0
	lab_ike_assert_clean left "after nmcli connection down"
}
