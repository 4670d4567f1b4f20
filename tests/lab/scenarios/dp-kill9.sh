# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 360
# lab-description: data plane: kill -9 our nm-ike while the tunnel is up (its SAs, policies, route and rule stay behind); the restarted nm-ike removes all of them before it connects, the tunnel comes back, and a clean stop leaves nothing

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-kill9-0123456789"

scenario_run() {
	lab_topo_client_gw
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" \
		esp_proposals=aes128gcm16 child.start_action=none
	lab_charon_start gw right
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		esp=aes_gcm128 secret.pskvalue="$PSK"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
	lab_assert_ping left "$LAB_RHOST_IP"
	local before after pid
	before=$(lab_ike_spis left)
	[ -n "$before" ] || lab_fail "no SAs of ours before the kill"

	pid=$(lab_daemon_pid client)
	kill -KILL "$pid"
	lab_retry "$(lab_scale 5)" eval "! kill -0 $pid" || lab_fail "nm-ike survived kill -9"
	lab_ike_residue left >"$LAB_OUT/residue-after-kill.txt"
	grep -q '^state: ' "$LAB_OUT/residue-after-kill.txt" || lab_fail "no SA left after kill -9: the test proves nothing"
	grep -q '^route: ' "$LAB_OUT/residue-after-kill.txt" || lab_fail "no route left after kill -9: the test proves nothing"
	grep -q '^rule: ' "$LAB_OUT/residue-after-kill.txt" || lab_fail "no rule left after kill -9: the test proves nothing"
	lab_log "left behind by the killed process: $(wc -l <"$LAB_OUT/residue-after-kill.txt") objects"

	# Restart: the residue goes before anything new is installed.
	cp "$LAB_RUN/client/client.toml" "$(lab_dir client2)/client2.toml"
	lab_ike_up client2 left --kernel xfrm
	lab_ike_wait client2 CHILD_SA_UP 60
	lab_timing tunnel-back
	grep -Eq 'removed [1-9][0-9]* stale SAs and [1-9][0-9]* stale policies' "$LAB_RUN/client2/client2.out" ||
		lab_fail "the restarted nm-ike did not report removing the stale SAs/policies"
	grep -Eq 'removed [1-9][0-9]* stale routes' "$LAB_RUN/client2/client2.out" ||
		lab_fail "the restarted nm-ike did not report removing the stale route"
	after=$(lab_ike_spis left)
	local spi
	for spi in $before; do
		if echo "$after" | lab_grepq -x "$spi"; then lab_fail "stale SA $spi is still installed"; fi
	done
	[ "$(echo "$after" | grep -c spi)" = 2 ] || lab_fail "expected exactly our 2 new SAs, have: $(echo "$after" | tr '\n' ' ')"
	[ "$(lab_ip left -4 route show table all proto 78 | grep -c "^$LAB_RIGHT_LAN ")" = 1 ] ||
		lab_fail "the route is not there exactly once: $(lab_ip left route show table all proto 78 | tr '\n' ';')"
	[ "$(lab_ip left -4 rule | grep -c 'proto 78')" = 1 ] || lab_fail "the rule is not there exactly once"
	lab_assert_ping left "$LAB_RHOST_IP"
	lab_assert_ping rhost "$LAB_LEFT_IP"
	lab_assert_xfrm_traffic left 4

	lab_daemon_stop client2 20
	lab_ike_assert_clean left "after the clean stop"
}
