# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: nmcli up to a gateway whose firewall drops UDP 500/4500 (nftables on the gateway): NM learns of the failure within 15 s (measured; never NM's 60 s timeout), and our journal line says the gateway did not answer

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	lab_topo --left-unconfigured
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="the-psk-of-no-answer-0123" local_ts="$LAB_RIGHT_LAN" pool="$LAB_POOL"
	lab_charon_start gw right --libipsec
	lab_nsx right nft -f - <<-EOF
		table inet labdrop {
		  chain input {
		    type filter hook input priority -10; policy accept;
		    udp dport { 500, 4500 } counter drop
		  }
		}
	EOF
	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, pskvalue-flags=0" \
		"pskvalue=the-psk-of-no-answer-0123"
	local secs
	secs=$(lab_nm_ike_up_fails ikevpn "$LAB_OUT/up.txt" 90)
	lab_log "nmcli up failed after ${secs}s: $(tr '\n' ' ' <"$LAB_OUT/up.txt")"
	echo "$secs" >"$LAB_OUT/seconds-to-failure"
	lab_timing failed
	lab_nsx right nft list table inet labdrop >"$LAB_OUT/gw-nft.txt" 2>&1 || true
	grep -Eq 'counter packets [1-9]' "$LAB_OUT/gw-nft.txt" || lab_fail "the gateway's firewall dropped nothing"
	lab_nm_log_wait 'did not answer on UDP port 500'
	grep -E 'did not answer' "$(lab_nm_dir)/nm.out" >"$LAB_OUT/our-line.txt" || true
	# Plugin start and nmcli's own polling add a little: the failure itself comes at ~15 s.
	[ "$secs" -le 17 ] || lab_fail "NM learned of the failure only after ${secs}s (expected about 15 s)"
	if grep -q 'No IKE service' "$(lab_nm_dir)/nm.out"; then lab_fail "silence was reported as an ICMP error"; fi
}
