# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: a gateway host name with both an AAAA and an A record (NM's hosts file), whose IPv6 address does not answer IKE (the gateway drops UDP 500/4500 over IPv6): nmcli up tries IPv6 first, then by itself the IPv4 address, and comes up without the user doing anything; the IPv6 attempt leaves nothing behind; prints the seconds to ACTIVATED

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-nm-gateway-other-family-0123456789"
NAME=gw-dual.lab.test

scenario_run() {
	lab_topo --left-unconfigured --rhost
	lab_nm_ike_pool_charon "$PSK"
	lab_charon_start gw right
	# The gateway's IPv6 address is reachable (ping6 answers) but IKE over IPv6 is dropped
	# without an ICMP error: a gateway that "does not answer" on that family.
	lab_nsx right nft -f - <<-EOF || lab_fail "nft setup on the gateway failed"
		table ip6 lab_drop_ike {
			chain input {
				type filter hook input priority 0; policy accept;
				udp dport { 500, 4500 } counter drop
			}
		}
	EOF

	local hosts="$LAB_RUN/hosts"
	printf '127.0.0.1 localhost\n%s %s\n%s %s\n' "$LAB_RIGHT_IP6" "$NAME" "$LAB_RIGHT_IP" "$NAME" >"$hosts"
	lab_nm_ike_start left --iface wan0 --hosts "$hosts"
	lab_wait "$(lab_scale 15)" "NM to see device wan0" \
		sh -c "DBUS_SYSTEM_BUS_ADDRESS=unix:path=$LAB_RUN/nm/system_bus_socket nmcli -t -f DEVICE device | grep -qx wan0"
	lab_nmcli connection add type ethernet ifname wan0 con-name base ipv4.method manual \
		ipv4.addresses "$LAB_LEFT_IP/24" ipv4.gateway "$LAB_LEFT_GW" ipv6.method manual ipv6.addresses "$LAB_LEFT_IP6/64" \
		connection.autoconnect no >/dev/null || lab_fail "nmcli connection add base failed"
	lab_nmcli --wait "$(lab_scale 30)" connection up base >"$LAB_OUT/base-up.txt" 2>&1 ||
		lab_fail "nmcli connection up base failed: $(cat "$LAB_OUT/base-up.txt")"
	lab_wait "$(lab_scale 10)" "the client's IPv6 address to be usable" \
		lab_nsx left ping -6 -c 1 -W 1 "$LAB_RIGHT_IP6"
	# What the resolver gives NetworkManager's namespace, in order: IPv6 first.
	lab_nsx left sh -c "mount --bind '$hosts' /etc/hosts && getent ahosts '$NAME'" >"$LAB_OUT/getent.txt" 2>&1 || true
	head -n 1 "$LAB_OUT/getent.txt" | lab_grepq "^$LAB_RIGHT_IP6 " ||
		lab_fail "the resolver does not give the IPv6 address first (see getent.txt)"

	lab_nm_ike_add ikevpn "right=$NAME, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, esp=aes_gcm128, retransmit-timeout=1s, retransmit-tries=3, pskvalue-flags=0" \
		"pskvalue=$PSK"
	local t0=$SECONDS
	lab_nm_vpn_up ikevpn
	local took=$((SECONDS - t0))
	lab_assert_nm_state ikevpn activated
	lab_nm_log_wait "Trying the gateway's other address $LAB_RIGHT_IP" 1
	lab_nsx right nft list table ip6 lab_drop_ike >"$LAB_OUT/gw-drops.txt" 2>&1 || true
	grep -Eq 'counter packets [1-9]' "$LAB_OUT/gw-drops.txt" ||
		lab_fail "no IKE datagram of ours reached the gateway's IPv6 address (see gw-drops.txt)"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_assert_xfrm_state left 'aead rfc4106(gcm(aes))' "src $LAB_LEFT_IP dst $LAB_RIGHT_IP" 'mode tunnel'
	# Nothing of the IPv6 attempt stays: no IPv6 SA or policy, no exemption route for the
	# gateway's IPv6 address.
	lab_ip left -6 xfrm state >"$LAB_OUT/xfrm6.txt" 2>&1 || true
	lab_ip left -6 route show table all proto 78 >"$LAB_OUT/routes6.txt" 2>&1 || true
	[ ! -s "$LAB_OUT/xfrm6.txt" ] || lab_fail "an IPv6 SA is left from the first attempt (see xfrm6.txt)"
	! grep -q "$LAB_RIGHT_IP6" "$LAB_OUT/routes6.txt" ||
		lab_fail "the first attempt's route for the gateway's IPv6 address is left (see routes6.txt)"
	lab_wait "$(lab_scale 10)" "our route in table 2749" eval \
		"lab_ip left route show table 2749 | lab_grepq '^$LAB_RIGHT_LAN'"
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_log "ACTIVATED $took s after nmcli up (IPv6 given up after its retransmissions, then IPv4)"
	echo "seconds_to_activated=$took" >"$LAB_OUT/figures.txt"

	lab_nmcli connection down ikevpn >/dev/null || lab_fail "nmcli connection down failed"
	lab_wait "$(lab_scale 10)" "charon to drop the IKE SA" eval "! lab_charon_ike_established gw rw"
	lab_ike_assert_clean left "after nmcli connection down"
}
