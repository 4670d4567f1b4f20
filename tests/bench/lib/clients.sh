# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The setup benchmarks P5 and P8 share (tests/bench/scenarios/bench-p5-rekey.sh,
# bench-p8-restart.sh): one charon gateway and two clients taking turns against it, ours and a
# charon client, on lab_topo's client/gateway topology (left 192.0.2.1, gateway right 192.0.2.2,
# rhost 10.2.0.2 behind it).  Sourced by those scenarios after lib/nm-ike.sh.
#
#   bench_gateway [conf options]  charon "gw" on right: conn rw (PSK, gw.lab.test <->
#                                 client.lab.test, IKE aes256gcm16-prfsha256-x25519, ESP
#                                 aes256gcm16 with x25519 on rekeys, 10.2.0.0/24 <-> the client's own address), no
#                                 rekeying and no DPD of its own; right forwards from wan0 only
#                                 what came out of IPsec (so a reply from rhost proves the tunnel)
#   bench_sw_client NAME [swanctl keys] [-- conf options]
#                                 the anchor: charon NAME on left with conn gw (child c) to the
#                                 gateway, the same IDs, PSK, proposals and selectors; started,
#                                 not initiated
#   bench_gw_child_ids            the unique IDs of the gateway's installed Child SAs of rw
#   bench_gw_child_rekey          the gateway rekeys its Child SA of rw; waits until a new one
#                                 is the only one installed (its ID in BENCH_CHILD_ID)

BENCH_PSK="bench-psk-0123456789-abcdef"
BENCH_IKE=aes256gcm16-prfsha256-x25519
# our profiles say esp=aes256gcm16: our default pfs adds the IKE group (x25519) for
# CREATE_CHILD_SA, so the gateway and the charon client list it too (a rekey without it is
# refused by our client with NO_PROPOSAL_CHOSEN); the Child SA of IKE_AUTH has no key exchange
BENCH_ESP=aes256gcm16
BENCH_SW_ESP=aes256gcm16-x25519

bench_gateway() {
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$BENCH_PSK" local_ts="$LAB_RIGHT_LAN" \
		proposals="$BENCH_IKE" esp_proposals="$BENCH_SW_ESP" child.start_action=none \
		rekey_time=0 child.rekey_time=0
	# only decapsulated traffic goes from the WAN to rhost: a client whose SAs are gone cannot
	# reach it in the clear (NetworkManager's base connection routes everything via right)
	lab_nsx right nft -f - <<-'EOF' || lab_fail "nft: the IPsec-only forward rule failed"
		table ip bench {
			chain ipsec_only {
				type filter hook forward priority 0; policy accept;
				iifname "wan0" meta ipsec missing counter drop
			}
		}
	EOF
	lab_charon_start gw right "$@"
}

bench_sw_client() {
	local name=$1 keys=() conf=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		keys+=("$1")
		shift
	done
	[ $# -eq 0 ] || {
		shift
		conf=("$@")
	}
	lab_swanctl_conn "$name" conn=gw child=c local_addrs="$LAB_LEFT_IP" remote_addrs="$LAB_RIGHT_IP" \
		local_id=client.lab.test remote_id=gw.lab.test psk="$BENCH_PSK" \
		local_ts="$LAB_LEFT_IP/32" remote_ts="$LAB_RIGHT_LAN" proposals="$BENCH_IKE" \
		esp_proposals="$BENCH_SW_ESP" child.start_action=none "${keys[@]+"${keys[@]}"}"
	lab_charon_start "$name" left "${conf[@]+"${conf[@]}"}"
}

bench_gw_child_ids() {
	lab_charon_sas gw 2>/dev/null | sed -n 's/^ *c: #\([0-9]*\), reqid [0-9]*, INSTALLED.*/\1/p'
}

bench_gw_child_rekey() {
	local before ids
	before=$(bench_gw_child_ids)
	[ "$(echo "$before" | grep -c .)" = 1 ] || lab_fail "the gateway has not exactly one installed Child SA before a rekey: $(echo "$before" | tr '\n' ' ')"
	lab_swanctl gw --rekey --child c >>"$LAB_RUN/gw/rekey.out" 2>&1 ||
		lab_fail "swanctl --rekey --child c failed: $(tail -n 2 "$LAB_RUN/gw/rekey.out" | tr '\n' ' ')"
	# done when the old Child SA is gone and exactly one new one is installed
	lab_wait "$(lab_scale 15)" "the gateway's Child SA #$before to be replaced" eval \
		'ids=$(bench_gw_child_ids); [ "$(echo "$ids" | grep -c .)" = 1 ] && [ "$ids" != "$before" ] &&
			! lab_charon_sas gw 2>/dev/null | lab_grepq -E "^ *c: #$before,"'
	BENCH_CHILD_ID=$(bench_gw_child_ids)
}
