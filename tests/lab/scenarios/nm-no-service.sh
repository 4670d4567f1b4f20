# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: nmcli up to a gateway host where nothing listens on UDP 500: the ICMP port unreachable is named ("no IKE service at the gateway"), reported quickly and told apart from no answer

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	lab_topo --left-unconfigured
	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, pskvalue-flags=0" \
		"pskvalue=the-psk-of-no-service-0123"
	lab_capture_start icmp right wan0 icmp
	local secs
	secs=$(lab_nm_ike_up_fails ikevpn "$LAB_OUT/up.txt" 90)
	lab_capture_stop icmp
	lab_log "nmcli up failed after ${secs}s: $(tr '\n' ' ' <"$LAB_OUT/up.txt")"
	echo "$secs" >"$LAB_OUT/seconds-to-failure"
	[ "$(lab_capture_count icmp 'icmp[icmptype] == icmp-unreach')" -ge 1 ] || lab_fail "the gateway sent no ICMP unreachable"
	lab_nm_log_wait 'No IKE service at the gateway .*UDP port 500.*ICMP port unreachable'
	grep -E 'No IKE service' "$(lab_nm_dir)/nm.out" >"$LAB_OUT/our-line.txt" || true
	if grep -q 'did not answer' "$(lab_nm_dir)/nm.out"; then lab_fail "the ICMP error was reported as no answer"; fi
	[ "$secs" -le 8 ] || lab_fail "the failure took ${secs}s; an ICMP error should end the attempt at once"
}
