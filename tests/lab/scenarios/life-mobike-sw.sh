# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: MOBIKE (RFC 4555), mobike=yes through NetworkManager against charon: the client has two uplinks to the gateway; the first goes down during a 0.05-s ping; we send UPDATE_SA_ADDRESSES from the second address and move our kernel SAs (XFRM_MSG_MIGRATE); charon keeps the same IKE SA (unique id and SPIs) and now sees us on the second address, the virtual address stays, NetworkManager stays activated, traffic passes again (prints the pings lost and the longest gap)

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
# shellcheck source=../lib/mobike.sh
source "$LAB_DIR/lib/mobike.sh"
PSK="lab-life-mobike-sw-0123456789"

scenario_run() {
	lab_mobike_setup "$PSK" "mobike=yes"
	local vip ike_before
	vip=$(lab_mobike_vip)
	[ -n "$vip" ] || lab_fail "no virtual address on wan0"
	# "rw: #1, ESTABLISHED, IKEv2, <spi_i>_i <spi_r>_r*" names the unique id and the SPIs.
	ike_before=$(grep -Eo 'rw: #[0-9]+, ESTABLISHED, IKEv2, [0-9a-f]+_i\*? [0-9a-f]+_r\*?' "$LAB_OUT/sas-before.txt" | head -n 1)
	[ -n "$ike_before" ] || lab_fail "no established IKE SA at charon, see sas-before.txt"

	lab_mobike_switch 200
	lab_charon_sas gw >"$LAB_OUT/sas-after.txt" 2>&1 || true
	grep -q "$LAB_LEFT_IP\[" "$LAB_OUT/sas-after.txt" ||
		lab_fail "charon does not see us on the second uplink ($LAB_LEFT_IP), see sas-after.txt"
	grep -qF "$ike_before" "$LAB_OUT/sas-after.txt" ||
		lab_fail "charon's IKE SA changed (before: $ike_before), see sas-after.txt"
	[ "$(grep -c 'ESTABLISHED' "$LAB_OUT/sas-after.txt")" = 1 ] ||
		lab_fail "charon holds more than one IKE SA, see sas-after.txt"
	lab_nm_log_wait "connection moved to a new path without a new IKE SA" 10
	lab_check "charon's CHILD_SA is not INSTALLED after the move" lab_charon_child_installed gw c
	lab_assert_nm_state ikevpn activated
	[ "$(lab_mobike_vip)" = "$vip" ] || lab_fail "the virtual address changed: $vip -> $(lab_mobike_vip)"
	# Our kernel SAs moved: the outbound SA now leaves from the second uplink.
	lab_ip left xfrm state >"$LAB_OUT/xfrm-after.txt"
	grep -q "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" "$LAB_OUT/xfrm-after.txt" ||
		lab_fail "no SA of ours from $LAB_LEFT_IP, see xfrm-after.txt"
	! grep -q "$MOBIKE_UPLINK1" "$LAB_OUT/xfrm-after.txt" ||
		lab_fail "an SA of ours still names the first uplink, see xfrm-after.txt"
	lab_assert_ping left "$LAB_RHOST_IP"
	[ "$MOBIKE_LOST" -lt "$MOBIKE_SENT" ] || lab_fail "no ping answered after the switch"
	echo "figures: MOBIKE switch: $MOBIKE_LOST of $MOBIKE_SENT pings (0.05 s apart) lost, longest gap ${MOBIKE_GAP}s, same IKE SA ($ike_before), virtual address $vip kept" >>"$LAB_OUT/figures.txt"

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
