# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 180
# lab-description: GNOME Settings 43 in Japanese (LANG=ja_JP.UTF-8, LANGUAGE=ja, our catalog compiled from po/ja.po): the VPN list names our plugin in Japanese, our page's labels and the Advanced dialog's tabs are the po/ja.po translations, every field has a (Japanese) accessible name; screenshots add-vpn-ja.png, page-ja.png, advanced-ja.png

# shellcheck source=../lib/gnome-settings.sh
source "$LAB_DIR/lib/gnome-settings.sh"

# msgstr of MSGID in po/ja.po (single-line entries)
ja() {
	awk -v id="msgid \"$1\"" '$0 == id { getline; sub(/^msgstr "/, ""); sub(/"$/, ""); print; exit }' \
		"$LAB_REPO/po/ja.po"
}

scenario_run() {
	lab_require msgfmt
	locale -a | lab_grepq -ix 'ja_JP.utf8' || lab_fail "the locale ja_JP.UTF-8 is missing (run tests/lab/install-deps)"
	local loc=$LAB_RUN/locale
	mkdir -p "$loc/ja/LC_MESSAGES"
	msgfmt -o "$loc/ja/LC_MESSAGES/NetworkManager-ike.mo" "$LAB_REPO/po/ja.po"
	lab_topo --left-unconfigured
	lab_gs_client
	local plugin gateway auth psk localid remoteid advanced networks remotenets close
	plugin=$(ja "IPsec/IKEv2 (NetworkManager-ike)")
	gateway=$(ja Gateway)
	auth=$(ja Authentication)
	psk=$(ja "Pre-shared key")
	localid=$(ja "Local ID")
	remoteid=$(ja "Remote ID")
	advanced=$(ja "Advanced…")
	networks=$(ja Networks)
	remotenets=$(ja "Remote networks")
	close=$(ja Close)
	local v
	for v in "$plugin" "$gateway" "$auth" "$psk" "$localid" "$remoteid" "$advanced" "$networks" "$remotenets" "$close"; do
		[ -n "$v" ] || lab_fail "a label has no translation in po/ja.po"
	done
	lab_log "ja: $plugin / $gateway / $auth / $psk / $localid / $remoteid / $advanced / $networks / $remotenets / $close"
	lab_gs_start ja LANG=ja_JP.UTF-8 LANGUAGE=ja NM_IKE_LOCALEDIR="$loc"
	local o=$LAB_OUT
	# "Add connection" is GNOME Settings' own (Japanese) accessible name: find it by role instead
	lab_gs_drive ja click:"$(ja_gcc "Add connection")" has:"$plugin" shot:"$o/add-vpn-ja.png" \
		row:"$plugin" has:"$gateway" has:"$localid" has:"$remoteid" labels:"$o/page-labels.txt" \
		named:"text,password text,combo box,check box,toggle button,switch,spin button" \
		shot:"$o/page-ja.png" \
		click:"$advanced" tab:"$networks" has:"$remotenets" labels:"$o/advanced-labels.txt" \
		named:"text,password text,combo box,check box,toggle button,switch,spin button" \
		shot:"$o/advanced-ja.png" click:"$close"
	grep -qxF "label $gateway" "$o/page-labels.txt" || lab_fail "the page has no label $gateway (see page-labels.txt)"
	! grep -qxF "label Gateway" "$o/page-labels.txt" || lab_fail "the page still says Gateway in English"
}

# GNOME Settings' own translation of MSGID (its catalog gnome-control-center-2.0)
ja_gcc() {
	LANGUAGE=ja LANG=ja_JP.UTF-8 TEXTDOMAINDIR=/usr/share/locale gettext gnome-control-center-2.0 "$1"
}
