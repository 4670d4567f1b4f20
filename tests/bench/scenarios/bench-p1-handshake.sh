# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 1500
# lab-description: benchmark P1: responder CPU per IKE SA + Child SA (X25519, AES-GCM-256, PSK), our nm-ike (--kernel record) vs charon (fake kernel), the same UDP load generator against both
#
# Run by tests/bench/run (LAB_SCENARIO_PATH=tests/bench/scenarios).  Two namespaces joined by a
# veth: "srv" holds the responder at 10.99.0.1, "cli" holds one address per initiator slot
# (10.99.1.1...), each slot bound to port 500.  Rounds alternate ours / charon, each with a fresh
# responder: LAB_BENCH_P1_ROUNDS rounds of LAB_BENCH_P1_N measured handshakes (after
# LAB_BENCH_P1_WARMUP unmeasured ones) with LAB_BENCH_P1_SLOTS concurrent initiators.
# Writes $LAB_OUT/p1.txt: "ours|charon ROUND <ike-bench handshake key=value line>".

# shellcheck source=../../lab/lib/nm-ike.sh disable=SC1091
source "$LAB_DIR/lib/nm-ike.sh"

BENCH_PSK="bench-psk-0123456789-abcdef"

# the charon responder: our fake kernel backend first, OpenSSL for every primitive, an IKE SA
# table sized for thousands of SAs (the default is a single hash bucket), basic logging only
_bench_charon_conf() {
	local name=$1 d
	d=$(lab_dir "$name")
	lab_swanctl_conn "$name" conn=bench local_addrs=10.99.0.1 local_id=gw@bench.test \
		remote_id=client@bench.test psk="$BENCH_PSK" proposals=aes256gcm16-prfsha256-x25519 \
		esp_proposals=aes256gcm16 local_ts=10.2.0.0/24
	cat >"$d/strongswan.conf" <<-EOC
		charon {
		  load = bench-fake-kernel random nonce openssl kdf pem pkcs1 x509 pubkey kernel-netlink socket-default vici
		  ikesa_table_size = 4096
		  ikesa_table_segments = 16
		  plugins {
		    vici {
		      socket = unix://$d/charon.vici
		    }
		  }
		  filelog {
		    bench {
		      path = $d/charon.log
		      time_format = %T
		      default = 0
		    }
		  }
		  syslog {
		    daemon {
		      default = -1
		    }
		  }
		}
		swanctl {
		  load = $LAB_SWANCTL_PLUGINS
		}
	EOC
}

scenario_run() {
	local bin=${LAB_BENCH_BIN_DIR:-$LAB_REPO/target/release}
	local fk=${LAB_BENCH_FAKE_KERNEL:-$LAB_REPO/target/bench/bench-fake-kernel.so}
	local n=${LAB_BENCH_P1_N:-2000} rounds=${LAB_BENCH_P1_ROUNDS:-3}
	local slots=${LAB_BENCH_P1_SLOTS:-16} warm=${LAB_BENCH_P1_WARMUP:-100}
	local f
	for f in "$bin/ike-bench" "$bin/nm-ike"; do
		[ -x "$f" ] || lab_fail "$f is not built (tests/bench/run builds it)"
	done
	[ -f "$fk" ] || lab_fail "$fk is not built (tests/bench/run builds it)"
	lab_require ss
	if [ "$slots" -lt 1 ] || [ "$slots" -gt 250 ]; then lab_fail "LAB_BENCH_P1_SLOTS must be 1..250"; fi

	lab_ns_add srv cli
	lab_veth srv b0 cli b0
	lab_addr srv b0 10.99.0.1/16
	local i
	for i in $(seq 1 "$slots"); do lab_ip cli addr add "10.99.1.$i/16" dev b0; done

	lab_ike_profile ours resp.listen=10.99.0.1 resp.local_id=gw@bench.test \
		resp.remote_id=client@bench.test resp.psk="$BENCH_PSK" \
		resp.ike=aes256gcm16-prfsha256-x25519 resp.esp=aes256gcm16 resp.local_ts=10.2.0.0/24

	local out=$LAB_OUT/p1.txt r name pid line
	: >"$out"
	local load=("$bin/ike-bench" handshake --server 10.99.0.1 --first-local 10.99.1.1
		--slots "$slots" --count "$n" --warmup "$warm")
	for r in $(seq 1 "$rounds"); do
		# ours: nm-ike respond, recording kernel (allocates SPIs, installs nothing)
		name=ours-$r
		lab_daemon --env NM_IKE_LOG=warn "$name" srv "$bin/nm-ike" --kernel record respond \
			"$LAB_RUN/ours/ours.toml"
		lab_wait 10 "nm-ike to listen on 10.99.0.1:500" \
			sh -c "ip netns exec $(lab_ns srv) ss -Hlun 'sport = :500' | grep -q 10.99.0.1"
		pid=$(lab_daemon_pid "$name")
		line=$(lab_nsx cli "${load[@]}" --pid "$pid" 2>"$LAB_RUN/$name/load.err") ||
			lab_fail "load against nm-ike (round $r) failed: $(tail -n 2 "$LAB_RUN/$name/load.err" | tr '\n' ' ')"
		echo "ours $r $line" >>"$out"
		lab_log "ours round $r: $line"
		lab_daemon_alive "$name" || lab_fail "nm-ike died during the load"
		lab_daemon_stop "$name"

		# charon with the fake kernel backend
		name=charon-$r
		_bench_charon_conf "$name"
		lab_daemon --tmpfs-run --env "STRONGSWAN_CONF=$LAB_RUN/$name/strongswan.conf" \
			--env "LD_PRELOAD=$fk" "$name" srv /usr/lib/ipsec/charon
		lab_charon_ready "$name"
		lab_swanctl "$name" --stats >"$LAB_RUN/$name/stats-before.txt" 2>&1 || true
		grep -q 'loaded plugins: .*bench-fake-kernel' "$LAB_RUN/$name/stats-before.txt" ||
			lab_fail "charon did not load the bench-fake-kernel backend (see $name/stats-before.txt)"
		pid=$(lab_daemon_pid "$name")
		line=$(lab_nsx cli "${load[@]}" --pid "$pid" 2>"$LAB_RUN/$name/load.err") ||
			lab_fail "load against charon (round $r) failed: $(tail -n 2 "$LAB_RUN/$name/load.err" | tr '\n' ' ')"
		lab_swanctl "$name" --stats >"$LAB_RUN/$name/stats-after.txt" 2>&1 || true
		echo "charon $r $line" >>"$out"
		lab_log "charon round $r: $line"
		lab_daemon_alive "$name" || lab_fail "charon died during the load"
		lab_daemon_stop "$name"
	done
}
