# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-description: NAT keepalives: our nm-ike (XFRM) behind a NAT router that forgets idle UDP mappings after 25 s, charon (kernel ESP, no DPD) as the gateway; after 75 s without traffic a host behind the gateway still reaches us through the tunnel, because we sent a 1-octet keepalive (RFC 3948) every 20 s; counts the keepalives on the NAT's outer link and those our service logs it sent (a kernel before 6.11: the service sends them, see life-nat-keepalive-offload)

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-nat-keepalive-0123456789"
IDLE=75

scenario_run() {
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
		ike=aes256gcm16-prfsha384-x25519 esp=aes128gcm16 secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_ike_event client IKE_SA_UP | lab_grepq "nat_local=true" ||
		lab_fail "we did not detect our NAT: $(lab_ike_event client IKE_SA_UP)"
	lab_assert_ping left "$LAB_RHOST_IP"

	lab_capture_start outer nat out0
	lab_log "idle for $IDLE s (the NAT forgets a mapping after 25 s of silence)"
	sleep "$IDLE"
	lab_nsx nat conntrack -L -p udp >"$LAB_OUT/conntrack.txt" 2>&1 || true
	lab_assert_ping rhost "$LAB_LEFT_IP"
	lab_capture_stop outer
	local keepalives
	# UDP length 9: the 8-octet header and the single 0xFF octet.
	keepalives=$(lab_capture_count outer "src $LAB_LEFT_PUBLIC_IP and udp dst port 4500 and udp[4:2] = 9 and udp[8] = 0xff")
	tcpdump -n -r "$LAB_RUN/outer/outer.pcap" >"$LAB_OUT/outer.txt" 2>/dev/null || true
	lab_log "NAT keepalives seen on the NAT's outer link in $IDLE s idle: $keepalives"
	[ "$keepalives" -ge 3 ] || lab_fail "only $keepalives NAT keepalives in $IDLE s (expected one every 20 s; see outer.txt)"
	# The fallback of life-nat-keepalive-offload: a kernel before 6.11 has no keepalive offload, so
	# our service sends them itself (and says so once).
	local log=$LAB_RUN/client/client.out ours
	ours=$(grep -c "NAT-keepalive sent to .* by the service" "$log" || true)
	lab_log "NAT keepalives sent by our service: $ours (kernel $(uname -r))"
	echo "figures: keepalives on the wire in ${IDLE}s idle: $keepalives, sent by the service: $ours (Linux $(uname -r))" >>"$LAB_OUT/figures.txt"
	case $(uname -r) in
	6.1[1-9].* | [7-9].*) ;;
	*)
		grep -q "NAT-keepalives are sent by the service (Linux $(uname -r) has no XFRM NAT keepalive offload" "$log" ||
			lab_fail "no 'NAT-keepalives are sent by the service' line naming the kernel in our log"
		[ "$ours" -ge 3 ] || lab_fail "our service sent only $ours NAT-keepalives in $IDLE s (expected one every 20 s)"
		;;
	esac

	lab_daemon_stop client 20
	lab_ike_assert_clean left "after disconnect"
}
