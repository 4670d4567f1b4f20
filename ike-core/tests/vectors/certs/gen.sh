#!/bin/sh
# Regenerates the test PKI used by tests/sim_certs.rs (OpenSSL 3). The simulations validate
# with a fixed wall clock (WALL in sim_certs.rs), which must lie inside the validity of the
# long-lived certificates and after the end of expired.pem: update it when regenerating.
set -eu
cd "$(dirname "$0")"
rm -f *.pem *.der *.srl *.csr *.ext
LONG=36500

ext() { printf '%s\n' "$@" > "$NAME.ext"; }

# Root CA (RSA-2048) and an intermediate CA (ECDSA P-256).
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key.pem -out ca.pem -days $LONG \
  -subj "/C=CH/O=NM-IKE Test/CN=Test Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
NAME=int; ext "basicConstraints=critical,CA:TRUE,pathlen:0" "keyUsage=critical,keyCertSign,cRLSign" \
  "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key.pem -out int.csr \
  -subj "/C=CH/O=NM-IKE Test/CN=Test Intermediate CA" 2>/dev/null
openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key.pem -CAcreateserial -days $LONG -extfile int.ext -out int.pem 2>/dev/null

# An unrelated CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other_ca.key.pem -out other_ca.pem \
  -days $LONG -subj "/C=CH/O=Someone Else/CN=Other CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# ee NAME KEYALG ISSUER DAYS SAN [EKU]
ee() {
  NAME=$1; ALG=$2; ISSUER=$3; DAYS=$4; SAN=$5; EKU=${6:-}
  case $ALG in
    rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $NAME.key.pem 2>/dev/null ;;
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $NAME.key.pem ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out $NAME.key.pem ;;
    ed25519) openssl genpkey -algorithm ED25519 -out $NAME.key.pem ;;
  esac
  openssl pkcs8 -topk8 -nocrypt -in $NAME.key.pem -outform DER -out $NAME.key.der
  ext "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "subjectAltName=$SAN" "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid"
  [ -n "$EKU" ] && echo "extendedKeyUsage=$EKU" >> $NAME.ext
  openssl req -new -key $NAME.key.pem -out $NAME.csr -subj "/C=CH/O=NM-IKE Test/CN=$NAME" 2>/dev/null
  openssl x509 -req -in $NAME.csr -CA $ISSUER.pem -CAkey $ISSUER.key.pem -CAcreateserial -days $DAYS \
    -extfile $NAME.ext -out $NAME.pem 2>/dev/null
}

ee server_rsa rsa2048 ca $LONG "DNS:server.example" "serverAuth,1.3.6.1.5.5.7.3.17"
ee server_p384 p384 int $LONG "DNS:server.example,IP:198.51.100.20"
ee client_p256 p256 int $LONG "email:client@example" "clientAuth"
ee client_ed25519 ed25519 ca $LONG "email:client@example"
ee client_rsa rsa2048 int $LONG "email:client@example,DNS:client.example"
ee untrusted p256 other_ca $LONG "email:client@example"
ee wrong_san p256 int $LONG "email:someone.else@example"
ee expired p256 int 1 "email:client@example"
ee codesign p256 int $LONG "email:client@example" "codeSigning"
for f in *.pem; do case $f in *.key.pem) ;; *) openssl x509 -in $f -outform DER -out ${f%.pem}.der ;; esac; done
rm -f *.srl *.csr *.ext ca.key.pem int.key.pem other_ca.key.pem
openssl x509 -in expired.pem -noout -enddate
