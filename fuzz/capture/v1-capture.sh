#!/bin/bash
# Capture real IKEv1 (ISAKMP, RFC 2408/2409) exchanges between two strongSwan charons in two
# private network namespaces (v1capL = initiator 192.0.2.1, v1capR = responder 192.0.2.2,
# joined by a veth pair) and extract the UDP payloads as codec test vectors / fuzz seeds.
#
# Usage: v1-capture.sh OUTDIR
# Needs root, strongSwan (charon, swanctl, kernel-libipsec plugin), tcpdump and python3.
# Scenarios (PSK `wire-capture-psk-0123456789`, IDs left@test / right@test):
#   main: Main Mode, aes128-sha256-modp2048, the initiator pulls a virtual IP with Mode Config
#         (Transaction exchange), Quick Mode for the child SA, then Informational deletes
#   aggr: Aggressive Mode, aes256-sha1-modp2048, Quick Mode, Informational deletes
# The checked-in data lives in ike-core/tests/data/v1-capture/.
set -u
OUT=${1:?usage: $0 OUTDIR}
RUN=${RUN:-${TMPDIR:-/tmp}/ike-v1-capture}
L=v1capL; R=v1capR
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

mkconf() { # $1=ns $2=local $3=remote $4=lts $5=rts $6=myid $7=peerid $8=proposal $9=esp $10=extra conn opts
cat > "$RUN/$1/strongswan.conf" <<EOC
charon {
  load = random nonce openssl aes sha1 sha2 hmac pem pkcs1 x509 pubkey gmp kdf xauth-generic kernel-libipsec kernel-netlink socket-default vici updown attr
  install_virtual_ip = no
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  plugins { vici { socket = unix://$RUN/$1/charon.vici } }
  filelog { log { path = $RUN/$1/charon.log
                  time_format = %T
                  default = 1
                  ike = 4
                  enc = 3
                  net = 2
                  flush_line = yes } }
  syslog { identifier = charon-$1
           daemon { default = -1 } }
}
swanctl { load = pem pkcs1 x509 pubkey openssl random nonce }
EOC
cat > "$RUN/$1/swanctl.conf" <<EOC
connections {
  t {
    version = 1
    local_addrs = $2
    remote_addrs = $3
    proposals = $8
    ${10}
    local { auth = psk
            id = $6 }
    remote { auth = psk
             id = $7 }
    children {
      c { local_ts = $4
          remote_ts = $5
          esp_proposals = $9
          mode = tunnel }
    }
  }
}
secrets { ike-1 { id-1 = $6
                  id-2 = $7
                  secret = "wire-capture-psk-0123456789" } }
EOC
}

sw() { local n=$1 op=$2; shift 2; STRONGSWAN_CONF=$RUN/$n/strongswan.conf swanctl $op --uri unix://$RUN/$n/charon.vici "$@"; }

scenario() { # $1=name $2=ike proposal $3=esp proposal $4=initiator local_ts $5=initiator conn opts
             # $6=responder remote_ts $7=responder conn opts
  local name=$1
  cleanup; TCPDUMP_PID=
  rm -rf "$RUN/$L" "$RUN/$R"; mkdir -p "$RUN/$L" "$RUN/$R"
  ip netns add $L; ip netns add $R
  ip link add vL netns $L type veth peer name vR netns $R
  ip -n $L addr add 192.0.2.1/24 dev vL; ip -n $R addr add 192.0.2.2/24 dev vR
  for n in $L $R; do ip -n $n link set lo up; done
  ip -n $L link set vL up; ip -n $R link set vR up
  ip -n $L addr add 10.1.0.1/32 dev lo; ip -n $R addr add 10.2.0.1/32 dev lo
  for n in $L $R; do
    mkdir -p "$RUN/$n"/{x509,x509ca,x509aa,x509ocsp,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
  done
  mkconf $L 192.0.2.1 192.0.2.2 "$4" 10.2.0.0/16 left@test right@test "$2" "$3" "$5"
  mkconf $R 192.0.2.2 192.0.2.1 10.2.0.0/16 "$6" right@test left@test "$2" "$3" "$7"
  cat >> "$RUN/$R/swanctl.conf" <<EOC
pools { p4 { addrs = 10.3.0.0/28
             dns = 10.3.0.53 } }
EOC
  charon_pair_run "$name" || return 1
  python3 "$HERE/v1-extract.py" "$RUN/$name.pcap" "$OUT" "$name" || return 1
  cp "$RUN/$L/charon.log" "$RUN/$name-L.log"; cp "$RUN/$R/charon.log" "$RUN/$name-R.log"
}

scenario main "aes128-sha256-modp2048" "aes128-sha256" dynamic "vips = 0.0.0.0" dynamic "pools = p4"
scenario aggr "aes256-sha1-modp2048" "aes256-sha1" 10.1.0.0/16 "aggressive = yes" 10.1.0.0/16 "aggressive = yes"
