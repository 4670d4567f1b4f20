# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Our own IKE engine in the lab, driven by the `nm-ike` command (nm-plugin/src/bin/nm-ike.rs).
# Scenarios source this file themselves:  source "$LAB_DIR/lib/nm-ike.sh"
#
#   lab_ike_bin                          path of nm-ike (NM_IKE_BIN, else $LAB_BIN_DIR/nm-ike, else
#                                        target/{debug,release}); nm-ike-service and
#                                        nm-ike-auth-dialog are taken from the same folder
#   lab_ike_profile NAME key=value...    write $LAB_RUN/NAME/NAME.toml: vpn.data keys; a key
#                                        written secret.KEY=V goes to [secrets]; resp.KEY=V to
#                                        [responder] (strings; dns/domains comma-separated)
#   lab_ike_up NAME ROLE [ARGS...]       nm-ike up in ROLE's namespace (daemon NAME)
#   lab_ike_respond NAME ROLE [ARGS...]  nm-ike respond in ROLE's namespace (daemon NAME)
#                                        (both with --kernel record on the host, see
#                                        lab_ike_kernel_args)
#   lab_ike_wait NAME WORD [TIMEOUT]     wait until NAME printed an event line starting with WORD
#                                        (IKE_SA_UP, CHILD_SA_UP, CONFIG, FAILED, IKE_SA_DOWN);
#                                        fails early when FAILED appears or NAME died
#   lab_ike_event NAME WORD              print NAME's last event line starting with WORD
#   lab_ike_expect_failure NAME PATTERN [TIMEOUT]
#                                        wait for a FAILED line matching PATTERN (grep -E)

lab_ike_bin() {
	local b
	for b in "${NM_IKE_BIN:-}" "${LAB_BIN_DIR:+$LAB_BIN_DIR/nm-ike}" "$LAB_REPO/target/debug/nm-ike" \
		"$LAB_REPO/target/release/nm-ike"; do
		[ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
	done
	lab_fail "nm-ike is not built (run: cargo build -p nm-plugin --bin nm-ike)"
}

lab_ike_profile() {
	local name=$1
	shift
	local dir data="" secrets="" resp="" kv k v
	dir=$(lab_dir "$name")
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		case $k in
		secret.*) secrets+="${k#secret.} = \"$v\""$'\n' ;;
		resp.dns | resp.domains)
			resp+="${k#resp.} = [$(echo "$v" | sed 's/[^,][^,]*/"&"/g')]"$'\n'
			;;
		resp.allow_transport) resp+="${k#resp.} = $v"$'\n' ;;
		resp.*) resp+="${k#resp.} = \"$v\""$'\n' ;;
		*) data+="$k = \"$v\""$'\n' ;;
		esac
	done
	{
		echo "name = \"$name\""
		[ -z "$data" ] || printf '[data]\n%s' "$data"
		[ -z "$secrets" ] || printf '[secrets]\n%s' "$secrets"
		[ -z "$resp" ] || printf '[responder]\n%s' "$resp"
	} >"$dir/$name.toml"
	chmod 600 "$dir/$name.toml"
}

# lab_ike_kernel_args ARGS...: prints "--kernel record" when nm-ike runs on the host (whose kernel
# has no ESP: nm-ike's default, auto, refuses to run without it) and ARGS name no --kernel; prints
# nothing in the VM, where the default is the real XFRM backend.
lab_ike_kernel_args() {
	local a
	[ "$LAB_IN_VM" = 0 ] || return 0
	for a in "$@"; do
		case $a in --kernel | --kernel=*) return 0 ;; esac
	done
	echo "--kernel record"
}

lab_ike_up() {
	local name=$1 role=$2 kernel
	shift 2
	kernel=$(lab_ike_kernel_args "$@")
	# shellcheck disable=SC2086 # two words or none
	lab_daemon --env NM_IKE_LOG=debug "$name" "$role" "$(lab_ike_bin)" up $kernel "$@" "$LAB_RUN/$name/$name.toml"
}

lab_ike_respond() {
	local name=$1 role=$2 kernel
	shift 2
	kernel=$(lab_ike_kernel_args "$@")
	# shellcheck disable=SC2086 # two words or none
	lab_daemon --env NM_IKE_LOG=debug "$name" "$role" "$(lab_ike_bin)" respond $kernel "$@" "$LAB_RUN/$name/$name.toml"
}

