# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 480
# lab-description: seed 003, OCI's two tunnels: two route-based connections (ipsec-interface=1 and 2) to two pluto headends (192.0.2.2, 203.0.113.2), both with 0.0.0.0/0 selectors and the OCI parameters (ike=aes_cbc256-sha2_384;modp1536, esp=aes_gcm256;modp1536 with PFS, forced UDP encapsulation); the second connection's IKE reaches its own gateway (a throw route for each gateway in table 2749), both carry pings through their own interface, each tunnel keeps every ping while the other is taken down and brought up again, ESP-in-UDP counted on both links, no plaintext ICMP, nothing of ours left

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-seed-003-oci-two-0123456789"
# The second headend: its own link and address, as OCI gives each tunnel its own endpoint.
GW2=203.0.113.2
LEFT2=203.0.113.1
# What each headend answers on inside its tunnel (on its lo).
NET1=10.2.1.1
NET2=10.2.2.1
OCI=("ike=aes_cbc256-sha2_384;modp1536" "esp=aes_gcm256;modp1536" encapsulation=yes
	ikelifetime=28800s salifetime=3600s)
# Pings while the other tunnel goes down and comes back.
PINGS=160

# oci_headend NAME ROLE GW CLIENT: pluto NAME in ROLE at GW for our CLIENT address, 0.0.0.0/0 both
# sides, OCI's parameters (spawned, not waited for)
oci_headend() {
	local name=$1 role=$2 gw=$3 client=$4
	lab_pluto_conn "$name" oci authby=secret psk="$PSK" \
		left="$gw" leftid="$gw" leftsubnet=0.0.0.0/0 \
		right="$client" rightid="$client" rightsubnet=0.0.0.0/0 \
		ikev2=insist pfs=yes "${OCI[@]}"
	lab_pluto_spawn "$name" "$role"
}

# oci_up NAME PROFILE: nm-ike up with PROFILE's profile as daemon NAME, waits for its Child SA
oci_up() {
	local name=$1 profile=$2
	[ "$name" = "$profile" ] || cp "$LAB_RUN/$profile/$profile.toml" "$(lab_dir "$name")/$name.toml"
	lab_ike_up "$name" left --kernel xfrm
	lab_ike_wait "$name" CHILD_SA_UP 60
	lab_ike_event "$name" CHILD_SA_UP | lab_grepq "encap=true" ||
		lab_fail "$name: ESP is not UDP-encapsulated: $(lab_ike_event "$name" CHILD_SA_UP)"
}

# oci_sa_packets IF_ID: packets counted by our SAs bound to IF_ID
oci_sa_packets() {
	lab_ip left -s xfrm state 2>/dev/null | awk -v id="$(printf 'if_id 0x%x' "$1")" '
		function flush() { if (mine) s += p; mine = 0; p = 0 }
		/^src / { flush() }
		index($0, id) { mine = 1 }
		cur { if (match($0, /[0-9]+\(packets\)/)) p = substr($0, RSTART, RLENGTH - 9); cur = 0 }
		/lifetime current:/ { cur = 1 }
		END { flush(); print s + 0 }'
}

# oci_keeps N DEV DST STOP START: PINGS pings through tunnel N (DEV to DST) while connection STOP
# is stopped and brought up again as START; every ping must be answered
oci_keeps() {
	local n=$1 dev=$2 dst=$3 stop=$4 start=$5 pid r=0 t0 other
	other=ipsec$((3 - n))
	lab_nsx left ping -n -c "$PINGS" -i 0.2 -W "$(lab_scale 2)" -I "$dev" "$dst" >"$LAB_OUT/keep$n.txt" 2>&1 &
	pid=$!
	t0=$SECONDS
	lab_daemon_stop "$stop" 20
	lab_retry "$(lab_scale 5)" eval "! lab_ip left link show $other >/dev/null 2>&1" ||
		lab_fail "$other still exists after $stop stopped"
	oci_up "$start" "$stop"
	lab_assert_ping left "${OTHER_DST[$n]}" -I "$other"
	local cycle=$((SECONDS - t0))
	kill -0 "$pid" 2>/dev/null ||
		lab_fail "the $PINGS pings through $dev ended before $stop was back (${cycle}s): they prove nothing"
	wait "$pid" || r=$?
	lab_log "tunnel $n while $stop went down and came back (${cycle}s): $(grep transmitted "$LAB_OUT/keep$n.txt")"
	grep -q "^$PINGS packets transmitted, $PINGS received" "$LAB_OUT/keep$n.txt" ||
		lab_fail "tunnel $n lost pings while $stop went down and came back: $(grep transmitted "$LAB_OUT/keep$n.txt") (ping status $r)"
}

