# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 90
# lab-description: lab sanity on the host: 5-namespace NAT topology, masquerade proven by nft counter + conntrack, no plaintext path between the LANs, cert helper (RSA/ECDSA/Ed25519)

scenario_run() {
	lab_require ip nft conntrack openssl
	lab_topo --nat --lhost --rhost

	# hosts reach their own router, routers reach each other only through the NAT router
	lab_assert_ping lhost "$LAB_LEFT_LAN_IP"
	lab_assert_ping rhost "$LAB_RIGHT_LAN_IP"
	local before after
	before=$(lab_nat_packets nat)
	lab_assert_ping left "$LAB_RIGHT_IP"
	after=$(lab_nat_packets nat)
	[ "$after" -gt "$before" ] || lab_fail "masquerade counter did not move ($before -> $after)"
	# conntrack: original source = left's private address, reply goes to the NAT's public address
	lab_nsx nat conntrack -L -p icmp 2>/dev/null | tee "$LAB_OUT/conntrack.txt" |
		grep -q "src=$LAB_LEFT_IP dst=$LAB_RIGHT_IP .*src=$LAB_RIGHT_IP dst=$LAB_LEFT_PUBLIC_IP" ||
		lab_fail "no NATed ICMP flow $LAB_LEFT_IP -> $LAB_RIGHT_IP (as $LAB_LEFT_PUBLIC_IP) in conntrack"
	# the right side sees the NAT's address, never the private one
	lab_capture_start cap right wan0 icmp
	lab_assert_ping left "$LAB_RIGHT_IP"
	lab_capture_stop cap
	[ "$(lab_capture_count cap "src host $LAB_LEFT_PUBLIC_IP")" -ge 3 ] ||
		lab_fail "right did not see pings from $LAB_LEFT_PUBLIC_IP"
	[ "$(lab_capture_count cap "host $LAB_LEFT_IP")" = 0 ] || lab_fail "private address leaked past the NAT"
	# there is no plaintext path between the two LANs: only IPsec may connect them
	lab_assert_no_ping lhost "$LAB_RHOST_IP"
	lab_assert_no_ping left "$LAB_RIGHT_LAN_IP"

	# certificate helper: every key type, chain verifies, SANs present
	local pki=$LAB_RUN/pki t
	for t in rsa ecdsa ed25519; do
		lab_ca_create "$pki/$t" "$t" "Lab CA $t"
		lab_cert_issue "$pki/$t" gw "$t" gw.lab.test DNS:gw.lab.test "IP:$LAB_RIGHT_IP"
		openssl verify -CAfile "$pki/$t/ca.crt" "$pki/$t/gw.crt" >/dev/null ||
			lab_fail "$t leaf does not verify against its CA"
		openssl x509 -in "$pki/$t/gw.crt" -noout -ext subjectAltName | lab_grepq "IP Address:$LAB_RIGHT_IP" ||
			lab_fail "$t leaf lacks its IP SAN"
		[ -s "$pki/$t/gw.p12" ] || lab_fail "$t leaf has no PKCS#12"
	done
}
