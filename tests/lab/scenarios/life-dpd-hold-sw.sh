# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 360
# lab-description: dead peer detection, dpdaction=hold: nmcli -> NetworkManager -> our service -> charon; charon is killed (SIGKILL): the peer is declared dead, our SAs go, our policies and routes stay, NetworkManager stays "activated" and nothing is attempted until traffic wants out; a ping (blocked, never in the clear) starts an attempt (the kernel's ACQUIRE), which fails while charon is down; charon is started again and the next ping re-establishes the tunnel with the same virtual address (prints the seconds from that ping to traffic passing); no larval SA stays; disconnecting while held leaves nothing behind

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-dpd-hold-sw-0123456789"
DELAY=5
TIMEOUT=5
OURS='reqid 1313(6[6-9]|7[0-3])[0-9]{4}'

# our_sas: the number of our SAs on left that carry traffic (larval SAs, SPI 0, not counted)
our_sas() { lab_ip left xfrm state | grep -E "spi 0x[0-9a-f]{8} $OURS" | grep -vc 'spi 0x00000000' || true; }
# larvals: the number of larval SAs of ours on left (created by the kernel for an ACQUIRE)
larvals() { lab_ip left xfrm state | grep -Ec "spi 0x00000000 $OURS" || true; }
# out_policy_held: our outbound policy to the right LAN is in the kernel
out_policy_held() { lab_ip left xfrm policy list dir out | grep -A3 "dst $LAB_RIGHT_LAN" | lab_grepq -E "$OURS"; }
# log_count REGEX: how many lines of NM's log (our plugin's included) match REGEX
log_count() { grep -Ec "$1" "$(lab_nm_dir)/nm.out" || true; }
# still_activated WHEN: NetworkManager still shows the VPN activated
still_activated() {
	local state
	state=$(lab_nm_con_state ikevpn || true)
	[ "$state" = activated ] || lab_fail "NetworkManager left 'activated' ($state) $1"
}
# kill_gateway N: kills charon and waits for the Nth "stopped answering" and the Nth hold line
kill_gateway() {
	kill -KILL "$(lab_daemon_pid gw)"
	lab_log "charon killed"
	lab_wait "$(lab_scale $((DELAY + TIMEOUT + 10)))" "the dead gateway to be noticed ($1)" eval \
		"[ \"\$(log_count 'stopped answering')\" -ge $1 ]"
	lab_wait "$(lab_scale 5)" "the connection to be held ($1)" eval \
		"[ \"\$(log_count 'dpdaction=hold: the tunnel.s traffic stays blocked')\" -ge $1 ]"
}

scenario_run() {
	local vip vip2 t0 waited attempts
	lab_nm_ike_pool_gateway "$PSK" "dpddelay=${DELAY}s, dpdtimeout=${TIMEOUT}s, dpdaction=hold"
	lab_assert_ping left "$LAB_RHOST_IP"
	vip=$(lab_nmcli -g IP4.ADDRESS connection show ikevpn | cut -d/ -f1)
	[ -n "$vip" ] || lab_fail "no virtual address"
	lab_capture_start wire left wan0 -Q out

	# The gateway dies: the SAs go, the policies, routes and NetworkManager's view stay.
	kill_gateway 1
	lab_wait "$(lab_scale 5)" "our SAs to be deleted" eval '[ "$(our_sas)" = 0 ]'
	out_policy_held || lab_fail "our outbound policy to $LAB_RIGHT_LAN is gone while held"
	lab_ike_assert_routed left "$LAB_RIGHT_LAN"
	still_activated "when the gateway was declared dead"
	vip2=$(lab_nmcli -g IP4.ADDRESS connection show ikevpn | cut -d/ -f1)
	[ "$vip2" = "$vip" ] || lab_fail "the virtual address changed from $vip to $vip2 while held"
	attempts=$(log_count 'dpdaction=hold: traffic wants to go through')
	[ "$attempts" = 0 ] || lab_fail "an attempt started without traffic"

	# Traffic while the gateway is down: blocked (the capture is checked at the end); the
	# kernel's ACQUIRE starts an attempt, which fails.
	lab_assert_no_ping left "$LAB_RHOST_IP"
	lab_nm_log_wait 'dpdaction=hold: traffic wants to go through' 10
	lab_wait "$(lab_scale 5)" "a larval SA for the blocked ping" eval '[ "$(larvals)" -ge 1 ]'
	lab_wait "$(lab_scale 30)" "the attempt against the dead gateway to fail" eval \
		"[ \"\$(log_count 'dpdaction=hold: connecting to the gateway again failed')\" -ge 1 ]"
	still_activated "after a failed attempt"
	out_policy_held || lab_fail "our outbound policy is gone after a failed attempt"
	lab_wait "$(lab_scale 5)" "the larval SAs of the ACQUIREs to go" eval '[ "$(larvals)" = 0 ]'

	# The gateway is back; nothing happens until traffic wants out, then the first ping's
	# ACQUIRE re-establishes the tunnel.
	lab_charon_start gw right
	attempts=$(log_count 'dpdaction=hold: traffic wants to go through')
	! lab_charon_ike_established gw || lab_fail "charon has an IKE SA although no traffic wanted out"
	t0=$SECONDS
	lab_wait "$(lab_scale $((TIMEOUT + 10)))" "the tunnel to carry traffic again" \
		lab_nsx left ping -c 1 -W 1 "$LAB_RHOST_IP"
	waited=$((SECONDS - t0))
	lab_log "dpdaction=hold: traffic passes again $waited s after the first ping once the gateway was back"
	echo "hold-reconnect-seconds $waited" >>"$LAB_OUT/timings"
	[ "$(log_count 'dpdaction=hold: traffic wants to go through')" -gt "$attempts" ] ||
		lab_fail "the tunnel came back without an attempt started by traffic"
	lab_nm_log_wait 'up again \(dpdaction=hold\), with the same address' 10
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_capture_stop wire
	still_activated "after the tunnel was re-established"
	vip2=$(lab_nmcli -g IP4.ADDRESS connection show ikevpn | cut -d/ -f1)
	[ "$vip2" = "$vip" ] || lab_fail "the virtual address changed from $vip to $vip2"
	lab_check "charon's CHILD_SA is not INSTALLED after the re-establishment" lab_charon_child_installed gw c
	lab_wait "$(lab_scale 5)" "no larval SA of ours" eval '[ "$(larvals)" = 0 ]'
	lab_assert_wire_protected 3 "left wan0" wire

	# Disconnect while held (a blocked ping made a larval SA and an attempt): nothing stays.
	kill_gateway 2
	lab_assert_no_ping left "$LAB_RHOST_IP"
	still_activated "while held the second time"
	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down while held"
}
