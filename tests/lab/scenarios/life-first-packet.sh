# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 600
# lab-description: no gap after "connected": twenty times nmcli connection up, and the instant it returns one ping (-c 1 -W 1) through the tunnel; every first ping must be answered (our route replaces its blackhole within milliseconds of NetworkManager adding the virtual address)

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-first-packet-0123456789"
ROUNDS=20

scenario_run() {
	lab_nm_ike_pool_gateway "$PSK"
	lab_assert_ping left "$LAB_RHOST_IP"
	local i ok=0 failed=()
	for i in $(seq 1 "$ROUNDS"); do
		lab_nmcli connection down ikevpn >/dev/null 2>&1 || lab_fail "round $i: nmcli connection down failed"
		lab_wait "$(lab_scale 10)" "charon to drop the IKE SA (round $i)" eval "! lab_charon_ike_established gw rw"
		lab_nmcli --wait "$(lab_scale 60)" connection up ikevpn >"$LAB_OUT/up-$i.txt" 2>&1 ||
			lab_fail "round $i: nmcli connection up failed: $(tr '\n' ' ' <"$LAB_OUT/up-$i.txt")"
		# The instant nmcli returns: no wait for addresses or routes.
		if lab_nsx left ping -c 1 -W 1 "$LAB_RHOST_IP" >"$LAB_OUT/ping-$i.txt" 2>&1; then
			ok=$((ok + 1))
		else
			failed+=("$i")
			lab_ip left route show table 2749 >"$LAB_OUT/routes-$i.txt" 2>&1 || true
		fi
	done
	lab_log "first pings answered right after nmcli up: $ok/$ROUNDS"
	[ "$ok" = "$ROUNDS" ] ||
		lab_fail "the first ping after nmcli up failed in round(s) ${failed[*]} ($ok/$ROUNDS answered; see ping-N.txt, routes-N.txt)"
}
