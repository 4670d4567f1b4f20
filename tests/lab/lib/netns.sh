# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Network namespaces, veth links, routing, NAT and the standard topologies.
#
# Namespaces are addressed by ROLE (left, right, nat, lhost, rhost, or any name a scenario
# chooses); the real name is "$LAB_NS_PREFIX$ROLE", unique per run and scenario.  Every namespace is
# registered before it is created, so cleanup deletes exactly what this scenario made.

# lab_ns ROLE: prints the namespace name of ROLE
lab_ns() {
	echo "${LAB_NS_PREFIX:?}$1"
}

# lab_ns_add ROLE...: creates namespaces (lo up, rp_filter off, IPv6 DAD off)
lab_ns_add() {
	local role ns
	for role in "$@"; do
		ns=$(lab_ns "$role")
		lab_register_netns "$ns"
		ip netns add "$ns" || lab_fail "ip netns add $ns failed"
		# one process for all of it: every exec counts under emulation
		# shellcheck disable=SC2016 # expanded by the inner sh
		ip netns exec "$ns" sh -c '
			ip link set lo up
			for k in ipv4/conf/all/rp_filter ipv4/conf/default/rp_filter \
			         ipv6/conf/all/accept_dad ipv6/conf/default/accept_dad; do
				echo 0 >"/proc/sys/net/$k" 2>/dev/null || true
			done' || lab_fail "setting up namespace $ns failed"
	done
}

