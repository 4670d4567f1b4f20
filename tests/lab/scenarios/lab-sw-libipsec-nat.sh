# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: host-only IKE check: charon <-> charon through the NAT router, ECDSA/Ed25519 certificates, virtual IP from a pool, userspace ESP (kernel-libipsec, UDP-encapsulated)

scenario_run() {
	lab_topo --nat --rhost
	local pki=$LAB_RUN/pki
	lab_ca_create "$pki" ecdsa
	lab_cert_issue "$pki" gw ecdsa gw.lab.test DNS:gw.lab.test "IP:$LAB_RIGHT_IP"
	lab_cert_issue "$pki" client ed25519 client.lab.test email:client@lab.test

	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" auth=pubkey \
		local_id=gw.lab.test cert="$pki/gw.crt" key="$pki/gw.key" cacert="$pki/ca.crt" \
		remote_id=client@lab.test pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN" \
		proposals=aes256gcm16-prfsha384-ecp384 esp_proposals=aes256gcm16
	lab_swanctl_conn client conn=home local_addrs="$LAB_LEFT_IP" remote_addrs="$LAB_RIGHT_IP" \
		auth=pubkey local_id=client@lab.test cert="$pki/client.crt" key="$pki/client.key" \
		cacert="$pki/ca.crt" remote_id=gw.lab.test vips=0.0.0.0 remote_ts="$LAB_RIGHT_LAN" \
		proposals=aes256gcm16-prfsha384-ecp384 esp_proposals=aes256gcm16
	lab_charon_spawn gw right --libipsec
	lab_charon_spawn client left --libipsec
	lab_charon_ready gw
	lab_charon_ready client
	lab_timing daemons-up

	local nat_before
	nat_before=$(lab_nat_packets nat)
	lab_charon_initiate client c home
	lab_timing tunnel-up
	lab_check "child SA not INSTALLED on the client" lab_charon_child_installed client c
	lab_check "child SA not INSTALLED on the gateway" lab_charon_child_installed gw c
	# the gateway sees the client behind the NAT (public address, NAT-T port 4500)
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	grep -q "remote 'client@lab.test' @ $LAB_LEFT_PUBLIC_IP\[4500\]" "$LAB_OUT/gw-sas.txt" ||
		lab_fail "gateway does not see the client at $LAB_LEFT_PUBLIC_IP:4500 (see gw-sas.txt)"
	grep -q "AES_GCM_16-256" "$LAB_OUT/gw-sas.txt" || lab_fail "ESP is not AES_GCM_16-256"
	local vip
	vip=$(lab_charon_sas client | sed -n 's/.*local .*\[.*\] \[\([0-9.]*\)\]$/\1/p' | head -n1)
	lab_log "client virtual IP: ${vip:-?}"
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_timing ping
	[ "$(lab_nat_packets nat)" -gt "$nat_before" ] || lab_fail "IKE did not go through the NAT router"
	lab_charon_sas client | lab_grepq -E 'in .*[1-9][0-9]* packets' || lab_fail "client child SA counted no inbound packets"
}
