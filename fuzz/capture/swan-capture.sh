#!/bin/bash
# Capture real IKEv2 exchanges between two strongSwan charons in two private network namespaces
# (wcapL = initiator 192.0.2.1, wcapR = responder 192.0.2.2, joined by a veth pair) and extract
# the UDP payloads as test vectors / fuzz seeds.
#
# Usage: swan-capture.sh OUTDIR
# Needs root, strongSwan (charon, swanctl, kernel-libipsec plugin), tcpdump and python3.
# Two scenarios are run:
#   gcm : aes128gcm16-prfsha256-x25519, no fragmentation (IKE_SA_INIT, IKE_AUTH, INFORMATIONAL)
#   frag: aes256-sha256-prfsha256-x25519 (CBC + HMAC), IKEv2 fragmentation forced with a tiny
#         fragment_size so IKE_AUTH is sent as SKF fragments (RFC 7383)
# charon logs at ike=4 / enc=3, so the derived SK_* keys and every SK/SKF plaintext, IV, AAD
# and ICV are kept next to the captures (logvectors.py). The checked-in data lives in
# ike-core/tests/data/swan-capture/; rebuild the fuzz seeds afterwards with
#   mkseeds.py ike-core/tests/data/swan-capture fuzz/corpus
set -u
OUT=${1:?usage: $0 OUTDIR}
RUN=${RUN:-${TMPDIR:-/tmp}/ike-wire-capture}
L=wcapL; R=wcapR
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

mkconf() { # $1=ns $2=local $3=remote $4=lts $5=rts $6=myid $7=peerid $8=proposal $9=esp $10=extra charon opts $11=extra conn opts
cat > "$RUN/$1/strongswan.conf" <<EOC
charon {
  load = random nonce openssl aes sha1 sha2 hmac gcm pem pkcs1 x509 pubkey curve25519 gmp kdf kernel-libipsec kernel-netlink socket-default vici updown
  install_virtual_ip = no
  ${10}
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
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = $8
    fragmentation = yes
    ${11}
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

scenario() { # $1=name $2=ike proposal $3=esp proposal $4=extra charon options
             # $5=initiator local_ts $6=initiator conn opts $7=responder remote_ts $8=responder conn opts
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
  mkconf $L 192.0.2.1 192.0.2.2 "$5" 10.2.0.0/16 left@test right@test "$2" "$3" "$4" "$6"
  mkconf $R 192.0.2.2 192.0.2.1 10.2.0.0/16 "$7" right@test left@test "$2" "$3" "$4" "$8"
  [ -n "$8" ] && cat >> "$RUN/$R/swanctl.conf" <<EOC
pools { p4 { addrs = 10.3.0.0/28
             dns = 10.3.0.53 } }
EOC
  charon_pair_run "$name" || return 1
  python3 "$HERE/extract.py" "$RUN/$name.pcap" "$OUT" "$name" || return 1
  # SK/SKF plaintexts, AAD, IV, ICV and the derived keys, as the initiator saw them
  python3 "$HERE/logvectors.py" "$RUN/$L/charon.log" "$OUT/$name" || return 1
  cp "$RUN/$L/charon.log" "$RUN/$name-L.log"; cp "$RUN/$R/charon.log" "$RUN/$name-R.log"
}

# gcm: the initiator asks for a virtual IP, so IKE_AUTH carries CP(CFG_REQUEST)/CP(CFG_REPLY)
scenario gcm "aes128gcm16-prfsha256-x25519" "aes128gcm16" "" dynamic "vips = 0.0.0.0" dynamic "pools = p4"
scenario frag "aes256-sha256-prfsha256-x25519" "aes256-sha256" "fragment_size = 300" 10.1.0.0/16 "" 10.1.0.0/16 ""
