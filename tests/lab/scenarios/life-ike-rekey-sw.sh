# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 420
# lab-description: IKE SA rekeys under traffic against charon: ikelifetime=60s, our nm-ike (XFRM) rekeys the IKE SA at about 90 % of its lifetime, twice in 125 s while a ping runs through the tunnel; no ping lost, the Child SAs kept (same SPIs, never deleted), charon shows the third IKE SA of the connection

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-ike-rekey-sw-0123456789"

scenario_run() {
	lab_topo_client_gw
	lab_ike_rekey_sw_tunnel "$PSK" 60s
	local first
	first=$(lab_ike_event client CHILD_SA_UP | sed -n 's/.*spi_in=\([0-9a-f]*\).*/\1/p')
	lab_charon_sas gw >"$LAB_OUT/gw-sas-before.txt"
	lab_nsx left ping -c 250 -i 0.5 -W 2 "$LAB_RHOST_IP" >"$LAB_OUT/ping.txt" 2>&1 || true
	local received
	received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_OUT/ping.txt")
	lab_log "ping across two IKE SA rekeys: ${received:-0}/250 answered"
	lab_charon_sas gw >"$LAB_OUT/gw-sas-after.txt"
	local ike_id
	ike_id=$(sed -n 's/^rw: #\([0-9]*\),.*/\1/p' "$LAB_OUT/gw-sas-after.txt" | head -n1)
	lab_log "charon's IKE SA of the connection is now #${ike_id:-?} (was #1)"
	[ "${ike_id:-0}" -ge 3 ] || lab_fail "charon shows IKE SA #${ike_id:-none}, expected #3 or later after two rekeys (see gw-sas-after.txt)"
	grep -q "ESTABLISHED" "$LAB_OUT/gw-sas-after.txt" || lab_fail "no established IKE SA at charon after the rekeys"
	[ "${received:-0}" = 250 ] || lab_fail "only ${received:-0}/250 pings answered across the IKE SA rekeys (see ping.txt)"
	if grep -q "CHILD_SA_DOWN" "$LAB_RUN/client/client.out"; then
		lab_fail "a Child SA went down during the IKE SA rekeys"
	fi
	lab_ip left xfrm state >"$LAB_OUT/xfrm-after.txt" 2>&1 || true
	grep -q "spi 0x$first " "$LAB_OUT/xfrm-after.txt" || lab_fail "the Child SA 0x$first is gone after the IKE SA rekeys"
	lab_check "charon's CHILD_SA is not INSTALLED after the rekeys" lab_charon_child_installed gw c
	lab_daemon_stop client 20
	lab_ike_assert_clean left "after disconnect"
}
