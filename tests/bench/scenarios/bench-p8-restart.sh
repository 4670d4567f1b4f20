# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-exclusive: yes
# lab-timeout: 1500
# lab-description: benchmark P8: seconds from a restarted gateway answering again (killed with SIGKILL, started, its configuration loaded) to traffic passing through the tunnel again, our nm-ike-service through NetworkManager (dpddelay=5s dpdtimeout=5s dpdaction=restart) vs a charon client (dpd_delay=5s, dpd_action=restart, the same retransmission schedule), same charon gateway, alternating rounds
#
# Run by tests/bench/run (LAB_SCENARIO_PATH=tests/bench/scenarios) inside the lab VM (kernel ESP).
# One round per entry of LAB_BENCH_P8_WAITS (seconds, default "3 8 5"), for each client in turn
# (odd rounds ours first): the client connects, a probe pings rhost through the tunnel every
# 0.1 s (`ping -D`, a timestamp per answer), the gateway is killed (SIGKILL) and its kernel's
# XFRM states and policies are flushed (a restarted machine has none); once the client has
# noticed (ours: "stopped answering" in NetworkManager's log; charon: "giving up after" in its
# log) and the round's wait has passed, the gateway is started again with IKE blocked by a
# firewall rule until `swanctl --load-all` has returned; the rule goes (the gateway answers
# again: t0), and the figure is the time from t0 to the first answer of the probe after it.
# Only decapsulated traffic reaches rhost (bench_gateway), so an answer proves the tunnel.
# Writes $LAB_OUT/p8.txt: "ours|charon ROUND WAIT SECONDS".

# shellcheck source=../../lab/lib/nm-ike.sh disable=SC1091
source "$LAB_DIR/lib/nm-ike.sh"
# shellcheck source=../lib/clients.sh disable=SC1091
source "$LAB_REPO/tests/bench/lib/clients.sh"

# _bench_p8_noticed WHO: how many times the client has logged that the gateway is dead
_bench_p8_noticed() {
	if [ "$1" = ours ]; then
		grep -c "stopped answering" "$(lab_nm_dir)/nm.out" || true
	else
		grep -c "giving up after" "$(lab_charon_dir cl)/charon.log" || true
	fi
}

