# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 3600
# lab-description: benchmarks P2+P3: nmcli connection up to ACTIVATED and the plugin's RSS while connected, our nm-ike-service vs NetworkManager-strongswan (charon-nm), same NetworkManager, same charon gateway, alternating
#
# Run by tests/bench/run (LAB_SCENARIO_PATH=tests/bench/scenarios) inside the lab VM (kernel ESP).
# LAB_BENCH_P2_N connects of each plugin, alternating which goes first; after each connect the
# plugin process's VmRSS (steady, after LAB_BENCH_P2_SETTLE seconds) and VmHWM (peak) are read,
# then the connection is brought down and the gateway must drop the IKE SA before the next one.
# charon-nm gets the lab's plugin list (the one anchor-nm-strongswan uses) and level-1 file
# logging; with LAB_BENCH_CHARON_NM_CONF=stock it runs with the system's own configuration
# (every packaged plugin), which under TCG did not start within NetworkManager's service timeout.
# Writes $LAB_OUT/p2.txt: "ours|strongswan ITERATION SECONDS RSS_BYTES HWM_BYTES PID", or
# "ours|strongswan ITERATION FAIL SECONDS" for a connect that failed (the scenario fails only when
# more than half of one plugin's connects fail).

# shellcheck source=../../lab/lib/nm-ike.sh disable=SC1091
source "$LAB_DIR/lib/nm-ike.sh"

BENCH_PSK="bench-psk-0123456789-abcdef"

# _bench_plugin_pid COMM: PID of the process named COMM in the client's namespace
_bench_plugin_pid() {
	local p
	for p in $(ip netns pids "$(lab_ns left)" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && { echo "$p"; return 0; }
	done
	return 1
}

# _bench_status_kb PID FIELD: a kB value of /proc/PID/status (VmRSS, VmHWM)
_bench_status_kb() {
	sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null
}

scenario_run() {
	local bin=${LAB_BENCH_BIN_DIR:-$LAB_REPO/target/release}
	local n=${LAB_BENCH_P2_N:-10} settle=${LAB_BENCH_P2_SETTLE:-2}
	[ -x "$bin/nm-ike-service" ] || lab_fail "$bin/nm-ike-service is not built (tests/bench/run builds it)"
	export NM_IKE_BIN=$bin/nm-ike

	lab_topo --left-unconfigured
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$BENCH_PSK" pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN" \
		proposals=aes256gcm16-prfsha256-x25519 esp_proposals=aes256gcm16
	lab_charon_spawn gw right
	local nmenv=()
	if [ "${LAB_BENCH_CHARON_NM_CONF:-lab}" != stock ]; then
		mkdir -p "$LAB_RUN/nm"
		cat >"$LAB_RUN/nm/charon-nm.conf" <<-EOC
			charon-nm {
			  load = $LAB_CHARON_PLUGINS_DEFAULT
			  filelog {
			    bench {
			      path = $LAB_RUN/nm/charon-nm.log
			      time_format = %T
			      default = 1
			    }
			  }
			  syslog {
			    daemon {
			      default = -1
			    }
			  }
			}
		EOC
		nmenv=(--env "STRONGSWAN_CONF=$LAB_RUN/nm/charon-nm.conf")
	fi
	# INFO logging (the plugins' default), not the lab's DEBUG
	lab_nm_ike_start left --iface wan0 --log-domains "VPN:INFO,VPN_PLUGIN:INFO,DEVICE:INFO" \
		"${nmenv[@]+"${nmenv[@]}"}"
	lab_charon_ready gw
	lab_nm_base_up wan0 "$LAB_LEFT_IP/24" "$LAB_RIGHT_IP"

	lab_nm_ike_add ours "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, ike=aes256gcm16-prfsha256-x25519, esp=aes256gcm16, pskvalue-flags=0" \
		"pskvalue=$BENCH_PSK"
	lab_nmcli connection add type vpn vpn-type strongswan con-name strongswan connection.autoconnect no \
		vpn.data "address=$LAB_RIGHT_IP, method=psk, virtual=yes, encap=no, ipcomp=no, proposal=yes, ike=aes256gcm16-prfsha256-x25519, esp=aes256gcm16, local-identity=client.lab.test, remote-identity=gw.lab.test, remote-ts=$LAB_RIGHT_LAN, password-flags=0" \
		vpn.secrets "password=$BENCH_PSK" >/dev/null || lab_fail "nmcli connection add strongswan failed"

	local out=$LAB_OUT/p2.txt i con comm t0 t1 pid rss hwm order
	local -A fails=()
	: >"$out"
	local up_timeout down_timeout
	up_timeout=$(lab_scale 60)
	down_timeout=$(lab_scale 20)
	for i in $(seq 1 "$n"); do
		if [ $((i % 2)) = 1 ]; then order="ours strongswan"; else order="strongswan ours"; fi
		for con in $order; do
			if [ "$con" = ours ]; then comm=nm-ike-service; else comm=charon-nm; fi
			t0=${EPOCHREALTIME/,/.}
			if ! lab_nmcli --wait "$up_timeout" connection up "$con" >"$LAB_RUN/up-$con-$i.out" 2>&1; then
				# a failed connect is a result too (counted, reported); more than half failing
				# means the setup is broken
				t1=${EPOCHREALTIME/,/.}
				awk -v c="$con" -v i="$i" -v a="$t0" -v b="$t1" \
					'BEGIN { printf "%s %d FAIL %.3f\n", c, i, b - a }' >>"$out"
				lab_log "$con connect $i FAILED: $(tr '\n' ' ' <"$LAB_RUN/up-$con-$i.out")"
				fails[$con]=$((${fails[$con]:-0} + 1))
				[ "$((fails[$con] * 2))" -le "$n" ] ||
					lab_fail "nmcli connection up $con failed $((fails[$con])) times, last: $(tr '\n' ' ' <"$LAB_RUN/up-$con-$i.out")"
				lab_nmcli connection down "$con" >/dev/null 2>&1 || true
				lab_wait "$down_timeout" "the gateway to drop the IKE SA of $con" \
					eval "! lab_charon_ike_established gw rw"
				continue
			fi
			t1=${EPOCHREALTIME/,/.}
			[ "$(lab_nm_con_state "$con")" = activated ] || lab_fail "$con is not activated after nmcli returned"
			sleep "$settle"
			pid=$(_bench_plugin_pid "$comm") || lab_fail "no $comm process while $con is up"
			rss=$(_bench_status_kb "$pid" VmRSS)
			hwm=$(_bench_status_kb "$pid" VmHWM)
			if [ -z "$rss" ] || [ -z "$hwm" ]; then lab_fail "cannot read the memory of $comm ($pid)"; fi
			awk -v c="$con" -v i="$i" -v a="$t0" -v b="$t1" -v r="$rss" -v h="$hwm" -v p="$pid" \
				'BEGIN { printf "%s %d %.3f %d %d %d\n", c, i, b - a, r * 1024, h * 1024, p }' >>"$out"
			lab_log "$(tail -n 1 "$out")"
			lab_nmcli connection down "$con" >/dev/null 2>&1 || lab_fail "nmcli connection down $con failed"
			lab_wait "$down_timeout" "the gateway to drop the IKE SA of $con" \
				eval "! lab_charon_ike_established gw rw"
		done
	done
}
