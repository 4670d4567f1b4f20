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
	local vip
	vip=$(lab_nmcli -g IP4.ADDRESS connection show ikevpn | cut -d/ -f1)
	[ -n "$vip" ] || lab_fail "no virtual address before the restart"

	lab_capture_start wire left wan0 -Q out
	kill -KILL "$(lab_daemon_pid gw)"
	lab_log "charon killed"
	# Dead for a while: our checks must notice (dpddelay + dpdtimeout), the state must hold, and
	# traffic that wants out meanwhile must not leave in the clear (one ping a second).
	local i state
	for i in $(seq 1 $((DELAY + TIMEOUT + 3))); do
		state=$(lab_nm_con_state ikevpn || true)
		[ "$state" = activated ] || lab_fail "NetworkManager left 'activated' ($state) while the gateway was down"
		lab_nsx left ping -c 1 -W 1 "$LAB_RHOST_IP" >/dev/null 2>&1 || true
	done
	lab_nm_log_wait "stopped answering" 10
	lab_charon_start gw right
	local t0=$SECONDS
	lab_log "charon started again"
	lab_wait "$(lab_scale $((DELAY + TIMEOUT + 5)))" "the tunnel to carry traffic again" \
		lab_nsx left ping -c 1 -W 1 "$LAB_RHOST_IP"
	lab_log "traffic passes again $((SECONDS - t0)) s after the gateway came back"
	lab_capture_stop wire
	lab_assert_nm_state ikevpn activated
	local vip2
	vip2=$(lab_nmcli -g IP4.ADDRESS connection show ikevpn | cut -d/ -f1)
	[ "$vip2" = "$vip" ] || lab_fail "the virtual address changed from $vip to $vip2"
	lab_check "charon's CHILD_SA is not INSTALLED after the restart" lab_charon_child_installed gw c
	lab_assert_wire_protected 1 "left wan0" wire

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