# _bench_p8_round WHO ROUND WAIT: one measurement; appends its line to p8.txt
_bench_p8_round() {
	local who=$1 round=$2 wait=$3 probe=probe-$1-$2 pid seen t0 back
	if [ "$who" = ours ]; then
		lab_nm_vpn_up ours
	else
		lab_charon_initiate cl c gw
	fi
	lab_wait "$(lab_scale 10)" "a first ping through the $who tunnel" \
		lab_nsx left ping -c 1 -W 1 "$LAB_RHOST_IP"
	lab_daemon "$probe" left ping -D -n -i 0.1 -W 1 "$LAB_RHOST_IP"
	pid=$(lab_daemon_pid "$probe")
	seen=$(_bench_p8_noticed "$who")

	local gw
	gw=$(lab_daemon_pid gw)
	kill -KILL "$gw"
	wait "$gw" 2>/dev/null || true # reaped here, so that the shell reports nothing
	# the gateway's kernel forgets its SAs too, as when its machine restarts: charon leaves them
	# behind when it is killed, and they would keep carrying the traffic (charon's DPD counts
	# traffic as life, so the charon client would never notice the restart)
	lab_ip right xfrm state flush
	lab_ip right xfrm policy flush
	lab_log "$who round $round: gateway killed"
	lab_wait "$(lab_scale 60)" "the $who client to notice that the gateway is gone" \
		eval '[ "$(_bench_p8_noticed "$who")" -gt "$seen" ]'
	lab_log "$who round $round: the client noticed; the gateway stays away ${wait}s more"
	sleep "$wait"
	# IKE to the gateway is dropped until its configuration is loaded, so that no attempt
	# meets a gateway without connections
	lab_nsx right nft -f - <<-'EOF' || lab_fail "nft: blocking IKE failed"
		table ip bench_hold {
			chain hold_ike {
				type filter hook input priority 0; policy accept;
				udp dport { 500, 4500 } drop
			}
		}
	EOF
	lab_charon_start gw right
	lab_nsx right nft delete table ip bench_hold || lab_fail "nft: unblocking IKE failed"
	t0=${EPOCHREALTIME/,/.}
	lab_log "$who round $round: the gateway answers again"
	lab_wait "$(lab_scale 90)" "the first answer through the $who tunnel after the restart" eval \
		"awk -v t=$t0 -F'[][]' '/bytes from/ && \$2 > t { f = 1 } END { exit !f }' '$LAB_RUN/$probe/$probe.out'"
	back=$(awk -v t="$t0" -F'[][]' '/bytes from/ && $2 > t { printf "%.2f", $2 - t; exit }' \
		"$LAB_RUN/$probe/$probe.out")
	lab_daemon_alive "$probe" || lab_fail "the probe ping died (see $probe/$probe.out)"
	kill -INT "$pid" 2>/dev/null || true
	lab_retry 10 eval "! kill -0 $pid" || true
	cp "$LAB_RUN/$probe/$probe.out" "$LAB_OUT/$probe.txt"
	echo "$who $round $wait $back" >>"$LAB_OUT/p8.txt"
	lab_log "$who round $round: traffic passes again ${back}s after the gateway answered"
	lab_check "the gateway's Child SA is not INSTALLED after the restart" lab_charon_child_installed gw c

	if [ "$who" = ours ]; then
		lab_assert_nm_state ours activated
		lab_nmcli connection down ours >/dev/null || lab_fail "nmcli connection down ours failed"
	else
		lab_swanctl cl --terminate --ike gw >/dev/null 2>&1 || lab_fail "swanctl --terminate (client) failed"
	fi
	lab_wait "$(lab_scale 20)" "the gateway to drop the $who IKE SA" eval "! lab_charon_ike_established gw rw"
}

scenario_run() {
	local bin=${LAB_BENCH_BIN_DIR:-$LAB_REPO/target/release}
	[ -x "$bin/nm-ike-service" ] || lab_fail "$bin/nm-ike-service is not built (tests/bench/run builds it)"
	export NM_IKE_BIN=$bin/nm-ike
	lab_require nft
	local waits=${LAB_BENCH_P8_WAITS:-3 8 5} delay=5 timeout=5
	: >"$LAB_OUT/p8.txt"

	lab_topo --left-unconfigured --rhost
	bench_gateway
	# ours: nm-ike-service through NetworkManager (dpdaction=restart is the service's)
	lab_nm_ike_client
	lab_nm_ike_add ours "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, leftsubnet=$LAB_LEFT_IP/32, rightsubnet=$LAB_RIGHT_LAN, leftmodecfgclient=no, ike=$BENCH_IKE, esp=$BENCH_ESP, dpddelay=${delay}s, dpdtimeout=${timeout}s, dpdaction=restart, pskvalue-flags=0" \
		"pskvalue=$BENCH_PSK"
	# the anchor: charon, DPD after the same silence, restart, unlimited attempts, and our
	# retransmission schedule (1 s, 2 s, 4 s, 8 s: given up 15 s after the first send; charon has
	# no dpd_timeout in IKEv2, its liveness checks end with the retransmissions)
	bench_sw_client cl dpd_delay="${delay}s" keyingtries=0 dpd_action=restart -- \
		--extra "retransmit_timeout = 1.0" --extra "retransmit_base = 2.0" \
		--extra "retransmit_tries = 3"

	local round=0 w
	for w in $waits; do
		round=$((round + 1))
		if [ $((round % 2)) = 1 ]; then
			_bench_p8_round ours "$round" "$w"
			_bench_p8_round charon "$round" "$w"
		else
			_bench_p8_round charon "$round" "$w"
			_bench_p8_round ours "$round" "$w"
		fi
	done
}
