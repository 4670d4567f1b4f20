#!/bin/sh
# SPDX-License-Identifier: MIT OR Apache-2.0
# Regenerates the CRL test data of ike-core/src/exchange/revocation.rs (run in this folder;
# the tests read the files, never this script). A CA, two gateway certificates (gw_good, serial
# 0x1001; gw_revoked, serial 0x1002; DNS:gw.example.org; keys in NAME.key.der, PKCS#8), and
# CRLs in DER:
#   crl_revoked.der  the CA's CRL listing gw_revoked (key compromise), next update +30 days
#   crl_empty.der    the CA's CRL listing nothing, next update +30 days
#   crl_expired.der  the CA's CRL listing gw_revoked, next update +1 hour (expired a day later)
#   crl_forged.der   a CRL under the CA's name listing nothing, signed by another key
# made.time holds the Unix time of creation (the tests check at made.time + 1 day).
set -eu
rm -rf work && mkdir work
date +%s >made.time
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out work/ca.key
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out work/other.key
subj="/C=XX/O=NM-ike test/CN=Revocation Test CA"
for k in ca other; do
	openssl req -new -x509 -key work/$k.key -sha256 -days 3650 -subj "$subj" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" -out work/$k.crt
done
openssl x509 -in work/ca.crt -outform DER -out ca.der
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:gw.example.org\n' >work/ee.ext
for n in good:1001 revoked:1002; do
	name=${n%%:*} serial=${n#*:}
	openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out work/$name.key
	openssl req -new -key work/$name.key -subj "/C=XX/O=NM-ike test/CN=gw-$name.example.org" -out work/$name.csr
	openssl x509 -req -in work/$name.csr -CA work/ca.crt -CAkey work/ca.key -sha256 \
		-set_serial 0x$serial -days 3650 -extfile work/ee.ext -out work/gw_$name.crt 2>/dev/null
	openssl x509 -in work/gw_$name.crt -outform DER -out gw_$name.der
	openssl pkcs8 -topk8 -nocrypt -in work/$name.key -outform DER -out gw_$name.key.der
done
crl() { # CA-KEY CA-CRT OUT INDEX HOURS
	: >work/index.txt
	[ -z "$4" ] || printf '%s\n' "$4" >work/index.txt
	echo 01 >work/crlnumber
	cat >work/ca.cnf <<CNF
[ca]
default_ca = c
[c]
database = work/index.txt
crlnumber = work/crlnumber
default_md = sha256
CNF
	openssl ca -config work/ca.cnf -gencrl -keyfile "$1" -cert "$2" -crlhours "$5" -out work/crl.pem 2>/dev/null
	openssl crl -in work/crl.pem -outform DER -out "$3"
}
rev_date=$(date -u +%y%m%d%H%M%SZ)
line=$(printf 'R\t351231000000Z\t%s,keyCompromise\t1002\tunknown\t/C=XX/O=NM-ike test/CN=gw-revoked.example.org' "$rev_date")
crl work/ca.key work/ca.crt crl_revoked.der "$line" 720
crl work/ca.key work/ca.crt crl_empty.der "" 720
crl work/ca.key work/ca.crt crl_expired.der "$line" 1
crl work/other.key work/other.crt crl_forged.der "" 720
rm -rf work