lab_ike_event() {
	{ grep -E "^$2( |$)" "$LAB_RUN/$1/$1.out" 2>/dev/null || true; } | tail -n 1
}

lab_ike_wait() {
	local name=$1 word=$2 timeout=${3:-30}
	local deadline=$((SECONDS + $(lab_scale "$timeout")))
	while [ -z "$(lab_ike_event "$name" "$word")" ]; do
		local failed
		failed=$(lab_ike_event "$name" FAILED)
		[ -z "$failed" ] || lab_fail "$name: $failed"
		lab_daemon_alive "$name" || lab_fail "$name exited before $word: $(tail -n 3 "$LAB_RUN/$name/$name.out" | tr '\n' ' ')"
		[ "$SECONDS" -lt "$deadline" ] || lab_fail "$name: no $word within ${timeout}s"
		sleep 0.2
	done
}

# lab_ike_rekey_sw_tunnel PSK IKELIFETIME: on lab_topo_client_gw, charon on gw (connection rw,
# AES-GCM with x25519, no rekeying of its own, nothing started by it) and our client `client`
# up to it with the XFRM kernel and the given ikelifetime; returns once its Child SA is up. The
# IKE SA rekey scenarios start from here.
lab_ike_rekey_sw_tunnel() {
	local psk=$1 life=$2
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$psk" local_ts="$LAB_RIGHT_LAN" \
		proposals=aes256gcm16-prfsha384-x25519 esp_proposals=aes128gcm16 child.start_action=none \
		rekey_time=0 child.rekey_time=0
	lab_charon_start gw right
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike=aes256gcm16-prfsha384-x25519 esp=aes128gcm16 ikelifetime="$life" secret.pskvalue="$psk"
	lab_ike_up client left --kernel xfrm
	lab_ike_wait client CHILD_SA_UP 60
}

lab_ike_expect_failure() {
	local name=$1 pattern=$2 timeout=${3:-30}
	local deadline=$((SECONDS + $(lab_scale "$timeout"))) line
	while :; do
		line=$(lab_ike_event "$name" FAILED)
		if [ -n "$line" ]; then
			echo "$line" | lab_grepq -E "$pattern" || lab_fail "$name failed differently: $line (expected /$pattern/)"
			return 0
		fi
		[ -z "$(lab_ike_event "$name" CHILD_SA_UP)" ] || lab_fail "$name came up although it should fail"
		[ "$SECONDS" -lt "$deadline" ] || lab_fail "$name: no failure within ${timeout}s"
		sleep 0.2
	done
}

# lab_ls_assert_log NAME REGEX: pluto NAME's log has a line matching REGEX (grep -E)
lab_ls_assert_log() {
	local log
	log=$(lab_pluto_dir "$1")/pluto.log
	lab_wait "$(lab_scale 10)" "pluto log line /$2/" grep -Eq "$2" "$log"
}

# lab_ike_cert_scenario TYPE SIGPATTERN: our nm-ike initiator (certificate of TYPE: rsa, ecdsa,
# ed25519, issued by a lab CA of the same type) against a charon gateway (libipsec) that also
# authenticates with a certificate; asserts charon authenticated us with a signature whose log
# line matches SIGPATTERN (grep -E) and that both SAs are up.
lab_ike_cert_scenario() {
	local type=$1 sigpattern=$2 pki
	lab_topo
	pki=$LAB_RUN/pki
	lab_ca_create "$pki" "$type"
	lab_cert_issue "$pki" gw "$type" gw.lab.test DNS:gw.lab.test
	lab_cert_issue "$pki" client "$type" client.lab.test DNS:client.lab.test
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" auth=pubkey local_id=gw.lab.test \
		cert="$pki/gw.crt" key="$pki/gw.key" cacert="$pki/ca.crt" remote_id=client.lab.test \
		pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN"
	lab_charon_start gw right --libipsec
	local creds=(leftcert="$pki/client.crt" leftkey="$pki/client.key")
	# With LAB_IKE_PKCS12=1 our certificate and key come from the PKCS#12 file instead.
	[ "${LAB_IKE_PKCS12:-0}" = 0 ] || creds=(leftpkcs12="$pki/client.p12")
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test authby=cert \
		"${creds[@]}" rightca="$pki/ca.crt" rightsubnet="$LAB_RIGHT_LAN"
	lab_ike_up client left
	lab_ike_wait client CHILD_SA_UP 30
	lab_timing tunnel-up
	lab_charon_sas gw >"$LAB_OUT/gw-sas.txt"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
	grep -q "remote 'client.lab.test' @ $LAB_LEFT_IP" "$LAB_OUT/gw-sas.txt" || lab_fail "charon does not see client.lab.test"
	grep -Eq "authentication of 'client.lab.test' with ($sigpattern).* successful" "$(lab_charon_dir gw)/charon.log" ||
		lab_fail "charon's log shows no successful /$sigpattern/ authentication of client.lab.test"
	lab_ike_event client IKE_SA_UP | lab_grepq "remote_id=gw.lab.test" || lab_fail "we did not authenticate gw.lab.test"
}

