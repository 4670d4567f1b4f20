# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-description: data plane, OCI style (mark-based): two route-based tunnels at once through VTI devices keyed with distinct XFRM marks (mark=5/0xffffffff vti-interface=vti01, mark=6 vti-interface=vti02 with encapsulation=yes as OCI asks), two nm-ike connections to two gateway addresses of one charon; SAs and policies carry the marks, both tunnels carry pings simultaneously both ways through their own device, ESP (and ESP-in-UDP for tunnel 2) on the wire; stopping one leaves the other working; nothing left at the end

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
# shellcheck source=../lib/two-tunnels.sh
source "$LAB_DIR/lib/two-tunnels.sh"
PSK="lab-dp-two-marks-0123456789"
TT_OPTS1=(mark=5/0xffffffff vti-interface=vti01)
TT_OPTS2=(mark=6 vti-interface=vti02 encapsulation=yes)
TT_DEV1=vti01
TT_DEV2=vti02

# tt_vti NAME MARK LOCAL REMOTE: a VTI device of ours with key MARK between LOCAL and REMOTE
tt_vti() {
	local ifn=$1 key=$2 local=$3 remote=$4 link keyq
	keyq="0.0.0.$key"
	link=$(lab_ip left -d link show "$ifn" 2>&1) || lab_fail "no device $ifn"
	echo "$link" >"$LAB_OUT/left-$ifn-link.txt"
	grep -Eq "vti remote $remote local $local .*ikey $keyq +okey $keyq" <<<"$link" ||
		lab_fail "$ifn is not a VTI $local -> $remote with key $key: $(echo "$link" | tr '\n' ' ' | cut -c1-300)"
	grep -q 'alias nm-ike:block=' <<<"$link" || lab_fail "$ifn does not carry our alias"
	grep -q '[<,]UP[,>]' <<<"$link" || lab_fail "$ifn is not up"
	lab_log "$ifn: vti $local -> $remote, key $key"
}

tt_assert_device() {
	if [ "$1" = 1 ]; then tt_vti vti01 5 "$LAB_LEFT_IP" "$LAB_RIGHT_IP"; else tt_vti vti02 6 "$LEFT2" "$GW2"; fi
}

tt_assert_devices() {
	tt_assert_device 1
	tt_assert_device 2
	[ "$(grep -c 'mark 0x5/0xffffffff' "$LAB_OUT/left-xfrm-state.txt")" -ge 2 ] || lab_fail "tunnel 1 has not 2 SAs with mark 5 (see left-xfrm-state.txt)"
	[ "$(grep -c 'mark 0x6/0xffffffff' "$LAB_OUT/left-xfrm-state.txt")" -ge 2 ] || lab_fail "tunnel 2 has not 2 SAs with mark 6 (see left-xfrm-state.txt)"
	grep -q 'mark 0x5/0xffffffff' "$LAB_OUT/left-xfrm-policy.txt" || lab_fail "tunnel 1's policies carry no mark 5"
	grep -q 'mark 0x6/0xffffffff' "$LAB_OUT/left-xfrm-policy.txt" || lab_fail "tunnel 2's policies carry no mark 6"
	grep -q 'encap type espinudp' "$LAB_OUT/left-xfrm-state.txt" || lab_fail "tunnel 2's SAs are not UDP-encapsulated (encapsulation=yes)"
}

tt_assert_wire() {
	# Tunnel 1 is plain ESP, tunnel 2 ESP-in-UDP (encapsulation=yes): 10 pings each.
	[ "$1" -ge 10 ] || lab_fail "only $1 ESP packets (tunnel 1) left wan0"
	[ "$(lab_capture_count wire 'udp port 4500')" -ge 10 ] || lab_fail "tunnel 2's ESP did not leave as ESP-in-UDP 4500"
}

tt_assert_gateway() {
	grep -q "remote 'client1.lab.test' @ $LAB_LEFT_IP\[500\]" "$LAB_OUT/gw-sas.txt" || lab_fail "charon does not see tunnel 1 from $LAB_LEFT_IP:500"
	grep -q "remote 'client2.lab.test' @ $LEFT2\[4500\]" "$LAB_OUT/gw-sas.txt" || lab_fail "charon does not see tunnel 2 from $LEFT2:4500 (forced encapsulation)"
}

scenario_run() {
	lab_two_tunnels
}
