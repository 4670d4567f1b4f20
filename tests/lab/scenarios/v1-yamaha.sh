# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: IKEv1 with a Yamaha RTX's parameter set, named explicitly (aes128-sha1;modp1024 in both phases, PFS, ISAKMP SA 28800 s, IPsec SA 3600 s, DPD every 3 s here): our nm-ike -> Libreswan pluto (ikev2=no); the SAs carry pings and the gateway answers our R-U-THERE checks while the tunnel stays up

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-v1-yamaha-0123456789"

scenario_run() {
	lab_topo_site2site
	lab_pluto_setup gw ikev1-policy=accept
	lab_pluto_conn gw site ikev2=no authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid="$LAB_RIGHT_IP" leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_IP" rightid="$LAB_LEFT_IP" rightsubnet="$LAB_LEFT_LAN" \
		"ike=aes128-sha1;modp1024" "esp=aes128-sha1;modp1024" pfs=yes \
		ikelifetime=28800s salifetime=3600s
	lab_pluto_start gw right
	lab_route right "$LAB_LEFT_LAN" via "$LAB_LEFT_IP"
	lab_timing gateway-up

	lab_ike_profile site1 right="$LAB_RIGHT_IP" ikev2=never \
		leftsubnet="$LAB_LEFT_LAN" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		"ike=aes128-sha1;modp1024" "esp=aes128-sha1;modp1024" ikelifetime=28800s salifetime=3600s \
		dpddelay=3s dpdtimeout=15s secret.pskvalue="$PSK"
	lab_ike_up site1 left --kernel xfrm
	lab_ike_wait site1 CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_ls_assert_log gw "IKE SA established \{auth=PRESHARED_KEY cipher=AES_CBC_128 integ=HMAC_SHA1 group=MODP1024\}"
	lab_ls_assert_log gw "IPsec SA established tunnel mode \{ESP=>0x[0-9a-f]+ <0x[0-9a-f]+ xfrm=AES_CBC_128-HMAC_SHA1_96"
	lab_assert_xfrm_state left 'enc cbc(aes)' 'auth-trunc hmac(sha1)' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP"
	lab_assert_ping lhost "$LAB_RHOST_IP"
	lab_timing ping

	# Liveness: with the tunnel idle for IKE, our R-U-THERE go out every 3 s and are answered.
	lab_capture_start ike left wan0 udp port 500 or udp port 4500
	lab_wait "$(lab_scale 20)" "two answered liveness checks" eval \
		'[ "$(lab_capture_count ike "src $LAB_RIGHT_IP and udp and udp[8:4] != 0")" -ge 2 ]'
	lab_capture_stop ike
	[ -z "$(lab_ike_event site1 FAILED)" ] || lab_fail "the connection failed: $(lab_ike_event site1 FAILED)"
	lab_daemon_alive site1 || lab_fail "nm-ike exited"
	lab_daemon_stop site1 20
	lab_ike_assert_clean left "after disconnect"
}
