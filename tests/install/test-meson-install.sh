#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# meson setup + compile + DESTDIR install into a staging folder, then check the staged layout:
# nm-ike-service in libexecdir, nm-ike in bindir, the .name file in the VPN service dir (parsed, paths exist),
# the D-Bus policy in datadir/dbus-1/system.d (valid, root allowed, others denied on a bus),
# the Japanese message catalog in datadir/locale.
# Usage: test-meson-install.sh [BUILD_DIR] [STAGE_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/_build}
stage=${2:-$(mktemp -d /tmp/nm-ike-stage.XXXXXX)}
prefix=/usr
fail() { echo "test-meson-install: $*" >&2; exit 1; }

rm -rf "$stage"
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$top" --prefix="$prefix" -Dcargo_target_dir="${CARGO_TARGET_DIR:-$top/target}"
fi
meson compile -C "$build"
DESTDIR="$stage" meson install -C "$build" --no-rebuild --quiet

libexecdir=$(meson introspect "$build" --buildoptions | python3 -c \
    'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="libexecdir"))')
svc="$stage$prefix/$libexecdir/nm-ike-service"
[ -x "$svc" ] || fail "nm-ike-service not installed at $svc"
name=$(find "$stage" -name nm-ike-service.name -print -quit)
[ -n "$name" ] || fail "no .name file staged"
case $name in
    "$stage"*/NetworkManager/VPN/nm-ike-service.name) ;;
    *) fail "the .name file is not in a NetworkManager/VPN folder: $name" ;;
esac
policy="$stage$prefix/share/dbus-1/system.d/nm-ike-service.conf"
[ -f "$policy" ] || fail "D-Bus policy not installed at $policy"
mo="$stage$prefix/share/locale/ja/LC_MESSAGES/NetworkManager-ike.mo"
[ -s "$mo" ] || fail "Japanese message catalog not installed at $mo"

libdir=$(meson introspect "$build" --buildoptions | python3 -c \
    'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="libdir"))')
for lib in libnm-vpn-plugin-ike.so libnm-gtk4-vpn-plugin-ike-editor.so libnm-vpn-plugin-ike-editor.so; do
    [ -f "$stage$prefix/$libdir/NetworkManager/$lib" ] || fail "$lib not installed in $prefix/$libdir/NetworkManager"
done
if readelf -d "$stage$prefix/$libdir/NetworkManager/libnm-vpn-plugin-ike.so" | grep 'NEEDED.*libgtk' >/dev/null; then
    fail "the GTK-free plugin library links GTK"
fi
grep -q '^plugin=.*/NetworkManager/libnm-vpn-plugin-ike.so$' "$name" || fail "the .name file names no [libnm] plugin"

python3 "$top/tests/install/check-name-file.py" "$name" "$stage"
bash "$top/tests/install/check-dbus-policy.sh" "$policy"
"$svc" --version >/dev/null || fail "the installed nm-ike-service does not run"
bindir=$(meson introspect "$build" --buildoptions | python3 -c \
    'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="bindir"))')
cli="$stage$prefix/$bindir/nm-ike"
[ -x "$cli" ] || fail "nm-ike not installed at $cli"
"$cli" --version >/dev/null || fail "the installed nm-ike does not run"
echo "test-meson-install: staged install in $stage OK"