# ---- data plane (kernel state we own) ---------------------------------------------------------------
# Our kernel objects: SAs/policies with a reqid in 0x4e4d0000-0x4e4dffff (1313669120-1313734655),
# routes with protocol 78 (any table), rules with protocol 78 (see nm-plugin/src/kernel/route.rs),
# XFRM interfaces with the alias nm-ike:block=N (see nm-plugin/src/kernel/xfrmi.rs).

# lab_ike_residue ROLE: prints our SAs, policies, routes and rules in ROLE's namespace, one line
# each prefixed with its kind; nothing when there are none
lab_ike_residue() {
	local role=$1 re='reqid 1313(6[6-9]|7[0-3])[0-9]{4}'
	{
		lab_ip "$role" xfrm state | grep -E "$re" | sed 's/^/state: /'
		lab_ip "$role" xfrm policy | grep -E "$re" | sed 's/^/policy: /'
		lab_ip "$role" -4 route show table all proto 78 | sed 's/^/route: /'
		lab_ip "$role" -6 route show table all proto 78 | sed 's/^/route6: /'
		lab_ip "$role" -4 rule | grep -E 'proto 78' | sed 's/^/rule: /'
		lab_ip "$role" -6 rule | grep -E 'proto 78' | sed 's/^/rule6: /'
		lab_ip "$role" -o link show | grep -E 'alias nm-ike:block=' | sed 's/^/link: /'
	} 2>/dev/null || true
}

# lab_ike_assert_clean ROLE [WHAT]: fails when any of our kernel objects is left in ROLE
lab_ike_assert_clean() {
	local left
	lab_retry "$(lab_scale 5)" eval '[ -z "$(lab_ike_residue '"$1"')" ]' || true
	left=$(lab_ike_residue "$1")
	[ -z "$left" ] || lab_fail "${2:-kernel state} left behind: $(echo "$left" | tr '\n' ';' | cut -c1-400)"
}

# lab_ike_assert_routed ROLE NET [TABLE]: NET is routed in our table (default 2749) and the
# rule looking it up exists
lab_ike_assert_routed() {
	local role=$1 net=$2 table=${3:-2749}
	lab_ip "$role" route show table "$table" >"$LAB_OUT/$role-table-$table.txt" 2>&1 || true
	lab_ip "$role" rule >"$LAB_OUT/$role-rules.txt" 2>&1 || true
	grep -Eq "^$net .*proto 78" "$LAB_OUT/$role-table-$table.txt" ||
		lab_fail "$net is not routed in table $table: $(tr '\n' ';' <"$LAB_OUT/$role-table-$table.txt")"
	grep -Eq "lookup $table proto 78" "$LAB_OUT/$role-rules.txt" ||
		lab_fail "no rule looks up table $table: $(tr '\n' ';' <"$LAB_OUT/$role-rules.txt")"
}

# lab_ike_spis ROLE: our SPIs in ROLE (sorted, one a line)
lab_ike_spis() {
	{ lab_ip "$1" xfrm state | grep -E 'reqid 1313(6[6-9]|7[0-3])[0-9]{4}' | grep -Eo 'spi 0x[0-9a-f]+' | sort -u; } || true
}

