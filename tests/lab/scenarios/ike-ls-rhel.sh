# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: pluto configured with the RHEL DEFAULT crypto-policy proposals (ikev2=insist, pfs=yes); our default proposals negotiate with it

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-ls-rhel-0123456789"
RHEL_IKE="aes_gcm256-sha2_512+sha2_256-dh19+dh14+dh31+dh21+dh20+dh15+dh16+dh18,chacha20_poly1305-sha2_512+sha2_256-dh19+dh14+dh31+dh21+dh20+dh15+dh16+dh18,aes256-sha2_512+sha2_256-dh19+dh14+dh31+dh21+dh20+dh15+dh16+dh18,aes_gcm128-sha2_512+sha2_256-dh19+dh14+dh31+dh21+dh20+dh15+dh16+dh18,aes128-sha2_256-dh19+dh14+dh31+dh21+dh20+dh15+dh16+dh18"
RHEL_ESP="aes_gcm256,chacha20_poly1305,aes256-sha2_512+sha1+sha2_256,aes_gcm128,aes128-sha1+sha2_256"

scenario_run() {
	lab_topo
	lab_pluto_conn right rhel authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid=@gw.lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_IP" rightid=@client.lab.test rightsubnet="$LAB_LEFT_LAN" \
		ikev2=insist pfs=yes "ike=$RHEL_IKE" "esp=$RHEL_ESP"
	lab_pluto_start right right
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=@gw.lab.test leftid=@client.lab.test \
		leftsubnet="$LAB_LEFT_LAN" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no secret.pskvalue="$PSK"
	lab_ike_up client left
	lab_ike_wait client CHILD_SA_UP 60
	lab_check "pluto trafficstatus shows no SA for rhel" lab_pluto_has_sa right rhel
	lab_ls_assert_log right "sent IKE_SA_INIT reply \{cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_512 group=(DH19|DH31)\}"
	lab_ls_assert_log right "established Child SA.*xfrm=AES_GCM_16_256-NONE"
	# Our view agrees with pluto's.
	lab_ike_event client IKE_SA_UP | lab_grepq -E "proposal=aes256gcm16-prfsha512-(ecp256|x25519)" ||
		lab_fail "we report another IKE proposal: $(lab_ike_event client IKE_SA_UP)"
}
