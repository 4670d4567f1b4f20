# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-description: strangers cannot close the tunnel: after nmcli up, a third namespace sends to the client's IKE ports a well-formed IKE_SA_INIT request (also spoofed as the gateway), an INFORMATIONAL with random SPIs, random bytes and forged ICMP port unreachables; 10 s later the connection is still activated, the Child SA SPIs are unchanged and the ping passes

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-sec-stranger-0123456789"

scenario_run() {
	lab_nm_ike_pool_gateway "$PSK"
	lab_assert_nm_state ikevpn activated
	lab_assert_ping left "$LAB_RHOST_IP"
	local spis_before
	spis_before=$(lab_ike_spis left)
	[ -n "$spis_before" ] || lab_fail "no SA of ours in the kernel"
	echo "$spis_before" >"$LAB_OUT/spis-before.txt"

	# The stranger: a host on another link of the gateway's router (203.0.113.0/24).
	lab_ns_add stranger
	lab_veth right st0 stranger eth0
	lab_addr right st0 203.0.113.1/24
	lab_addr stranger eth0 203.0.113.2/24
	lab_route stranger default via 203.0.113.1
	lab_forwarding right 1
	# The router forwards what claims to come from its own address (the spoofed gateway).
	lab_nsx right sysctl -qw net.ipv4.conf.all.accept_local=1 net.ipv4.conf.st0.accept_local=1
	local s="$LAB_DIR/lib/ike-stranger.py" out="$LAB_OUT/stranger.txt"
	lab_capture_start ike left wan0 'udp port 500 or udp port 4500 or icmp'
	{
		lab_nsx stranger python3 "$s" init "$LAB_LEFT_IP"
		lab_nsx stranger python3 "$s" init "$LAB_LEFT_IP" --spoof "$LAB_RIGHT_IP"
		lab_nsx stranger python3 "$s" info "$LAB_LEFT_IP"
		lab_nsx stranger python3 "$s" info "$LAB_LEFT_IP" --spoof "$LAB_RIGHT_IP"
		lab_nsx stranger python3 "$s" random "$LAB_LEFT_IP"
		lab_nsx stranger python3 "$s" random "$LAB_LEFT_IP" --spoof "$LAB_RIGHT_IP"
		lab_nsx stranger python3 "$s" icmp "$LAB_LEFT_IP" --peer "$LAB_RIGHT_IP"
		lab_nsx stranger python3 "$s" icmp "$LAB_LEFT_IP" --peer "$LAB_RIGHT_IP" --spoof "$LAB_RIGHT_IP"
	} >"$out" 2>&1 || lab_fail "the stranger could not send: $(tail -n 3 "$out" | tr '\n' ' ')"
	lab_log "stranger: $(wc -l <"$out") packets sent"
	sleep 10
	lab_capture_stop ike
	local seen
	seen=$(lab_capture_count ike 'src host 203.0.113.2 or (src host '"$LAB_RIGHT_IP"' and icmp)')
	lab_log "left wan0 saw $seen of the stranger's packets (by source)"
	[ "$seen" -ge 6 ] || lab_fail "only $seen of the stranger's packets reached the client"
	# Our client must not have answered the stranger's IKE_SA_INIT.
	local answers
	answers=$(lab_capture_count ike 'dst host 203.0.113.2 and udp')
	[ "$answers" = 0 ] || lab_fail "the client answered the stranger ($answers datagrams)"

	lab_assert_nm_state ikevpn activated
	local spis_after
	spis_after=$(lab_ike_spis left)
	echo "$spis_after" >"$LAB_OUT/spis-after.txt"
	[ "$spis_after" = "$spis_before" ] || lab_fail "the Child SA SPIs changed: $(echo "$spis_before" | tr '\n' ' ') -> $(echo "$spis_after" | tr '\n' ' ')"
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
