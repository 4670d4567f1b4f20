# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 300
# lab-description: TunnelVision defence when the user sets their own ipv4.route-table 300 on the VPN profile and ipv4.routing-rules "priority 100 from all table 300" on the LAN profile: NM puts its VPN routes in table 300 behind the user's rule (consulted before ours), our table 2749 and rule 2749 stay as well; a rogue LAN route more specific than the protected network still gets nothing: only ESP leaves, ping works

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
# shellcheck source=../lib/tunnelvision.sh
source "$LAB_DIR/lib/tunnelvision.sh"

scenario_run() {
	TV_USER_TABLE=300
	TV_BASE_RULE="priority 100 from all table 300"
	lab_tunnelvision_scenario "lab-nm-tv-user-table-0123456789" ipv4.route-table 300
	# (checked while up, inside the shared scenario, through the saved dumps)
	grep -Eq '^100:.*lookup 300' "$LAB_OUT/left-rules.txt" ||
		lab_fail "the user's rule (priority 100, table 300) was not there: $(tr '\n' ';' <"$LAB_OUT/left-rules.txt")"
	grep -Eq "^$LAB_RIGHT_LAN .*table 300" "$LAB_OUT/client-routes.txt" ||
		lab_fail "NetworkManager did not put the VPN route in the user's table 300 (see client-routes.txt)"
}
