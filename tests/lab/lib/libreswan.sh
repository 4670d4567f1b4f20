# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Libreswan pluto peers (Libreswan unpacked by install-deps into $LAB_LIBRESWAN_ROOT).
#
# Each instance NAME lives in $LAB_RUN/NAME: ipsec.conf, ipsec.secrets, nss/ (NSS database made
# with certutil), run/ (pluto.ctl control socket), pluto.log.  Everything is passed to pluto as
# options; pluto execs the hard-coded /usr/libexec/ipsec/addconn, so its private mount namespace
# gets an overlay of the unpacked /usr/libexec over the real one.
#
#   lab_pluto_conn NAME CONN key=value...   add "conn CONN" to NAME's ipsec.conf
#   lab_pluto_secret NAME LINE              add a raw ipsec.secrets line
#   lab_pluto_setup NAME key=value...       add lines to "config setup"
#   lab_pluto_import_ca NAME PEMFILE [NICK] trust a CA in NAME's NSS database
#   lab_pluto_import_p12 NAME P12FILE       import a certificate + key (lab_cert_issue's NAME.p12)
#   lab_pluto_start NAME ROLE               start pluto in ROLE's namespace, load all conns
#   lab_pluto_spawn / lab_pluto_ready       the two halves of lab_pluto_start (parallel startup)
#   lab_whack NAME ARGS...                  whack against NAME's control socket
#   lab_pluto_initiate NAME CONN            whack --name CONN --initiate (fails the scenario on error)
#   lab_pluto_trafficstatus NAME            whack --trafficstatus (the peer's own view of its SAs)
#   lab_pluto_status NAME                   whack --status
#   lab_pluto_has_sa NAME CONN              true if CONN has an IPsec SA (trafficstatus)
#   lab_pluto_sa_bytes NAME CONN in|out     prints inBytes/outBytes of CONN's IPsec SA
#   lab_pluto_dir NAME                      prints $LAB_RUN/NAME

lab_pluto_dir() { echo "$LAB_RUN/$1"; }

_lab_ls_bin() { echo "$LAB_LIBRESWAN_ROOT/usr/libexec/ipsec/$1"; }

# lab_pluto_debian13 NAME: NAME's pluto (and every whack/addconn for it) runs Libreswan 5 from the
# Debian 13 root ($LAB_DEBIAN13/libreswan, entered with lib/in-root) instead of the unpacked 4.x.
# Call it before the first lab_pluto_* call for NAME.
lab_pluto_debian13() {
	local root=$LAB_DEBIAN13/libreswan
	[ -x "$root/usr/libexec/ipsec/pluto" ] || lab_fail "no Libreswan 5 root at $root (run tests/lab/install-deps)"
	mkdir -p "$LAB_RUN/$1"
	echo "$root" >"$LAB_RUN/$1/root"
}

# _lab_ls_cmd NAME PROGRAM: sets the array _LAB_LS_CMD to the command that runs a Libreswan
# program (pluto, whack, addconn) for NAME: the unpacked 4.x, or 5.x in its Debian 13 root
_lab_ls_cmd() {
	local root
	root=$(cat "$LAB_RUN/$1/root" 2>/dev/null || true)
	if [ -n "$root" ]; then
		_LAB_LS_CMD=(env "LAB_RUN=$LAB_RUN" "$LAB_DIR/lib/in-root" "$root" "/usr/libexec/ipsec/$2")
	else
		_LAB_LS_CMD=("$(_lab_ls_bin "$2")")
	fi
}

_lab_pluto_init() {
	local d="$LAB_RUN/$1"
	[ -d "$d/nss" ] && return 0
	[ -x "$(_lab_ls_bin pluto)" ] || lab_fail "Libreswan not found in $LAB_LIBRESWAN_ROOT (run tests/lab/install-deps)"
	mkdir -p "$d/nss" "$d/run" "$d/conns"
	: >"$d/ipsec.secrets"
	chmod 600 "$d/ipsec.secrets"
	certutil -N -d "sql:$d/nss" --empty-password >"$d/certutil.out" 2>&1 ||
		lab_fail "certutil -N for $1 failed: $(cat "$d/certutil.out")"
}

