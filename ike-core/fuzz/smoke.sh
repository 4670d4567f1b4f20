#!/bin/bash
# Build the ike-core fuzz targets and run each for SECONDS (default 20) on its seed corpus.
# Other crates' fuzz projects reuse this script with FUZZ_DIR set to their fuzz folder.
# Exits non-zero if a target fails to build or finds a crash (the reproducer is left in
# fuzz/artifacts/<target>/).
#
# Usage: ike-core/fuzz/smoke.sh [SECONDS]
#
# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer); with a stable toolchain they are
# enabled through RUSTC_BOOTSTRAP=1. New corpus entries go to a temporary directory, so the
# checked-in seeds (fuzz/corpus/<target>/) are not modified.
set -euo pipefail
SECS=${1:-20}
FUZZ_DIR=${FUZZ_DIR:-$(cd "$(dirname "$0")" && pwd)}
CRATE_DIR=$(dirname "$FUZZ_DIR")
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

cd "$CRATE_DIR"
cargo fuzz build --fuzz-dir "$FUZZ_DIR"

rc=0
for t in $(cargo fuzz list --fuzz-dir "$FUZZ_DIR"); do
  work=$(mktemp -d)
  log=$(mktemp)
  if cargo fuzz run --fuzz-dir "$FUZZ_DIR" "$t" "$work" "$FUZZ_DIR/corpus/$t" -- \
      -max_total_time="$SECS" > "$log" 2>&1; then
    echo "PASS $t: $(grep -E '^Done [0-9]+ runs' "$log" || echo 'done')," \
         "$(grep -oE 'cov: [0-9]+' "$log" | tail -1)"
  else
    echo "FAIL $t"
    tail -n 60 "$log"
    rc=1
  fi
  rm -rf "$work" "$log"
done
exit $rc
