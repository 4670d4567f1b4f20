# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: TunnelVision (CVE-2024-3661) through NetworkManager: nmcli -> NM -> our nm-ike-service (XFRM) -> charon with a virtual IP; a rogue LAN router's more specific route for the protected network sits in main, yet table 2749 + our rule 2749 keep the traffic in the tunnel: only ESP on the outer link, nothing to the protected network on the LAN, ping works

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

# shellcheck source=../lib/tunnelvision.sh
source "$LAB_DIR/lib/tunnelvision.sh"

scenario_run() {
	lab_tunnelvision_scenario "lab-nm-tunnelvision-0123456789"
}