# lab_ike_assert_xfrmi ROLE IFNAME IF_ID: IFNAME is an XFRM interface of ours with IF_ID, up, with
# an MTU between 1280 and 1499 (room for ESP); SAs and policies are bound to IF_ID
lab_ike_assert_xfrmi() {
	local role=$1 ifn=$2 id=$3 link mtu hex
	hex=$(printf '0x%x' "$id")
	link=$(lab_ip "$role" -d link show "$ifn" 2>&1) || lab_fail "no interface $ifn in $role"
	echo "$link" >"$LAB_OUT/$role-$ifn-link.txt"
	grep -q "xfrm if_id $hex" <<<"$link" || lab_fail "$ifn is not an XFRM interface with if_id $hex: $(echo "$link" | tr '\n' ' ' | cut -c1-300)"
	grep -q 'alias nm-ike:block=' <<<"$link" || lab_fail "$ifn does not carry our alias"
	grep -q '[<,]UP[,>]' <<<"$link" || lab_fail "$ifn is not up"
	mtu=$(sed -n 's/.* mtu \([0-9]*\) .*/\1/p' <<<"$link" | head -n1)
	[ "${mtu:-0}" -ge 1280 ] && [ "$mtu" -lt 1500 ] || lab_fail "$ifn has MTU ${mtu:-?}, expected 1280..1499"
	# (the here-string reads the whole dump first; see lab_grepq)
	grep -qw "if_id $hex" <<<"$(lab_ip "$role" xfrm state)" || lab_fail "no SA bound to if_id $hex"
	grep -qw "if_id $hex" <<<"$(lab_ip "$role" xfrm policy)" || lab_fail "no policy bound to if_id $hex"
	lab_log "$ifn: xfrm if_id $hex, mtu $mtu, SAs and policies bound"
}

# lab_ike_link_packets ROLE IFNAME: RX+TX packets of IFNAME
lab_ike_link_packets() {
	lab_ip "$1" -s link show "$2" 2>/dev/null | awk '
		/RX:|TX:/ { getline; s += $2 }
		END { print s + 0 }'
}

# ---- NetworkManager with our plugin --------------------------------------------------------------

# lab_nm_ike_service: path of nm-ike-service next to nm-ike (fails when not built)
lab_nm_ike_service() {
	local s
	s=$(dirname "$(lab_ike_bin)")/nm-ike-service
	[ -x "$s" ] || lab_fail "nm-ike-service is not built"
	echo "$s"
}

# lab_nm_ike_name_dir: writes our .name file (with the auth dialog, external UI mode and hints,
# as data/nm-vpn/nm-ike-service.name.in) into $LAB_RUN/vpn-name and prints that directory
lab_nm_ike_name_dir() {
	local d service
	d=$(lab_dir vpn-name)
	service=$(lab_nm_ike_service)
	lab_nm_vpn_name_file "$d" ike org.freedesktop.NetworkManager.ike "$service" true
	cat >>"$d/nm-ike-service.name" <<-EOF
		[GNOME]
		auth-dialog=$(dirname "$service")/nm-ike-auth-dialog
		supports-external-ui-mode=true
		supports-hints=true
	EOF
	if [ -f "$(lab_nm_ike_editor_dir)/libnm-vpn-plugin-ike.so" ]; then
		printf '[libnm]\nplugin=%s/libnm-vpn-plugin-ike.so\n' "$(lab_nm_ike_editor_dir)" >>"$d/nm-ike-service.name"
	fi
	echo "$d"
}

# lab_nm_ike_editor_dir: where build-aux/build-editors.sh puts the editor libraries for the lab
# ($LAB_EDITOR_LIBS, else the target directory's editor-libs; tests/check builds them and hands
# the lab a copy, lab_nm_ike_editor_build builds them on demand)
lab_nm_ike_editor_dir() { echo "${LAB_EDITOR_LIBS:-${CARGO_TARGET_DIR:-$LAB_REPO/target}/editor-libs}"; }

# lab_nm_ike_editor_build [VARIANT...]: builds the plugin and editor libraries (debug) unless
# present; VARIANT plugin, gtk4, gtk3 (default all three; nmcli connection import/export needs
# only the plugin)
lab_nm_ike_editor_build() {
	local dir v missing=0
	dir=$(lab_nm_ike_editor_dir)
	[ $# -gt 0 ] || set -- plugin gtk4 gtk3
	for v in "$@"; do
		case $v in
		plugin) [ -f "$dir/libnm-vpn-plugin-ike.so" ] || missing=1 ;;
		gtk4) [ -f "$dir/libnm-gtk4-vpn-plugin-ike-editor.so" ] || missing=1 ;;
		gtk3) [ -f "$dir/libnm-vpn-plugin-ike-editor.so" ] || missing=1 ;;
		*) lab_fail "lab_nm_ike_editor_build: unknown variant $v" ;;
		esac
	done
	[ "$missing" = 1 ] || return 0
	"$LAB_REPO/build-aux/build-editors.sh" cargo "$LAB_REPO/Cargo.toml" "${CARGO_TARGET_DIR:-$LAB_REPO/target}" dev "$dir" "$@" \
		>"$LAB_OUT/build-editors.log" 2>&1 || lab_fail "building the editor libraries failed (see build-editors.log)"
}

