# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: IKE fragmentation (RFC 7383): path MTU 1280, RSA-4096 certificates make IKE_AUTH larger than that; both sides send and reassemble SKF fragments

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	lab_topo
	lab_ip left link set wan0 mtu 1280
	lab_ip right link set wan0 mtu 1280
	local pki=$LAB_RUN/pki
	lab_ca_create "$pki" rsa:4096
	lab_cert_issue "$pki" gw rsa:4096 gw.lab.test DNS:gw.lab.test
	lab_cert_issue "$pki" client rsa:4096 client.lab.test DNS:client.lab.test
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" auth=pubkey local_id=gw.lab.test \
		cert="$pki/gw.crt" key="$pki/gw.key" cacert="$pki/ca.crt" remote_id=client.lab.test \
		pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN" fragmentation=yes
	lab_charon_start gw right --libipsec --extra "fragment_size = 1280"
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test authby=cert \
		leftcert="$pki/client.crt" leftkey="$pki/client.key" rightca="$pki/ca.crt" \
		rightsubnet="$LAB_RIGHT_LAN" fragmentation=yes
	lab_ike_up client left
	lab_ike_wait client CHILD_SA_UP 30
	local log
	log="$(lab_charon_dir gw)/charon.log"
	grep -Eq "received fragment #1 of [2-9]" "$log" || lab_fail "charon received no fragments from us"
	grep -Eq "IKE_AUTH request 1 \[ EF\(1/[2-9]\) \]|reassembled fragmented IKE message" "$log" ||
		lab_fail "charon did not reassemble our IKE_AUTH"
	grep -Eq "splitting IKE message .* into [2-9] fragments" "$log" || lab_fail "charon did not fragment its IKE_AUTH response"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
}