# lab_pluto_conn NAME CONN key=value...
#   Every key=value becomes a line of "conn CONN" verbatim (Libreswan 4.10 ipsec.conf syntax).
#   Defaults unless given: ikev2=yes auto=add leftupdown=%disabled (no routes/firewall from
#   updown: add the routes your scenario needs with lab_route).
#   Special key psk=SECRET adds 'LEFTID RIGHTID : PSK "SECRET"' to ipsec.secrets.
lab_pluto_conn() {
	local name=$1 conn=$2
	shift 2
	_lab_pluto_init "$name"
	local d="$LAB_RUN/$name" kv k psk="" leftid="%any" rightid="%any"
	local have_ikev2=0 have_auto=0 have_updown=0
	{
		echo "conn $conn"
		for kv in "$@"; do
			k=${kv%%=*}
			case $k in
			psk)
				psk=${kv#*=}
				continue
				;;
			ikev2 | keyexchange) have_ikev2=1 ;;
			auto) have_auto=1 ;;
			leftupdown) have_updown=1 ;;
			leftid) leftid=${kv#*=} ;;
			rightid) rightid=${kv#*=} ;;
			esac
			echo "    $kv"
		done
		[ "$have_ikev2" = 1 ] || echo "    ikev2=yes"
		[ "$have_auto" = 1 ] || echo "    auto=add"
		[ "$have_updown" = 1 ] || echo "    leftupdown=%disabled"
		echo
	} >"$d/conns/$conn.conf"
	[ -z "$psk" ] || lab_pluto_secret "$name" "$leftid $rightid : PSK \"$psk\""
}

# lab_pluto_setup NAME key=value...: adds lines to NAME's "config setup" (e.g. ikev1-policy=accept,
# which Libreswan 4.10 needs before it takes IKEv1 connections)
lab_pluto_setup() {
	local name=$1 kv
	shift
	_lab_pluto_init "$name"
	for kv in "$@"; do
		echo "    $kv" >>"$LAB_RUN/$name/setup.conf"
	done
}

# lab_pluto_secret NAME LINE: appends LINE to NAME's ipsec.secrets
lab_pluto_secret() {
	_lab_pluto_init "$1"
	printf '%s\n' "$2" >>"$LAB_RUN/$1/ipsec.secrets"
}

# lab_pluto_import_ca NAME PEMFILE [NICK]: adds a trusted CA to NAME's NSS database
lab_pluto_import_ca() {
	local name=$1 file=$2 nick=${3:-lab-ca}
	_lab_pluto_init "$name"
	certutil -A -d "sql:$LAB_RUN/$name/nss" -n "$nick" -t CT,, -a -i "$file" ||
		lab_fail "certutil -A $file failed"
}

# lab_pluto_import_p12 NAME P12FILE: imports certificate+key (nickname = the PKCS#12 friendly
# name, i.e. the NAME given to lab_cert_issue); use it as leftcert=NICK
lab_pluto_import_p12() {
	local name=$1 file=$2
	_lab_pluto_init "$name"
	pk12util -i "$file" -d "sql:$LAB_RUN/$name/nss" -W '' >"$LAB_RUN/$name/pk12util.out" 2>&1 ||
		lab_fail "pk12util -i $file failed: $(cat "$LAB_RUN/$name/pk12util.out")"
}

# lab_pluto_start NAME ROLE: starts pluto in ROLE's namespace, waits for its control socket, loads
# all conns (addconn --autoall) and lets it listen.  $LAB_PLUTO_DEBUG (e.g. "all") sets plutodebug.
lab_pluto_start() {
	lab_pluto_spawn "$@"
	lab_pluto_ready "$1"
}

