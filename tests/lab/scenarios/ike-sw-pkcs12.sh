# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: our initiator -> charon with our certificate, its chain and key from a PKCS#12 file (leftpkcs12, written by openssl pkcs12 -export; RSA lab CA): charon authenticates us by the certificate from the PKCS#12 file

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

scenario_run() {
	LAB_IKE_PKCS12=1 lab_ike_cert_scenario rsa "RSA"
}
