# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: IKEv1 (ikev2=never): our nm-ike initiator -> Libreswan pluto (ikev2=no), Main Mode with a PSK (aes256-sha2_256;modp2048), Quick Mode with PFS (aes256-sha1;modp2048), site to site; pluto's log shows both phases, the SAs are in our kernel (cbc(aes), hmac(sha1)), pings cross as ESP, the Deletes on disconnect remove pluto's SA

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-v1-ls-main-psk-0123456789"

scenario_run() {
	lab_topo_site2site
	lab_pluto_setup gw ikev1-policy=accept
	lab_pluto_conn gw site ikev2=no authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid=@gw.lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_IP" rightid=@site1.lab.test rightsubnet="$LAB_LEFT_LAN" \
		"ike=aes256-sha2_256;modp2048" "esp=aes256-sha1;modp2048" pfs=yes
	lab_pluto_start gw right
	# pluto runs without updown: route net 1 towards us by hand (the policy does the rest).
	lab_route right "$LAB_LEFT_LAN" via "$LAB_LEFT_IP"
	lab_timing gateway-up

	lab_ike_profile site1 right="$LAB_RIGHT_IP" rightid=@gw.lab.test leftid=@site1.lab.test \
		ikev2=never leftsubnet="$LAB_LEFT_LAN" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		"ike=aes256-sha2_256;modp2048" "esp=aes256-sha1;modp2048" secret.pskvalue="$PSK"
	lab_ike_up site1 left --kernel xfrm
	lab_ike_wait site1 CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_ls_assert_log gw "IKE SA established \{auth=PRESHARED_KEY cipher=AES_CBC_256 integ=HMAC_SHA2_256 group=MODP2048\}"
	lab_ls_assert_log gw "Peer ID is ID_FQDN: '@site1.lab.test'"
	lab_ls_assert_log gw "IPsec SA established tunnel mode \{ESP=>0x[0-9a-f]+ <0x[0-9a-f]+ xfrm=AES_CBC_256-HMAC_SHA1_96"
	lab_check "pluto trafficstatus shows no SA for site" lab_pluto_has_sa gw site
	lab_ike_event site1 IKE_SA_UP | lab_grepq "IKEv1" ||
		lab_fail "our IKE_SA_UP does not say IKEv1: $(lab_ike_event site1 IKE_SA_UP)"
	lab_ip left xfrm state >"$LAB_OUT/left-xfrm-state.txt" 2>&1 || true
	lab_assert_xfrm_state left 'enc cbc(aes)' 'auth-trunc hmac(sha1)' \
		"src $LAB_LEFT_IP dst $LAB_RIGHT_IP" "src $LAB_RIGHT_IP dst $LAB_LEFT_IP" 'mode tunnel'

	lab_capture_start mid-ab left wan0 -Q out
	lab_assert_ping lhost "$LAB_RHOST_IP"
	lab_timing ping
	lab_capture_stop mid-ab
	local esp icmp
	esp=$(lab_capture_count mid-ab "esp and src $LAB_LEFT_IP and dst $LAB_RIGHT_IP")
	icmp=$(lab_capture_count mid-ab icmp)
	lab_log "middle link: $esp ESP from us, $icmp plaintext ICMP"
	[ "$esp" -ge 1 ] || lab_fail "no ESP from our router on the middle link"
	[ "$icmp" = 0 ] || lab_fail "$icmp plaintext ICMP packets on the middle link"

	lab_daemon_stop site1 20
	lab_wait "$(lab_scale 10)" "pluto to drop the SA after our Deletes" eval "! lab_pluto_has_sa gw site"
	lab_ike_assert_clean left "after disconnect"
}
