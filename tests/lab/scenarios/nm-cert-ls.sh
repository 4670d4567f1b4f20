# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: certificates from files through NetworkManager against a Libreswan gateway: nmcli -> NM -> our nm-ike-service (authby=cert, leftcert/leftkey/rightca PEM files, XFRM) -> pluto (authby=rsasig, NSS database); site to site without a virtual IP (leftsubnet on our lo): NM shows activated, pluto authenticated our certificate, ping between the subnets is ESP

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	lab_topo --left-unconfigured # 10.1.0.1 on left's lo, 10.2.0.1 on right's lo
	local pki=$LAB_RUN/pki
	lab_ca_create "$pki" rsa
	lab_cert_issue "$pki" gw rsa gw.lab.test DNS:gw.lab.test
	lab_cert_issue "$pki" client rsa client.lab.test DNS:client.lab.test
	lab_pluto_import_ca right "$pki/ca.crt"
	lab_pluto_import_p12 right "$pki/gw.p12"
	lab_pluto_conn right rw authby=rsasig leftcert=gw leftid=@gw.lab.test leftsendcert=always \
		left="$LAB_RIGHT_IP" leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_IP" rightid=@client.lab.test rightsubnet="$LAB_LEFT_LAN" rightca=%same
	lab_pluto_start right right
	# pluto runs without updown: route our subnet towards us by hand (the policy does the rest).
	lab_route right "$LAB_LEFT_LAN" via "$LAB_LEFT_IP"

	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, authby=cert, leftcert=$pki/client.crt, leftkey=$pki/client.key, rightca=$pki/ca.crt, leftsubnet=$LAB_LEFT_LAN, rightsubnet=$LAB_RIGHT_LAN, leftmodecfgclient=no, leftkey-password-flags=4"
	lab_nm_vpn_up ikevpn
	lab_timing vpn-up
	lab_assert_nm_state ikevpn activated
	lab_nmcli connection show ikevpn >"$LAB_OUT/ikevpn.txt" 2>&1 || true

	lab_check "pluto trafficstatus shows no SA for rw" lab_pluto_has_sa right rw
	lab_ls_assert_log right "established IKE SA; authenticated peer using .*(RSA|rsa).* and .*'CN=client.lab.test|'@client.lab.test'"
	lab_assert_xfrm_state left "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" 'mode tunnel'
	lab_ip left xfrm policy >"$LAB_OUT/client-policies.txt" 2>&1 || true
	grep -q "src $LAB_LEFT_LAN dst $LAB_RIGHT_LAN" "$LAB_OUT/client-policies.txt" ||
		lab_fail "no policy $LAB_LEFT_LAN -> $LAB_RIGHT_LAN (see client-policies.txt)"
	lab_ip left route show table all >"$LAB_OUT/client-routes.txt" 2>&1 || true
	lab_ip left rule >"$LAB_OUT/client-rules.txt" 2>&1 || true
	lab_ip left route get "$LAB_RIGHT_LAN_IP" from "$LAB_LEFT_LAN_IP" >"$LAB_OUT/route-get.txt" 2>&1 || true
	lab_log "route get $LAB_RIGHT_LAN_IP from $LAB_LEFT_LAN_IP: $(tr '\n' ' ' <"$LAB_OUT/route-get.txt")"
	lab_ip left route show table 2749 | lab_grepq "^$LAB_RIGHT_LAN .*src $LAB_LEFT_LAN_IP" ||
		lab_fail "table 2749 has no route to $LAB_RIGHT_LAN with source $LAB_LEFT_LAN_IP (see client-routes.txt)"

	local before
	before=$(lab_pluto_sa_bytes right rw in || echo 0)
	lab_capture_start wire left wan0 -Q out
	# No -I: the table-2749 route carries a source inside leftsubnet, so host-originated
	# traffic matches the policy (it left in plaintext from the outer address before).
	lab_assert_ping left "$LAB_RIGHT_LAN_IP"
	lab_capture_stop wire
	lab_assert_xfrm_traffic left 6
	local after
	lab_assert_wire_protected 3 "left wan0" wire
	after=$(lab_pluto_sa_bytes right rw in || echo 0)
	lab_log "pluto inBytes $before -> $after"
	[ "${after:-0}" -gt "${before:-0}" ] || lab_fail "pluto's inbound byte counter did not rise ($before -> $after)"

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
