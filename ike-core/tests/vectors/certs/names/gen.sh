#!/bin/sh
# Regenerates the certificates of the gateway-name checks (tests in src/exchange/cert.rs):
# end-entity certificates with various subjectAltNames under a throw-away CA. Only the names
# matter to those tests; the chain is never validated. OpenSSL 3.
set -eu
cd "$(dirname "$0")"
rm -f *.der *.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key.pem -out ca.pem \
  -days 36500 -subj "/O=NM-IKE Test/CN=Names CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
# ee NAME CN SAN
ee() {
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" > $1.ext
  [ -n "$3" ] && echo "subjectAltName=$3" >> $1.ext
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key.pem -out $1.csr \
    -subj "/O=NM-IKE Test/CN=$2" 2>/dev/null
  openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key.pem -CAcreateserial -days 36500 \
    -extfile $1.ext -outform DER -out $1.der 2>/dev/null
  rm -f $1.ext $1.csr $1.key.pem
}
ee wildcard "*.example.com" "DNS:*.example.com"
ee other "vpn.example.com" "DNS:other.example.org,IP:192.0.2.1,email:admin@example.org"
ee ipv6 "vpn.example.com" "IP:2001:db8::5,DNS:VPN.Example.COM"
ee cn_only "vpn.example.com" ""
ee partial_wildcard "vpn.example.com" "DNS:v*.example.com"
rm -f ca.key.pem ca.pem *.srl
