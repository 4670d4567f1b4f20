# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: negative: charon only accepts aes128-sha1-modp2048, we only offer AES-GCM with x25519; we report NO_PROPOSAL_CHOSEN in phase 1 with our offer

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-sw-noprop-0123456789"

scenario_run() {
	lab_topo
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN" \
		proposals=aes128-sha1-modp2048
	lab_charon_start gw right --libipsec
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		rightsubnet="$LAB_RIGHT_LAN" ike=aes256gcm16-prfsha384-x25519 secret.pskvalue="$PSK"
	lab_ike_up client left
	lab_ike_expect_failure client "no common IKE \(phase 1\) proposal; ours: aes256gcm16-prfsha384-x25519" 30
	grep -q "IKE_SA_INIT response 0 \[ N(NO_PROP) \]" "$LAB_RUN/gw/charon.log" || lab_fail "charon did not answer NO_PROPOSAL_CHOSEN"
	grep -q "received proposals: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519" "$LAB_RUN/gw/charon.log" || lab_fail "charon did not receive our proposal as sent"
}
