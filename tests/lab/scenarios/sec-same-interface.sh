# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 600
# lab-description: kernel state belongs to its owner: two NetworkManager profiles with the same ipsec-interface (then two with the same vti-interface) to two gateways; the second is refused with a message naming the interface in use by the first, and the first keeps its device and keeps passing traffic

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK1="lab-sec-same-if-first-0123456789"
PSK2="lab-sec-same-if-second-0123456789"
GW2_IP=$LAB_GW2_IP # the second gateway (lab_nm_ike_two_gateways)
NET2=$LAB_NET2     # its protected network

# same_device FIRST SECOND DEVICE RESULT_PREFIX: FIRST is up on DEVICE, SECOND (same DEVICE) must
# fail with a message naming DEVICE, and FIRST still pings through DEVICE
same_device() {
	local first=$1 second=$2 dev=$3 tag=$4 before after
	lab_nm_vpn_up "$first"
	lab_assert_nm_state "$first" activated
	lab_wait "$(lab_scale 10)" "$dev to exist" eval "lab_ip left link show $dev >/dev/null 2>&1"
	lab_ip left -d link show "$dev" >"$LAB_OUT/$tag-link-before.txt" 2>&1
	local index
	index=$(lab_ip left -o link show "$dev" | cut -d: -f1)
	lab_assert_ping left "$LAB_RIGHT_LAN_IP"
	local secs
	secs=$(lab_nm_ike_up_fails "$second" "$LAB_OUT/$tag-up-second.txt" "$(lab_scale 30)")
	lab_log "$second failed after ${secs}s: $(tr '\n' ' ' <"$LAB_OUT/$tag-up-second.txt")"
	lab_nm_log_wait "$dev.*(in use|used by|belongs to)"
	grep -E "$dev.*(in use|used by|belongs to)" "$(lab_nm_dir)/nm.out" >"$LAB_OUT/$tag-our-line.txt" || true
	# The first connection kept its device (same index: not deleted and re-created) and works.
	lab_assert_nm_state "$first" activated
	[ "$(lab_ip left -o link show "$dev" | cut -d: -f1)" = "$index" ] || lab_fail "$dev was replaced (index $index changed)"
	grep -q 'alias nm-ike:block=' "$LAB_OUT/$tag-link-before.txt" || lab_fail "$dev does not carry our alias"
	[ "$(lab_ip left -d link show "$dev" | grep -o 'alias nm-ike:block=[0-9]*')" = "$(grep -o 'alias nm-ike:block=[0-9]*' "$LAB_OUT/$tag-link-before.txt")" ] ||
		lab_fail "$dev changed owner"
	before=$(lab_ike_link_packets left "$dev")
	lab_assert_ping left "$LAB_RIGHT_LAN_IP"
	after=$(lab_ike_link_packets left "$dev")
	[ "$after" -ge $((before + 6)) ] || lab_fail "the ping did not go through $dev ($before -> $after packets)"
	lab_nmcli connection down "$first" >/dev/null || lab_fail "nmcli connection down $first failed"
	lab_wait "$(lab_scale 10)" "$dev to disappear" eval "! lab_ip left link show $dev >/dev/null 2>&1"
}

scenario_run() {
	lab_nm_ike_two_gateways "$PSK1" "$PSK2"
	local one="rightid=gw1.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, esp=aes_gcm128, pskvalue-flags=0"
	local two="rightid=gw2.lab.test, leftid=client.lab.test, rightsubnet=$NET2, esp=aes_gcm128, pskvalue-flags=0"
	lab_nm_ike_add xfrm1 "right=$LAB_RIGHT_IP, $one, ipsec-interface=7" "pskvalue=$PSK1"
	lab_nm_ike_add xfrm2 "right=$GW2_IP, $two, ipsec-interface=7" "pskvalue=$PSK2"
	lab_nm_ike_add vti1 "right=$LAB_RIGHT_IP, $one, mark=5, vti-interface=vti5" "pskvalue=$PSK1"
	lab_nm_ike_add vti2 "right=$GW2_IP, $two, mark=6, vti-interface=vti5" "pskvalue=$PSK2"

	same_device xfrm1 xfrm2 ipsec7 xfrmi
	same_device vti1 vti2 vti5 vti
	lab_ike_assert_clean left "after both tests"
}
