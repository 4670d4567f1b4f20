# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: our initiator behind the NAT router (nftables masquerade) -> charon: NAT detected, IKE floats to UDP 4500, ESP must be UDP-encapsulated

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-sw-nat-0123456789"

scenario_run() {
	lab_topo --nat
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN"
	lab_charon_start gw right --libipsec
	local nat_before
	nat_before=$(lab_nat_packets nat)
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		rightsubnet="$LAB_RIGHT_LAN" secret.pskvalue="$PSK"
	lab_ike_up client left
	lab_ike_wait client CHILD_SA_UP 30
	lab_timing tunnel-up

	lab_ike_event client IKE_SA_UP | lab_grepq "nat_local=true" ||
		lab_fail "we did not detect our NAT: $(lab_ike_event client IKE_SA_UP)"
	lab_ike_event client IKE_SA_UP | lab_grepq "remote=$LAB_RIGHT_IP:4500" ||
		lab_fail "IKE did not float to port 4500: $(lab_ike_event client IKE_SA_UP)"
	lab_ike_event client CHILD_SA_UP | lab_grepq "encap=true" ||
		lab_fail "the Child SA is not UDP-encapsulated: $(lab_ike_event client CHILD_SA_UP)"
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	grep -q "remote 'client.lab.test' @ $LAB_LEFT_PUBLIC_IP\[4500\]" "$LAB_OUT/gw-sas.txt" ||
		lab_fail "charon does not see us at the NAT's address $LAB_LEFT_PUBLIC_IP:4500 (see gw-sas.txt)"
	grep -q "TUNNEL-in-UDP" "$LAB_OUT/gw-sas.txt" || lab_fail "charon's Child SA is not UDP-encapsulated"
	[ "$(lab_nat_packets nat)" -gt "$nat_before" ] || lab_fail "IKE did not go through the NAT router"
}
