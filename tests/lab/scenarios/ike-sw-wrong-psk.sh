# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: negative: our PSK differs from charon's; we report an authentication failure (typed), and no SA remains on charon

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	lab_topo
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="the-gateways-psk-0123456789" pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN"
	lab_charon_start gw right --libipsec
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		rightsubnet="$LAB_RIGHT_LAN" secret.pskvalue="a-wrong-psk-0123456789"
	lab_ike_up client left
	lab_ike_expect_failure client "the peer rejected our authentication: peer sent AUTHENTICATION_FAILED" 30
	grep -q "N(AUTH_FAILED)" "$LAB_RUN/gw/charon.log" ||
		lab_fail "charon's log shows no authentication failure"
	if lab_charon_ike_established gw rw; then lab_fail "charon kept an IKE SA"; fi
	if grep -q "a-wrong-psk-0123456789" "$LAB_RUN/client/client.out"; then lab_fail "the PSK appears in our log"; fi
}
