# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 180
# lab-description: EAP-MSCHAPv2 with a wrong password against a charon gateway (certificate, eap-mschapv2): asked with nmcli --ask (password-flags=2), the gateway's refusal comes back as a re-prompt whose x-vpn-message names it; with the wrong password saved, the activation fails as LOGIN_FAILED and our journal line says the gateway refused the user name or password (MS-CHAPv2 error 691)

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
USER_NAME="carol"
PASSWORD="lab-eap-wrong-password-Right1"

scenario_run() {
	lab_topo --left-unconfigured
	lab_eap_gateway eap-mschapv2 "$USER_NAME" "$PASSWORD" --libipsec
	lab_nm_ike_start left --iface wan0
	# nmcli reads the same .name file; a wrapper records how the dialog is called.
	local vpnd dialog calls
	vpnd=$LAB_NM_IKE_VPND
	dialog=$(dirname "$(lab_nm_ike_service)")/nm-ike-auth-dialog
	calls=$LAB_RUN/auth-dialog-calls.txt
	cat >"$vpnd/auth-dialog-wrapper" <<-EOF
		#!/bin/sh
		printf '%s\n' "ARGS: \$*" >>"$calls"
		exec "$dialog" "\$@"
	EOF
	chmod 755 "$vpnd/auth-dialog-wrapper"
	sed -i "s|^auth-dialog=.*|auth-dialog=$vpnd/auth-dialog-wrapper|" "$vpnd/nm-ike-service.name"
	lab_nm_base_up wan0 "$LAB_LEFT_IP/24" "$LAB_LEFT_GW"
	local data="right=$LAB_RIGHT_IP, rightid=gw.lab.test, rightca=$LAB_RUN/pki/ca.crt, leftauth=eap-mschapv2, leftusername=$USER_NAME, rightsubnet=$LAB_RIGHT_LAN"

	# 1. Asked for (never saved): a wrong answer is refused by the gateway and asked for again
	# with the cause; the right one connects.
	lab_nm_ike_add ikevpn "$data, password-flags=2"
	printf '%s\n%s\n' "a-wrong-password" "$PASSWORD" |
		NM_VPN_PLUGIN_DIR=$vpnd lab_nmcli --ask --wait 90 connection up ikevpn >"$LAB_OUT/nmcli-ask.txt" 2>&1 ||
		lab_fail "nmcli --ask connection up failed: $(tail -n 5 "$LAB_OUT/nmcli-ask.txt" | tr '\n' ' ')"
	cp "$calls" "$LAB_OUT/" 2>/dev/null || lab_fail "the auth dialog was never run"
	lab_assert_nm_state ikevpn activated
	[ "$(grep -c '^ARGS' "$calls")" -ge 2 ] || lab_fail "no re-prompt after the wrong password (see auth-dialog-calls.txt)"
	grep -q 'x-vpn-message:The gateway refused the user name or password (eap-mschapv2: MS-CHAPv2 error 691' "$calls" ||
		lab_fail "the re-prompt does not name the gateway's refusal (see auth-dialog-calls.txt)"
	grep -q 'EAP-MS-CHAPv2 verification failed' "$(lab_charon_dir gw)/charon.log" ||
		lab_fail "charon did not refuse the first password"
	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"

	# 2. Saved and wrong: no one to ask, so the activation fails and says why.
	lab_nmcli connection delete ikevpn >/dev/null || lab_fail "nmcli connection delete failed"
	lab_nm_ike_add ikevpn "$data, password-flags=0" "password=a-wrong-saved-password"
	local secs
	secs=$(lab_nm_ike_up_fails ikevpn "$LAB_OUT/up.txt" 60)
	lab_log "nmcli up failed after ${secs}s: $(tr '\n' ' ' <"$LAB_OUT/up.txt")"
	lab_nm_log_wait 'VPN plugin: failed: login-failed|plugin-failed.*login|vpn.*login-failed'
	lab_nm_log_wait 'gateway refused the user name or password \(eap-mschapv2: MS-CHAPv2 error 691'
	grep -E 'refused the user name or password' "$(lab_nm_dir)/nm.out" >"$LAB_OUT/our-line.txt" || true
	local st
	st=$(lab_nm_con_state ikevpn 2>/dev/null || true)
	[ "$st" != activated ] || lab_fail "ikevpn is activated with a wrong password"
	if grep -rq "$PASSWORD\|a-wrong-saved-password" "$(lab_nm_dir)"/*.out "$calls" 2>/dev/null; then
		lab_fail "a password appears in a log"
	fi
}
