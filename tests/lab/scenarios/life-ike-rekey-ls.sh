# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-description: IKE SA rekeys under traffic against Libreswan: ikelifetime=60s, our nm-ike (XFRM) rekeys the IKE SA at about 90 % of its lifetime, twice in 125 s while a ping runs through the tunnel; no ping lost, the Child SA kept (same SPI, never deleted), pluto's established IKE SA is its third or later

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-ike-rekey-ls-0123456789"

scenario_run() {
	lab_topo_client_gw
	# pluto keeps its own lifetimes long: only we rekey.
	lab_pluto_conn gw rw authby=secret psk="$PSK" \
		left="$LAB_RIGHT_IP" leftid=@gw.lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_IP" rightid=@client.lab.test rightsubnet="$LAB_LEFT_IP/32" \
		ike=aes_gcm256-sha2_512-dh19 esp=aes_gcm128 ikelifetime=1h salifetime=1h
	lab_pluto_start gw right
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=@gw.lab.test leftid=@client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike=aes_gcm256-sha2_512-dh19 esp=aes_gcm128 ikelifetime=60s secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	local first
	first=$(lab_ike_event client CHILD_SA_UP | sed -n 's/.*spi_in=\([0-9a-f]*\).*/\1/p')
	lab_nsx left ping -c 250 -i 0.5 -W 2 "$LAB_RHOST_IP" >"$LAB_OUT/ping.txt" 2>&1 || true
	local received
	received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_OUT/ping.txt")
	lab_log "ping across two IKE SA rekeys: ${received:-0}/250 answered"
	lab_pluto_status gw >"$LAB_OUT/pluto-status.txt" 2>&1 || true
	local ike_no
	ike_no=$(grep -E '#[0-9]+: "rw".*ESTABLISHED_IKE_SA' "$LAB_OUT/pluto-status.txt" |
		sed -n 's/.*#\([0-9]*\): "rw".*/\1/p' | sort -n | tail -n1)
	lab_log "pluto's established IKE SA of the connection is #${ike_no:-?} (was #1)"
	[ "${ike_no:-0}" -ge 3 ] || lab_fail "pluto's established IKE SA is #${ike_no:-none}, expected #3 or later after two rekeys (see pluto-status.txt)"
	[ "${received:-0}" = 250 ] || lab_fail "only ${received:-0}/250 pings answered across the IKE SA rekeys (see ping.txt)"
	if grep -q "CHILD_SA_DOWN" "$LAB_RUN/client/client.out"; then
		lab_fail "a Child SA went down during the IKE SA rekeys"
	fi
	lab_ip left xfrm state >"$LAB_OUT/xfrm-after.txt" 2>&1 || true
	grep -q "spi 0x$first " "$LAB_OUT/xfrm-after.txt" || lab_fail "the Child SA 0x$first is gone after the IKE SA rekeys"
	lab_check "pluto trafficstatus shows no SA for rw after the rekeys" lab_pluto_has_sa gw rw
	lab_daemon_stop client 20
	lab_ike_assert_clean left "after disconnect"
}