# lab_nsx ROLE CMD...: runs CMD inside the namespace of ROLE
lab_nsx() {
	local ns
	ns=$(lab_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# lab_ip ROLE ARGS...: "ip ARGS" inside the namespace of ROLE
lab_ip() {
	local ns
	ns=$(lab_ns "$1")
	shift
	ip -n "$ns" "$@"
}

# lab_has_addr ROLE REGEX: an IPv4 address matching REGEX (e.g. 'inet 10\.3\.0\.') is on ROLE
lab_has_addr() {
	lab_ip "$1" -4 addr show | lab_grepq "$2"
}

# lab_wait_addr ROLE REGEX DESCRIPTION: waits (5 s, scaled) for lab_has_addr.  NetworkManager
# reports a VPN activated before its address commit has always reached the kernel.
lab_wait_addr() {
	lab_retry "$(lab_scale 5)" lab_has_addr "$1" "$2" || lab_fail "$3"
}

# lab_veth ROLE1 IF1 ROLE2 IF2: veth pair ROLE1:IF1 <-> ROLE2:IF2, both up
lab_veth() {
	local ns1 ns2
	ns1=$(lab_ns "$1")
	ns2=$(lab_ns "$3")
	ip -n "$ns1" link add "$2" type veth peer name "$4" netns "$ns2" ||
		lab_fail "veth $1:$2 <-> $3:$4 failed"
	ip -n "$ns1" link set "$2" up
	ip -n "$ns2" link set "$4" up
}

# lab_addr ROLE IF ADDR/PREFIX...: adds addresses (IPv6 without DAD)
lab_addr() {
	local role=$1 ifc=$2 a
	shift 2
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			lab_ip "$role" addr add "$a" dev "$ifc" nodad
		else
			lab_ip "$role" addr add "$a" dev "$ifc"
		fi
	done
}

# lab_route ROLE ROUTE...: "ip route add ROUTE" inside ROLE (e.g. lab_route rhost default via 10.2.0.1)
lab_route() {
	local role=$1
	shift
	lab_ip "$role" route add "$@"
}

# lab_forwarding ROLE [0|1]: IPv4+IPv6 forwarding on/off
# lab_ns_count_procs ROLE COMM: how many processes named COMM run in ROLE's network namespace
# (pgrep would also count other scenarios' processes: concurrent scenarios share the PID space)
lab_ns_count_procs() {
	local p n=0
	for p in $(ip netns pids "$(lab_ns "$1")" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" != "$2" ] || n=$((n + 1))
	done
	echo "$n"
}

lab_forwarding() {
	local v=${2:-1}
	lab_nsx "$1" sh -c "echo $v >/proc/sys/net/ipv4/ip_forward && echo $v >/proc/sys/net/ipv6/conf/all/forwarding"
}

# lab_nat_masquerade ROLE OUTIF: nftables source NAT (masquerade) of everything leaving OUTIF, with a
# counter (see lab_nat_packets).  Enables forwarding.
lab_nat_masquerade() {
	local role=$1 outif=$2
	lab_forwarding "$role" 1
	lab_nsx "$role" nft -f - <<-EOF || lab_fail "nft masquerade setup failed in $role"
		table ip lab_nat {
			chain postrouting {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "$outif" counter masquerade
			}
		}
	EOF
}

# lab_nat_packets ROLE: prints how many connections (first packets) the masquerade rule translated
lab_nat_packets() {
	lab_nsx "$1" nft list chain ip lab_nat postrouting |
		sed -n 's/.*counter packets \([0-9]*\) .*masquerade.*/\1/p' | head -n1
}

# lab_delay_udp ROLE IF DELAY: UDP leaving ROLE's IF (IKE on 500/4500, also UDP-encapsulated ESP)
#   waits DELAY (tc syntax, e.g. 3000ms) in a netem band; everything else (ESP, ICMP, ARP) is not
#   delayed.  Used to hold IKE requests in flight, e.g. to make both peers' requests cross.
lab_delay_udp() {
	local role=$1 dev=$2 delay=$3
	# one process for all of it; the priomap never picks band 4, only the filter does
	lab_nsx "$role" sh -c "
		tc qdisc add dev $dev root handle 1: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1 &&
		tc qdisc add dev $dev parent 1:4 handle 40: netem delay $delay &&
		tc filter add dev $dev parent 1: protocol ip prio 1 u32 match ip protocol 17 0xff flowid 1:4" ||
		lab_fail "tc netem delay on $role $dev failed (sch_netem, sch_prio, cls_u32 missing?)"
}

# lab_ping ROLE DST [PING-ARGS...]: 3 quick pings (IPv4 or IPv6), returns ping's status
lab_ping() {
	local role=$1 dst=$2
	shift 2
	local wait
	wait=$(lab_scale 2)
	lab_nsx "$role" ping -n -c 3 -i 0.2 -W "$wait" "$@" "$dst"
}

# ---- packet capture --------------------------------------------------------------------------------

# lab_capture_start NAME ROLE IF [FILTER...]: tcpdump on ROLE:IF into $LAB_RUN/NAME/NAME.pcap
lab_capture_start() {
	local name=$1 role=$2 ifc=$3
	shift 3
	lab_daemon "$name" "$role" tcpdump -n -U --immediate-mode -i "$ifc" -w "$LAB_RUN/$name/$name.pcap" "$@"
	lab_wait "$(lab_scale 5)" "tcpdump $name" grep -q 'listening on' "$LAB_RUN/$name/$name.out"
}

# lab_capture_stop NAME: stops the capture (flushes the file)
lab_capture_stop() {
	lab_daemon_stop "$1" 3
}

# lab_capture_count NAME FILTER...: prints the number of captured packets matching a pcap FILTER
lab_capture_count() {
	local name=$1
	shift
	tcpdump -n -r "$LAB_RUN/$name/$name.pcap" "$@" 2>/dev/null | wc -l
}

# lab_assert_wire_protected [--esp FILTER] [--plain FILTER] [--plain-name TEXT] MIN WHERE CAPTURE...:
# the captures together hold at least MIN ESP packets (FILTER default "esp") and no plaintext packet
# (FILTER default "icmp", named TEXT, default "ICMP"); logs both counts as "WHERE: N ESP packets,
# M plaintext TEXT packets" and fails with "only N ESP packets WHERE" / "M plaintext TEXT packets
# WHERE".  Captures must be stopped first.  WHERE reads like "left wan0" or "on the wire".
lab_assert_wire_protected() {
	local esp_f=esp plain_f=icmp plain_name=ICMP
	while :; do
		case $1 in
		--esp) esp_f=$2 ;;
		--plain) plain_f=$2 ;;
		--plain-name) plain_name=$2 ;;
		*) break ;;
		esac
		shift 2
	done
	local min=$1 where=$2 c esp=0 plain=0
	shift 2
	for c in "$@"; do
		esp=$((esp + $(lab_capture_count "$c" "$esp_f")))
		plain=$((plain + $(lab_capture_count "$c" "$plain_f")))
	done
	lab_log "$where: $esp ESP packets, $plain plaintext $plain_name packets"
	[ "$esp" -ge "$min" ] || lab_fail "only $esp ESP packets $where"
	[ "$plain" = 0 ] || lab_fail "$plain plaintext $plain_name packets $where"
}

