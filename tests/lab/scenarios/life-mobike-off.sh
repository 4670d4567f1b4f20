# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: mobike=no (with dpdaction=restart) through NetworkManager against charon: the client has two uplinks to the gateway; the first goes down during a 0.05-s ping; the IKE SA cannot move, so it is deleted and a new one is set up from the second address (charon's next IKE SA, the first gone), with the same virtual address; NetworkManager stays activated and traffic passes again (prints the pings lost and the longest gap)

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
# shellcheck source=../lib/mobike.sh
source "$LAB_DIR/lib/mobike.sh"
PSK="lab-life-mobike-off-0123456789"

scenario_run() {
	lab_mobike_setup "$PSK" "mobike=no, dpdaction=restart"
	local vip first
	vip=$(lab_mobike_vip)
	[ -n "$vip" ] || lab_fail "no virtual address on wan0"
	first=$(grep -Eo 'rw: #[0-9]+' "$LAB_OUT/sas-before.txt" | head -n 1)
	[ -n "$first" ] || lab_fail "no IKE SA at charon, see sas-before.txt"

	lab_mobike_switch 300
	lab_nm_log_wait "MOBIKE is off" 10
	lab_wait "$(lab_scale 15)" "charon's new IKE SA with us on $LAB_LEFT_IP" lab_mobike_moved_sa
	lab_charon_sas gw >"$LAB_OUT/sas-after.txt" 2>&1 || true
	grep -q "$LAB_LEFT_IP\[" "$LAB_OUT/sas-after.txt" ||
		lab_fail "charon has no IKE SA with us on the second uplink ($LAB_LEFT_IP), see sas-after.txt"
	! grep -q "$first," "$LAB_OUT/sas-after.txt" ||
		lab_fail "charon still holds the first IKE SA ($first), see sas-after.txt"
	lab_assert_nm_state ikevpn activated
	lab_wait_addr left "inet $vip/" "the same virtual address $vip"
	lab_assert_ping left "$LAB_RHOST_IP"
	echo "figures: mobike=no switch: $MOBIKE_LOST of $MOBIKE_SENT pings (0.05 s apart) lost, longest gap ${MOBIKE_GAP}s, new IKE SA at charon (first was $first), virtual address $vip kept" >>"$LAB_OUT/figures.txt"

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}

# lab_mobike_moved_sa: charon holds an established IKE SA with us on the second uplink
lab_mobike_moved_sa() {
	lab_charon_sas gw 2>/dev/null | lab_grepq "ESTABLISHED" &&
		lab_charon_sas gw 2>/dev/null | lab_grepq "$LAB_LEFT_IP\["
}