# lab_nm_ike_plugin_lib: the GTK-free libnm plugin library that nmcli connection import/export
# loads is there (lab_nm_ike_editor_dir): a scenario with "lab-libnm-plugin: yes" gets it from the
# runner, which builds it before the VM boots (the guest sees the repository read-only).
lab_nm_ike_plugin_lib() {
	[ -f "$(lab_nm_ike_editor_dir)/libnm-vpn-plugin-ike.so" ] ||
		lab_fail "no libnm plugin library in $(lab_nm_ike_editor_dir) (the scenario needs '# lab-libnm-plugin: yes', or run build-aux/build-editors.sh cargo Cargo.toml target dev target/editor-libs plugin)"
}

# lab_nm_ike_start ROLE [lab_nm_start options]: NM in ROLE with our plugin registered and our
# D-Bus policy included; LAB_NM_IKE_VPND is the .name directory (for clients: NM_VPN_PLUGIN_DIR).
# On the host, whose kernel has no ESP, NM (and so nm-ike-service) gets NM_IKE_KERNEL=record unless
# the options set NM_IKE_KERNEL themselves (--env NM_IKE_KERNEL=auto: the real, failing choice);
# in the VM nothing is set (auto: XFRM).
lab_nm_ike_start() {
	local role=$1 a kernel=()
	shift
	if [ "$LAB_IN_VM" = 0 ]; then
		kernel=(--env NM_IKE_KERNEL=record)
		for a in "$@"; do
			case $a in NM_IKE_KERNEL=*) kernel=() ;; esac
		done
	fi
	LAB_NM_IKE_VPND=$(lab_nm_ike_name_dir)
	lab_nm_start "$role" --vpn-dir "$LAB_NM_IKE_VPND" --dbus-include "$LAB_REPO/data/dbus/nm-ike-service.conf" \
		"${kernel[@]+"${kernel[@]}"}" "$@"
}

# lab_ike_pool_client PSK: our nm-ike "client" on left for lab_charon_pool_gw's conn rw (same ids,
# selector the right LAN, the same algorithms), connected: waits for its CHILD_SA_UP.
lab_ike_pool_client() {
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		rightsubnet="$LAB_RIGHT_LAN" ike=aes256gcm16-prfsha384-x25519 esp=aes256gcm16 \
		secret.pskvalue="$1"
	lab_ike_up client left
	lab_ike_wait client CHILD_SA_UP 30
}

# lab_pluto_s2s_psk PSK: the site-to-site peer of the ike-ls-* and -ls5 scenarios: pluto "right"
# on right, conn s2s (PSK, ids @right.lab.test / @left.lab.test, the right LAN to the left LAN,
# IKE AES-GCM-256 with SHA2-512 and DH19, ESP AES-GCM-256), started and loaded; and our matching
# nm-ike profile "left".  Call after lab_topo (and lab_pluto_debian13 right, for Libreswan 5).
lab_pluto_s2s_psk() {
	local psk=$1
	lab_pluto_conn right s2s authby=secret psk="$psk" \
		left="$LAB_RIGHT_IP" leftid=@right.lab.test leftsubnet="$LAB_RIGHT_LAN" \
		right="$LAB_LEFT_IP" rightid=@left.lab.test rightsubnet="$LAB_LEFT_LAN" \
		ike=aes_gcm256-sha2_512-dh19 esp=aes_gcm256
	lab_pluto_start right right
	lab_ike_profile left right="$LAB_RIGHT_IP" rightid=@right.lab.test leftid=@left.lab.test \
		leftsubnet="$LAB_LEFT_LAN" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
		ike=aes_gcm256-sha2_512-dh19 esp=aes_gcm256 secret.pskvalue="$psk"
}

