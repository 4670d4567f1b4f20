# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 360
# lab-description: dead peer detection, dpdaction=restart: nmcli -> NetworkManager -> our service -> charon; charon is killed (SIGKILL) and started again; our liveness checks notice, the service re-establishes with backoff, the tunnel carries traffic again within dpddelay+dpdtimeout+5 s of the gateway answering, with the same virtual address, and NetworkManager never left "activated"; meanwhile nothing went out in the clear

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-dpd-restart-sw-0123456789"
DELAY=5
TIMEOUT=5

scenario_run() {
	lab_nm_ike_pool_gateway "$PSK" "dpddelay=${DELAY}s, dpdtimeout=${TIMEOUT}s, dpdaction=restart"
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_dpd_restart_check ikevpn "$DELAY" "$TIMEOUT" 'kill -KILL "$(lab_daemon_pid gw)"' \
		'lab_charon_start gw right' \
		'lab_check "charon'"'"'s CHILD_SA is not INSTALLED after the restart" lab_charon_child_installed gw c'

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
