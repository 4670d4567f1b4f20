# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 90
# lab-description: host-only NM check: an out-of-tree VPN .name file registered with lab_nm_vpn_dir is found by NM, which spawns its program in the client namespace; the leftover plugin process is killed at cleanup

scenario_run() {
	lab_topo --rhost --left-unconfigured
	# stand-in for our plugin binary: records how NM spawned it, then lingers like a stuck plugin
	local plugin=$LAB_RUN/dummy-plugin log=$LAB_RUN/nm/dummy-plugin.log
	mkdir -p "$LAB_RUN/nm"
	cat >"$plugin" <<-EOF
		#!/bin/sh
		{ echo "args: \$*"; echo "netns: \$(readlink /proc/self/ns/net)"; env | grep -E '^(DBUS_SYSTEM_BUS_ADDRESS|NM_VPN_LOG)' ; } >>"$log"
		exec sleep 600
	EOF
	chmod +x "$plugin"
	lab_nm_vpn_name_file "$LAB_RUN/vpn-names" labdummy org.freedesktop.NetworkManager.labdummy "$plugin" true
	lab_nm_vpn_dir "$LAB_RUN/vpn-names"
	lab_nm_start left --iface wan0
	lab_nm_base_up wan0 "$LAB_LEFT_IP/24" "$LAB_RIGHT_IP"
	lab_nmcli connection add type vpn vpn-type org.freedesktop.NetworkManager.labdummy con-name dv \
		connection.autoconnect no vpn.data 'foo=bar' >/dev/null || lab_fail "NM rejected the labdummy VPN type"
	# the dummy never registers on D-Bus: activation must fail, but only after NM spawned it
	if lab_nmcli --wait "$(lab_scale 5)" connection up dv >"$LAB_RUN/nm/up-dv.out" 2>&1; then
		lab_fail "dummy VPN unexpectedly activated"
	fi
	lab_wait "$(lab_scale 10)" "NM to spawn the dummy plugin" test -s "$log"
	grep -q -- '--bus-name org.freedesktop.NetworkManager.labdummy' "$log" ||
		lab_fail "plugin not spawned with --bus-name (multi-connection): $(head -n1 "$log")"
	local nm_netns
	nm_netns=$(readlink "/proc/$(lab_daemon_pid nm)/ns/net")
	grep -Fqx "netns: $nm_netns" "$log" || lab_fail "plugin not in NM's network namespace"
	grep -q "^DBUS_SYSTEM_BUS_ADDRESS=unix:path=$LAB_RUN/nm/system_bus_socket" "$log" ||
		lab_fail "plugin did not get the private bus address"
}
