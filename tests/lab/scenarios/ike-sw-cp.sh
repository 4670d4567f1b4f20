# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: configuration payload from charon: virtual IPv4 and IPv6 addresses, IPv4 and IPv6 DNS servers and an RFC 8598 DNS domain; the narrowed selectors are the virtual addresses

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-sw-cp-0123456789"

scenario_run() {
	lab_topo
	# charon (libipsec) routes need a local address in each protected network
	lab_addr right lo fd00:2::1/128
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN,fd00:2::/64" \
		ike.pools="p4, p6"
	lab_swanctl_raw gw pools "  p4 {
    addrs = 10.3.0.0/24
    dns = 10.2.0.53
    25 = corp.lab.test
  }
  p6 {
    addrs = fd00:3::/120
    dns = fd00:2::53
  }"
	lab_charon_start gw right --libipsec
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		rightsubnet="$LAB_RIGHT_LAN,fd00:2::/64" secret.pskvalue="$PSK"
	lab_ike_up client left
	lab_ike_wait client CHILD_SA_UP 30
	local cfg child
	cfg=$(lab_ike_event client CONFIG)
	child=$(lab_ike_event client CHILD_SA_UP)
	lab_log "$cfg"
	lab_log "$child"
	echo "$cfg" | lab_grepq -E "addresses=10\.3\.0\.[0-9]+/32,fd00:3::[0-9a-f]+/[0-9]+" || lab_fail "virtual addresses missing: $cfg"
	echo "$cfg" | lab_grepq "dns=10.2.0.53,fd00:2::53" || lab_fail "DNS servers missing: $cfg"
	echo "$cfg" | lab_grepq "domains=corp.lab.test" || lab_fail "DNS domain missing: $cfg"
	echo "$child" | lab_grepq -E "local_ts=10\.3\.0\.[0-9]+/32,fd00:3::[0-9a-f]+/128 remote_ts=$LAB_RIGHT_LAN,fd00:2::/64" ||
		lab_fail "selectors not narrowed to the virtual addresses: $child"
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	grep -Eq "remote +10\.3\.0\.[0-9]+/32 fd00:3::[0-9a-f]+/128" "$LAB_OUT/gw-sas.txt" ||
		lab_fail "charon's remote selectors are not our two virtual addresses (see gw-sas.txt)"
}
