# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: NAT rebinding: our nm-ike (XFRM) behind a NAT router, charon (kernel ESP) as the gateway; during a 0.05-s ping the NAT forgets its mappings (conntrack flushed) and now maps us to other ports (30000-30999); the gateway follows our new port (its view of us changes), our IKE SA and SAs stay (no new IKE SA, no failure) and traffic passes again (prints the pings lost and the ports)

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-life-nat-rebind-0123456789"

scenario_run() {
	lab_topo_client_nat_gw
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" remote_ts="$LAB_LEFT_IP/32" \
		proposals=aes256gcm16-prfsha384-x25519 esp_proposals=aes128gcm16 child.start_action=none
	lab_charon_start gw right
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike=aes256gcm16-prfsha384-x25519 esp=aes128gcm16 dpddelay=5s secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_ike_event client IKE_SA_UP | lab_grepq "nat_local=true" ||
		lab_fail "we did not detect our NAT: $(lab_ike_event client IKE_SA_UP)"
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_charon_sas gw >"$LAB_OUT/sas-before.txt" 2>&1 || true
	local before
	before=$(grep -Eo "$LAB_LEFT_PUBLIC_IP\[[0-9]+\]" "$LAB_OUT/sas-before.txt" | head -n 1)
	[ -n "$before" ] || lab_fail "charon does not show our public endpoint, see sas-before.txt"

	local out="$LAB_OUT/ping-rebind.txt"
	lab_nsx left ping -D -n -i 0.05 -W 1 -c 200 "$LAB_RHOST_IP" >"$out" 2>&1 &
	local pid=$!
	lab_register_pid "$pid" "ping during the rebinding"
	sleep 1
	lab_log "the NAT forgets its mappings and maps to 30000-30999 from now on"
	lab_timing rebind
	lab_nsx nat nft -f - <<-EOF || lab_fail "cannot change the NAT's port range"
		flush chain ip lab_nat postrouting
		add rule ip lab_nat postrouting oifname "out0" meta l4proto udp counter masquerade to :30000-30999
		add rule ip lab_nat postrouting oifname "out0" counter masquerade
	EOF
	lab_nsx nat conntrack -F >/dev/null 2>&1 || lab_fail "cannot flush the NAT's conntrack table"
	wait "$pid" || true
	local sent got lost
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$out")
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$out")
	[ -n "$sent" ] && [ -n "$got" ] || lab_fail "no ping summary, see ping-rebind.txt"
	lost=$((sent - got))
	local after=""
	lab_retry "$(lab_scale 10)" lab_rebind_seen || true
	lab_charon_sas gw >"$LAB_OUT/sas-after.txt" 2>&1 || true
	after=$(grep -Eo "$LAB_LEFT_PUBLIC_IP\[[0-9]+\]" "$LAB_OUT/sas-after.txt" | head -n 1)
	case $after in
	*"[30"[0-9][0-9][0-9]"]") ;;
	*) lab_fail "charon still sees us at ${after:-nothing} (before: $before), see sas-after.txt" ;;
	esac
	[ -z "$(lab_ike_event client FAILED)" ] || lab_fail "our IKE SA failed: $(lab_ike_event client FAILED)"
	[ "$(grep -c '^IKE_SA_UP' "$LAB_RUN/client/client.out")" = 1 ] || lab_fail "a new IKE SA was set up"
	lab_assert_ping left "$LAB_RHOST_IP"
	[ "$got" -gt 0 ] || lab_fail "no ping answered"
	echo "figures: NAT rebinding: $lost of $sent pings (0.05 s apart) lost; charon saw us at $before, then at $after; same IKE SA" >>"$LAB_OUT/figures.txt"

	lab_daemon_stop client 20
	lab_ike_assert_clean left "after disconnect"
}

# lab_rebind_seen: charon shows our public address with a port of the new range
lab_rebind_seen() {
	lab_charon_sas gw 2>/dev/null | lab_grepq -E "$LAB_LEFT_PUBLIC_IP\[30[0-9]{3}\]"
}
