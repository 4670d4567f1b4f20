# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 180
# lab-description: GNOME Settings 43 with our GTK4 page: a malformed gateway (vpn..example.com) and then a malformed remote network (10.2.0.0/33) keep the Add button insensitive, the reason is shown in the page (read through AT-SPI); corrected, Add becomes sensitive; cancelled, nothing is saved (NetworkManager has the same profiles); screenshot invalid.png

# shellcheck source=../lib/gnome-settings.sh
source "$LAB_DIR/lib/gnome-settings.sh"

scenario_run() {
	lab_topo --left-unconfigured
	lab_gs_client
	lab_nmcli -g UUID connection show | sort >"$LAB_OUT/connections-before.txt"
	lab_gs_start invalid
	local o=$LAB_OUT
	lab_gs_drive invalid click:"Add connection" row:"$LAB_GS_PLUGIN_NAME" has:Gateway \
		set:Name=gs-invalid choose:Authentication="IKEv2 (pre-shared key)" \
		set:"Pre-shared key=ui-gs-invalid-psk-0123456789" \
		set:"Local ID=client.lab.test" set:"Remote ID=gw.lab.test" \
		set:Gateway=vpn..example.com sensitive:Add=0 \
		shot:"$o/invalid.png" shows:"neither an IP address nor a host name" \
		set:Gateway=vpn.example.com sensitive:Add=1 \
		click:"Advanced…" tab:Networks set:"Remote networks=10.2.0.0/33" click:Close sensitive:Add=0 \
		shot:"$o/invalid-subnet.png" shows:"10.2.0.0/33" \
		click:"Advanced…" tab:Networks set:"Remote networks=10.2.0.0/24" click:Close sensitive:Add=1 \
		click:Cancel gone:"Add VPN"
	lab_nmcli -g UUID connection show | sort >"$LAB_OUT/connections-after.txt"
	cmp -s "$LAB_OUT/connections-before.txt" "$LAB_OUT/connections-after.txt" ||
		lab_fail "NetworkManager's profiles changed although nothing was saved (see connections-*.txt)"
}
