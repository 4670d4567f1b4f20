# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: fail closed: on a kernel without ESP (this host's) nmcli up with the default kernel backend (auto) fails within 15 s with a line naming the missing modules, and no route, rule or address of the profile is ever installed

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-sec-no-esp-0123456789"

scenario_run() {
	# The host kernel has XFRM netlink but no ESP: exactly the case that used to fall back to
	# negotiating without installing anything.
	[ "$LAB_IN_VM" = 0 ] || lab_fail "sec-no-esp needs a kernel without ESP (the host's), not the VM's"
	lab_topo --left-unconfigured --rhost
	# A gateway that would accept us (userspace ESP), so a failure can only come from our side.
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" pool="$LAB_POOL"
	lab_charon_start gw right --libipsec
	# NM_IKE_KERNEL=auto: the default a user gets (set explicitly so that no lab default changes it).
	lab_nm_ike_client --env NM_IKE_KERNEL=auto
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, pskvalue-flags=0" \
		"pskvalue=$PSK"
	# Everything the kernel is told about routes, rules and addresses from now on.
	lab_daemon monitor left ip monitor route rule address
	lab_wait_file "$(lab_scale 5)" "$LAB_RUN/monitor/monitor.out" monitor
	local secs
	secs=$(lab_nm_ike_up_fails ikevpn "$LAB_OUT/up.txt" 60)
	lab_log "nmcli up failed after ${secs}s: $(tr '\n' ' ' <"$LAB_OUT/up.txt")"
	echo "$secs" >"$LAB_OUT/seconds-to-failure"
	[ "$secs" -le 15 ] || lab_fail "the failure took ${secs}s (at most 15 s expected)"
	lab_nm_log_wait 'no ESP support.*esp4.*esp6.*modprobe esp4 esp6 xfrm_user'
	grep -E 'no ESP support' "$(lab_nm_dir)/nm.out" >"$LAB_OUT/our-line.txt" || true
	lab_nm_log_wait 'VPN plugin: failed: connect-failed|vpn.*connect-failed'
	grep -Eq 'login-failed' "$(lab_nm_dir)/nm.out" && lab_fail "reported as a login failure"
	lab_assert_nm_state_not_activated ikevpn
	# Nothing of the profile was ever installed (not even briefly).
	sleep 1
	lab_daemon_stop monitor
	cp "$LAB_RUN/monitor/monitor.out" "$LAB_OUT/ip-monitor.txt" 2>/dev/null || true
	if grep -E 'proto 78|table 2749|lookup 2749|10\.3\.0\.' "$LAB_RUN/monitor/monitor.out" >"$LAB_OUT/installed.txt"; then
		lab_fail "the profile installed kernel state: $(head -c 300 "$LAB_OUT/installed.txt" | tr '\n' ';')"
	fi
	lab_ike_assert_clean left "after the failed activation"
	# No IKE exchange was even attempted: the gateway saw no IKE SA.
	if lab_charon_ike_established gw rw; then lab_fail "an IKE SA came up although the kernel cannot protect traffic"; fi
}

lab_assert_nm_state_not_activated() {
	local st
	st=$(lab_nm_con_state "$1" 2>/dev/null || true)
	[ "$st" != activated ] || lab_fail "$1 is activated"
}
