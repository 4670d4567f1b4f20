# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: we offer ecp256 first and x25519 second; charon accepts only x25519, answers INVALID_KE_PAYLOAD, and we retry with the requested group

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-sw-invke-0123456789"

scenario_run() {
	lab_topo
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN" \
		proposals=aes128gcm16-prfsha256-x25519
	lab_charon_start gw right --libipsec
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		rightsubnet="$LAB_RIGHT_LAN" ike=aes128gcm16-prfsha256-ecp256-x25519 secret.pskvalue="$PSK"
	lab_ike_up client left
	lab_ike_wait client CHILD_SA_UP 30
	grep -Eq "ECP_256 unacceptable, requesting CURVE_25519|INVALID_KE_PAYLOAD" "$LAB_RUN/gw/charon.log" ||
		lab_fail "charon did not ask for another group (no INVALID_KE_PAYLOAD in its log)"
	lab_ike_event client IKE_SA_UP | lab_grepq "x25519" || lab_fail "the IKE SA does not use x25519: $(lab_ike_event client IKE_SA_UP)"
	lab_charon_sas gw | lab_grepq "CURVE_25519" || lab_fail "charon's IKE SA does not use CURVE_25519"
}