# lab_nm_ike_client [lab_nm_start options...]: the client every nm-* scenario starts with:
# NetworkManager with our plugin registered on left, wan0 managed and up with $LAB_LEFT_IP/24 and
# the default route via $LAB_LEFT_GW (lab_nm_base_up), ready for lab_nm_ike_add.
lab_nm_ike_client() {
	lab_nm_ike_start left --iface wan0 "$@"
	lab_nm_base_up wan0 "$LAB_LEFT_IP/24" "$LAB_LEFT_GW"
}

# lab_nm_ike_pool_charon PSK [POOL_LINES]: the configuration (not started) of lab_nm_ike_pool_gateway's
# charon "gw" on right: conn rw (PSK, ids gw.lab.test / client.lab.test, the right LAN, ESP
# AES-GCM-128) with the pool p4 of $LAB_POOL plus POOL_LINES (swanctl pool attributes).
lab_nm_ike_pool_charon() {
	local psk=$1 extra=${2:-}
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$psk" local_ts="$LAB_RIGHT_LAN" ike.pools=p4 \
		esp_proposals=aes128gcm16
	lab_swanctl_raw gw pools "  p4 {
    addrs = $LAB_POOL${extra:+
$extra}
  }"
}

# lab_nm_ike_pool_gateway PSK [DATA]: charon on right (PSK, an address pool with DNS 10.2.0.53 and
# the domain corp.lab.test, the right LAN behind it, ESP AES-GCM-128), NetworkManager with our
# plugin on left with wan0 up, and our profile ikevpn (ids, rightsubnet = the right LAN, saved PSK,
# plus DATA: more vpn.data items, comma-separated) activated with nmcli.
lab_nm_ike_pool_gateway() {
	local psk=$1 data=${2:-}
	lab_topo --left-unconfigured --rhost
	lab_nm_ike_pool_charon "$psk" "    dns = 10.2.0.53
    25 = corp.lab.test"
	lab_charon_start gw right
	lab_nm_ike_client
	lab_nm_ike_add ikevpn "right=$LAB_RIGHT_IP, rightid=gw.lab.test, leftid=client.lab.test, rightsubnet=$LAB_RIGHT_LAN, esp=aes_gcm128, pskvalue-flags=0${data:+, $data}" \
		"pskvalue=$psk"
	lab_nm_vpn_up ikevpn
	lab_timing vpn-up
}

# lab_nm_ike_two_gateways PSK1 PSK2: two charon gateways and NetworkManager with our plugin on left
# (wan0 up). gw1 on right ($LAB_RIGHT_IP, id gw1.lab.test) protects $LAB_RIGHT_LAN with the pool
# $LAB_POOL; gw2 on right2 ($LAB_GW2_IP = 192.0.3.2, behind right, routed; id gw2.lab.test)
# protects $LAB_NET2 (10.4.0.0/24, 10.4.0.1 on its lo) with the pool 10.5.0.0/24. Both accept
# client.lab.test with their PSK and ESP AES-GCM-128.
LAB_GW2_IP=192.0.3.2
LAB_NET2=10.4.0.0/24
lab_nm_ike_two_gateways() {
	local psk1=$1 psk2=$2
	lab_topo --left-unconfigured # gw1 protects 10.2.0.0/24 (10.2.0.1 on right's lo)
	lab_ns_add right2
	lab_veth right wan1 right2 wan0
	lab_addr right wan1 192.0.3.1/24
	lab_addr right2 wan0 "$LAB_GW2_IP/24"
	lab_addr right2 lo 10.4.0.1/32
	lab_route right2 default via 192.0.3.1
	lab_forwarding right 1
	lab_swanctl_conn gw1 conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw1.lab.test \
		remote_id=client.lab.test psk="$psk1" local_ts="$LAB_RIGHT_LAN" pool="$LAB_POOL" \
		esp_proposals=aes128gcm16
	lab_swanctl_conn gw2 conn=rw local_addrs="$LAB_GW2_IP" local_id=gw2.lab.test \
		remote_id=client.lab.test psk="$psk2" local_ts="$LAB_NET2" pool=10.5.0.0/24 \
		esp_proposals=aes128gcm16
	lab_charon_spawn gw1 right
	lab_charon_spawn gw2 right2
	lab_charon_ready gw1
	lab_charon_ready gw2
	lab_nm_ike_client
}

