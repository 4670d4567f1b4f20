# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A private system D-Bus and a real NetworkManager inside a namespace.
#
# NM runs in its own mount namespace with: /sys remounted read-only (no udev: NM would wait for it
# forever otherwise), tmpfs on /run and /var/lib/NetworkManager, the keyfile plugin with its own
# directory, every device unmanaged except the interfaces given, no DNS handling.  Extra VPN
# plugin .name files are overlaid onto /usr/lib/NetworkManager/VPN in NM's mount namespace.
# NM spawns VPN plugins itself, with its environment and in its namespaces; cleanup kills every
# process left in the namespace by PID.
#
#   lab_nm_vpn_dir DIR...                 register directories of VPN .name files (before lab_nm_start)
#   lab_nm_vpn_name_file DIR NAME SERVICE PROGRAM [MULTI]   write such a .name file
#   lab_nm_start ROLE [options]           private bus + NetworkManager in ROLE's namespace
#   lab_nmcli ARGS...                     nmcli on the private bus
#   lab_nm_base_up IFACE ADDR/LEN GATEWAY [CON]   ethernet base connection (a VPN needs one)
#   lab_nm_con_state CON                  prints GENERAL.STATE of an active connection (activated, ...)
#   lab_nm_vpn_up CON [TIMEOUT]           nmcli connection up CON (fails the scenario on error)
#   lab_nm_strongswan_conf [--libipsec]   strongswan.conf for charon-nm; prints its path
#   lab_nm_dir                            prints NM's run directory ($LAB_RUN/nm)

lab_nm_dir() { echo "$LAB_RUN/nm"; }

