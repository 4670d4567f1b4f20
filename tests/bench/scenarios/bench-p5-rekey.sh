# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-exclusive: yes
# lab-timeout: 1500
# lab-description: benchmark P5: packets lost while the gateway rekeys the Child SA LAB_BENCH_P5_REKEYS times under a 100-per-second ping through the tunnel, our nm-ike (XFRM) vs a charon client (kernel ESP) against the same charon gateway, one after the other
#
# Run by tests/bench/run (LAB_SCENARIO_PATH=tests/bench/scenarios) inside the lab VM (kernel ESP).
# The rekeys are triggered by the gateway (`swanctl --rekey --child c`), the same trigger for both
# clients: the gateway initiates CREATE_CHILD_SA, the client answers, installs the new SAs and
# the gateway deletes the old pair.  Each rekey waits until the gateway shows exactly one new
# Child SA installed, then LAB_BENCH_P5_GAP seconds.  Meanwhile `ping -i 0.01` runs from the
# client (192.0.2.1) to rhost (10.2.0.2) behind the gateway; it is stopped 2 s after the last
# rekey.  Lost = echo requests up to the last answered one that got no answer (the requests
# still in flight when ping is stopped do not count).
# Writes $LAB_OUT/p5.txt: "ours|charon rekeys=N sent=S answered=A lost=L".

# shellcheck source=../../lab/lib/nm-ike.sh disable=SC1091
source "$LAB_DIR/lib/nm-ike.sh"
# shellcheck source=../lib/clients.sh disable=SC1091
source "$LAB_REPO/tests/bench/lib/clients.sh"

# _bench_p5_measure WHO: the ping and the rekeys for the client that is up; appends its line
_bench_p5_measure() {
	local who=$1 rekeys=${LAB_BENCH_P5_REKEYS:-10} gap=${LAB_BENCH_P5_GAP:-1}
	local name=ping-$who pid i seqs answered last sent lost
	lab_wait "$(lab_scale 10)" "a first ping through the $who tunnel" \
		lab_nsx left ping -c 1 -W 1 "$LAB_RHOST_IP"
	lab_daemon "$name" left ping -n -i 0.01 -W 1 "$LAB_RHOST_IP"
	pid=$(lab_daemon_pid "$name")
	sleep 2
	for i in $(seq 1 "$rekeys"); do
		bench_gw_child_rekey
		lab_log "$who: rekey $i done, the gateway's Child SA is now #$BENCH_CHILD_ID"
		sleep "$gap"
	done
	sleep 2
	kill -INT "$pid" 2>/dev/null || lab_fail "ping through the $who tunnel died"
	lab_retry 10 eval "! kill -0 $pid" || lab_fail "ping did not stop"
	cp "$LAB_RUN/$name/$name.out" "$LAB_OUT/ping-$who.txt"
	seqs=$(grep -v 'DUP!' "$LAB_OUT/ping-$who.txt" | sed -n 's/.* icmp_seq=\([0-9]*\) .*/\1/p' | sort -un)
	answered=$(echo "$seqs" | grep -c .)
	last=$(echo "$seqs" | tail -n 1)
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$LAB_OUT/ping-$who.txt")
	[ -n "$sent" ] || lab_fail "no summary from ping through the $who tunnel (see ping-$who.txt)"
	[ "${answered:-0}" -gt 0 ] || lab_fail "no ping through the $who tunnel was answered"
	lost=$((last - answered))
	echo "$who rekeys=$rekeys sent=$sent answered=$answered lost=$lost" >>"$LAB_OUT/p5.txt"
	lab_log "$who: $rekeys rekeys, $sent sent, $answered answered, $lost lost before the last answer"
}

scenario_run() {
	local bin=${LAB_BENCH_BIN_DIR:-$LAB_REPO/target/release}
	[ -x "$bin/nm-ike" ] || lab_fail "$bin/nm-ike is not built (tests/bench/run builds it)"
	export NM_IKE_BIN=$bin/nm-ike
	lab_require nft
	: >"$LAB_OUT/p5.txt"

	lab_topo_client_gw
	bench_gateway

	# ours: nm-ike up with the XFRM kernel backend, the same IDs, PSK, proposals and selectors
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike="$BENCH_IKE" esp="$BENCH_ESP" secret.pskvalue="$BENCH_PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	_bench_p5_measure ours
	local n
	n=$(grep -c '^CHILD_SA_DOWN .*rekeyed=true' "$LAB_RUN/client/client.out" || true)
	[ "$n" = "${LAB_BENCH_P5_REKEYS:-10}" ] ||
		lab_fail "our client logged $n rekeyed Child SAs, expected ${LAB_BENCH_P5_REKEYS:-10}"
	lab_daemon_stop client 20
	lab_ike_assert_clean left "after our client stopped"
	lab_wait "$(lab_scale 20)" "the gateway to drop our IKE SA" eval "! lab_charon_ike_established gw rw"

	# the anchor: a charon client (kernel-netlink) with the same settings
	bench_sw_client cl
	lab_charon_initiate cl c gw
	_bench_p5_measure charon
	# a rekey's responder logs "inbound CHILD_SA c{N} established", and "outbound ..." once it
	# switches its outbound traffic over: count the distinct N
	n=$({ grep -Eo 'CHILD_SA c\{[0-9]+\} established' "$(lab_charon_dir cl)/charon.log" || true; } | sort -u | grep -c . || true)
	[ "$n" = "$((${LAB_BENCH_P5_REKEYS:-10} + 1))" ] ||
		lab_fail "the charon client logged $n established Child SAs, expected $((${LAB_BENCH_P5_REKEYS:-10} + 1))"
	lab_swanctl cl --terminate --ike gw >/dev/null 2>&1 || true
}
