# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# GNOME Settings (gnome-control-center 43, GTK4) with our libnm plugin, for the ui-* scenarios.
# Scenarios source this file themselves (it sources nm-ike.sh):
#   source "$LAB_DIR/lib/gnome-settings.sh"
#
#   lab_gs_client                  NetworkManager with our plugin (lab_nm_ike_client) and the
#                                  editor libraries built (lab_nm_ike_editor_build)
#   lab_gs_start NAME [VAR=VALUE...]
#                                  GNOME Settings' network panel in its own X server (Xvfb, a
#                                  free display), session bus and AT-SPI bus, inside the
#                                  namespace "ui" (so cleanup stops all of it), talking to the
#                                  scenario's NetworkManager, our .name file found through
#                                  NM_VPN_PLUGIN_DIR; VAR=VALUE: more environment (LANG=...)
#   lab_gs_drive NAME STEP...      lib/gnome-settings-drive.py STEP... in NAME's session (see
#                                  its header for the steps); its output goes to
#                                  $LAB_OUT/drive-NAME.log, a failing step fails the scenario
#   lab_gs_stop NAME               stops NAME's GNOME Settings session
#   lab_gs_vpn_data CON            vpn.data of CON, one "key = value" a line, sorted

# shellcheck source=nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

# The name our plugin gives itself in GNOME Settings' "Add VPN" list (gnome-editor/src/plugin.rs)
LAB_GS_PLUGIN_NAME="IPsec/IKEv2 (NetworkManager-ike)"

lab_gs_client() {
	lab_require gnome-control-center xvfb-run xwd convert xdotool dbus-run-session
	lab_nm_ike_editor_build
	lab_nm_ike_client
	lab_ns_add ui
}

lab_gs_start() {
	local name=$1 dir
	shift
	dir=$(lab_dir "gs-$name")
	mkdir -p "$dir/home/.config/gtk-4.0"
	# No blinking text cursor: screenshots are taken once the screen is steady.
	printf '[Settings]\ngtk-cursor-blink = false\n' >"$dir/home/.config/gtk-4.0/settings.ini"
	local envs=() kv
	for kv in DBUS_SYSTEM_BUS_ADDRESS="unix:path=$LAB_RUN/nm/system_bus_socket" \
		NM_VPN_PLUGIN_DIR="$LAB_NM_IKE_VPND" GS_ENV="$dir/session.env" HOME="$dir/home" \
		XDG_CONFIG_HOME="$dir/home/.config" XDG_CACHE_HOME="$dir/home/.cache" \
		XDG_DATA_HOME="$dir/home/.local/share" XDG_RUNTIME_DIR="$dir" \
		GSETTINGS_BACKEND=memory GDK_BACKEND=x11 GSK_RENDERER=cairo \
		NM_IKE_EDITOR_DEBUG=1 LANG=C.UTF-8 LANGUAGE=en "$@"; do
		envs+=(--env "$kv")
	done
	chmod 700 "$dir"
	lab_daemon "${envs[@]}" "gs-$name" ui "$LAB_DIR/lib/gnome-settings-session"
	lab_wait_file "$(lab_scale 20)" "$dir/session.env" "gs-$name"
	lab_log "gs-$name: session $(tr '\n' ' ' <"$dir/session.env")"
}

lab_gs_drive() {
	local name=$1 dir out rc=0
	shift
	dir=$LAB_RUN/gs-$name
	out=$LAB_OUT/drive-$name.log
	# shellcheck disable=SC2046 # DISPLAY=... DBUS_SESSION_BUS_ADDRESS=... (no spaces)
	lab_nsx ui env $(cat "$dir/session.env") GS_TIMEOUT="$(lab_scale 30)" \
		/usr/bin/python3 "$LAB_DIR/lib/gnome-settings-drive.py" "$@" >>"$out" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		lab_daemon_alive "gs-$name" || lab_fail "GNOME Settings ($name) exited (see gs-$name/gs-$name.out)"
		lab_fail "GNOME Settings ($name): $(grep -m1 '^FAIL' "$out" || tail -n 1 "$out")"
	fi
}

lab_gs_stop() { lab_daemon_stop "gs-$1" 5; }

lab_gs_vpn_data() {
	lab_nmcli -g vpn.data connection show "$1" | sed 's/\\//g' | tr ',' '\n' | sed 's/^ *//' | sort
}
