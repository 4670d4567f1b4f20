# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# strongSwan charon peers, configured through swanctl/vici, several at once.
#
# Each instance NAME lives in $LAB_RUN/NAME: strongswan.conf, swanctl.conf (+ x509/, x509ca/,
# private/ ...), the vici socket charon.vici and the log charon.log.  charon runs in its own mount
# namespace with a private tmpfs on /run (its pid file is hard-coded to /var/run/charon.pid).
#
#   lab_swanctl_conn NAME key=value...   add a connection (+ secrets/pools) to NAME's swanctl.conf
#   lab_swanctl_raw NAME SECTION TEXT    append raw swanctl.conf text to connections|secrets|pools|authorities
#   lab_charon_start NAME ROLE [options] start charon in ROLE's namespace, wait for vici, load config
#   lab_charon_spawn / lab_charon_ready  the two halves of lab_charon_start (parallel startup)
#   lab_charon_load NAME                 (re)write swanctl.conf and swanctl --load-all
#   lab_swanctl NAME --COMMAND [ARGS]    swanctl against NAME's vici socket
#   lab_charon_initiate NAME CHILD [IKE] initiate a CHILD_SA (fails the scenario on error)
#   lab_charon_sas NAME                  swanctl --list-sas (the peer's own view)
#   lab_charon_child_installed NAME CHILD   true if CHILD is INSTALLED
#   lab_charon_ike_established NAME [IKE]   true if an IKE_SA is ESTABLISHED
#   lab_charon_dir NAME                  prints $LAB_RUN/NAME

LAB_CHARON_PLUGINS_DEFAULT="random nonce openssl aes sha1 sha2 hmac gcm ccm ctr chapoly xcbc cmac \
pem pkcs1 pkcs8 pkcs12 x509 pubkey constraints curve25519 gmp kdf mgf1 kernel-netlink socket-default \
vici updown attr"
LAB_SWANCTL_PLUGINS="pem pkcs1 pkcs8 pkcs12 x509 pubkey openssl curve25519 random nonce"

lab_charon_dir() { echo "$LAB_RUN/$1"; }

_lab_charon_init() {
	local d="$LAB_RUN/$1"
	[ -d "$d/conf.d" ] && return 0
	mkdir -p "$d"/{conf.d,x509,x509ca,x509aa,x509ocsp,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
}

# lab_swanctl_conn NAME key=value...
#   Adds one connection with one child to NAME's swanctl.conf.  Keys (all optional):
#     conn=t child=c version=2
#     local_addrs= remote_addrs=      local_id= remote_id=
#     auth=psk|pubkey|...             (sets local_auth and remote_auth)  local_auth= remote_auth=
#     psk=SECRET                      (secret for local_id/remote_id; or for any id)
#     cert=FILE key=FILE cacert=FILE  (PEM files, copied into x509/ private/ x509ca/)
#     proposals= esp_proposals=       local_ts= remote_ts=      mode=tunnel|transport
#     pool=CIDR|RANGE                 (defines pool p_CONN and uses it)   vips=0.0.0.0
#     dpd_delay= dpd_action= fragmentation= mobike= encap= start_action= close_action=
#     ike.KEY=V child.KEY=V local.KEY=V remote.KEY=V   raw passthrough into that subsection
lab_swanctl_conn() {
	local name=$1
	shift
	_lab_charon_init "$name"
	local d="$LAB_RUN/$name"
	local -A o=([conn]=t [child]=c [version]=2)
	local ike_raw="" child_raw="" local_raw="" remote_raw="" kv k v
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		case $k in
		ike.*) ike_raw+="    ${k#ike.} = $v"$'\n' ;;
		child.*) child_raw+="        ${k#child.} = $v"$'\n' ;;
		local.*) local_raw+="      ${k#local.} = $v"$'\n' ;;
		remote.*) remote_raw+="      ${k#remote.} = $v"$'\n' ;;
		*) o[$k]=$v ;;
		esac
	done
	local auth=${o[auth]:-psk}
	local lauth=${o[local_auth]:-$auth} rauth=${o[remote_auth]:-$auth}
	local c=${o[conn]} f="$d/conf.d/conn-${o[conn]}"
	if [ -n "${o[cert]:-}" ]; then
		cp "${o[cert]}" "$d/x509/"
		local_raw+="      certs = $(basename "${o[cert]}")"$'\n'
	fi
	[ -z "${o[key]:-}" ] || cp "${o[key]}" "$d/private/"
	[ -z "${o[cacert]:-}" ] || cp "${o[cacert]}" "$d/x509ca/"
	if [ -n "${o[pool]:-}" ]; then
		printf '  p_%s {\n    addrs = %s\n  }\n' "$c" "${o[pool]}" >"$d/conf.d/pools-$c"
		o[pools]="p_$c${o[pools]:+, ${o[pools]}}"
	fi
	{
		echo "  $c {"
		local key
		for key in version local_addrs remote_addrs proposals pools vips dpd_delay dpd_timeout \
			fragmentation mobike encap reauth_time rekey_time over_time keyingtries unique send_cert; do
			[ -z "${o[$key]:-}" ] || echo "    $key = ${o[$key]}"
		done
		printf '%s' "$ike_raw"
		echo "    local {"
		echo "      auth = $lauth"
		[ -z "${o[local_id]:-}" ] || echo "      id = ${o[local_id]}"
		printf '%s' "$local_raw"
		echo "    }"
		echo "    remote {"
		echo "      auth = $rauth"
		[ -z "${o[remote_id]:-}" ] || echo "      id = ${o[remote_id]}"
		printf '%s' "$remote_raw"
		echo "    }"
		echo "    children {"
		echo "      ${o[child]} {"
		for key in local_ts remote_ts esp_proposals mode dpd_action start_action close_action \
			rekey_time life_time updown; do
			[ -z "${o[$key]:-}" ] || echo "        $key = ${o[$key]}"
		done
		printf '%s' "$child_raw"
		echo "      }"
		echo "    }"
		echo "  }"
	} >"$f"
	if [ -n "${o[psk]:-}" ]; then
		{
			echo "  ike-$c {"
			[ -z "${o[local_id]:-}" ] || echo "    id-local = ${o[local_id]}"
			[ -z "${o[remote_id]:-}" ] || echo "    id-remote = ${o[remote_id]}"
			echo "    secret = \"${o[psk]}\""
			echo "  }"
		} >"$d/conf.d/secrets-$c"
	fi
}

