# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 150
# lab-description: the PSK (pskvalue-flags=2, never saved) comes from the user through nmcli --ask, which runs our nm-ike-auth-dialog in external UI mode; a first wrong answer is rejected by the gateway and the re-prompt carries the cause as an x-vpn-message hint; the second answer connects

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-nm-ask-psk-0123456789"

scenario_run() {
	lab_topo --left-unconfigured
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" pool="$LAB_POOL"
	lab_charon_start gw right --libipsec
	lab_nm_ike_start left --iface wan0
	# Clients (nmcli) read the same .name file; a wrapper records how the dialog is called.
	local vpnd dialog log
	vpnd=$LAB_NM_IKE_VPND
	dialog=$(dirname "$(lab_nm_ike_service)")/nm-ike-auth-dialog
	log=$LAB_RUN/auth-dialog-calls.txt
	cat >"$vpnd/auth-dialog-wrapper" <<-EOF
		#!/bin/sh
		printf '%s\n' "ARGS: \$*" >>"$log"
		exec "$dialog" "\$@"
	EOF
	chmod 755 "$vpnd/auth-dialog-wrapper"
	sed -i "s|^auth-dialog=.*|auth-dialog=$vpnd/auth-dialog-wrapper|" "$vpnd/nm-ike-service.name"
	lab_nm_base_up wan0 "$LAB_LEFT_IP/24" "$LAB_LEFT_GW"
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, pskvalue-flags=2"
	[ -z "$(lab_nmcli -s -g vpn.secrets connection show ikevpn)" ] || lab_fail "the profile holds a secret"
	printf '%s\n%s\n' "a-wrong-answer-0123456789" "$PSK" |
		NM_VPN_PLUGIN_DIR=$vpnd lab_nmcli --ask --wait 90 connection up ikevpn >"$LAB_OUT/nmcli-ask.txt" 2>&1 ||
		lab_fail "nmcli --ask connection up failed: $(tail -n 5 "$LAB_OUT/nmcli-ask.txt" | tr '\n' ' ')"
	cp "$log" "$LAB_OUT/" 2>/dev/null || lab_fail "the auth dialog was never run"
	lab_assert_nm_state ikevpn activated
	grep -q -- '--external-ui-mode' "$log" || lab_fail "nmcli did not use the external UI mode"
	[ "$(grep -c '^ARGS' "$log")" -ge 2 ] || lab_fail "no re-prompt after the wrong answer (see auth-dialog-calls.txt)"
	grep -q 'x-vpn-message:The gateway rejected our authentication' "$log" ||
		lab_fail "the re-prompt carries no x-vpn-message hint with the cause (see auth-dialog-calls.txt)"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	if grep -rq "$PSK" "$(lab_nm_dir)"/*.out "$log" 2>/dev/null; then lab_fail "the PSK appears in a log"; fi
	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
}
