#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Called by meson: build the workspace binaries with cargo and copy them to meson's outputs.
# Usage: cargo-build.sh CARGO MANIFEST TARGET_DIR PROFILE OUTDIR BIN...
set -eu
cargo=$1 manifest=$2 target_dir=$3 profile=$4 outdir=$5
shift 5
case $profile in dev) sub=debug ;; *) sub=$profile ;; esac
CARGO_TARGET_DIR=$target_dir "$cargo" build --manifest-path "$manifest" --profile "$profile" --bins
for bin in "$@"; do
    cp "$target_dir/$sub/$bin" "$outdir/$bin"
done
