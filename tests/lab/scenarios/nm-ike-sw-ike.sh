# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: nmcli -> real NetworkManager -> OUR nm-ike-service (registered by .name file, under our D-Bus policy) -> charon gateway: PSK, virtual IP, DNS and domain pushed into NM, state activated; nmcli down deletes the SA on charon (IKE only: no kernel data plane yet)

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-nm-ike-sw-0123456789"

scenario_run() {
	lab_topo --left-unconfigured
	lab_addr right lo fd00:2::1/128
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" ike.pools=p4
	lab_swanctl_raw gw pools "  p4 {
    addrs = $LAB_POOL
    dns = 10.2.0.53
    25 = corp.lab.test
  }"
	lab_charon_start gw right --libipsec

	local vpnd service
	vpnd=$(lab_dir vpn-name)
	service=$(dirname "$(lab_ike_bin)")/nm-ike-service
	[ -x "$service" ] || lab_fail "nm-ike-service is not built"
	lab_nm_vpn_name_file "$vpnd" ike org.freedesktop.NetworkManager.ike "$service" true
	# The host kernel has no ESP: IKE only, asked for explicitly (auto would fail the connection).
	lab_nm_start left --iface wan0 --vpn-dir "$vpnd" --dbus-include "$LAB_REPO/data/dbus/nm-ike-service.conf" \
		--env NM_IKE_KERNEL=record
	lab_nm_base_up wan0 "$LAB_LEFT_IP/24" "$LAB_LEFT_GW"
	lab_nmcli connection add type vpn vpn-type org.freedesktop.NetworkManager.ike con-name ikevpn connection.autoconnect no \
		vpn.data "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, pskvalue-flags=0" \
		vpn.secrets "pskvalue=$PSK" >/dev/null || lab_fail "nmcli connection add failed"
	lab_nm_vpn_up ikevpn
	lab_timing vpn-up

	lab_assert_nm_state ikevpn activated
	lab_nmcli connection show ikevpn >"$LAB_OUT/ikevpn.txt"
	grep -Eq '^VPN.VPN-STATE: .*VPN connected' "$LAB_OUT/ikevpn.txt" || lab_fail "VPN.VPN-STATE is not 'VPN connected'"
	grep -Eq '^IP4.ADDRESS\[1\]: +10\.3\.0\.[0-9]+/32' "$LAB_OUT/ikevpn.txt" || lab_fail "NM shows no virtual address (see ikevpn.txt)"
	grep -Eq '^IP4.DNS\[1\]: +10\.2\.0\.53' "$LAB_OUT/ikevpn.txt" || lab_fail "NM shows no DNS server (see ikevpn.txt)"
	grep -Eq '^IP4.DOMAIN\[1\]: +corp\.lab\.test' "$LAB_OUT/ikevpn.txt" || lab_fail "NM shows no search domain (see ikevpn.txt)"
	grep -Eq "^IP4.ROUTE\[[0-9]+\]: +dst = $LAB_RIGHT_LAN" "$LAB_OUT/ikevpn.txt" || lab_fail "NM shows no route to $LAB_RIGHT_LAN (see ikevpn.txt)"
	lab_wait_addr left 'inet 10\.3\.0\.' "the virtual address is not on the client"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	lab_ip left addr show >"$LAB_OUT/client-addr.txt"

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_wait "$(lab_scale 10)" "charon to drop the IKE SA" eval "! lab_charon_ike_established gw rw"
	if grep -rq "$PSK" "$(lab_nm_dir)"/*.log "$(lab_nm_dir)"/*.out 2>/dev/null; then lab_fail "the PSK appears in NM's or our logs"; fi
}
