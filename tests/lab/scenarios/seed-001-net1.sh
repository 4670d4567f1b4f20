# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-libnm-plugin: yes
# lab-description: seed 001 (issue 14): two routers, each with a LAN host behind it; Libreswan on one as the seed's peer (passive); on the other the seed's net1.conf and net1.secrets (left=, leftsubnet, rightsubnet, authby=secret with the addresses as IDs, dpddelay=10 dpdtimeout=5 dpdaction=restart) imported with nmcli and activated; LAN-to-LAN pings both ways are ESP on the middle link; pluto killed (SIGKILL) and started again: we re-establish by ourselves, traffic passes within dpddelay+dpdtimeout+5 s of pluto answering, NetworkManager never left "activated", nothing in the clear

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-seed-001-net1-0123456789"
DELAY=10
TIMEOUT=5

nmcli_vpn() { NM_VPN_PLUGIN_DIR="$LAB_NM_IKE_VPND" lab_nmcli "$@"; }

# _pluto_gw: (re)starts the seed's peer; a pluto killed before leaves its lock and control socket.
_pluto_gw() {
	rm -f "$(lab_pluto_dir gw)/run/pluto.pid" "$(lab_pluto_dir gw)/run/pluto.ctl"
	lab_pluto_start gw right
}

# _lan_pings FROM DST: 5 pings from the LAN host FROM to DST, all answered; prints "answered/sent"
_lan_pings() {
	local out n
	out=$(lab_nsx "$1" ping -c 5 -i 0.2 -W 2 "$2" 2>&1 || true)
	n=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2\/\1/p' <<<"$out")
	lab_log "pings $1 -> $2: ${n:-none} answered"
	[ "$n" = 5/5 ] || lab_fail "pings $1 -> $2: ${n:-none} answered, want 5/5"
}

scenario_run() {
	lab_topo --left-unconfigured --lhost --rhost
	# The seed's other router: the same connection seen from its side, waiting for us.
	lab_pluto_conn gw net1 authby=secret ikev2=insist \
		left="$LAB_RIGHT_IP" leftsubnet="$LAB_RIGHT_LAN" right="$LAB_LEFT_IP" rightsubnet="$LAB_LEFT_LAN"
	lab_pluto_secret gw "$LAB_RIGHT_IP $LAB_LEFT_IP : PSK \"$PSK\""
	_pluto_gw
	# pluto runs without updown: our LAN is routed towards us by hand (its policy does the rest).
	lab_route right "$LAB_LEFT_LAN" via "$LAB_LEFT_IP"
	lab_timing gateway-up

	lab_nm_ike_plugin_lib
	lab_nm_ike_client
	grep -q '^plugin=.*libnm-vpn-plugin-ike.so' "$LAB_NM_IKE_VPND/nm-ike-service.name" ||
		lab_fail "the .name file names no libnm plugin library"

	# The seed's files, with the lab's addresses, imported as a user would.
	local files=$LAB_OUT/files
	mkdir -p "$files"
	cat >"$files/net1.conf" <<-EOF
		conn net1
		    left=$LAB_LEFT_IP
		    leftsubnet=$LAB_LEFT_LAN
		    right=$LAB_RIGHT_IP
		    rightsubnet=$LAB_RIGHT_LAN
		    authby=secret
		    ikev2=insist
		    dpddelay=$DELAY
		    dpdtimeout=$TIMEOUT
		    dpdaction=restart
		    auto=start
	EOF
	printf '%s %s : PSK "%s"\n' "$LAB_LEFT_IP" "$LAB_RIGHT_IP" "$PSK" >"$files/net1.secrets"
	chmod 600 "$files/net1.secrets"
	nmcli_vpn connection import type ike file "$files/net1.conf" >"$LAB_OUT/import.txt" 2>&1 ||
		lab_fail "nmcli connection import failed: $(cat "$LAB_OUT/import.txt")"
	nmcli_vpn -g vpn.data connection show net1 | sed 's/, /\n/g; s/^ *//' | sort >"$LAB_OUT/net1-data.txt"
	local kv
	for kv in "left = $LAB_LEFT_IP" "leftsubnet = $LAB_LEFT_LAN" "right = $LAB_RIGHT_IP" \
		"rightsubnet = $LAB_RIGHT_LAN" "authby = secret" "dpddelay = $DELAY" "dpdtimeout = $TIMEOUT" \
		"dpdaction = restart"; do
		grep -qx "$kv" "$LAB_OUT/net1-data.txt" || lab_fail "imported vpn.data lacks '$kv' (see net1-data.txt)"
	done
	# (nmcli asks NetworkManager for the secrets, which a busy machine can time out: retried)
	lab_retry "$(lab_scale 10)" eval 'nmcli_vpn -s -g vpn.secrets connection show net1 >"$LAB_OUT/net1-secrets.txt" 2>&1 &&
		[ "$(cat "$LAB_OUT/net1-secrets.txt")" = "pskvalue = $PSK" ]' ||
		lab_fail "the PSK from net1.secrets was not imported (nmcli: $(sed "s/$PSK/<the PSK>/" "$LAB_OUT/net1-secrets.txt" | tr '\n' ' ' | cut -c1-200))"
	lab_timing imported

	lab_nm_vpn_up net1
	lab_timing vpn-up
	lab_assert_nm_state net1 activated
	lab_check "pluto trafficstatus shows no SA for net1" lab_pluto_has_sa gw net1
	lab_ike_assert_routed left "$LAB_RIGHT_LAN"

	# LAN to LAN both ways: ESP on the middle link in both directions, no plaintext ICMP.
	lab_capture_start mid-ab left wan0 -Q out
	lab_capture_start mid-ba right wan0 -Q out
	_lan_pings lhost "$LAB_RHOST_IP"
	_lan_pings rhost "$LAB_LHOST_IP"
	lab_timing ping
	lab_capture_stop mid-ab
	lab_capture_stop mid-ba
	local ab ba
	ab=$(lab_capture_count mid-ab "esp and src $LAB_LEFT_IP and dst $LAB_RIGHT_IP")
	ba=$(lab_capture_count mid-ba "esp and src $LAB_RIGHT_IP and dst $LAB_LEFT_IP")
	lab_log "middle link: $ab ESP net1->net2, $ba ESP net2->net1"
	[ "$ab" -ge 10 ] || lab_fail "only $ab ESP packets from our router on the middle link"
	[ "$ba" -ge 10 ] || lab_fail "only $ba ESP packets from the Libreswan router on the middle link"
	lab_assert_wire_protected 20 "on the middle link" mid-ab mid-ba

	# The peer restarts: back without user action, NetworkManager activated throughout.
	lab_dpd_restart_check --site net1 "$DELAY" "$TIMEOUT" 'kill -KILL "$(lab_daemon_pid gw)"' _pluto_gw \
		'lab_check "pluto trafficstatus shows no SA for net1 after the restart" lab_pluto_has_sa gw net1'
	lab_timing back
	lab_log "back without user action: $LAB_DPD_BACK_SECS s after pluto answered again (budget $((DELAY + TIMEOUT + 5)) s, $(lab_scale $((DELAY + TIMEOUT + 5))) s here)"
	_lan_pings lhost "$LAB_RHOST_IP"
	_lan_pings rhost "$LAB_LHOST_IP"

	lab_nmcli connection down net1 >/dev/null || lab_fail "nmcli connection down failed"
	lab_ike_assert_clean left "after nmcli connection down"
}
