# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 150
# lab-description: certificate revocation (rightcrl): a charon gateway whose certificate its CA has revoked is refused, the failure names the certificate (subject, serial) and nothing is installed; with the CA's other certificate the same profile, now with crl-strict=yes, connects; through NetworkManager the revoked one fails with LOGIN_FAILED and our journal line names it

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

# gw_conn CERT: charon's connection with the gateway certificate CERT of the lab CA
gw_conn() {
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" auth=pubkey local_id=gw.lab.test \
		cert="$pki/$1.crt" key="$pki/$1.key" cacert="$pki/ca.crt" remote_id=client.lab.test \
		pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN"
}

scenario_run() {
	pki=$LAB_RUN/pki
	lab_topo --left-unconfigured
	# NetworkManager with our plugin brings wan0 up (used in 3.; nm-ike runs beside it in 1. and 2.).
	# The host kernel has no ESP: IKE only (record), which is all this scenario is about.
	lab_nm_ike_client --env NM_IKE_KERNEL=record
	lab_ca_create "$pki" ecdsa
	lab_cert_issue "$pki" gwrevoked ecdsa gw.lab.test DNS:gw.lab.test
	lab_cert_issue "$pki" gwgood ecdsa gw.lab.test DNS:gw.lab.test
	lab_cert_issue "$pki" client ecdsa client.lab.test DNS:client.lab.test
	lab_crl_create "$pki" gwrevoked
	local serial
	serial=$(openssl x509 -in "$pki/gwrevoked.crt" -noout -serial | sed 's/^serial=//')
	lab_log "revoked: gwrevoked, serial $serial"

	# 1. The gateway presents its revoked certificate: refused, named, nothing installed.
	gw_conn gwrevoked
	lab_charon_start gw right --libipsec
	local profile=(right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test authby=cert
		leftcert="$pki/client.crt" leftkey="$pki/client.key" rightca="$pki/ca.crt"
		rightcrl="$pki/ca.crl" rightsubnet="$LAB_RIGHT_LAN")
	lab_ike_profile revoked "${profile[@]}"
	lab_ike_up revoked left
	lab_ike_expect_failure revoked \
		"certificate \"CN=gw\\.lab\\.test,O=NM-ike lab,C=XX\" \\(serial $serial\\) is revoked by \"CN=NM-ike Lab CA.*reason key compromise" 30
	lab_ike_event revoked FAILED >"$LAB_OUT/failure.txt"
	if grep -q 'kernel: install-' "$LAB_RUN/revoked/revoked.out"; then
		lab_fail "an SA or policy was installed for the revoked gateway"
	fi
	[ -z "$(lab_ike_event revoked IKE_SA_UP)" ] || lab_fail "the IKE SA came up with the revoked gateway"
	lab_wait "$(lab_scale 10)" "charon's AUTHENTICATION_FAILED" grep -q "N(AUTH_FAILED)" "$LAB_RUN/gw/charon.log"
	if lab_charon_child_installed gw c; then lab_fail "charon kept a CHILD_SA"; fi
	lab_daemon_stop revoked # (it holds our IKE ports)

	# 2. The CA's other certificate, and crl-strict=yes (the CRL is current): connects.
	gw_conn gwgood
	lab_charon_load gw
	lab_ike_profile good "${profile[@]}" crl-strict=yes
	lab_ike_up good left
	lab_ike_wait good CHILD_SA_UP 30
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	grep -q 'kernel: install-sa' "$LAB_RUN/good/good.out" || lab_fail "no SA was installed for the good gateway"
	[ -z "$(lab_ike_event good REVOCATION_UNCHECKED)" ] || lab_fail "the revocation check was incomplete: $(lab_ike_event good REVOCATION_UNCHECKED)"
	lab_daemon_stop good # (it holds our IKE ports)

	# 3. The revoked certificate again, through NetworkManager: LOGIN_FAILED, our line names it.
	gw_conn gwrevoked
	lab_charon_load gw
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, authby=cert, leftcert=$pki/client.crt, leftkey=$pki/client.key, rightca=$pki/ca.crt, rightcrl=$pki/ca.crl.der, rightsubnet=$LAB_RIGHT_LAN"
	local secs
	secs=$(lab_nm_ike_up_fails ikevpn "$LAB_OUT/nm-up.txt" 60)
	lab_log "nmcli up failed after ${secs}s: $(tr '\n' ' ' <"$LAB_OUT/nm-up.txt")"
	lab_nm_log_wait 'VPN plugin: failed: login-failed|plugin-failed.*login|vpn.*login-failed'
	lab_nm_log_wait "certificate \"CN=gw\\.lab\\.test,O=NM-ike lab,C=XX\" \\(serial $serial\\) has been revoked"
	grep -E "has been revoked" "$(lab_nm_dir)/nm.out" >"$LAB_OUT/nm-line.txt" || true
	[ "$(lab_nm_con_state ikevpn 2>/dev/null || true)" != activated ] || lab_fail "ikevpn is activated"
}
