# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 180
# lab-description: supports-safe-private-file-access (CVE-2025-9615): a PRIVATE profile (connection.permissions user:$LAB_USER) with certificate files is read with that user's rights: a root-only leftkey makes nmcli up fail with a message naming the key, the file and the user (and charon never sees an IKE_AUTH); the same key readable by the user connects; a system-wide profile with the root-only key still connects (root reads it)

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	id -u "$LAB_USER" >/dev/null 2>&1 || lab_fail "no user $LAB_USER (run tests/lab/install-deps)"
	lab_topo --left-unconfigured
	local pki files
	pki=$LAB_RUN/pki
	lab_ca_create "$pki" ecdsa
	lab_cert_issue "$pki" gw ecdsa gw.lab.test DNS:gw.lab.test
	lab_cert_issue "$pki" client ecdsa client.lab.test DNS:client.lab.test
	# The client's files in a directory every user can traverse; the key root-only for now.
	files=$(mktemp -d /tmp/nm-ike-private.XXXXXX)
	lab_on_cleanup rm -rf "$files"
	chmod 755 "$files"
	install -m 644 "$pki/client.crt" "$pki/ca.crt" "$files/"
	install -m 600 "$pki/client.key" "$files/client.key"
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" auth=pubkey local_id=gw.lab.test \
		cert="$pki/gw.crt" key="$pki/gw.key" cacert="$pki/ca.crt" remote_id=client.lab.test \
		pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN"
	lab_charon_start gw right --libipsec

	lab_nm_ike_client
	local data="right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, authby=cert, leftcert=$files/client.crt, leftkey=$files/client.key, rightca=$files/ca.crt, rightsubnet=$LAB_RIGHT_LAN, leftkey-password-flags=4"
	lab_nm_ike_add private "$data"
	lab_nmcli connection modify private connection.permissions "user:$LAB_USER" ||
		lab_fail "nmcli connection modify connection.permissions failed"
	lab_nmcli -g connection.permissions connection show private | lab_grepq "$LAB_USER" ||
		lab_fail "the profile is not private to $LAB_USER"

	# 1. Root-only key, private profile: refused before any IKE traffic, with a clear reason.
	local secs
	secs=$(lab_nm_ike_up_fails private "$LAB_OUT/up-private-rootonly.txt" 60)
	lab_log "private profile with a root-only key: nmcli up failed after ${secs}s"
	local logs
	logs=$(lab_nm_dir)
	lab_wait "$(lab_scale 5)" "our error naming leftkey and $LAB_USER" eval \
		"grep -rqE 'leftkey: $files/client.key cannot be read by user $LAB_USER' '$logs'/*.log '$logs'/*.out"
	grep -rq "private profile: its files are read with the rights of $LAB_USER" "$logs"/*.log "$logs"/*.out ||
		lab_fail "the service did not say it reads the files as $LAB_USER"
	if lab_charon_ike_established gw rw; then lab_fail "charon has an IKE SA although the key was unreadable"; fi

	# 2. The same key readable by the user: connects.
	chown "$LAB_USER" "$files/client.key"
	lab_nm_vpn_up private
	lab_assert_nm_state private activated
	grep -Eq "authentication of 'client.lab.test' with .* successful" "$(lab_charon_dir gw)/charon.log" ||
		lab_fail "charon did not authenticate client.lab.test"
	lab_nmcli connection down private >/dev/null || lab_fail "nmcli connection down failed"
	lab_wait "$(lab_scale 10)" "charon to drop the IKE SA" eval "! lab_charon_ike_established gw rw"

	# 3. A system-wide profile (no permissions) with the key root-only again: root reads it.
	chown root "$files/client.key"
	lab_nm_ike_add system "$data"
	lab_nm_vpn_up system
	lab_assert_nm_state system activated
	lab_nmcli connection down system >/dev/null || lab_fail "nmcli connection down failed"
}
