#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz smoke run of the nm-plugin targets (import_ipsec_conf, import_swanctl, pkcs12, file_frames)
# only: see tests/fuzz/smoke, which runs every project's.
#
# Usage: nm-plugin/fuzz/smoke.sh [SECONDS]
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../tests/fuzz/smoke" "${1:-20}" "$here"
