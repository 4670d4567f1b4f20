# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: data plane, kernel-driven lifetimes: ipsec-max-packets=100 puts packet limits on our XFRM SAs; the kernel's soft EXPIRE (85-90 packets) goes back to the engine, which rekeys the Child SA with charon (CREATE_CHILD_SA) while a ping runs, and the new SAs carry on; nic-offload=yes on a device that cannot offload falls back to software ESP with a warning; at disconnect the log reports the bytes and packets of each SA
#
# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-expire-rekey-0123456789"

scenario_run() {
	lab_topo_client_gw
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" \
		esp_proposals=aes128gcm16-x25519 child.start_action=none
	lab_charon_start gw right

	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike=aes256gcm16-prfsha384-x25519 esp=aes128gcm16 ipsec-max-packets=100 nic-offload=yes secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	local first
	first=$(lab_ike_event client CHILD_SA_UP | sed -n 's/.*spi_in=\([0-9a-f]*\).*/\1/p')
	lab_log "first Child SA: inbound SPI $first"
	lab_ip left xfrm state >"$LAB_OUT/xfrm-before.txt" 2>&1 || true
	grep -Eq 'hard 100\(packets\)' <<<"$(lab_ip left -s xfrm state)" ||
		lab_fail "our SAs do not carry the hard packet limit 100 (see xfrm-before.txt)"
	grep -q "no NIC offload (device wan0 cannot offload ESP); using software ESP" "$LAB_RUN/client/client.out" ||
		lab_fail "no offload fallback warning for wan0 in our log"

	# 130 pings = 130 packets each way: the soft limit (85-90 % of 100) is crossed after about
	# 18 s, the hard one 2-3 s later; the rekey (PFS with x25519) must finish in between.
	lab_nsx left ping -c 130 -i 0.2 -W 2 "$LAB_RHOST_IP" >"$LAB_OUT/ping.txt" 2>&1 || true
	local received
	received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_OUT/ping.txt")
	lab_log "ping: ${received:-0}/130 replies across the rekey"
	[ "${received:-0}" -ge 125 ] || lab_fail "only ${received:-0}/130 pings answered across the rekey (see ping.txt)"
	lab_wait "$(lab_scale 20)" "the Child SA to be rekeyed" eval \
		"grep -q 'CHILD_SA_DOWN .*spi_in=$first rekeyed=true' '$LAB_RUN/client/client.out'"
	grep -Eq "CHILD_SA .* rekeyed|rekeying CHILD_SA|CHILD_SA c\{[0-9]+\} established" "$(lab_charon_dir gw)/charon.log" ||
		lab_fail "charon's log shows no Child SA rekey"
	lab_ip left -s xfrm state >"$LAB_OUT/xfrm-after.txt" 2>&1 || true
	if grep -q "spi 0x$first " "$LAB_OUT/xfrm-after.txt"; then lab_fail "the first inbound SA 0x$first is still installed after the rekey"; fi
	lab_check "charon's CHILD_SA is not INSTALLED after the rekey" lab_charon_child_installed gw c
	lab_assert_ping left "$LAB_RHOST_IP"

	lab_daemon_stop client 20
	grep -E "traffic through IPsec SA 0x[0-9a-f]{8} \(outbound, $LAB_LEFT_IP -> $LAB_RIGHT_IP\): [0-9]+ bytes, [1-9][0-9]* packets" \
		"$LAB_RUN/client/client.out" >"$LAB_OUT/counters.txt" || lab_fail "no outbound counter line with packets in our log at disconnect"
	lab_log "counters at disconnect: $(tr '\n' ' ' <"$LAB_OUT/counters.txt")"
	lab_ike_assert_clean left "after disconnect"
}
