# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 600
# lab-description: data plane: every ESP algorithm (AES-GCM 128/256, ChaCha20-Poly1305, AES-CBC with HMAC-SHA1/256/384/512) installed by our XFRM backend carries a ping against charon; the kernel states show the algorithm and truncation; nothing left after each run

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-dp-algos-0123456789"

# ours (libreswan syntax) | charon | what `ip xfrm state` must show
ALGOS="aes_gcm128|aes128gcm16|aead rfc4106(gcm(aes)) 0x[0-9a-f]{40} 128
aes_gcm256|aes256gcm16|aead rfc4106(gcm(aes)) 0x[0-9a-f]{72} 128
chacha20_poly1305|chacha20poly1305|aead rfc7539esp(chacha20,poly1305) 0x[0-9a-f]{72} 128
aes128-sha1|aes128-sha1|auth-trunc hmac(sha1) 0x[0-9a-f]{40} 96
aes256-sha2_256|aes256-sha256|auth-trunc hmac(sha256) 0x[0-9a-f]{64} 128
aes256-sha2_384|aes256-sha384|auth-trunc hmac(sha384) 0x[0-9a-f]{96} 192
aes256-sha2_512|aes256-sha512|auth-trunc hmac(sha512) 0x[0-9a-f]{128} 256"

scenario_run() {
	lab_topo_client_gw
	local all
	all=$(echo "$ALGOS" | cut -d'|' -f2 | paste -sd, -)
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" local_ts="$LAB_RIGHT_LAN" \
		esp_proposals="$all" child.start_action=none
	lab_charon_start gw right
	local i=0 ours theirs want name
	while IFS='|' read -r ours theirs want; do
		i=$((i + 1))
		name=c$i
		lab_log "---- $ours (charon $theirs)"
		lab_ike_profile "$name" right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
			leftsubnet="$LAB_LEFT_IP/32" rightsubnet="$LAB_RIGHT_LAN" leftmodecfgclient=no \
			esp="$ours" secret.pskvalue="$PSK"
		lab_ike_up "$name" left --kernel xfrm
		lab_ike_wait "$name" CHILD_SA_UP 60
		lab_ip left xfrm state >"$LAB_OUT/$name-xfrm-state.txt" 2>&1 || true
		[ "$(grep -Ec "$(printf '%s' "$want" | sed 's/[()]/\\&/g')" "$LAB_OUT/$name-xfrm-state.txt")" -ge 2 ] ||
			lab_fail "$ours: the kernel states do not show /$want/ (see $name-xfrm-state.txt)"
		lab_assert_ping left "$LAB_RHOST_IP"
		lab_assert_ping rhost "$LAB_LEFT_IP"
		lab_assert_xfrm_traffic left 4
		lab_daemon_stop "$name" 20
		lab_ike_assert_clean left "after $ours"
		lab_timing "$ours"
		echo "$ours: ok" >>"$LAB_OUT/algos.txt"
	done <<<"$ALGOS"
	[ "$i" = 7 ] || lab_fail "ran $i of 7 algorithms"
}