# lab_swanctl_raw NAME SECTION TEXT: appends TEXT inside SECTION (connections, secrets, pools,
# authorities) of NAME's swanctl.conf
lab_swanctl_raw() {
	_lab_charon_init "$1"
	printf '%s\n' "$3" >>"$LAB_RUN/$1/conf.d/$2-zz-raw"
}

_lab_swanctl_assemble() {
	local d="$LAB_RUN/$1" sec f
	{
		for sec in connections secrets pools authorities; do
			echo "$sec {"
			case $sec in
			connections) for f in "$d"/conf.d/conn-* "$d"/conf.d/connections-zz-raw; do [ -f "$f" ] && cat "$f"; done ;;
			*) for f in "$d"/conf.d/"$sec"-*; do [ -f "$f" ] && cat "$f"; done ;;
			esac
			echo "}"
		done
	} >"$d/swanctl.conf"
}

# lab_charon_conf NAME [--libipsec] [--debian13] [--plugins LIST] [--extra TEXT]: writes strongswan.conf
#   --libipsec      userspace ESP (kernel-libipsec, TUN device, always UDP encapsulated): works on
#                   kernels without ESP, e.g. the host
#   --plugins LIST  replaces the plugin list ($LAB_CHARON_PLUGINS_DEFAULT)
#   --debian13      run strongSwan 6 from the Debian 13 root ($LAB_DEBIAN13/strongswan, entered with
#                   lib/in-root) instead of the system's 5.9: charon and every lab_swanctl call
#   --extra TEXT    raw text inside the charon { } section (e.g. "fragment_size = 1200")
#   Log levels: $LAB_CHARON_LOGLEVELS (default "default = 1, ike = 2, knl = 2, cfg = 2")
lab_charon_conf() {
	local name=$1
	shift
	_lab_charon_init "$name"
	local d="$LAB_RUN/$name" plugins=$LAB_CHARON_PLUGINS_DEFAULT extra="" libipsec=0 root=""
	while [ $# -gt 0 ]; do
		case $1 in
		--libipsec) libipsec=1 ;;
		--debian13) root=$LAB_DEBIAN13/strongswan ;;
		--plugins)
			plugins=$2
			shift
			;;
		--extra)
			extra+="$2"$'\n'
			shift
			;;
		*) lab_fail "lab_charon_conf: unknown option $1" ;;
		esac
		shift
	done
	[ "$libipsec" = 0 ] || plugins="kernel-libipsec $plugins"
	local swanctl_plugins=$LAB_SWANCTL_PLUGINS
	rm -f "$d/root"
	if [ -n "$root" ]; then
		[ -x "$root/usr/lib/ipsec/charon" ] || lab_fail "no strongSwan 6 root at $root (run tests/lab/install-deps)"
		echo "$root" >"$d/root"
		# strongSwan 6 dropped some plugins (gcm is built into the crypto backends): load what exists
		plugins=$(_lab_charon_existing_plugins "$root" $plugins)
		swanctl_plugins=$(_lab_charon_existing_plugins "$root" $swanctl_plugins)
	fi
	local levels=${LAB_CHARON_LOGLEVELS:-default = 1, ike = 2, knl = 2, cfg = 2}
	cat >"$d/strongswan.conf" <<-EOF
		charon {
		  load = $plugins
		  plugins {
		    vici {
		      socket = unix://$d/charon.vici
		    }
		  }
		  filelog {
		    lab {
		      path = $d/charon.log
		      time_format = %T
		      flush_line = yes
		      ${levels//, /$'\n'      }
		    }
		  }
		  syslog {
		    identifier = charon-$name
		    daemon {
		      default = -1
		    }
		  }
		$extra
		}
		swanctl {
		  load = $swanctl_plugins
		}
	EOF
}

