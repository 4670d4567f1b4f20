# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: charon initiates to OUR responder (nm-ike respond): PSK, virtual IP and DNS from our pool; charon's own view shows the SAs

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-resp-sw-0123456789"

scenario_run() {
	lab_topo
	lab_ike_profile gw resp.listen="$LAB_RIGHT_IP" resp.local_id=gw.lab.test resp.remote_id=client.lab.test \
		resp.psk="$PSK" resp.local_ts="$LAB_RIGHT_LAN" resp.pool_v4=10.3.0.0/24 resp.dns=10.2.0.53 \
		resp.domains=corp.lab.test
	lab_ike_respond gw right
	lab_swanctl_conn client conn=home local_addrs="$LAB_LEFT_IP" remote_addrs="$LAB_RIGHT_IP" \
		local_id=client.lab.test remote_id=gw.lab.test psk="$PSK" vips=0.0.0.0 \
		remote_ts="$LAB_RIGHT_LAN" proposals=aes256gcm16-prfsha256-x25519 esp_proposals=aes256gcm16
	lab_charon_start client left --libipsec
	lab_charon_initiate client c home
	lab_timing tunnel-up
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed client c
	lab_charon_sas client >"$LAB_OUT/client-sas.txt"
	grep -q "AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519" "$LAB_OUT/client-sas.txt" || lab_fail "IKE algorithms differ (see client-sas.txt)"
	grep -Eq "local  'client.lab.test' @ $LAB_LEFT_IP\[4500\] \[10\.3\.0\.[0-9]+\]" "$LAB_OUT/client-sas.txt" ||
		lab_fail "charon got no virtual IP from our pool (see client-sas.txt)"
	grep -Eq "remote +$LAB_RIGHT_LAN" "$LAB_OUT/client-sas.txt" || lab_fail "charon's remote selector is not $LAB_RIGHT_LAN"
	lab_ike_wait gw CHILD_SA_UP 10
	lab_ike_event gw IKE_SA_UP | lab_grepq "remote_id=client.lab.test" || lab_fail "we did not authenticate client.lab.test"
}
