# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: negative: pluto protects 10.2.0.0/24 but we ask for 10.9.0.0/24; pluto refuses the Child SA (TS_UNACCEPTABLE) and we report that the networks do not match

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-ls-ts-0123456789"

scenario_run() {
	lab_topo
	lab_pluto_conn right s2s authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid=@right.lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_IP" rightid=@left.lab.test rightsubnet="$LAB_LEFT_LAN"
	lab_pluto_start right right
	lab_ike_profile left right="$LAB_RIGHT_IP" rightid=@right.lab.test leftid=@left.lab.test \
		leftsubnet="$LAB_LEFT_LAN" rightsubnet=10.9.0.0/24 leftmodecfgclient=no secret.pskvalue="$PSK"
	lab_ike_up left left
	lab_ike_expect_failure left "networks do not match" 60
	lab_ls_assert_log right "No IKEv2 connection found with compatible Traffic Selectors"
	if lab_pluto_has_sa right s2s; then lab_fail "pluto installed an SA"; fi
}