scenario_run() {
	lab_topo
	lab_ns_add right2
	lab_veth left wan1 right2 wan0
	lab_addr left wan1 "$LEFT2/24"
	lab_addr right2 wan0 "$GW2/24"
	lab_addr right lo "$NET1/32"
	lab_addr right2 lo "$NET2/32"
	# The headends' answers: their policies send everything into the tunnel, given a route.
	lab_route right "$LAB_LEFT_LAN_IP/32" via "$LAB_LEFT_IP"
	lab_route right2 "$LAB_LEFT_LAN_IP/32" via "$LEFT2"
	oci_headend gw1 right "$LAB_RIGHT_IP" "$LAB_LEFT_IP"
	oci_headend gw2 right2 "$GW2" "$LEFT2"
	lab_pluto_ready gw1
	lab_pluto_ready gw2
	lab_timing headends-up

	# retransmit-tries=6 (63 s): pluto answered the first IKE_AUTH of the VM only after it had
	# installed the first AES-GCM SA, 13 s and 28 s later in two runs under TCG (0.1 s for every
	# later one), and the default gives up after 15 s.
	local common=(leftsubnet=0.0.0.0/0 rightsubnet=0.0.0.0/0 leftmodecfgclient=no ikev2=insist
		"${OCI[@]}" retransmit-tries=6 secret.pskvalue="$PSK")
	lab_ike_profile t1 right="$LAB_RIGHT_IP" ipsec-interface=1 "${common[@]}"
	lab_ike_profile t2 right="$GW2" ipsec-interface=2 "${common[@]}"
	oci_up t1 t1
	lab_timing tunnel1-up
	# The second connection starts while the first one's 0.0.0.0/0 routes are in table 2749.
	oci_up t2 t2
	lab_timing tunnel2-up
	lab_ike_event t2 IKE_SA_UP | lab_grepq "remote=$GW2:4500" ||
		lab_fail "tunnel 2's IKE SA is not with $GW2:4500: $(lab_ike_event t2 IKE_SA_UP)"
	lab_check "pluto gw1 shows no SA for oci" lab_pluto_has_sa gw1 oci
	lab_check "pluto gw2 shows no SA for oci" lab_pluto_has_sa gw2 oci
	lab_ls_assert_log gw2 "established Child SA.*\[0\.0\.0\.0-255\.255\.255\.255:0-65535 0\] -> \[0\.0\.0\.0-255\.255\.255\.255:0-65535 0\] \{ESPinUDP=>.*xfrm=AES_GCM_16_256-NONE"
	lab_ike_assert_xfrmi left ipsec1 1
	lab_ike_assert_xfrmi left ipsec2 2
	lab_ip left route show table 2749 >"$LAB_OUT/left-table-2749.txt" 2>&1 || true
	lab_log "table 2749: $(tr '\n' ';' <"$LAB_OUT/left-table-2749.txt")"
	local gw
	for gw in "$LAB_RIGHT_IP" "$GW2"; do
		grep -Eq "^throw $gw .*proto 78" "$LAB_OUT/left-table-2749.txt" ||
			lab_fail "no throw route of ours for the gateway $gw in table 2749"
	done

	# Both at once, each through its own interface.
	local a1 a2 b1 b2 p1 p2 r1=0 r2=0
	OTHER_DST=([1]="$NET2" [2]="$NET1")
	a1=$(oci_sa_packets 1)
	a2=$(oci_sa_packets 2)
	lab_capture_start wire1 left wan0 -Q out
	lab_capture_start wire2 left wan1 -Q out
	lab_nsx left ping -n -c 10 -i 0.2 -W "$(lab_scale 2)" -I ipsec1 "$NET1" >"$LAB_OUT/ping1.txt" 2>&1 &
	p1=$!
	lab_nsx left ping -n -c 10 -i 0.2 -W "$(lab_scale 2)" -I ipsec2 "$NET2" >"$LAB_OUT/ping2.txt" 2>&1 &
	p2=$!
	wait "$p1" || r1=$?
	wait "$p2" || r2=$?
	[ "$r1" = 0 ] || lab_fail "tunnel 1: no ping replies from $NET1: $(grep transmitted "$LAB_OUT/ping1.txt")"
	[ "$r2" = 0 ] || lab_fail "tunnel 2: no ping replies from $NET2: $(grep transmitted "$LAB_OUT/ping2.txt")"
	lab_log "simultaneous: $(grep transmitted "$LAB_OUT/ping1.txt") / $(grep transmitted "$LAB_OUT/ping2.txt")"
	lab_timing ping
	b1=$(oci_sa_packets 1)
	b2=$(oci_sa_packets 2)
	lab_log "packets of our SAs: if_id 1 $a1 -> $b1, if_id 2 $a2 -> $b2"
	[ "$((b1 - a1))" -ge 20 ] || lab_fail "only $((b1 - a1)) packets through the SAs of tunnel 1"
	[ "$((b2 - a2))" -ge 20 ] || lab_fail "only $((b2 - a2)) packets through the SAs of tunnel 2"

	# Each keeps every packet while the other goes down and comes back.
	oci_keeps 1 ipsec1 "$NET1" t2 t2b
	lab_timing keep1
	oci_keeps 2 ipsec2 "$NET2" t1 t1b
	lab_timing keep2
	lab_capture_stop wire1
	lab_capture_stop wire2
	b2=$(oci_sa_packets 2)
	lab_log "packets of the SAs of tunnel 2 since it came back: $b2"
	[ "$b2" -ge "$((2 * PINGS))" ] || lab_fail "only $b2 packets through the SAs of tunnel 2 since it came back"
	local in1 in2
	in1=$(lab_pluto_sa_bytes gw1 oci in)
	in2=$(lab_pluto_sa_bytes gw2 oci in)
	lab_log "pluto inBytes: gw1 ${in1:-?}, gw2 ${in2:-?}"
	[ "${in1:-0}" -gt 0 ] || lab_fail "pluto gw1 counted no ESP bytes in"
	[ "${in2:-0}" -gt 0 ] || lab_fail "pluto gw2 counted no ESP bytes in"
	# ESP in UDP 4500 (non-ESP marker: 4 zero octets), no plaintext ICMP on either link.
	lab_assert_wire_protected --esp "udp port 4500 and udp[8:4] != 0" "$((PINGS + 10))" "left wan0" wire1
	lab_assert_wire_protected --esp "udp port 4500 and udp[8:4] != 0" "$((PINGS + 10))" "left wan1" wire2

	lab_daemon_stop t1b 20
	lab_daemon_stop t2b 20
	lab_ike_assert_clean left "after both disconnected"
}