# ---- standard topologies ---------------------------------------------------------------------------
#
#   lab_topo [--nat] [--lhost] [--rhost] [--left-unconfigured]
#
#      lhost ---- left ----------------------------- right ---- rhost
#    10.1.0.2   10.1.0.1   192.0.2.1      192.0.2.2  10.2.0.1   10.2.0.2
#               (wan0)                      (wan0)
#   with --nat:
#               left ------- nat (masquerade) ------- right
#          198.51.100.2  198.51.100.1  192.0.2.1   192.0.2.2
#             (wan0)        (in0)       (out0)      (wan0)
#
#   Roles: left (initiator / client / site A router), right (responder / gateway / site B router),
#   nat, lhost, rhost.  Interfaces: wan0 (left, right), lan0 (towards a host), in0/out0 (nat),
#   eth0 (hosts).  Without --lhost/--rhost, the LAN address of left/right sits on lo as /32.
#   IPv6 (no NAT only): left 2001:db8:2::1/64, right 2001:db8:2::2/64 on wan0.
#   There is deliberately no plaintext route between the LANs: only IPsec can connect them.
#   --left-unconfigured leaves left's wan0 down and without address/route (for NetworkManager).
#
#   Exported: LAB_LEFT_IP LAB_LEFT_GW LAB_LEFT_PUBLIC_IP LAB_RIGHT_IP LAB_LEFT_IP6 LAB_RIGHT_IP6
#             LAB_LEFT_LAN LAB_RIGHT_LAN LAB_LEFT_LAN_IP LAB_RIGHT_LAN_IP LAB_LHOST_IP LAB_RHOST_IP
#             LAB_POOL (10.3.0.0/24, for virtual IPs) LAB_WAN_PREFIXLEN LAB_NAT (0/1)
lab_topo() {
	local nat=0 lhost=0 rhost=0 leftcfg=1
	while [ $# -gt 0 ]; do
		case $1 in
		--nat) nat=1 ;;
		--lhost) lhost=1 ;;
		--rhost) rhost=1 ;;
		--left-unconfigured) leftcfg=0 ;;
		*) lab_fail "lab_topo: unknown option $1" ;;
		esac
		shift
	done
	LAB_NAT=$nat
	LAB_RIGHT_IP=192.0.2.2
	LAB_LEFT_PUBLIC_IP=192.0.2.1
	LAB_WAN_PREFIXLEN=24
	LAB_LEFT_LAN=10.1.0.0/24
	LAB_RIGHT_LAN=10.2.0.0/24
	LAB_LEFT_LAN_IP=10.1.0.1
	LAB_RIGHT_LAN_IP=10.2.0.1
	LAB_LHOST_IP=10.1.0.2
	LAB_RHOST_IP=10.2.0.2
	LAB_POOL=10.3.0.0/24
	LAB_LEFT_IP6="" LAB_RIGHT_IP6=""
	export LAB_NAT LAB_RIGHT_IP LAB_LEFT_PUBLIC_IP LAB_WAN_PREFIXLEN LAB_LEFT_LAN LAB_RIGHT_LAN \
		LAB_LEFT_LAN_IP LAB_RIGHT_LAN_IP LAB_LHOST_IP LAB_RHOST_IP LAB_POOL LAB_LEFT_IP6 LAB_RIGHT_IP6

	lab_ns_add left right
	if [ "$nat" = 1 ]; then
		lab_ns_add nat
		LAB_LEFT_IP=198.51.100.2
		LAB_LEFT_GW=198.51.100.1
		lab_veth left wan0 nat in0
		lab_veth nat out0 right wan0
		lab_addr nat in0 198.51.100.1/24
		lab_addr nat out0 192.0.2.1/24
		lab_nat_masquerade nat out0
	else
		LAB_LEFT_IP=192.0.2.1
		LAB_LEFT_GW=192.0.2.2
		LAB_LEFT_IP6=2001:db8:2::1
		LAB_RIGHT_IP6=2001:db8:2::2
		lab_veth left wan0 right wan0
	fi
	export LAB_LEFT_IP LAB_LEFT_GW
	lab_addr right wan0 "$LAB_RIGHT_IP/24"
	[ -z "$LAB_RIGHT_IP6" ] || lab_addr right wan0 "$LAB_RIGHT_IP6/64"
	if [ "$leftcfg" = 1 ]; then
		lab_addr left wan0 "$LAB_LEFT_IP/24"
		[ -z "$LAB_LEFT_IP6" ] || lab_addr left wan0 "$LAB_LEFT_IP6/64"
		[ "$nat" = 0 ] || lab_route left default via "$LAB_LEFT_GW"
	else
		lab_ip left link set wan0 down
	fi

	if [ "$lhost" = 1 ]; then
		lab_ns_add lhost
		lab_veth left lan0 lhost eth0
		lab_addr left lan0 "$LAB_LEFT_LAN_IP/24"
		lab_addr lhost eth0 "$LAB_LHOST_IP/24"
		lab_route lhost default via "$LAB_LEFT_LAN_IP"
		lab_forwarding left 1
	else
		lab_addr left lo "$LAB_LEFT_LAN_IP/32"
	fi
	if [ "$rhost" = 1 ]; then
		lab_ns_add rhost
		lab_veth right lan0 rhost eth0
		lab_addr right lan0 "$LAB_RIGHT_LAN_IP/24"
		lab_addr rhost eth0 "$LAB_RHOST_IP/24"
		lab_route rhost default via "$LAB_RIGHT_LAN_IP"
		lab_forwarding right 1
	else
		lab_addr right lo "$LAB_RIGHT_LAN_IP/32"
	fi
	lab_log "topology: left=$LAB_LEFT_IP right=$LAB_RIGHT_IP nat=$nat lhost=$lhost rhost=$rhost"
}

# Named shorthands for the topologies of the issue:
# client <-> gateway (+ a host behind the gateway)
lab_topo_client_gw() { lab_topo --rhost "$@"; }
# client <-> NAT router <-> gateway (+ a host behind the gateway)
lab_topo_client_nat_gw() { lab_topo --nat --rhost "$@"; }
# hostA <-> routerA <-> routerB <-> hostB (site to site)
lab_topo_site2site() { lab_topo --lhost --rhost "$@"; }
