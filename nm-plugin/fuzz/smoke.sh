#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the nm-plugin fuzz targets (import_ipsec_conf, import_swanctl, pkcs12, file_frames) and run each for
# SECONDS (default 20) on its seed corpus, with the same runner as ike-core's fuzz project.
#
# Usage: nm-plugin/fuzz/smoke.sh [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
FUZZ_DIR=$here exec "$here/../../ike-core/fuzz/smoke.sh" "$@"