# lab_nm_ike_add CON DATA [SECRETS]: an ike VPN connection (vpn.data / vpn.secrets as nmcli takes them)
lab_nm_ike_add() {
	local con=$1 data=$2 secrets=${3:-}
	local args=(connection add type vpn vpn-type org.freedesktop.NetworkManager.ike con-name "$con"
		connection.autoconnect no vpn.data "$data")
	[ -z "$secrets" ] || args+=(vpn.secrets "$secrets")
	lab_nmcli "${args[@]}" >/dev/null || lab_fail "nmcli connection add $con failed"
}

# lab_nm_ike_up_fails CON OUTFILE [TIMEOUT]: nmcli connection up CON must fail; its output and
# the seconds it took go to OUTFILE; prints the seconds
lab_nm_ike_up_fails() {
	local con=$1 out=$2 timeout=${3:-90} t0=$SECONDS
	if lab_nmcli --wait "$timeout" connection up "$con" >"$out" 2>&1; then
		lab_fail "nmcli connection up $con succeeded although it should fail"
	fi
	echo "$((SECONDS - t0))"
}

# lab_nm_log_wait REGEX [TIMEOUT]: NM's log (our plugin's stderr included) gets a line matching REGEX
lab_nm_log_wait() {
	lab_wait "$(lab_scale "${2:-10}")" "NM log line /$1/" grep -Eq "$1" "$(lab_nm_dir)/nm.out"
}

# lab_nm_log_time REGEX: the time (NetworkManager's clock, seconds) of the first line of NM's log
# that matches REGEX: our service's lines carry no time stamp, so it is that of the next line of
# NetworkManager's own ("<debug> [1796529622.5856] ..."), a moment later.  For durations between
# two events of our service that do not depend on how fast the scenario's shell polled.
lab_nm_log_time() {
	awk -v re="$1" 'found && match($0, /^<[a-z]+> *\[[0-9]+\.[0-9]+\]/) {
		t = substr($0, RSTART, RLENGTH); sub(/^[^[]*\[/, "", t); sub(/\]$/, "", t); print t; exit
	} !found && $0 ~ re { found = 1 }' "$(lab_nm_dir)/nm.out"
}

# lab_dpd_restart_check [--site] VPN DELAY TIMEOUT KILL START CHECK: the gateway-restart half of
# the dpdaction=restart scenarios. Kills the gateway with the command KILL, checks every second for
# DELAY+TIMEOUT+3 s that NetworkManager keeps VPN activated while a ping wants out (never in the
# clear: the capture is checked at the end), waits for our log to say the gateway stopped
# answering, starts the gateway again with START and waits until traffic passes within
# DELAY+TIMEOUT+5 s (prints the seconds); then the same virtual address, NM still activated, CHECK
# (the gateway's own view of the new SA) and ESP on the wire. --site: a site-to-site connection
# (leftsubnet, no virtual address): the pings go from lhost, the host in our LAN, to rhost, and
# LAB_DPD_BACK_SECS is set to the seconds the tunnel took to carry traffic again.
lab_dpd_restart_check() {
	local site=0
	if [ "$1" = --site ]; then
		site=1
		shift
	fi
	local vpn=$1 delay=$2 timeout=$3 kill_cmd=$4 start_cmd=$5 check_cmd=$6
	local vip="" vip2="" i state t0 from=left
	[ "$site" = 0 ] || from=lhost
	if [ "$site" = 0 ]; then
		vip=$(lab_nmcli -g IP4.ADDRESS connection show "$vpn" | cut -d/ -f1)
		[ -n "$vip" ] || lab_fail "no virtual address before the restart"
	fi
	lab_capture_start wire left wan0 -Q out
	eval "$kill_cmd"
	lab_log "gateway killed"
	for i in $(seq 1 $((delay + timeout + 3))); do
		state=$(lab_nm_con_state "$vpn" || true)
		[ "$state" = activated ] || lab_fail "NetworkManager left 'activated' ($state) while the gateway was down"
		lab_nsx "$from" ping -c 1 -W 1 "$LAB_RHOST_IP" >/dev/null 2>&1 || true
	done
	lab_nm_log_wait "stopped answering" 10
	eval "$start_cmd"
	t0=$SECONDS
	lab_log "gateway started again"
	lab_wait "$(lab_scale $((delay + timeout + 5)))" "the tunnel to carry traffic again" \
		lab_nsx "$from" ping -c 1 -W 1 "$LAB_RHOST_IP"
	LAB_DPD_BACK_SECS=$((SECONDS - t0))
	lab_log "traffic passes again $LAB_DPD_BACK_SECS s after the gateway came back"
	lab_capture_stop wire
	lab_assert_nm_state "$vpn" activated
	if [ "$site" = 0 ]; then
		vip2=$(lab_nmcli -g IP4.ADDRESS connection show "$vpn" | cut -d/ -f1)
		[ "$vip2" = "$vip" ] || lab_fail "the virtual address changed from $vip to $vip2"
	fi
	eval "$check_cmd"
	lab_assert_wire_protected 1 "left wan0" wire
}

