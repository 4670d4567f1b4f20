# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-description: data plane: two route-based XFRM-interface tunnels at once (two nm-ike connections to two gateway addresses of one charon, distinct if_ids 1 and 2 -> ipsec1/ipsec2, distinct reqid blocks); both carry pings simultaneously through their own interface, each SA pair counts; stopping one leaves the other working; nothing left at the end

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
# shellcheck source=../lib/two-tunnels.sh
source "$LAB_DIR/lib/two-tunnels.sh"
PSK="lab-dp-two-xfrmi-0123456789"
TT_OPTS1=(ipsec-interface=1)
TT_OPTS2=(ipsec-interface=2)
TT_DEV1=ipsec1
TT_DEV2=ipsec2

tt_assert_device() { lab_ike_assert_xfrmi left "ipsec$1" "$1"; }

tt_assert_devices() {
	tt_assert_device 1
	tt_assert_device 2
	[ "$(grep -c 'if_id 0x1' "$LAB_OUT/left-xfrm-state.txt")" -ge 2 ] || lab_fail "tunnel 1 has not 2 SAs on if_id 1"
	[ "$(grep -c 'if_id 0x2' "$LAB_OUT/left-xfrm-state.txt")" -ge 2 ] || lab_fail "tunnel 2 has not 2 SAs on if_id 2"
}

tt_assert_wire() { [ "$1" -ge 20 ] || lab_fail "only $1 ESP packets left wan0"; }

tt_assert_gateway() {
	grep -q "remote 'client2.lab.test' @ $LEFT2\[500\]" "$LAB_OUT/gw-sas.txt" || lab_fail "charon does not see tunnel 2 from $LEFT2:500"
	if grep -q "in-UDP" "$LAB_OUT/gw-sas.txt"; then lab_fail "charon UDP-encapsulates although there is no NAT"; fi
}

scenario_run() {
	lab_two_tunnels
}
