#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run by the nm-connection-editor scenario inside `xvfb-run unshare --mount`: overlays the
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
overlay "$SYSPLUG" "$STAGE$SYSPLUG"

shot() { # NAME: the whole screen, trimmed
	sleep 4
	xwd -root -silent | convert xwd:- -trim +repage "png:$LANG_OUT/$1-$LANG_TAG.png"
}
run() { # NAME ARGS...: nm-connection-editor in the background, screenshot, stop
	local name=$1
	shift
	timeout -s KILL 60 nm-connection-editor "$@" &
	local pid=$!
	shot "$name"
	kill -TERM "$pid" 2>/dev/null || true
	sleep 1
	pkill -KILL -x nm-connection-ed 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
# "Add" -> VPN: the chooser lists the VPN types libnm's plugins provide.
run add-vpn --create --type=vpn
# Our page, for a profile of our type (UUID in $EDIT_UUID).
run page --edit="$EDIT_UUID"
