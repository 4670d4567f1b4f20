#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the editor crate (gnome-editor/) three times and copies the libraries out under the
# names libnm expects:
#   libnm-vpn-plugin-ike.so              GTK-free plugin ([libnm] plugin= in the .name file)
#   libnm-gtk4-vpn-plugin-ike-editor.so  the GNOME Settings page (GTK4)
#   libnm-vpn-plugin-ike-editor.so       the nm-connection-editor page (GTK3)
# Usage: build-editors.sh CARGO MANIFEST TARGET_DIR PROFILE OUTDIR [VARIANT...]
# VARIANT: plugin, gtk4, gtk3 (default: all three; the lab builds only the plugin for nmcli's
# connection import and export).
set -eu
cargo=$1 manifest=$2 target_dir=$3 profile=$4 outdir=$5
shift 5
[ $# -gt 0 ] || set -- plugin gtk4 gtk3
case $profile in dev) sub=debug ;; *) sub=$profile ;; esac
mkdir -p "$outdir"
for variant in "$@"; do
    case $variant in
    plugin) features="" out=libnm-vpn-plugin-ike.so ;;
    gtk4) features="--features=gtk4" out=libnm-gtk4-vpn-plugin-ike-editor.so ;;
    gtk3) features="--features=gtk3" out=libnm-vpn-plugin-ike-editor.so ;;
    *) echo "build-editors: unknown variant $variant (plugin, gtk4, gtk3)" >&2; exit 2 ;;
    esac
    # shellcheck disable=SC2086 # $features is one word or none
    CARGO_TARGET_DIR=$target_dir "$cargo" build --manifest-path "$manifest" --profile "$profile" \
        -p nm-ike-editor --lib $features
    cp "$target_dir/$sub/libnm_ike_editor.so" "$outdir/$out.tmp"
    mv "$outdir/$out.tmp" "$outdir/$out"
done
# The plugin library must not link GTK (libnm loads it into GTK3 and GTK4 programs alike).
if [ -f "$outdir/libnm-vpn-plugin-ike.so" ] && command -v readelf >/dev/null &&
    readelf -d "$outdir/libnm-vpn-plugin-ike.so" | grep 'libgtk' >/dev/null; then
    echo "build-editors: libnm-vpn-plugin-ike.so links GTK" >&2
    exit 1
fi
