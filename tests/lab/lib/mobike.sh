# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A client with two uplinks to one charon gateway, shared by life-mobike-sw (MOBIKE: the tunnel
# moves) and life-mobike-off (mobike=no: a new IKE SA from the new address).
#
#   left wan1 198.51.100.1 ---------------- 198.51.100.2 wan1 right   (first uplink, by hand)
#   left wan0 192.0.2.1 (NetworkManager) -- 192.0.2.2    wan0 right --- rhost 10.2.0.2
#
# The gateway's address is 192.0.2.2. A host route to it through wan1 (metric 10) makes wan1
# the first path, so IKE and ESP start from 198.51.100.1; wan0, NetworkManager's base device,
# is the second. Taking wan1 down (NetworkManager does not manage it, so the VPN's base device
# stays) moves our address towards the gateway to 192.0.2.1.

MOBIKE_UPLINK1=198.51.100.1

# lab_mobike_setup PSK DATA: the topology above, charon gw (MOBIKE on, a pool with DNS
# 10.2.0.53, the right LAN), NetworkManager with our plugin on wan0 and the profile ikevpn
# (plus DATA, comma-separated vpn.data items) activated; checks that IKE started on the first
# uplink.
lab_mobike_setup() {
	local psk=$1 data=$2
	lab_topo --left-unconfigured --rhost
	lab_veth left wan1 right wan1
	lab_addr left wan1 "$MOBIKE_UPLINK1/24"
	lab_addr right wan1 198.51.100.2/24
	lab_route left "$LAB_RIGHT_IP/32" via 198.51.100.2 dev wan1 metric 10
	lab_nm_ike_pool_charon "$psk" "    dns = 10.2.0.53"
	lab_charon_start gw right
	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, esp=aes_gcm128, pskvalue-flags=0, $data" \
		"pskvalue=$psk"
	lab_nm_vpn_up ikevpn
	lab_timing vpn-up
	lab_charon_sas gw >"$LAB_OUT/sas-before.txt" 2>&1 || true
	grep -q "$MOBIKE_UPLINK1\[" "$LAB_OUT/sas-before.txt" ||
		lab_fail "charon does not see us on the first uplink ($MOBIKE_UPLINK1), see sas-before.txt"
	lab_assert_ping left "$LAB_RHOST_IP"
}

# lab_mobike_vip: the virtual address NetworkManager put on wan0 (from the pool)
lab_mobike_vip() {
	lab_ip left -4 -o addr show dev wan0 | awk '{print $4}' | cut -d/ -f1 | grep '^10\.3\.0\.' | head -n 1
}

# lab_mobike_switch PINGS: pings rhost every 0.05 s (PINGS of them) while the first uplink goes
# down after 1 s; waits for the ping to end. Sets MOBIKE_LOST (pings without answer),
# MOBIKE_GAP (the longest time without an answer, seconds, from ping -D) and MOBIKE_SENT.
lab_mobike_switch() {
	local n=$1 out="$LAB_OUT/ping-switch.txt"
	lab_nsx left ping -D -n -i 0.05 -W 1 -c "$n" "$LAB_RHOST_IP" >"$out" 2>&1 &
	local pid=$!
	lab_register_pid "$pid" "ping during the switch"
	sleep 1
	lab_log "taking the first uplink (wan1) down"
	lab_timing uplink-down
	lab_ip left link set wan1 down
	wait "$pid" || true
	lab_timing ping-done
	MOBIKE_SENT=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$out")
	local got
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$out")
	[ -n "$MOBIKE_SENT" ] && [ -n "$got" ] || lab_fail "no ping summary, see ping-switch.txt"
	MOBIKE_LOST=$((MOBIKE_SENT - got))
	# The longest gap between two answers (ping -D prints [epoch.micro] per reply).
	MOBIKE_GAP=$(sed -n 's/^\[\([0-9.]*\)\].*bytes from.*/\1/p' "$out" |
		awk 'NR > 1 && $1 - p > g { g = $1 - p } { p = $1 } END { printf "%.2f", g + 0 }')
	lab_log "switch: $MOBIKE_LOST of $MOBIKE_SENT pings lost, longest gap ${MOBIKE_GAP}s"
}
