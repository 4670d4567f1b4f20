# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: RFC 9370 additional key exchanges against strongSwan 6 (Debian 13's charon from the lab's Debian 13 root; it has no ML-KEM, so the classical ke1_ecp384): proposals aes256gcm16-sha384-x25519-ke1_ecp384 for IKE and ESP; our nm-ike (XFRM) runs IKE_INTERMEDIATE with ECP-384 after x25519 (IntAuth in AUTH), charon rekeys the Child SA after 20 s with CREATE_CHILD_SA and IKE_FOLLOWUP_KE; pings pass before and after; charon's log shows both exchanges and its SAs the additional key exchange

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-auth-addke-sw6-0123456789"
PROPOSAL="aes256gcm16-sha384-x25519-ke1_ecp384"

# _children: how many Child SAs our client reported up so far
_children() {
	grep -c "^CHILD_SA_UP " "$LAB_RUN/client/client.out" 2>/dev/null || true
}

scenario_run() {
	lab_topo_client_gw
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" \
		proposals="$PROPOSAL" esp_proposals="$PROPOSAL" child.start_action=none \
		child.rekey_time=20s child.rand_time=0
	lab_charon_start gw right --debian13
	lab_swanctl gw --version --daemon >"$LAB_OUT/gw-version.txt" 2>&1 || true
	grep -q 'strongSwan 6\.' "$LAB_OUT/gw-version.txt" ||
		lab_fail "the gateway is not strongSwan 6: $(tr '\n' ' ' <"$LAB_OUT/gw-version.txt")"
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike="$PROPOSAL" esp="$PROPOSAL" secret.pskvalue="$PSK"
	lab_ike_up client left
	lab_ike_wait client CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_ike_event client IKE_SA_UP | lab_grepq "x25519-ke1_ecp384" ||
		lab_fail "our IKE SA is not x25519 with ke1_ecp384: $(lab_ike_event client IKE_SA_UP)"
	lab_assert_ping left "$LAB_RHOST_IP"
	local log="$LAB_RUN/gw/charon.log"
	grep -q "IKE_INTERMEDIATE" "$log" || lab_fail "charon's log shows no IKE_INTERMEDIATE exchange"
	lab_charon_sas gw >"$LAB_OUT/gw-sas-before.txt"
	grep -q "CURVE_25519/KE1_ECP_384" "$LAB_OUT/gw-sas-before.txt" ||
		lab_fail "charon's IKE SA has no additional ECP-384 key exchange (see gw-sas-before.txt)"

	# charon rekeys the Child SA 20 s after it came up: CREATE_CHILD_SA, then IKE_FOLLOWUP_KE.
	lab_wait "$(lab_scale 40)" "the Child SA rekeyed by charon" eval '[ "$(_children)" -ge 2 ]'
	lab_timing child-rekeyed
	lab_ike_event client CHILD_SA_UP | lab_grepq "proposal=aes256gcm16-x25519-ke1_ecp384" ||
		lab_fail "the rekeyed Child SA is not x25519 with ke1_ecp384: $(lab_ike_event client CHILD_SA_UP)"
	grep -q "IKE_FOLLOWUP_KE" "$log" || lab_fail "charon's log shows no IKE_FOLLOWUP_KE exchange"
	lab_charon_sas gw >"$LAB_OUT/gw-sas-after.txt"
	grep -q "CURVE_25519/KE1_ECP_384" "$LAB_OUT/gw-sas-after.txt" ||
		lab_fail "charon's rekeyed Child SA has no additional ECP-384 key exchange (see gw-sas-after.txt)"
	lab_assert_ping left "$LAB_RHOST_IP"
	grep -q "^FAILED\|^EXCHANGE_FAILED" "$LAB_RUN/client/client.out" &&
		lab_fail "our side reported a failure: $(grep -m1 '^FAILED\|^EXCHANGE_FAILED' "$LAB_RUN/client/client.out")"
	lab_log "IKE_INTERMEDIATE lines in charon's log: $(grep -c IKE_INTERMEDIATE "$log"), IKE_FOLLOWUP_KE lines: $(grep -c IKE_FOLLOWUP_KE "$log")"
	lab_daemon_stop client 20
	lab_ike_assert_clean left "after disconnect"
}
