#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run by the nm-connection-editor scenario inside `lib/x-session unshare --mount`: overlays the
# meson-staged files on the system folders (this mount namespace only), then screenshots
# nm-connection-editor's VPN type chooser and our page for a new connection.
# Environment: STAGE SYSPLUG SYSVPN LANG_OUT LANG_TAG (and DISPLAY, DBUS_SYSTEM_BUS_ADDRESS).
set -euo pipefail
overlay() { # SYSTEM-DIR STAGED-DIR: the union of both, mounted over SYSTEM-DIR
	local sys=$1 staged=$2 tmp
	tmp=$(mktemp -d)
	mount -t tmpfs tmpfs "$tmp"
	if [ -d "$sys" ]; then cp -a "$sys"/. "$tmp"/; fi
	cp -a "$staged"/. "$tmp"/
	mkdir -p "$sys"
	mount --bind "$tmp" "$sys"
}
overlay "$SYSVPN" "$STAGE$SYSVPN"
# No blinking text cursor: the screenshot is taken when two captures in a row are the same.
XDG_CONFIG_HOME=$(mktemp -d)
export XDG_CONFIG_HOME
mkdir -p "$XDG_CONFIG_HOME/gtk-3.0"
printf '[Settings]\ngtk-cursor-blink = false\n' >"$XDG_CONFIG_HOME/gtk-3.0/settings.ini"
overlay "$SYSPLUG" "$STAGE$SYSPLUG"

shot() { # NAME: the whole screen, trimmed, once the window is drawn and unchanged for a second
	local png=$LANG_OUT/$1-$LANG_TAG.png raw=$LANG_OUT/.$1-$LANG_TAG.xwd sum prev="" same=0 w
	local deadline=$((SECONDS + 40))
	while [ "$SECONDS" -lt "$deadline" ]; do
		xwd -root -silent >"$raw"
		sum=$(md5sum <"$raw")
		if [ "$sum" = "$prev" ]; then same=$((same + 1)); else same=0; fi
		prev=$sum
		if [ "$same" -ge 2 ]; then
			convert "xwd:$raw" -trim +repage "png:$png"
			w=$(identify -format '%w' "$png")
			# an empty screen trims to 1x1: no window yet
			[ "$w" -le 50 ] || break
		fi
		sleep 0.5
	done
	if [ -s "$png" ]; then
		echo "shots: $1 drawn and steady after $((SECONDS + 40 - deadline)) s"
	else
		echo "shots: $1 still changing after 40 s, taken as it is"
		convert "xwd:$raw" -trim +repage "png:$png"
	fi
	rm -f "$raw"
}
run() { # NAME ARGS...: nm-connection-editor in the background, screenshot, stop
	local name=$1 i
	shift
	timeout -s KILL 60 nm-connection-editor "$@" &
	local pid=$!
	shot "$name"
	# SIGTERM (passed on by timeout) is enough for the chooser; the editing dialog may ignore it.
	kill -TERM "$pid" 2>/dev/null || true
	for i in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	pkill -KILL -P "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
# "Add" -> VPN: the chooser lists the VPN types libnm's plugins provide.
run add-vpn --create --type=vpn
# Our page, for a profile of our type (UUID in $EDIT_UUID).
run page --edit="$EDIT_UUID"
