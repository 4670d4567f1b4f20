# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 360
# lab-description: route-based tunnel through a real NetworkManager: ipsec-interface=7 makes nm-ike-service create the XFRM interface ipsec7 (if_id 7, MTU below the link's), bind SAs and policies to it and hand it to NetworkManager as tundev with its MTU; NM puts the virtual IP on ipsec7, a ping to a host behind the charon gateway goes through it as ESP; nmcli down removes the interface and everything else

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-nm-xfrmi-0123456789"

scenario_run() {
	lab_nm_ike_pool_gateway "$PSK" "ipsec-interface=7"

	lab_assert_nm_state ikevpn activated
	lab_ike_assert_xfrmi left ipsec7 7
	lab_nmcli connection show ikevpn >"$LAB_OUT/ikevpn.txt"
	grep -Eq '^IP4.ADDRESS\[1\]: +10\.3\.0\.[0-9]+/32' "$LAB_OUT/ikevpn.txt" || lab_fail "NM shows no virtual address (see ikevpn.txt)"
	# NetworkManager took ipsec7 as the VPN's IP interface (nmcli shows the parent device).
	grep -q 'dev:[0-9]*:(ipsec7)\]: config4: reply received' "$(lab_nm_dir)"/nm.out ||
		lab_fail "NetworkManager did not take ipsec7 as the VPN's tundev"
	local vip
	vip=$(lab_ip left -4 addr show dev ipsec7 | grep -Eo 'inet 10\.3\.0\.[0-9]+' | head -n1 | cut -d' ' -f2)
	[ -n "$vip" ] || lab_fail "NetworkManager did not put the virtual address on ipsec7"
	lab_wait "$(lab_scale 10)" "our route via ipsec7 from $vip in table 2749" eval \
		"lab_ip left route show table 2749 | lab_grepq '^$LAB_RIGHT_LAN dev ipsec7 .*src $vip'"
	lab_ip left route show table all >"$LAB_OUT/client-routes.txt" 2>&1 || true

	local before after
	before=$(lab_ike_link_packets left ipsec7)
	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_capture_stop wire
	after=$(lab_ike_link_packets left ipsec7)
	lab_assert_xfrm_traffic left 6
	lab_log "ipsec7 packets $before -> $after"
	[ "$after" -ge $((before + 6)) ] || lab_fail "the ping did not go through ipsec7 ($before -> $after packets)"
	lab_assert_wire_protected 3 "left wan0" wire

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_wait "$(lab_scale 10)" "ipsec7 to disappear" eval "! lab_ip left link show ipsec7 >/dev/null 2>&1"
	lab_ike_assert_clean left "after nmcli connection down"
}
