# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Well-known locations of the lab.  Sourced by install-deps, run and lib/common.sh.
#
#   LAB_DIR             tests/lab of this checkout (set by the sourcing script)
#   LAB_REPO            the repository root
#   LAB_CACHE           lab-owned persistent installs (Libreswan, virtme-ng venv)
#   LAB_LIBRESWAN_ROOT  Libreswan unpacked with dpkg-deb -x
#   LAB_VENV            python venv holding virtme-ng (vng)
#   LAB_HOME            base of per-run runtime directories (sockets, pid files, configs)
#   LAB_USER            an unprivileged system user (private-profile scenarios)
#   LAB_DEBIAN13        Debian 13 (trixie) roots made with mmdebstrap, entered with lib/in-root:
#                       $LAB_DEBIAN13/strongswan (strongSwan 6), $LAB_DEBIAN13/libreswan (Libreswan 5)
#   LAB_DEBIAN13_KERNEL Debian 13's kernel package unpacked (boot/vmlinuz-*, usr/lib/modules/*),
#                       booted for the scenarios with "lab-vm-kernel: debian13"

: "${LAB_DIR:?LAB_DIR must be set before sourcing paths.sh}"
LAB_REPO=$(cd "$LAB_DIR/../.." && pwd)
LAB_CACHE=${LAB_CACHE:-/var/cache/nm-ike-lab}
LAB_LIBRESWAN_ROOT=${LAB_LIBRESWAN_ROOT:-$LAB_CACHE/libreswan}
LAB_VENV=${LAB_VENV:-$LAB_CACHE/venv}
LAB_HOME=${LAB_HOME:-${TMPDIR:-/tmp}/nm-ike-lab}
LAB_USER=${LAB_USER:-nm-ike-lab}
LAB_DEBIAN13=${LAB_DEBIAN13:-$LAB_CACHE/debian13}
LAB_DEBIAN13_KERNEL=${LAB_DEBIAN13_KERNEL:-$LAB_CACHE/debian13-kernel}
export LAB_DIR LAB_REPO LAB_CACHE LAB_LIBRESWAN_ROOT LAB_VENV LAB_HOME LAB_USER LAB_DEBIAN13 LAB_DEBIAN13_KERNEL