# _lab_charon_existing_plugins ROOT PLUGIN...: the PLUGINs ROOT has a library for
_lab_charon_existing_plugins() {
	local root=$1 p out=()
	shift
	for p in "$@"; do
		[ -e "$root/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] && out+=("$p")
	done
	echo "${out[*]}"
}

# lab_charon_root NAME: prints the Debian 13 root NAME's charon runs from (nothing: the system's)
lab_charon_root() { cat "$LAB_RUN/$1/root" 2>/dev/null || true; }

# lab_charon_pool_gw PSK [lab_charon_conf options]: the road-warrior gateway of the ike-sw-* and
# -sw6 scenarios: charon "gw" on right, conn rw (PSK, ids gw.lab.test / client.lab.test, local
# selector the right LAN, AES-GCM-256 with PRF SHA-384 and x25519, ESP AES-GCM-256), the pool
# p_rw ($LAB_POOL, DNS 10.2.0.53), started and loaded.  Call after lab_topo.
lab_charon_pool_gw() {
	local psk=$1
	shift
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$psk" local_ts="$LAB_RIGHT_LAN" \
		proposals=aes256gcm16-prfsha384-x25519 esp_proposals=aes256gcm16 \
		ike.pools="p_rw" child.start_action=none
	lab_swanctl_raw gw pools "  p_rw {
    addrs = $LAB_POOL
    dns = 10.2.0.53
  }"
	lab_charon_start gw right "$@"
}

# lab_charon_start NAME ROLE [lab_charon_conf options]
#   Writes strongswan.conf (unless lab_charon_conf was called), starts charon in ROLE's namespace,
#   waits for its vici socket and, if connections were defined, loads them.
#   = lab_charon_spawn + lab_charon_ready.  To start several daemons in parallel (much faster
#   under emulation), spawn them all first, then call lab_charon_ready for each.
lab_charon_start() {
	lab_charon_spawn "$@"
	lab_charon_ready "$1"
}