# lab_pluto_spawn NAME ROLE: writes ipsec.conf and starts pluto, does not wait
lab_pluto_spawn() {
	local name=$1 role=$2
	_lab_pluto_init "$name"
	local d="$LAB_RUN/$name"
	{
		echo "config setup"
		echo "    plutodebug=${LAB_PLUTO_DEBUG:-none}"
		echo "    logtime=yes"
		echo "    logappend=yes"
		echo "    dumpdir=$d/run"
		cat "$d/setup.conf" 2>/dev/null || true
		echo
		cat "$d"/conns/*.conf 2>/dev/null || true
	} >"$d/ipsec.conf"
	local args=(--nofork --config "$d/ipsec.conf" --rundir "$d/run" --nssdir "$d/nss"
		--secretsfile "$d/ipsec.secrets" --ipsecdir "$d" --dumpdir "$d/run" --logfile "$d/pluto.log"
		--no-dnssec --nhelpers 1)
	if [ -s "$d/root" ]; then
		_lab_ls_cmd "$name" pluto
		lab_daemon "$name" "$role" "${_LAB_LS_CMD[@]}" "${args[@]}"
	else
		lab_daemon --setup "mount -t overlay -o lowerdir=/usr/libexec:$LAB_LIBRESWAN_ROOT/usr/libexec overlay /usr/libexec" \
			"$name" "$role" "$(_lab_ls_bin pluto)" "${args[@]}"
	fi
	echo "$role" >"$d/role"
	lab_on_cleanup lab_pluto_dump "$name"
}

# lab_pluto_ready NAME: waits for the control socket, loads all conns, lets pluto listen
lab_pluto_ready() {
	local name=$1 d="$LAB_RUN/$1" role
	role=$(cat "$d/role")
	lab_wait_file "$(lab_scale 15)" "$d/run/pluto.ctl" "$name"
	if compgen -G "$d/conns/*.conf" >/dev/null; then
		_lab_ls_cmd "$name" addconn
		lab_nsx "$role" "${_LAB_LS_CMD[@]}" --config "$d/ipsec.conf" --ctlsocket "$d/run/pluto.ctl" \
			--autoall >"$d/addconn.out" 2>&1 ||
			lab_fail "addconn ($name) failed: $(tail -n 3 "$d/addconn.out" | tr '\n' ' ')"
	fi
	lab_whack "$name" --listen >>"$d/addconn.out" 2>&1 || lab_fail "whack --listen ($name) failed"
}

# lab_whack NAME ARGS...: (killed after $LAB_WHACK_TIMEOUT seconds, default 300)
lab_whack() {
	local name=$1
	shift
	_lab_ls_cmd "$name" whack
	timeout --foreground "${LAB_WHACK_TIMEOUT:-300}" \
		"${_LAB_LS_CMD[@]}" --ctlsocket "$LAB_RUN/$name/run/pluto.ctl" "$@"
}

# lab_pluto_initiate NAME CONN: initiates CONN and waits for the outcome
lab_pluto_initiate() {
	local name=$1 conn=$2
	lab_log "initiating $name conn $conn"
	LAB_WHACK_TIMEOUT=$(lab_scale 30) lab_whack "$name" --name "$conn" --initiate \
		>"$LAB_RUN/$name/initiate-$conn.out" 2>&1 ||
		lab_fail "$name: initiate $conn failed: $(tail -n 2 "$LAB_RUN/$name/initiate-$conn.out" | tr '\n' ' ')"
}

lab_pluto_trafficstatus() { lab_whack "$1" --trafficstatus; }
lab_pluto_status() { lab_whack "$1" --status; }

# lab_pluto_has_sa NAME CONN: true if trafficstatus lists an IPsec SA of CONN
lab_pluto_has_sa() {
	lab_pluto_trafficstatus "$1" 2>/dev/null | lab_grepq -F "\"$2\""
}

# lab_pluto_sa_bytes NAME CONN in|out: byte counter of CONN's (first) IPsec SA
lab_pluto_sa_bytes() {
	lab_pluto_trafficstatus "$1" 2>/dev/null | grep -F "\"$2\"" | head -n1 |
		sed -n "s/.*${3}Bytes=\([0-9]*\).*/\1/p"
}

# lab_pluto_dump NAME: writes the peer's view to $LAB_RUN/NAME/status.txt
lab_pluto_dump() {
	local name=$1 LAB_WHACK_TIMEOUT=10
	{
		echo "== trafficstatus"
		lab_whack "$name" --trafficstatus
		echo "== status"
		lab_whack "$name" --status
	} >"$LAB_RUN/$name/status.txt" 2>&1 || true
}