# lab_vip_routed NET: sets LAB_VIP to left's virtual address (10.3.0.x, from the pool), waits for
# our route to NET from it in table 2749 and asserts that NET is routed there by our rule.
lab_vip_routed() {
	local net=$1
	LAB_VIP=$(lab_ip left -4 addr show | grep -Eo 'inet 10\.3\.0\.[0-9]+' | head -n1 | cut -d' ' -f2)
	[ -n "$LAB_VIP" ] || lab_fail "the virtual address is not on the client"
	lab_wait "$(lab_scale 10)" "our route to $net from $LAB_VIP in table 2749" eval \
		"lab_ip left route show table 2749 | lab_grepq '^$net .*src $LAB_VIP'"
	lab_ike_assert_routed left "$net"
}

# lab_nm_assert_vpn_routes VPN NET NOT_DST: NetworkManager's view of VPN (saved in
# $LAB_OUT/VPN.txt): a virtual address from the pool, a route to NET, no route whose destination
# matches the extended regex NOT_DST through the VPN (the base device's routes, via $LAB_LEFT_GW,
# are listed too and fine), and no VPN gateway other than the base one.
lab_nm_assert_vpn_routes() {
	local vpn=$1 net=$2 not_dst=$3 f="$LAB_OUT/$1.txt"
	lab_nmcli connection show "$vpn" >"$f"
	grep -Eq '^IP4.ADDRESS\[1\]: +10\.3\.0\.[0-9]+/32' "$f" || lab_fail "NM shows no virtual address (see $vpn.txt)"
	grep -Eq "^IP4.ROUTE\[[0-9]+\]: +dst = $net" "$f" || lab_fail "NM shows no route to $net (see $vpn.txt)"
	if grep -E "^IP4.ROUTE\[[0-9]+\]: +dst = ($not_dst)" "$f" | lab_grepq -Fv "nh = $LAB_LEFT_GW,"; then
		lab_fail "NM shows a route to /$not_dst/ via the VPN (see $vpn.txt)"
	fi
	if grep -Eq '^IP4.GATEWAY: +[0-9]' "$f" && ! grep -Eq "^IP4.GATEWAY: +$LAB_LEFT_GW\$" "$f"; then
		lab_fail "NM shows a VPN gateway other than the base one (see $vpn.txt)"
	fi
}

# lab_eap_gateway METHOD USER PASSWORD [lab_charon_start options]: charon "gw" on right as the
# road warriors' EAP gateway (the auth-eap-* scenarios): conn rw authenticates itself with an RSA
# certificate of the lab CA ($LAB_RUN/pki: ca.crt, gw.crt for gw.lab.test) and its clients with
# EAP METHOD (eap-mschapv2 or eap-md5; eap_id %any: it asks for the EAP identity), USER's
# PASSWORD in an eap- secret, the right LAN behind it, ESP AES-GCM-128, virtual addresses from
# $LAB_POOL; started and loaded.
lab_eap_gateway() {
	local method=$1 user=$2 password=$3 pki=$LAB_RUN/pki
	shift 3
	lab_ca_create "$pki" rsa
	lab_cert_issue "$pki" gw rsa gw.lab.test DNS:gw.lab.test
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_auth=pubkey \
		remote_auth="$method" local_id=gw.lab.test cert="$pki/gw.crt" key="$pki/gw.key" \
		cacert="$pki/ca.crt" remote.eap_id=%any local_ts="$LAB_RIGHT_LAN" ike.pools=p4 \
		esp_proposals=aes128gcm16 child.start_action=none
	lab_swanctl_raw gw pools "  p4 {
    addrs = $LAB_POOL
  }"
	lab_swanctl_raw gw secrets "  eap-$user {
    id = $user
    secret = \"$password\"
  }"
	lab_charon_start gw right --plugins "$LAB_CHARON_PLUGINS_DEFAULT eap-identity $method" "$@"
}