# lab_charon_spawn NAME ROLE [lab_charon_conf options]: starts charon, does not wait
lab_charon_spawn() {
	local name=$1 role=$2
	shift 2
	local d="$LAB_RUN/$name"
	if [ ! -f "$d/strongswan.conf" ] || [ $# -gt 0 ]; then
		lab_charon_conf "$name" "$@"
	fi
	local root
	root=$(lab_charon_root "$name")
	# A charon killed before (a restart scenario) leaves its socket: lab_charon_ready must wait
	# for the new one.
	rm -f "$d/charon.vici"
	if [ -n "$root" ]; then
		lab_daemon --env "STRONGSWAN_CONF=$d/strongswan.conf" --env "LAB_RUN=$LAB_RUN" "$name" "$role" \
			"$LAB_DIR/lib/in-root" "$root" /usr/lib/ipsec/charon
	else
		lab_daemon --tmpfs-run --env "STRONGSWAN_CONF=$d/strongswan.conf" "$name" "$role" /usr/lib/ipsec/charon
	fi
	lab_on_cleanup lab_charon_dump "$name"
}

# lab_charon_ready NAME: waits for the vici socket, loads the connections (if any were defined)
lab_charon_ready() {
	local name=$1 d="$LAB_RUN/$1"
	lab_wait_file "$(lab_scale 15)" "$d/charon.vici" "$name"
	if compgen -G "$d/conf.d/*" >/dev/null; then
		lab_charon_load "$name"
	fi
}

# lab_swanctl NAME --COMMAND [ARGS...]: e.g. lab_swanctl gw --list-conns
#   (killed after $LAB_SWANCTL_TIMEOUT seconds, default 300, so a hung daemon cannot hang the lab)
lab_swanctl() {
	local name=$1 cmd=$2
	shift 2
	local d="$LAB_RUN/$name"
	local root in_root=()
	root=$(lab_charon_root "$name")
	[ -z "$root" ] || in_root=("$LAB_DIR/lib/in-root" "$root")
	STRONGSWAN_CONF="$d/strongswan.conf" LAB_RUN=$LAB_RUN timeout --foreground "${LAB_SWANCTL_TIMEOUT:-300}" \
		"${in_root[@]+"${in_root[@]}"}" swanctl "$cmd" --uri "unix://$d/charon.vici" "$@"
}

# lab_charon_load NAME: (re)assembles swanctl.conf from the lab_swanctl_conn pieces (if any) and
# loads everything (connections, secrets, pools, certificates, keys)
lab_charon_load() {
	local name=$1 d="$LAB_RUN/$1"
	compgen -G "$d/conf.d/*" >/dev/null && _lab_swanctl_assemble "$name"
	lab_swanctl "$name" --load-all --file "$d/swanctl.conf" >"$d/load-all.out" 2>&1 ||
		lab_fail "swanctl --load-all ($name) failed: $(tail -n 3 "$d/load-all.out" | tr '\n' ' ')"
}

# lab_charon_initiate NAME CHILD [IKE]: initiates CHILD (and its IKE_SA), waits for the result
lab_charon_initiate() {
	local name=$1 child=$2 ike=${3:-}
	local t
	t=$(lab_scale 20)
	lab_log "initiating $name child $child"
	lab_swanctl "$name" --initiate --child "$child" ${ike:+--ike "$ike"} --timeout "$t" \
		>"$LAB_RUN/$name/initiate-$child.out" 2>&1 ||
		lab_fail "$name: initiate $child failed: $(grep -v '^\[' "$LAB_RUN/$name/initiate-$child.out" | tail -n 2 | tr '\n' ' ' || true)"
}

# lab_charon_sas NAME [ARGS]: swanctl --list-sas (the peer's own view of its SAs)
lab_charon_sas() {
	local name=$1
	shift
	lab_swanctl "$name" --list-sas "$@"
}

# lab_charon_child_installed NAME CHILD: true if CHILD_SA CHILD is INSTALLED
lab_charon_child_installed() {
	lab_charon_sas "$1" 2>/dev/null | lab_grepq -E "^ +$2: #[0-9]+, reqid [0-9]+, INSTALLED"
}

# lab_charon_ike_established NAME [IKE]: true if IKE_SA IKE (any if omitted) is ESTABLISHED
lab_charon_ike_established() {
	lab_charon_sas "$1" 2>/dev/null | lab_grepq -E "^${2:-[^ ]+}: #[0-9]+, ESTABLISHED"
}

# lab_charon_dump NAME: writes the peer's view (SAs, connections, certificates) to $LAB_RUN/NAME/status.txt
lab_charon_dump() {
	local name=$1 LAB_SWANCTL_TIMEOUT=10
	{
		echo "== list-sas"
		lab_swanctl "$name" --list-sas
		echo "== list-conns"
		lab_swanctl "$name" --list-conns
		if compgen -G "$LAB_RUN/$name/x509*/*" >/dev/null; then
			echo "== list-certs"
			lab_swanctl "$name" --list-certs
		fi
	} >"$LAB_RUN/$name/status.txt" 2>&1 || true
}
