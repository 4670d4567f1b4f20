# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 300
# lab-description: nmcli connection import/export through our libnm plugin library ([libnm] plugin= in the .name file, found by nmcli via NM_VPN_PLUGIN_DIR): a Libreswan site-to-site ipsec.conf with its PSK in the sibling .secrets is imported (options without an equivalent reported by name), connects to a charon gateway, is exported and re-imported with the same vpn.data; a swanctl.conf imports too; a file with two conns is refused with both names

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-nm-import-0123456789"

nmcli_vpn() { NM_VPN_PLUGIN_DIR="$LAB_NM_IKE_VPND" lab_nmcli "$@"; }

# vpn_data CON: the connection's vpn.data, one key = value per line, sorted
vpn_data() {
	nmcli_vpn -g vpn.data connection show "$1" | sed 's/, /\n/g' | sed 's/^ *//' | sort
}

scenario_run() {
	lab_topo --left-unconfigured
	lab_nm_ike_editor_build plugin
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" remote_ts="$LAB_LEFT_LAN"
	lab_charon_start gw right --libipsec
	lab_nm_ike_start left --iface wan0
	grep -q '^plugin=.*libnm-vpn-plugin-ike.so' "$LAB_NM_IKE_VPND/nm-ike-service.name" ||
		lab_fail "the .name file names no plugin library"
	lab_nm_base_up wan0 "$LAB_LEFT_IP/24" "$LAB_LEFT_GW"

	local files=$LAB_OUT/files
	mkdir -p "$files"
	cat >"$files/office.conf" <<-EOF
		# A Libreswan site-to-site connection as an administrator would write it.
		conn office
		    left=%defaultroute
		    leftid=@client.lab.test
		    leftsubnet=$LAB_LEFT_LAN
		    right=$LAB_RIGHT_IP
		    rightid=@gw.lab.test
		    rightsubnet=$LAB_RIGHT_LAN
		    authby=secret
		    ikev2=insist
		    ike=aes256-sha2_256;dh19
		    dpddelay=10
		    dpdtimeout=60
		    dpdaction=clear
		    leftupdown=/usr/local/bin/notify-admin
		    auto=start
	EOF
	printf '@client.lab.test @gw.lab.test : PSK "%s"\n' "$PSK" >"$files/office.secrets"
	chmod 600 "$files/office.secrets"

	nmcli_vpn connection import type ike file "$files/office.conf" >"$LAB_OUT/import.txt" 2>&1 ||
		lab_fail "nmcli connection import failed: $(cat "$LAB_OUT/import.txt")"
	grep -q "leftupdown" "$LAB_OUT/import.txt" || lab_fail "the option without an equivalent (leftupdown) was not reported by name"
	vpn_data office >"$LAB_OUT/office-data.txt"
	for kv in "right = $LAB_RIGHT_IP" "rightid = @gw.lab.test" "leftsubnet = $LAB_LEFT_LAN" "rightsubnet = $LAB_RIGHT_LAN" "authby = secret" "dpddelay = 10"; do
		grep -qx "$kv" "$LAB_OUT/office-data.txt" || lab_fail "imported vpn.data lacks '$kv' (see office-data.txt)"
	done
	[ "$(nmcli_vpn -s -g vpn.secrets connection show office)" = "pskvalue = $PSK" ] ||
		lab_fail "the PSK from office.secrets was not imported"
	[ "$(nmcli_vpn -g vpn.service-type connection show office)" = org.freedesktop.NetworkManager.ike ] ||
		lab_fail "the imported connection is not of our VPN type"

	# The imported profile works against a real gateway.
	lab_nm_vpn_up office
	lab_assert_nm_state office activated
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_nmcli connection down office >/dev/null || lab_fail "nmcli connection down failed"

	# Export, then import the export as a new connection: same vpn.data.
	nmcli_vpn connection export office "$files/exported.conf" >"$LAB_OUT/export.txt" 2>&1 ||
		lab_fail "nmcli connection export failed: $(cat "$LAB_OUT/export.txt")"
	grep -q "^conn office" "$files/exported.conf" || lab_fail "the export is not an ipsec.conf conn"
	lab_nmcli connection delete office >/dev/null
	nmcli_vpn connection import type ike file "$files/exported.conf" >/dev/null 2>&1 ||
		lab_fail "re-importing the export failed"
	vpn_data office >"$LAB_OUT/reimported-data.txt"
	diff -u "$LAB_OUT/office-data.txt" "$LAB_OUT/reimported-data.txt" >"$LAB_OUT/roundtrip.diff" ||
		lab_fail "export -> import changed vpn.data (see roundtrip.diff)"

	# swanctl.conf imports too.
	cat >"$files/swanctl.conf" <<-EOF
		connections {
		  branch {
		    version = 2
		    remote_addrs = $LAB_RIGHT_IP
		    local {
		      auth = psk
		      id = client.lab.test
		    }
		    remote {
		      auth = psk
		      id = gw.lab.test
		    }
		    children {
		      net {
		        local_ts = $LAB_LEFT_LAN
		        remote_ts = $LAB_RIGHT_LAN
		        esp_proposals = aes128gcm16
		      }
		    }
		  }
		}
		secrets {
		  ike-gw {
		    id = gw.lab.test
		    secret = "$PSK"
		  }
		}
	EOF
	nmcli_vpn connection import type ike file "$files/swanctl.conf" >"$LAB_OUT/import-swanctl.txt" 2>&1 ||
		lab_fail "importing swanctl.conf failed: $(cat "$LAB_OUT/import-swanctl.txt")"
	vpn_data branch | lab_grepq -Ex "esp = aes_?gcm.*128.*|esp = aes128gcm16" || lab_fail "the swanctl import lacks the ESP proposal (AES-GCM-128)"
	lab_nm_vpn_up branch
	lab_assert_nm_state branch activated
	lab_nmcli connection down branch >/dev/null

	# Several conns: refused, naming them.
	printf 'conn a\n  right=192.0.2.9\nconn b\n  right=192.0.2.8\n' >"$files/two.conf"
	if nmcli_vpn connection import type ike file "$files/two.conf" >"$LAB_OUT/import-two.txt" 2>&1; then
		lab_fail "a file with two conns was imported"
	fi
	grep -q "(a, b)" "$LAB_OUT/import-two.txt" || lab_fail "the error does not name the conns: $(cat "$LAB_OUT/import-two.txt")"
}
