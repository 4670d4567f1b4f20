#!/bin/bash
# Fuzz smoke run of the ike-core targets only: see tests/fuzz/smoke, which runs every project's.
#
# Usage: ike-core/fuzz/smoke.sh [SECONDS]
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../tests/fuzz/smoke" "${1:-20}" "$here"
