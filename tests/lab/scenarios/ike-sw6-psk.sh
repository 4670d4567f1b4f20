# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: our nm-ike initiator -> strongSwan 6 (Debian 13's charon from the lab's Debian 13 root), IKEv2 PSK with x25519 and AES-GCM-256, a virtual IP and DNS from a pool; charon 6's own view shows the IKE and Child SA with those algorithms and our virtual address as its selector; our delete closes both

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-sw6-psk-0123456789"

scenario_run() {
	lab_topo
	lab_charon_pool_gw "$PSK" --libipsec --debian13
	lab_swanctl gw --version --daemon >"$LAB_OUT/gw-version.txt" 2>&1 ||
		lab_fail "swanctl --version --daemon failed: $(head -n 2 "$LAB_OUT/gw-version.txt")"
	grep -q 'strongSwan 6\.' "$LAB_OUT/gw-version.txt" ||
		lab_fail "the gateway is not strongSwan 6: $(tr '\n' ' ' <"$LAB_OUT/gw-version.txt")"
	lab_log "gateway: $(grep -m1 -o 'strongSwan 6[^ ,]*' "$LAB_OUT/gw-version.txt")"
	lab_timing gateway-up

	lab_ike_pool_client "$PSK"
	lab_timing tunnel-up

	local sas vip
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	sas="$LAB_OUT/gw-sas.txt"
	lab_check "charon 6 has no ESTABLISHED IKE_SA" lab_charon_ike_established gw rw
	lab_check "charon 6's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	grep -q "remote 'client.lab.test' @ $LAB_LEFT_IP" "$sas" || lab_fail "charon 6 does not see client.lab.test at $LAB_LEFT_IP"
	grep -q "AES_GCM_16-256/PRF_HMAC_SHA2_384/CURVE_25519" "$sas" || lab_fail "IKE SA algorithms differ (see gw-sas.txt)"
	grep -q "ESP:AES_GCM_16-256" "$sas" || lab_fail "ESP algorithm differs (see gw-sas.txt)"
	vip=$(lab_ike_event client CONFIG | sed -n 's/.*addresses=\([0-9.]*\)\/32.*/\1/p')
	[ -n "$vip" ] || lab_fail "no virtual address received: $(lab_ike_event client CONFIG)"
	lab_ike_event client CONFIG | lab_grepq "dns=10.2.0.53" || lab_fail "DNS not received: $(lab_ike_event client CONFIG)"
	grep -Eq "remote +$vip/32" "$sas" || lab_fail "charon 6's remote selector is not the virtual address $vip"

	lab_daemon_stop client 10
	lab_wait 10 "charon 6 to drop the IKE SA" eval "! lab_charon_ike_established gw rw"
	grep -q "^IKE_SA_DOWN reason=Closed" "$LAB_RUN/client/client.out" || lab_fail "no clean IKE_SA_DOWN on our side"
}
