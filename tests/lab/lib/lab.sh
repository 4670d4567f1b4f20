# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Loads the whole lab library.  LAB_DIR (tests/lab) must be set.

: "${LAB_DIR:?LAB_DIR must be set before sourcing lab.sh}"
# shellcheck source=common.sh
source "$LAB_DIR/lib/common.sh"
# shellcheck source=netns.sh
source "$LAB_DIR/lib/netns.sh"
# shellcheck source=certs.sh
source "$LAB_DIR/lib/certs.sh"
# shellcheck source=strongswan.sh
source "$LAB_DIR/lib/strongswan.sh"
# shellcheck source=libreswan.sh
source "$LAB_DIR/lib/libreswan.sh"
# shellcheck source=nm.sh
source "$LAB_DIR/lib/nm.sh"
# shellcheck source=assert.sh
source "$LAB_DIR/lib/assert.sh"
