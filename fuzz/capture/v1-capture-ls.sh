#!/bin/bash
# Capture real IKEv1 (ISAKMP) exchanges between a strongSwan charon initiator and a Libreswan
# pluto responder in two private network namespaces (v1lsL = charon 192.0.2.1, v1lsR = pluto
# 192.0.2.2, joined by a veth pair) and extract the UDP payloads as codec test vectors.
#
# Usage: v1-capture-ls.sh OUTDIR
# Needs root, strongSwan (charon, swanctl, kernel-libipsec plugin), Libreswan 4.x unpacked in
# $LIBRESWAN_ROOT (default /var/cache/nm-ike-lab/libreswan, as tests/lab/install-deps leaves
# it), certutil, tcpdump and python3. PSK `wire-capture-psk-0123456789`, IDs left@test (charon)
# / right.test (pluto). Scenarios:
#   ls-main: Main Mode, aes128-sha2_256-modp2048, then Quick Mode
#   ls-aggr: Aggressive Mode, aes256-sha1-modp2048, then Quick Mode
# charon offers Quick Mode without PFS and pluto insists on PFS, so pluto answers Quick Mode
# with an encrypted NO_PROPOSAL_CHOSEN notify (a Libreswan-built Phase 2 IV and padding) and no
# kernel SA is ever installed; terminate then deletes the ISAKMP SA.
#   ls-init: pluto initiates Main Mode (see the last scenario line)
# The charon log (ike=4, enc=3) gives the keys, IVs and plaintexts of both directions
# (v1-logvectors.py). The checked-in data lives in ike-core/tests/data/v1-capture/.
set -u
OUT=${1:?usage: $0 OUTDIR}
RUN=${RUN:-${TMPDIR:-/tmp}/ike-v1-capture-ls}
LS=${LIBRESWAN_ROOT:-/var/cache/nm-ike-lab/libreswan}
L=v1lsL; R=v1lsR
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

