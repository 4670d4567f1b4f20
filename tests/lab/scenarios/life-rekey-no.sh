# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: rekey=no as in Libreswan: nmcli -> NetworkManager -> our service -> charon with ikelifetime=60s and rekey=no; the IKE SA is never renewed, it expires after its lifetime and dpdaction=clear ends the connection: NetworkManager is told, the log names rekey=no, nothing of ours is left in the kernel

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-rekey-no-0123456789"
LIFE=60

scenario_run() {
	lab_nm_ike_pool_gateway "$PSK" "rekey=no, ikelifetime=${LIFE}s, salifetime=1h, dpdaction=clear"
	local t0=$SECONDS
	lab_assert_ping left "$LAB_RHOST_IP"
	# Until shortly before the lifetime ends the tunnel is up and carries traffic.
	lab_wait "$(lab_scale $((LIFE - 15)))" "the IKE SA to get close to its lifetime" eval "[ \$((SECONDS - t0)) -ge $((LIFE - 15)) ]"
	lab_assert_nm_state ikevpn activated
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_wait "$(lab_scale 45)" "NetworkManager to end the VPN" eval \
		"[ \"\$(lab_nm_con_state ikevpn)\" != activated ]"
	lab_nm_log_wait "rekey=no" 10
	# How long the IKE SA lived, from our log's own order of events (NetworkManager's clock): not
	# from when NetworkManager reported the VPN activated, which comes seconds later on a busy VM.
	local born died lived
	born=$(lab_nm_log_time "IKE SA established")
	died=$(lab_nm_log_time "rekey=no")
	lived=$(awk -v a="$born" -v b="$died" 'BEGIN { if (a == "" || b == "") print "?"; else printf "%.0f", b - a }')
	lab_log "the IKE SA was not renewed and the VPN ended ${lived} s after the IKE SA was established (ikelifetime ${LIFE} s)"
	[ "$lived" != "?" ] || lab_fail "NetworkManager's log has no time for the IKE SA's start or end"
	[ "$lived" -ge $((LIFE - 2)) ] || lab_fail "the VPN ended ${lived} s after the IKE SA was established, before its lifetime of ${LIFE} s"
	lab_wait "$(lab_scale 10)" "our SAs, policies and routes to go" eval "! lab_ike_residue left | lab_grepq ."
	lab_ike_assert_clean left "after the IKE SA expired"
}
