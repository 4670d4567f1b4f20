# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: EAP-MD5 (no MSK: the AUTH payloads after EAP are keyed with SK_pi/SK_pr) from our nm-ike up to a charon gateway with a certificate and eap-md5; charon logs the method's success and our AUTH, a virtual address comes from its pool; then a wrong password is refused with the gateway's EAP-Failure named

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
USER_NAME="dave"
PASSWORD="lab-eap-md5-Pa55word"

scenario_run() {
	lab_topo
	lab_eap_gateway eap-md5 "$USER_NAME" "$PASSWORD" --libipsec
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test rightca="$LAB_RUN/pki/ca.crt" \
		leftauth=eap-md5 leftusername="$USER_NAME" rightsubnet="$LAB_RIGHT_LAN" esp=aes_gcm128 \
		secret.password="$PASSWORD"
	lab_ike_up client left
	lab_ike_wait client CHILD_SA_UP 30
	lab_timing tunnel-up
	local log
	log=$(lab_charon_dir gw)/charon.log
	grep -q "EAP method EAP_MD5 succeeded, no MSK established" "$log" ||
		lab_fail "charon's log shows no EAP-MD5 success"
	grep -Eq "authentication of '.*' with EAP successful" "$log" ||
		lab_fail "charon did not verify our AUTH after EAP (keyed with SK_pi)"
	lab_ike_event client IKE_SA_UP | lab_grepq "remote_id=gw.lab.test" || lab_fail "we did not authenticate gw.lab.test"
	lab_ike_event client CONFIG | lab_grepq -E "addresses=10\.3\.0\.[0-9]+/32" ||
		lab_fail "no virtual address from the pool: $(lab_ike_event client CONFIG)"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_daemon_stop client 20

	lab_ike_profile wrong right="$LAB_RIGHT_IP" rightid=gw.lab.test rightca="$LAB_RUN/pki/ca.crt" \
		leftauth=eap-md5 leftusername="$USER_NAME" rightsubnet="$LAB_RIGHT_LAN" esp=aes_gcm128 \
		secret.password="not-the-password"
	lab_ike_up wrong left
	lab_ike_expect_failure wrong "refused the user name or password \(eap-md5" 30
	if grep -q "$PASSWORD" "$LAB_RUN/client/client.out" "$LAB_RUN/wrong/wrong.out"; then
		lab_fail "the password appears in our log"
	fi
}
