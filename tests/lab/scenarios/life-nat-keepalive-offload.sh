# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-vm-kernel: debian13
# lab-timeout: 420
# lab-description: NAT keepalives sent by the kernel (Linux 6.12, XFRMA_NAT_KEEPALIVE_INTERVAL): our nm-ike (XFRM) behind a NAT router that forgets idle UDP mappings after 25 s, charon as the gateway; our outbound SA carries the 20-s interval (read back from the kernel), the kernel's 1-octet keepalives cross the NAT's outer link while our service sends none, and after 75 s idle a host behind the gateway still reaches us

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-nat-keepalive-offload-0123456789"
IDLE=75

scenario_run() {
	case $(uname -r) in
	6.1[1-9].* | [7-9].*) ;;
	*) lab_fail "needs Linux 6.11 or later (the debian13 VM), runs on $(uname -r)" ;;
	esac
	lab_topo_client_nat_gw
	# A home router's memory: UDP mappings die after 25 s without a packet.
	lab_nsx nat sysctl -qw net.netfilter.nf_conntrack_udp_timeout=25 net.netfilter.nf_conntrack_udp_timeout_stream=25 ||
		lab_fail "cannot shorten the NAT's UDP conntrack timeouts"
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" remote_ts="$LAB_LEFT_IP/32" \
		proposals=aes256gcm16-prfsha384-x25519 esp_proposals=aes128gcm16 child.start_action=none
	lab_charon_start gw right

	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike=aes256gcm16-prfsha384-x25519 esp=aes128gcm16 nat-keepalive=20s secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_ike_event client IKE_SA_UP | lab_grepq "nat_local=true" ||
		lab_fail "we did not detect our NAT: $(lab_ike_event client IKE_SA_UP)"
	local log=$LAB_RUN/client/client.out
	grep -q "NAT-keepalives are sent by the kernel: every 20 s" "$log" ||
		lab_fail "no 'NAT-keepalives are sent by the kernel' line in our log: $(grep -m1 'NAT-keepalives are sent' "$log")"

	# The kernel's own view (iproute2 6.1 prints neither the direction nor the interval).
	lab_nsx left python3 "$LAB_DIR/lib/xfrm-sa-attrs.py" >"$LAB_OUT/sa-attrs.txt" ||
		lab_fail "cannot dump the SAs (see sa-attrs.txt)"
	lab_ip left -s xfrm state >"$LAB_OUT/xfrm-state.txt" 2>&1 || true
	local out_sa in_sa
	out_sa=$(grep "src=$LAB_LEFT_IP dst=$LAB_RIGHT_IP " "$LAB_OUT/sa-attrs.txt" || true)
	in_sa=$(grep "src=$LAB_RIGHT_IP dst=$LAB_LEFT_IP " "$LAB_OUT/sa-attrs.txt" || true)
	lab_log "outbound SA: $out_sa"
	lab_log "inbound SA: $in_sa"
	case $out_sa in
	*"encap=4500:4500 dir=out nat_keepalive_interval=20"*) ;;
	*) lab_fail "our outbound SA does not carry the 20-s keepalive interval: '$out_sa' (see sa-attrs.txt)" ;;
	esac
	case $in_sa in
	*nat_keepalive_interval*) lab_fail "the inbound SA carries a keepalive interval: '$in_sa'" ;;
	"") lab_fail "no inbound SA in sa-attrs.txt" ;;
	esac
	lab_assert_ping left "$LAB_RHOST_IP"

	lab_capture_start outer nat out0
	lab_log "idle for $IDLE s (the NAT forgets a mapping after 25 s of silence)"
	sleep "$IDLE"
	lab_nsx nat conntrack -L -p udp >"$LAB_OUT/conntrack.txt" 2>&1 || true
	lab_assert_ping rhost "$LAB_LEFT_IP"
	lab_capture_stop outer
	local keepalives ours left
	# UDP length 9: the 8-octet header and the single 0xFF octet.
	keepalives=$(lab_capture_count outer "src $LAB_LEFT_PUBLIC_IP and udp dst port 4500 and udp[4:2] = 9 and udp[8] = 0xff")
	tcpdump -n -r "$LAB_RUN/outer/outer.pcap" >"$LAB_OUT/outer.txt" 2>/dev/null || true
	# Ours: the service logs every keepalive it sends, and every one it leaves to the kernel.
	ours=$(grep -c "NAT-keepalive sent to .* by the service" "$log" || true)
	left=$(grep -c "NAT-keepalive to .* left to the kernel" "$log" || true)
	lab_log "keepalives on the NAT's outer link in $IDLE s idle: $keepalives; sent by our service: $ours; left to the kernel: $left"
	echo "figures: keepalives on the wire in ${IDLE}s idle: $keepalives (kernel), sent by the service: $ours, left to the kernel by the service: $left" >>"$LAB_OUT/figures.txt"
	[ "$ours" -eq 0 ] || lab_fail "our service sent $ours NAT-keepalives itself although the kernel sends them"
	[ "$left" -ge 2 ] || lab_fail "the engine asked for only $left keepalives in $IDLE s (expected one per 20 s)"
	[ "$keepalives" -ge 3 ] || lab_fail "only $keepalives NAT keepalives on the wire in $IDLE s (expected one every 20 s from the kernel; see outer.txt)"

	lab_daemon_stop client 20
	grep -q "NAT-keepalives: 0 sent by the service, [1-9][0-9]* left to the kernel" "$log" ||
		lab_fail "no final tally '0 sent by the service' in our log: $(grep 'NAT-keepalives:' "$log")"
	lab_ike_assert_clean left "after disconnect"
}
