# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 180
# lab-description: IKEv1 (ikev2=never) against Libreswan pluto with another pre-shared key: our nm-ike fails in Main Mode saying the pre-shared keys differ, and nothing is left in the kernel; then with Phase 1 algorithms pluto does not accept: the failure names what we offered

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	lab_topo
	lab_pluto_setup gw ikev1-policy=accept
	lab_pluto_conn gw s2s ikev2=no authby=secret psk="lab-v1-gateway-key-0123456789" \
		left="$LAB_RIGHT_IP" leftid=@gw.lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_IP" rightid=@site1.lab.test rightsubnet="$LAB_LEFT_LAN" \
		"ike=aes128-sha2_256;modp2048" "esp=aes128-sha2_256"
	lab_pluto_start gw right
	lab_ike_profile site1 right="$LAB_RIGHT_IP" rightid=@gw.lab.test leftid=@site1.lab.test \
		ikev2=never leftsubnet="$LAB_LEFT_LAN" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		"ike=aes128-sha2_256;modp2048" "esp=aes128-sha2_256" retransmit-tries=3 \
		secret.pskvalue="lab-v1-another-key-0123456789"
	lab_ike_up site1 left --kernel xfrm
	lab_ike_expect_failure site1 "pre-shared keys differ" 60
	lab_ike_assert_clean left "after the failure"

	lab_ike_profile algs right="$LAB_RIGHT_IP" rightid=@gw.lab.test leftid=@site1.lab.test \
		ikev2=never leftsubnet="$LAB_LEFT_LAN" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		"ike=aes256-sha2_512;modp3072" "esp=aes128-sha2_256" retransmit-tries=3 \
		secret.pskvalue="lab-v1-gateway-key-0123456789"
	lab_ike_up algs left --kernel xfrm
	lab_ike_expect_failure algs "no common IKE \(phase 1\) proposal; ours: AES-CBC-256/PRF-HMAC-SHA2-512/MODP-3072" 60
	lab_ike_assert_clean left "after the refused proposal"
}
