# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 60
# lab-description: on a system bus that denies by default (like Debian's system.conf) and includes our D-Bus policy, our nm-ike-service runs as root under a per-connection name; root can call it, a non-root client (nobody) can neither own our bus names nor call Connect/NeedSecrets/Disconnect

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
NAME=org.freedesktop.NetworkManager.ike
IFACE=org.freedesktop.NetworkManager.VPN.Plugin
OBJ=/org/freedesktop/NetworkManager/VPN/Plugin

scenario_run() {
	lab_require gdbus setpriv dbus-daemon
	lab_ns_add left
	local d bus
	d=$(lab_dir strictbus)
	chmod 755 "$d"
	bus="unix:path=$d/bus"
	cat >"$d/bus.conf" <<-EOF
		<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
		 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
		<busconfig>
		  <type>system</type>
		  <listen>$bus</listen>
		  <auth>EXTERNAL</auth>
		  <policy context="default">
		    <allow user="*"/>
		    <deny own="*"/>
		    <deny send_type="method_call"/>
		    <allow send_type="signal"/>
		    <allow send_requested_reply="true" send_type="method_return"/>
		    <allow send_requested_reply="true" send_type="error"/>
		    <allow receive_type="method_call"/>
		    <allow receive_type="method_return"/>
		    <allow receive_type="error"/>
		    <allow receive_type="signal"/>
		    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
		    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
		  </policy>
		  <include>$LAB_REPO/data/dbus/nm-ike-service.conf</include>
		</busconfig>
	EOF
	lab_daemon strictbus left dbus-daemon --config-file="$d/bus.conf" --nofork --nopidfile
	lab_wait_file "$(lab_scale 10)" "$d/bus" strictbus
	chmod 777 "$d/bus"
	lab_daemon --env "DBUS_SYSTEM_BUS_ADDRESS=$bus" --env NM_IKE_KERNEL=record service left \
		"$(lab_nm_ike_service)" --bus-name "$NAME.Connection_1" --persist
	local ok=0
	for _ in $(seq 1 50); do
		if DBUS_SYSTEM_BUS_ADDRESS=$bus gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
			--method org.freedesktop.DBus.NameHasOwner "$NAME.Connection_1" 2>/dev/null | lab_grepq true; then ok=1; break; fi
		sleep 0.2
	done
	[ "$ok" = 1 ] || lab_fail "our service (root) could not own $NAME.Connection_1 under our policy: $(tail -n 3 "$LAB_RUN/service/service.out" | tr '\n' ' ')"

	# call USER METHOD ARGS...: gdbus call on the service as USER; prints the reply or the error
	call() {
		local user=$1 method=$2
		shift 2
		local -a asuser=()
		[ "$user" = root ] || asuser=(setpriv --reuid="$user" --regid=nogroup --clear-groups)
		DBUS_SYSTEM_BUS_ADDRESS=$bus "${asuser[@]}" gdbus call --system --dest "$NAME.Connection_1" \
			--object-path "$OBJ" --method "$IFACE.$method" "$@" 2>&1 || true
	}
	local conn="{'vpn': {'data': <{'right': '192.0.2.2'}>, 'service-type': <'$NAME'>}}"
	call root NeedSecrets "$conn" >"$LAB_OUT/root-needsecrets.txt"
	grep -q "('vpn',)" "$LAB_OUT/root-needsecrets.txt" || lab_fail "root cannot call NeedSecrets: $(cat "$LAB_OUT/root-needsecrets.txt")"
	local m
	for m in Connect NeedSecrets Disconnect; do
		case $m in
		Disconnect) call nobody "$m" >"$LAB_OUT/nobody-$m.txt" ;;
		*) call nobody "$m" "$conn" >"$LAB_OUT/nobody-$m.txt" ;;
		esac
		grep -q 'AccessDenied' "$LAB_OUT/nobody-$m.txt" || lab_fail "nobody's $m was not denied: $(cat "$LAB_OUT/nobody-$m.txt")"
	done
	local n
	for n in "$NAME" "$NAME.Connection_7"; do
		DBUS_SYSTEM_BUS_ADDRESS=$bus setpriv --reuid=nobody --regid=nogroup --clear-groups gdbus call --system \
			--dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.RequestName \
			"$n" 0 >"$LAB_OUT/nobody-own.txt" 2>&1 || true
		grep -q 'AccessDenied' "$LAB_OUT/nobody-own.txt" || lab_fail "nobody could own $n: $(cat "$LAB_OUT/nobody-own.txt")"
	done
	lab_daemon_alive service || lab_fail "the service died"
}
