# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: our initiator -> charon with X.509 certificates (Ed25519, lab CA), identities checked against the certificates' SANs on both sides

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	lab_ike_cert_scenario ed25519 "ED25519|Ed25519"
}
