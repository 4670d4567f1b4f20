# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: dead peer detection, dpdaction=clear: nmcli -> NetworkManager -> our service -> charon; charon is killed (SIGKILL), our liveness checks go unanswered, and within dpddelay+dpdtimeout+5 s NetworkManager is told (the VPN goes down) with the reason "stopped answering" in the log; nothing of ours is left in the kernel

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-dpd-clear-0123456789"
DELAY=5
TIMEOUT=5

scenario_run() {
	lab_nm_ike_pool_gateway "$PSK" "dpddelay=${DELAY}s, dpdtimeout=${TIMEOUT}s, dpdaction=clear"
	lab_assert_ping left "$LAB_RHOST_IP"
	local t0 waited
	kill -KILL "$(lab_daemon_pid gw)"
	t0=$SECONDS
	lab_log "charon killed; waiting for NetworkManager to be told"
	lab_wait "$(lab_scale $((DELAY + TIMEOUT + 5)))" "NetworkManager to end the VPN" eval \
		"[ \"\$(lab_nm_con_state ikevpn)\" != activated ]"
	waited=$((SECONDS - t0))
	lab_log "the dead gateway was noticed and the VPN ended after $waited s (dpddelay ${DELAY} s + dpdtimeout ${TIMEOUT} s)"
	lab_nm_log_wait "stopped answering" 10
	lab_wait "$(lab_scale 10)" "our SAs, policies and routes to go" eval "! lab_ike_residue left | lab_grepq ."
	lab_ike_assert_clean left "after the dead gateway was cleared"
}
