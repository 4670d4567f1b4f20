# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 180
# lab-description: a profile added with nmcli is opened in GNOME Settings 43 (the row's Options… button, tab Identity: our GTK4 page shows its values), the gateway is changed and Apply saves it; nmcli shows the new gateway and every other vpn.data key and the saved PSK unchanged; screenshots edit.png, edited.png

# shellcheck source=../lib/gnome-settings.sh
source "$LAB_DIR/lib/gnome-settings.sh"
PSK="ui-gs-edit-psk-0123456789"

scenario_run() {
	lab_topo --left-unconfigured
	lab_gs_client
	lab_nm_ike_add gs-edit "right=vpn.example.com, authby=secret, leftid=@laptop.example.com, rightid=@vpn.example.com, rightsubnet=10.20.0.0/16, ike=aes256gcm16-prfsha384-x25519, pskvalue-flags=0" \
		"pskvalue=$PSK"
	lab_gs_vpn_data gs-edit >"$LAB_OUT/vpn-data-before.txt"
	lab_gs_start edit
	local o=$LAB_OUT
	lab_gs_drive edit click-in:"gs-edit=Options…" tab:Identity has:Gateway shot:"$o/edit.png" \
		set:Gateway=vpn2.example.com sensitive:Apply=1 shot:"$o/edited.png" click:Apply gone:Identity
	lab_wait "$(lab_scale 10)" "the new gateway in NetworkManager" \
		eval "lab_gs_vpn_data gs-edit | lab_grepq -xF 'right = vpn2.example.com'"
	lab_gs_vpn_data gs-edit >"$o/vpn-data-after.txt"
	diff "$o/vpn-data-before.txt" "$o/vpn-data-after.txt" >"$o/vpn-data.diff" || true
	# exactly one line changed: right
	[ "$(grep -c '^[<>]' "$o/vpn-data.diff")" = 2 ] && grep -qxF '< right = vpn.example.com' "$o/vpn-data.diff" &&
		grep -qxF '> right = vpn2.example.com' "$o/vpn-data.diff" ||
		lab_fail "vpn.data changed beyond the gateway (see vpn-data.diff)"
	# The secrets reach NetworkManager with the same Apply, but a moment may pass before
	# `nmcli -s` sees them; wait for them, and show what was there when it fails.
	lab_wait "$(lab_scale 10)" "the saved PSK, unchanged, in NetworkManager" eval \
		"[ \"\$(lab_nmcli -s -g vpn.secrets connection show gs-edit)\" = \"pskvalue = \$PSK\" ] ||
		{ lab_nmcli -s -g vpn.secrets,vpn.data connection show gs-edit >\"\$o/secrets-after.txt\" 2>&1; false; }"
	grep -q "nm-ike-editor: editor factory: page for" "$LAB_RUN/gs-edit/gs-edit.out" ||
		lab_fail "GNOME Settings did not create our page (see gs-edit/gs-edit.out)"
}
