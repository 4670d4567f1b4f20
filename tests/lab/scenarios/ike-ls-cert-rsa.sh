# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: our nm-ike initiator -> Libreswan pluto with RSA certificates from a lab CA (pluto's NSS database), RFC 7427 signatures; pluto's log shows the peer authenticated by its certificate

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	lab_topo
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
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test authby=cert \
		leftcert="$pki/client.crt" leftkey="$pki/client.key" rightca="$pki/ca.crt" \
		leftsubnet="$LAB_LEFT_LAN" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no
	lab_ike_up client left
	lab_ike_wait client CHILD_SA_UP 60
	lab_check "pluto trafficstatus shows no SA for rw" lab_pluto_has_sa right rw
	lab_ls_assert_log right "established IKE SA; authenticated peer using .*(RSA|rsa).* and .*'CN=client.lab.test|'@client.lab.test'"
	lab_ike_event client IKE_SA_UP | lab_grepq "remote_id=gw.lab.test" || lab_fail "we did not authenticate gw.lab.test"
}