# lab_nm_vpn_dir DIR...: the .name files of each DIR become visible to NM (copied to
# $LAB_RUN/nm/vpn.d, overlaid on /usr/lib/NetworkManager/VPN at lab_nm_start; ours win on clashes)
lab_nm_vpn_dir() {
	local d
	mkdir -p "$LAB_RUN/nm/vpn.d"
	for d in "$@"; do
		compgen -G "$d/*.name" >/dev/null || lab_fail "lab_nm_vpn_dir: no .name files in $d"
		cp "$d"/*.name "$LAB_RUN/nm/vpn.d/"
	done
}

# lab_nm_vpn_name_file DIR NAME SERVICE PROGRAM [MULTI]: writes DIR/nm-NAME-service.name, a VPN
# plugin description for NM (MULTI=true: supports-multiple-connections, NM passes --bus-name)
lab_nm_vpn_name_file() {
	local dir=$1 name=$2 service=$3 program=$4 multi=${5:-false}
	mkdir -p "$dir"
	cat >"$dir/nm-$name-service.name" <<-EOF
		[VPN Connection]
		name=$name
		service=$service
		program=$program
		supports-multiple-connections=$multi
	EOF
}

# lab_nm_start ROLE [options]
#   --iface IF           manage IF (repeatable; default wan0)
#   --env VAR=VALUE      environment for NM and therefore for the VPN plugins it spawns (repeatable)
#   --vpn-dir DIR        same as lab_nm_vpn_dir DIR
#   --dbus-include FILE  <include> FILE in the bus config (e.g. our D-Bus policy; repeatable)
#   --log-domains SPEC   NM [logging] domains (default VPN:DEBUG,VPN_PLUGIN:DEBUG,DEVICE:DEBUG)
#   --hosts FILE         NM and the plugins it spawns see FILE as /etc/hosts (names of test gateways)
#   Sets and exports DBUS_SYSTEM_BUS_ADDRESS (the private bus) for the rest of the scenario.
lab_nm_start() {
	local role=$1
	shift
	LAB_NM_ROLE=$role
	local ifaces=() envs=() includes=() domains="VPN:DEBUG,VPN_PLUGIN:DEBUG,DEVICE:DEBUG" hosts=""
	while [ $# -gt 0 ]; do
		case $1 in
		--iface) ifaces+=("$2") ;;
		--env) envs+=(--env "$2") ;;
		--vpn-dir) lab_nm_vpn_dir "$2" ;;
		--dbus-include) includes+=("$2") ;;
		--log-domains) domains=$2 ;;
		--hosts) hosts=$2 ;;
		*) lab_fail "lab_nm_start: unknown option $1" ;;
		esac
		shift 2
	done
	[ "${#ifaces[@]}" -gt 0 ] || ifaces=(wan0)
	lab_require NetworkManager nmcli dbus-daemon
	local n="$LAB_RUN/nm"
	mkdir -p "$n/conns" "$n/conf.d"
	chmod 700 "$n/conns"
	local bus="unix:path=$n/system_bus_socket" inc=""
	local f
	for f in "${includes[@]+"${includes[@]}"}"; do inc+="  <include>$f</include>"$'\n'; done
	cat >"$n/dbus.conf" <<-EOF
		<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
		 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
		<busconfig>
		  <type>system</type>
		  <listen>$bus</listen>
		  <auth>EXTERNAL</auth>
		  <policy context="default">
		    <allow user="*"/>
		    <allow own="*"/>
		    <allow send_destination="*"/>
		    <allow receive_sender="*"/>
		  </policy>
		$inc</busconfig>
	EOF
	local except="" i
	for i in "${ifaces[@]}"; do except+=",except:interface-name:$i"; done
	cat >"$n/NetworkManager.conf" <<-EOF
		[main]
		plugins=keyfile
		auth-polkit=false
		dns=none
		rc-manager=unmanaged
		systemd-resolved=false
		no-auto-default=*
		[keyfile]
		path=$n/conns
		unmanaged-devices=*$except
		[logging]
		level=INFO
		domains=$domains
	EOF
	lab_daemon dbus "$role" dbus-daemon --config-file="$n/dbus.conf" --nofork --nopidfile
	lab_wait_file "$(lab_scale 10)" "$n/system_bus_socket" dbus
	export DBUS_SYSTEM_BUS_ADDRESS=$bus

	local setup="mount -t tmpfs tmpfs /var/lib/NetworkManager && mount -o remount,ro /sys"
	# NetworkManager and what it starts (our service) resolve names with this hosts file.
	[ -z "$hosts" ] || setup+=" && mount --bind $hosts /etc/hosts"
	if compgen -G "$n/vpn.d/*.name" >/dev/null; then
		setup+=" && mount -t overlay -o lowerdir=$n/vpn.d:/usr/lib/NetworkManager/VPN overlay /usr/lib/NetworkManager/VPN"
	fi
	lab_daemon --tmpfs-run --setup "$setup" --env "DBUS_SYSTEM_BUS_ADDRESS=$bus" \
		"${envs[@]+"${envs[@]}"}" nm "$role" \
		NetworkManager --debug --config="$n/NetworkManager.conf" --config-dir="$n/conf.d" \
		--state-file="$n/NetworkManager.state"
	local deadline=$((SECONDS + $(lab_scale 30)))
	until lab_nmcli -t -f RUNNING general 2>/dev/null | lab_grepq running; do
		lab_daemon_alive nm || lab_fail "NetworkManager died during startup: $(tail -n 3 "$n/nm.out" | tr '\n' ' ')"
		[ "$SECONDS" -lt "$deadline" ] || lab_fail "NetworkManager did not come up"
		sleep 0.3
	done
	lab_on_cleanup lab_nm_dump
	lab_log "NetworkManager running in $(lab_ns "$role")"
}

# lab_nmcli ARGS...: nmcli on the private bus (killed after $LAB_NMCLI_TIMEOUT s, default 300)
lab_nmcli() {
	DBUS_SYSTEM_BUS_ADDRESS="unix:path=$LAB_RUN/nm/system_bus_socket" \
		timeout --foreground "${LAB_NMCLI_TIMEOUT:-300}" nmcli "$@"
}

# lab_nm_base_up IFACE ADDR/LEN GATEWAY [CON]: static IPv4 ethernet connection CON (default base)
lab_nm_base_up() {
	local ifc=$1 addr=$2 gw=$3 con=${4:-base}
	lab_wait "$(lab_scale 15)" "NM to see device $ifc" \
		sh -c "DBUS_SYSTEM_BUS_ADDRESS=unix:path=$LAB_RUN/nm/system_bus_socket nmcli -t -f DEVICE device | grep -qx '$ifc'"
	lab_nmcli connection add type ethernet ifname "$ifc" con-name "$con" ipv4.method manual \
		ipv4.addresses "$addr" ipv4.gateway "$gw" ipv6.method disabled connection.autoconnect no \
		>/dev/null || lab_fail "nmcli connection add $con failed"
	lab_nmcli --wait "$(lab_scale 30)" connection up "$con" >"$LAB_RUN/nm/up-$con.out" 2>&1 ||
		lab_fail "nmcli connection up $con failed: $(cat "$LAB_RUN/nm/up-$con.out")"
}

# lab_nm_con_state CON: prints the state of active connection CON (activating, activated, ...)
lab_nm_con_state() {
	lab_nmcli -g GENERAL.STATE connection show "$1" 2>/dev/null
}

# lab_nm_vpn_up CON [TIMEOUT]: activates CON and waits (default 60 s, scaled)
lab_nm_vpn_up() {
	local con=$1 t=${2:-$(lab_scale 60)}
	lab_log "nmcli connection up $con"
	lab_nmcli --wait "$t" connection up "$con" >"$LAB_RUN/nm/up-$con.out" 2>&1 ||
		lab_fail "nmcli connection up $con failed: $(tr '\n' ' ' <"$LAB_RUN/nm/up-$con.out")"
	lab_nm_wait_addrs "$con"
}

# lab_nm_wait_addrs CON: waits (5 s, scaled) until every address NetworkManager reports for the
# active connection CON is on an interface of NM's namespace.  NM reports a VPN activated before
# its address commit has always reached the kernel, and a ping sent in between leaves from the
# wrong source (or is refused by a policy).
lab_nm_wait_addrs() {
	local con=$1 a
	for a in $(lab_nmcli -g IP4.ADDRESS,IP6.ADDRESS connection show "$con" 2>/dev/null | tr '|' ' '); do
		a=${a%/*}
		a=${a//\\:/:} # nmcli -g escapes the colons of IPv6 addresses
		[ -n "$a" ] || continue
		lab_retry "$(lab_scale 5)" _lab_nm_has_addr "$a" ||
			lab_fail "NetworkManager reports $a for $con, but it is not on any interface in ${LAB_NM_ROLE:-left}"
	done
}

_lab_nm_has_addr() {
	lab_ip "${LAB_NM_ROLE:-left}" addr show | lab_grepq -F " $1/"
}

# lab_nm_strongswan_conf [--libipsec]: strongswan.conf for charon-nm (NetworkManager-strongswan);
# pass it to NM with: lab_nm_start ROLE --env STRONGSWAN_CONF=$(lab_nm_strongswan_conf)
lab_nm_strongswan_conf() {
	local n="$LAB_RUN/nm" plugins=$LAB_CHARON_PLUGINS_DEFAULT
	[ "${1:-}" != --libipsec ] || plugins="kernel-libipsec $plugins"
	# ca_dir: an empty folder. Without a gateway CA in the profile charon-nm otherwise loads the
	# whole system bundle (/etc/ssl/certs) inside NetworkManager's Connect call, which took over
	# 10 s in the emulated VM, longer than NetworkManager waits ("Timeout was reached").
	mkdir -p "$n" "$n/charon-nm-ca"
	cat >"$n/charon-nm.conf" <<-EOF
		charon-nm {
		  load = $plugins
		  ca_dir = $n/charon-nm-ca
		  filelog {
		    lab {
		      path = $n/charon-nm.log
		      time_format = %T
		      flush_line = yes
		      default = 1
		      ike = 2
		      cfg = 2
		      knl = 2
		    }
		  }
		  syslog {
		    daemon {
		      default = -1
		    }
		  }
		}
	EOF
	echo "$n/charon-nm.conf"
}

# lab_nm_dump: NM's view (devices, connections) into $LAB_RUN/nm/status.txt
lab_nm_dump() {
	local LAB_NMCLI_TIMEOUT=10
	{
		echo "== general"
		lab_nmcli general
		echo "== devices"
		lab_nmcli device
		echo "== connections"
		lab_nmcli connection show
	} >"$LAB_RUN/nm/status.txt" 2>&1 || true
}
