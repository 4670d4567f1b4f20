# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 240
# lab-description: GNOME Settings 43 (GTK4, Xvfb, driven through AT-SPI as a user would): "+" in the VPN group lists our plugin, our page opens, gateway, IDs, PSK (stored for all users) and a remote network (Advanced, Networks) are filled in, Add saves; nmcli shows exactly those vpn.data keys and the PSK; every field touched has an accessible name; the saved profile connects to a charon gateway (activated); screenshots add-vpn.png, page.png, advanced.png, filled.png

# shellcheck source=../lib/gnome-settings.sh
source "$LAB_DIR/lib/gnome-settings.sh"
PSK="ui-gs-add-psk-0123456789"

scenario_run() {
	lab_topo --left-unconfigured
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" pool="$LAB_POOL"
	lab_charon_spawn gw right --libipsec
	lab_gs_client
	lab_gs_start add
	lab_timing gnome-settings-started
	local o=$LAB_OUT
	lab_gs_drive add click:"Add connection" has:"$LAB_GS_PLUGIN_NAME" shot:"$o/add-vpn.png" \
		row:"$LAB_GS_PLUGIN_NAME" has:Gateway shot:"$o/page.png" \
		set:Name=gs-office set:Gateway="$LAB_RIGHT_IP" \
		choose:Authentication="IKEv2 (pre-shared key)" \
		set:"Pre-shared key=$PSK" choose:"Pre-shared key=Store the password for all users" \
		set:"Local ID=client.lab.test" set:"Remote ID=gw.lab.test" \
		named:"text,password text,combo box,check box,toggle button,switch,spin button" \
		shot:"$o/filled.png" \
		click:"Advanced…" tab:Networks set:"Remote networks=$LAB_RIGHT_LAN" \
		named:"text,password text,combo box,check box,toggle button,switch,spin button" \
		shot:"$o/advanced.png" click:Close gone:"IPsec Advanced Options" \
		sensitive:Add=1 click:Add gone:"Add VPN"
	lab_timing saved
	lab_wait "$(lab_scale 10)" "the profile gs-office in NetworkManager" lab_nmcli -g connection.id connection show gs-office
	lab_gs_vpn_data gs-office >"$o/vpn-data.txt"
	local k
	for k in "right = $LAB_RIGHT_IP" "authby = secret" "leftid = client.lab.test" "rightid = gw.lab.test" \
		"rightsubnet = $LAB_RIGHT_LAN" "pskvalue-flags = 0"; do
		grep -qxF "$k" "$o/vpn-data.txt" || lab_fail "vpn.data lacks '$k' (see vpn-data.txt)"
	done
	[ "$(lab_nmcli -s -g vpn.secrets connection show gs-office)" = "pskvalue = $PSK" ] ||
		lab_fail "the PSK is not saved as typed"
	[ "$(lab_nmcli -g vpn.service-type connection show gs-office)" = org.freedesktop.NetworkManager.ike ] ||
		lab_fail "the profile is not of our VPN type"
	grep -q "nm-ike-editor: editor factory: page for" "$LAB_RUN/gs-add/gs-add.out" ||
		lab_fail "GNOME Settings did not create our page (see gs-add/gs-add.out)"
	# Connectable: the profile as GNOME Settings saved it, against the charon gateway.
	lab_charon_ready gw
	lab_nm_vpn_up gs-office
	lab_assert_nm_state gs-office activated
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	lab_timing activated
	lab_gs_drive add has:gs-office shot:"$o/connected.png"
}
