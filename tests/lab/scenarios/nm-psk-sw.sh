# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 360
# lab-description: nmcli -> real NetworkManager -> our nm-ike-service with the XFRM kernel backend -> charon (kernel ESP): PSK, virtual IP, DNS and search domain pushed, routed in table 2749 by our rule, ping through the tunnel to a host behind the gateway; nmcli down leaves no SA, policy, route or rule behind

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-nm-psk-sw-0123456789"

scenario_run() {
	lab_nm_ike_pool_gateway "$PSK"

	lab_assert_nm_state ikevpn activated
	lab_nmcli connection show ikevpn >"$LAB_OUT/ikevpn.txt"
	grep -Eq '^IP4.ADDRESS\[1\]: +10\.3\.0\.[0-9]+/32' "$LAB_OUT/ikevpn.txt" || lab_fail "NM shows no virtual address (see ikevpn.txt)"
	grep -Eq '^IP4.DNS\[1\]: +10\.2\.0\.53' "$LAB_OUT/ikevpn.txt" || lab_fail "NM shows no DNS server (see ikevpn.txt)"
	grep -Eq '^IP4.DOMAIN\[1\]: +corp\.lab\.test' "$LAB_OUT/ikevpn.txt" || lab_fail "NM shows no search domain (see ikevpn.txt)"
	local vip
	vip=$(lab_ip left -4 addr show | grep -Eo 'inet 10\.3\.0\.[0-9]+' | head -n1 | cut -d' ' -f2)
	[ -n "$vip" ] || lab_fail "the virtual address is not on the client"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_assert_xfrm_state left 'aead rfc4106(gcm(aes))' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" 'mode tunnel'
	# Our route replaces its blackhole once NM has put the virtual address on wan0.
	lab_wait "$(lab_scale 10)" "our route from $vip in table 2749" eval \
		"lab_ip left route show table 2749 | lab_grepq '^$LAB_RIGHT_LAN .*src $vip'"
	lab_ike_assert_routed left "$LAB_RIGHT_LAN"
	lab_ip left route show table all >"$LAB_OUT/client-routes.txt" 2>&1 || true
	lab_ip left rule >"$LAB_OUT/client-rules.txt" 2>&1 || true

	lab_capture_start wire left wan0 -Q out
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_capture_stop wire
	lab_assert_xfrm_traffic left 6
	# What the demo shows: addresses, SAs (key lines left out), the gateway's view, a ping.
	lab_ip left addr show >"$LAB_OUT/client-addr.txt" 2>&1 || true
	lab_ip left -s xfrm state 2>/dev/null | grep -Ev '^\s*(aead|enc|auth|auth-trunc|comp) ' >"$LAB_OUT/client-xfrm.txt" || true
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt" 2>&1 || true
	lab_nsx left ping -c 3 -i 0.3 -W 2 "$LAB_RHOST_IP" >"$LAB_OUT/ping.txt" 2>&1 || true
	lab_assert_wire_protected 3 "left wan0" wire

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_wait "$(lab_scale 10)" "charon to drop the IKE SA" eval "! lab_charon_ike_established gw rw"
	lab_ike_assert_clean left "after nmcli connection down"
	if grep -rq "$PSK" "$(lab_nm_dir)"/*.log "$(lab_nm_dir)"/*.out 2>/dev/null; then lab_fail "the PSK appears in NM's or our logs"; fi
}
