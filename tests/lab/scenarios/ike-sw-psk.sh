# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: our nm-ike initiator -> strongSwan charon, IKEv2 PSK, virtual IP + DNS from a pool; charon's own view shows the IKE and Child SA with the expected algorithms and selectors

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-sw-psk-0123456789"

scenario_run() {
	lab_topo
	lab_charon_pool_gw "$PSK" --libipsec
	lab_timing gateway-up

	lab_ike_pool_client "$PSK"
	lab_timing tunnel-up

	local sas
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	sas="$LAB_OUT/gw-sas.txt"
	lab_check "charon has no ESTABLISHED IKE_SA" lab_charon_ike_established gw rw
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	grep -q "remote 'client.lab.test' @ $LAB_LEFT_IP" "$sas" || lab_fail "charon does not see client.lab.test at $LAB_LEFT_IP"
	grep -q "AES_GCM_16-256/PRF_HMAC_SHA2_384/CURVE_25519" "$sas" || lab_fail "IKE SA algorithms differ (see gw-sas.txt)"
	grep -q "ESP:AES_GCM_16-256" "$sas" || lab_fail "ESP algorithm differs (see gw-sas.txt)"
	local vip
	vip=$(lab_ike_event client CONFIG | sed -n 's/.*addresses=\([0-9.]*\)\/32.*/\1/p')
	[ -n "$vip" ] || lab_fail "no virtual address received: $(lab_ike_event client CONFIG)"
	lab_ike_event client CONFIG | lab_grepq "dns=10.2.0.53" || lab_fail "DNS not received: $(lab_ike_event client CONFIG)"
	grep -Eq "remote +$vip/32" "$sas" || lab_fail "charon's remote selector is not the virtual address $vip"
	grep -Eq "local +$LAB_RIGHT_LAN" "$sas" || lab_fail "charon's local selector is not $LAB_RIGHT_LAN"
	lab_ike_event client CHILD_SA_UP | lab_grepq "local_ts=$vip/32 remote_ts=$LAB_RIGHT_LAN" ||
		lab_fail "our selectors differ: $(lab_ike_event client CHILD_SA_UP)"

	# Disconnect: we delete the IKE SA and charon drops it.
	lab_daemon_stop client 10
	lab_wait 10 "charon to drop the IKE SA" eval "! lab_charon_ike_established gw rw"
	grep -q "^IKE_SA_DOWN reason=Closed" "$LAB_RUN/client/client.out" || lab_fail "no clean IKE_SA_DOWN on our side"
	if grep -q "$PSK" "$LAB_RUN/client/client.out"; then lab_fail "the PSK appears in our log"; fi
}
