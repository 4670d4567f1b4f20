# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: keyingtries: with the gateway's IKE daemon not running, keyingtries=1 fails the activation after one try; with keyingtries=6 the daemon started after our first try was refused is reached by a later try and nmcli up succeeds (the journal names each new try); prints the seconds of both

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-nm-keyingtries-0123456789"

scenario_run() {
	lab_topo --left-unconfigured --rhost
	lab_nm_ike_pool_charon "$PSK"
	# No IKE daemon at the gateway, as the network sees it: IKE is answered with ICMP port
	# unreachable, as a host without the daemon does. (charon runs behind the rule, so that its
	# start, slow under emulation, is not part of what is measured, and it never answers half
	# configured: a daemon that refuses us is never tried again.)
	lab_nsx right nft -f - <<-EOF || lab_fail "nft setup on the gateway failed"
		table ip lab_no_ike {
			chain input {
				type filter hook input priority 0; policy accept;
				udp dport { 500, 4500 } reject with icmp type port-unreachable
			}
		}
	EOF
	lab_charon_start gw right
	lab_nm_ike_client
	local data="right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, esp=aes_gcm128, retransmit-timeout=1s, retransmit-tries=3, pskvalue-flags=0"

	# One try (the default), no IKE daemon: the activation fails after it.
	lab_nm_ike_add once "$data, keyingtries=1" "pskvalue=$PSK"
	local once
	once=$(lab_nm_ike_up_fails once "$LAB_OUT/once-up.txt" 60)
	! grep -q "Trying the gateway again" "$(lab_nm_dir)/nm.out" ||
		lab_fail "keyingtries=1 tried again"
	lab_log "keyingtries=1 without a gateway: failed after $once s"

	# Six tries (1, 2, 4, 8, 16 s apart): the daemon comes up once our first try was answered with ICMP errors.
	lab_nm_ike_add tries "$data, keyingtries=6" "pskvalue=$PSK"
	local refused="No IKE service at the gateway|did not answer on UDP port" before
	before=$(grep -Ec "$refused" "$(lab_nm_dir)/nm.out")
	local t0=$SECONDS
	lab_nmcli --wait "$(lab_scale 90)" connection up tries >"$LAB_OUT/tries-up.txt" 2>&1 &
	local up=$!
	lab_wait "$(lab_scale 30)" "our first try to be refused" eval \
		"[ \$(grep -Ec '$refused' '$(lab_nm_dir)/nm.out') -gt $before ]"
	# The daemon "comes up".
	lab_nsx right nft delete table ip lab_no_ike || lab_fail "cannot remove the gateway's nft table"
	wait "$up" || lab_fail "nmcli connection up tries failed: $(tr '\n' ' ' <"$LAB_OUT/tries-up.txt")"
	local took=$((SECONDS - t0))
	lab_nm_wait_addrs tries
	lab_assert_nm_state tries activated
	grep -Eo "Trying the gateway again in [0-9]+ s \(try [0-9] of 6, keyingtries=6\)" "$(lab_nm_dir)/nm.out" >"$LAB_OUT/tries.txt" ||
		lab_fail "the journal names no new try"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_wait "$(lab_scale 10)" "our route in table 2749" eval \
		"lab_ip left route show table 2749 | lab_grepq '^$LAB_RIGHT_LAN'"
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_log "keyingtries=6, gateway daemon up after our first try: ACTIVATED after $took s ($(wc -l <"$LAB_OUT/tries.txt") more tries)"
	printf 'once_failed_after_s=%s\ntries_activated_after_s=%s\n' "$once" "$took" >"$LAB_OUT/figures.txt"

	lab_nmcli connection down tries >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
