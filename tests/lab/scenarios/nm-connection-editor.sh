# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 600
# lab-description: installed with meson (DESTDIR stage, overlaid on /usr/lib/NetworkManager/VPN and the libnm plugin folder in a private mount namespace), our VPN type appears in nm-connection-editor's "Add VPN" list and nm-connection-editor opens our GTK3 page for a profile of our type, in English and Japanese, against a private NetworkManager under Xvfb; screenshots kept (add-vpn-LANG.png, page-LANG.png); our plugin and editor entry points are seen being called

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	lab_require Xvfb xwd convert nm-connection-editor unshare
	local stage=$LAB_RUN/stage build=$LAB_RUN/mbuild
	CARGO_TARGET_DIR="$LAB_REPO/target" bash "$LAB_REPO/tests/install/test-meson-install.sh" "$build" "$stage" \
		>"$LAB_OUT/meson-install.log" 2>&1 || lab_fail "meson install failed (see meson-install.log)"
	local vpndir plugdir
	vpndir=$(dirname "$(find "$stage" -name nm-ike-service.name -print -quit)")
	plugdir=$(dirname "$(find "$stage" -name libnm-vpn-plugin-ike.so -print -quit)")
	[ -d "$vpndir" ] && [ -d "$plugdir" ] || lab_fail "nothing staged"
	local sysplug=${plugdir#"$stage"} sysvpn=${vpndir#"$stage"}
	lab_log "staged: $sysvpn/nm-ike-service.name, $sysplug/libnm-vpn-plugin-ike.so"

	lab_topo --left-unconfigured
	lab_nm_start left --iface wan0
	lab_nm_base_up wan0 "$LAB_LEFT_IP/24" "$LAB_LEFT_GW"

	lab_nm_ike_add office "right=vpn.example.com, authby=secret, leftid=@laptop.example.com, rightid=@vpn.example.com, rightsubnet=10.20.0.0/16, pskvalue-flags=2"
	local uuid lang
	uuid=$(lab_nmcli -g connection.uuid connection show office)
	for lang in en ja; do
		EDIT_UUID=$uuid LANG_OUT=$LAB_OUT LANG_TAG=$lang STAGE=$stage SYSPLUG=$sysplug SYSVPN=$sysvpn \
			NM_IKE_LOCALEDIR="$stage/usr/share/locale" NM_IKE_EDITOR_DEBUG=1 \
			DBUS_SYSTEM_BUS_ADDRESS="unix:path=$LAB_RUN/nm/system_bus_socket" \
			LANGUAGE=$lang LANG=$([ "$lang" = ja ] && echo ja_JP.UTF-8 || echo C.UTF-8) \
			"$LAB_DIR/lib/x-session" -s "-screen 0 1024x768x24" \
			unshare --mount --propagation private bash "$LAB_DIR/lib/nm-connection-editor-shots.sh" \
			>"$LAB_OUT/nce-$lang.log" 2>&1 || lab_fail "nm-connection-editor run ($lang) failed (see nce-$lang.log)"
		for f in add-vpn-$lang.png page-$lang.png; do
			[ -s "$LAB_OUT/$f" ] || lab_fail "no screenshot $f"
		done
		grep -q "nm-ike-editor: plugin factory: NMIkeEditorPlugin created" "$LAB_OUT/nce-$lang.log" ||
			lab_fail "nm-connection-editor ($lang) did not load our plugin library"
		grep -q "nm-ike-editor: get_editor: .*libnm-vpn-plugin-ike-editor.so" "$LAB_OUT/nce-$lang.log" ||
			lab_fail "nm-connection-editor ($lang) did not ask our plugin for the GTK3 editor"
		grep -q "nm-ike-editor: editor factory: page for" "$LAB_OUT/nce-$lang.log" ||
			lab_fail "nm-connection-editor ($lang) did not create our page"
		lab_log "$lang: screenshots add-vpn-$lang.png page-$lang.png"
	done
}
