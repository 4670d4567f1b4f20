# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-description: a refused rekey keeps the tunnel (CVE-2023-38710 pattern): charon rekeys the Child SA after 20 s with a PFS group our profile does not accept; we refuse it (the journal names the proposal), and the tunnel stays activated and keeps passing traffic over the old SAs

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-sec-rekey-refused-0123"

scenario_run() {
	lab_topo --left-unconfigured --rhost
	# The first Child SA is made inside IKE_AUTH without a key exchange, so the group only
	# matters at the rekey: charon insists on ECP-384, we accept only Curve25519.
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" pool="$LAB_POOL" \
		proposals=aes256gcm16-prfsha384-x25519 esp_proposals=aes128gcm16-ecp384 \
		child.rekey_time=20s child.life_time=300s child.rand_time=0
	lab_charon_start gw right
	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, ike=aes256gcm16-prfsha384-x25519, esp=aes128gcm16-x25519, pskvalue-flags=0" \
		"pskvalue=$PSK"
	lab_nm_vpn_up ikevpn
	local t_up=$SECONDS
	lab_assert_nm_state ikevpn activated
	lab_assert_ping left "$LAB_RHOST_IP"
	local spis
	spis=$(lab_ike_spis left)
	[ -n "$spis" ] || lab_fail "no SA of ours in the kernel"
	echo "$spis" >"$LAB_OUT/spis.txt"

	# charon's rekey arrives ~20 s after the Child SA came up, and we refuse it.
	lab_wait 120 "charon's rekey to be refused" grep -Eq 'NO_PROPOSAL_CHOSEN' "$(lab_charon_dir gw)/charon.log"
	lab_log "rekey refused $((SECONDS - t_up)) s after the tunnel came up"
	grep -E 'NO_PROPOSAL_CHOSEN|rekey' "$(lab_charon_dir gw)/charon.log" >"$LAB_OUT/charon-rekey.txt" || true
	# Our journal line names the refused proposal (what the gateway offered).
	lab_nm_log_wait '[Rr]ekey.*failed.*(ECP_384|ecp384|ECP384)'
	grep -Ei 'rekey' "$(lab_nm_dir)/nm.out" >"$LAB_OUT/our-lines.txt" || true
	# The tunnel is still there, over the same SAs, and carries traffic.
	sleep 5
	lab_assert_nm_state ikevpn activated
	[ "$(lab_ike_spis left)" = "$spis" ] || lab_fail "our SAs changed after the refused rekey"
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	# ... also after charon's retries (it tries again before the hard lifetime).
	lab_retry 60 eval "[ \$(grep -c NO_PROPOSAL_CHOSEN '$(lab_charon_dir gw)/charon.log') -ge 2 ]" ||
		lab_log "charon did not retry the rekey within 60 s"
	lab_assert_nm_state ikevpn activated
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