charon_conf() { # $1=proposal $2=esp $3=extra conn opts
cat > "$RUN/$L/strongswan.conf" <<EOC
charon {
  load = random nonce openssl aes sha1 sha2 hmac pem pkcs1 x509 pubkey gmp kdf kernel-libipsec kernel-netlink socket-default vici updown
  install_virtual_ip = no
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  plugins { vici { socket = unix://$RUN/$L/charon.vici } }
  filelog { log { path = $RUN/$L/charon.log
                  time_format = %T
                  default = 1
                  ike = 4
                  enc = 3
                  net = 2
                  flush_line = yes } }
  syslog { identifier = charon-$L
           daemon { default = -1 } }
}
swanctl { load = pem pkcs1 x509 pubkey openssl random nonce }
EOC
cat > "$RUN/$L/swanctl.conf" <<EOC
connections {
  t {
    version = 1
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = $1
    $3
    local { auth = psk
            id = left@test }
    remote { auth = psk
             id = right.test }
    children {
      c { local_ts = 10.1.0.0/16
          remote_ts = 10.2.0.0/16
          esp_proposals = $2
          mode = tunnel }
    }
  }
}
secrets { ike-1 { id-1 = left@test
                  id-2 = right.test
                  secret = "wire-capture-psk-0123456789" } }
EOC
}

pluto_conf() { # $1=ike $2=esp $3=aggressive yes|no $4=auto (add|start)
cat > "$RUN/$R/ipsec.conf" <<EOC
config setup
    logtime=yes
    ikev1-policy=accept
    dumpdir=$RUN/$R/run

conn t
    ikev2=no
    authby=secret
    left=192.0.2.2
    leftid=@right.test
    leftsubnet=10.2.0.0/16
    leftupdown=%disabled
    right=192.0.2.1
    rightid=left@test
    rightsubnet=10.1.0.0/16
    ike=$1
    phase2alg=$2
    aggressive=$3
    auto=add
EOC
  echo '@right.test left@test : PSK "wire-capture-psk-0123456789"' > "$RUN/$R/ipsec.secrets"
  chmod 600 "$RUN/$R/ipsec.secrets"
  mkdir -p "$RUN/$R/nss" "$RUN/$R/run"
  certutil -N -d "sql:$RUN/$R/nss" --empty-password >/dev/null
}

sw() { local op=$1; shift; STRONGSWAN_CONF=$RUN/$L/strongswan.conf swanctl $op --uri unix://$RUN/$L/charon.vici "$@"; }
whack() { ip netns exec $R "$LS/usr/libexec/ipsec/whack" --ctlsocket "$RUN/$R/run/pluto.ctl" "$@"; }

scenario() { # $1=name $2=charon proposal $3=charon esp $4=charon conn opts $5=pluto ike $6=pluto esp $7=aggressive
             # $8=initiator (charon|pluto)
  local name=$1
  cleanup; TCPDUMP_PID=
  rm -rf "$RUN/$L" "$RUN/$R"; mkdir -p "$RUN/$L" "$RUN/$R"
  ip netns add $L; ip netns add $R
  ip link add vL netns $L type veth peer name vR netns $R
  ip -n $L addr add 192.0.2.1/24 dev vL; ip -n $R addr add 192.0.2.2/24 dev vR
  for n in $L $R; do ip -n $n link set lo up; done
  ip -n $L link set vL up; ip -n $R link set vR up
  mkdir -p "$RUN/$L"/{x509,x509ca,x509aa,x509ocsp,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
  charon_conf "$2" "$3" "$4"
  pluto_conf "$5" "$6" "$7"
  ip netns exec $L tcpdump -i vL -U -s 0 -w "$RUN/$name.pcap" 'udp port 500 or udp port 4500' \
    > "$RUN/tcpdump.log" 2>&1 &
  TCPDUMP_PID=$!
  ip netns exec $L sh -c "mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$RUN/$L/strongswan.conf exec /usr/lib/ipsec/charon" \
    > "$RUN/$L/stdout" 2>&1 &
  echo $! > "$RUN/$L/pid"
  # pluto execs /usr/libexec/ipsec/addconn: overlay the unpacked Libreswan in its mount namespace
  ip netns exec $R sh -c "mount -t overlay -o lowerdir=/usr/libexec:$LS/usr/libexec overlay /usr/libexec && exec $LS/usr/libexec/ipsec/pluto --nofork --config $RUN/$R/ipsec.conf --rundir $RUN/$R/run --nssdir $RUN/$R/nss --secretsfile $RUN/$R/ipsec.secrets --ipsecdir $RUN/$R --dumpdir $RUN/$R/run --logfile $RUN/$R/pluto.log --no-dnssec --nhelpers 1" \
    > "$RUN/$R/stdout" 2>&1 &
  echo $! > "$RUN/$R/pid"
  for _ in $(seq 1 100); do [ -S "$RUN/$L/charon.vici" ] && [ -S "$RUN/$R/run/pluto.ctl" ] && break; sleep 0.3; done
  sleep 0.5
  ip netns exec $R "$LS/usr/libexec/ipsec/addconn" --config "$RUN/$R/ipsec.conf" \
    --ctlsocket "$RUN/$R/run/pluto.ctl" --autoall > "$RUN/$R/addconn.out" 2>&1 || { cat "$RUN/$R/addconn.out"; return 1; }
  whack --listen >> "$RUN/$R/addconn.out" 2>&1
  sw --load-all --file "$RUN/$L/swanctl.conf" >/dev/null || return 1
  if [ "${8:-charon}" = pluto ]; then
    timeout 30 ip netns exec $R "$LS/usr/libexec/ipsec/whack" --ctlsocket "$RUN/$R/run/pluto.ctl" \
      --name t --initiate > "$RUN/$R/initiate.log" 2>&1
    echo "$name: pluto initiate rc=$?"
    sleep 0.5
    timeout 10 ip netns exec $R "$LS/usr/libexec/ipsec/whack" --ctlsocket "$RUN/$R/run/pluto.ctl" \
      --name t --terminate > "$RUN/$R/terminate.log" 2>&1
    echo "$name: pluto terminate rc=$?"
  else
    sw --initiate --child c --timeout 30 > "$RUN/$L/initiate.log" 2>&1
    echo "$name: initiate rc=$?"
    sleep 0.5
    sw --terminate --ike t --timeout 10 > "$RUN/$L/terminate.log" 2>&1
    echo "$name: terminate rc=$?"
  fi
  sleep 1
  kill "$TCPDUMP_PID"; wait "$TCPDUMP_PID" 2>/dev/null; TCPDUMP_PID=
  python3 "$HERE/v1-extract.py" "$RUN/$name.pcap" "$OUT" "$name" || return 1
  python3 "$HERE/v1-logvectors.py" "$RUN/$L/charon.log" "$OUT/$name" >/dev/null || return 1
  cp "$RUN/$L/charon.log" "$RUN/$name-L.log"; cp "$RUN/$R/pluto.log" "$RUN/$name-R.log"
}

scenario ls-main "aes128-sha256-modp2048" "aes128-sha256" "" "aes128-sha2_256-modp2048" "aes128-sha2_256" no
scenario ls-aggr "aes256-sha1-modp2048" "aes256-sha1" "aggressive = yes" "aes256-sha1-modp2048" "aes256-sha1" yes
# pluto initiates: Main Mode, then Quick Mode with PFS (a KE payload) and AES-256, which charon
# (AES-128 only) refuses with NO_PROPOSAL_CHOSEN, so again no kernel SA is installed
scenario ls-init "aes128-sha256-modp2048" "aes128-sha256" "" "aes128-sha2_256-modp2048" "aes256-sha2_256-modp2048" no pluto
