# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: OCI CPE parameter set against pluto: ike=aes_cbc256-sha2_384;modp1536, esp=aes_gcm256;modp1536 (PFS), forced UDP encapsulation, 0.0.0.0/0 selectors, lifetimes 28800 s / 3600 s

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-ls-oci-0123456789"

scenario_run() {
	lab_topo
	lab_pluto_conn right oci authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid="$LAB_RIGHT_IP" leftsubnet=0.0.0.0/0 \
		right="$LAB_LEFT_IP" rightid="$LAB_LEFT_IP" rightsubnet=0.0.0.0/0 \
		ikev2=insist "ike=aes_cbc256-sha2_384;modp1536" "esp=aes_gcm256;modp1536" pfs=yes \
		encapsulation=yes ikelifetime=28800s salifetime=3600s
	lab_pluto_start right right
	lab_ike_profile oci right="$LAB_RIGHT_IP" leftsubnet=0.0.0.0/0 rightsubnet=0.0.0.0/0 \
		leftmodecfgclient=no ikev2=insist "ike=aes_cbc256-sha2_384;modp1536" "esp=aes_gcm256;modp1536" \
		encapsulation=yes ikelifetime=28800s salifetime=3600s secret.pskvalue="$PSK"
	lab_ike_up oci left
	lab_ike_wait oci CHILD_SA_UP 60
	lab_check "pluto trafficstatus shows no SA for oci" lab_pluto_has_sa right oci
	lab_ls_assert_log right "sent IKE_SA_INIT reply \{cipher=AES_CBC_256 integ=HMAC_SHA2_384_192 prf=HMAC_SHA2_384 group=MODP1536\}"
	lab_ls_assert_log right "established Child SA.*\[0\.0\.0\.0-255\.255\.255\.255:0-65535 0\] -> \[0\.0\.0\.0-255\.255\.255\.255:0-65535 0\] \{ESPinUDP=>.*xfrm=AES_GCM_16_256-NONE NATD=$LAB_LEFT_IP:4500"
	lab_ike_event oci IKE_SA_UP | lab_grepq "remote=$LAB_RIGHT_IP:4500" || lab_fail "IKE did not move to 4500: $(lab_ike_event oci IKE_SA_UP)"
	lab_ike_event oci CHILD_SA_UP | lab_grepq "encap=true" || lab_fail "ESP is not UDP-encapsulated: $(lab_ike_event oci CHILD_SA_UP)"
}
