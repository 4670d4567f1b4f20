# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A throw-away PKI made with openssl: a CA and RSA / ECDSA / Ed25519 leaf certificates with
# subjectAltNames, in the formats the peers want (PEM for strongSwan and our code, PKCS#12 for
# Libreswan's NSS database, DER).
#
#   lab_ca_create DIR [TYPE] [CN]
#       DIR/ca.key, DIR/ca.crt (PEM), DIR/ca.der.  TYPE: rsa (2048 bit), rsa:BITS, ecdsa (P-256),
#       ecdsa:CURVE (P-256, P-384, P-521), ed25519.  Default rsa.
#   lab_cert_issue DIR NAME TYPE CN [SAN...]
#       DIR/NAME.key (PKCS#8 PEM), DIR/NAME.crt (PEM), DIR/NAME.der, DIR/NAME.p12 (empty password,
#       with the CA; friendly name NAME) signed by DIR/ca.  SANs are openssl syntax:
#       DNS:gw.lab.test IP:192.0.2.2 email:alice@lab.test.  Subject: C=XX, O=NM-ike lab, CN=CN.
#       The leaf has EKU serverAuth, clientAuth and ipsecIKE.
#   lab_crl_create DIR [NAME...]
#       DIR/ca.crl (PEM) and DIR/ca.crl.der: DIR/ca's certificate revocation list, next update in
#       1 day, listing the certificates DIR/NAME.crt (reason keyCompromise); none without NAMEs.

# lab_key_new TYPE OUT: a new private key of TYPE (see lab_ca_create) in OUT, made by openssl;
# fails (status 1) for an unknown TYPE.  Also used by tests/lab/install-deps for the key pool.
lab_key_new() {
	case $1 in
	rsa) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" ;;
	rsa:*) openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:${1#rsa:}" -out "$2" ;;
	ecdsa) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
	ecdsa:*) openssl genpkey -quiet -algorithm EC -pkeyopt "ec_paramgen_curve:${1#ecdsa:}" -out "$2" ;;
	ed25519) openssl genpkey -quiet -algorithm ED25519 -out "$2" ;;
	*) return 1 ;;
	esac
}

# _lab_genkey TYPE OUT: the scenario's next key of TYPE from the pool tests/lab/install-deps made
# ($LAB_CACHE/keys/TYPE-N.pem, N counting per scenario, so that a scenario's keys all differ), or
# a new one when the pool has none
_lab_genkey() {
	local type=$1 out=$2 n=0
	[ ! -f "$LAB_RUN/.keys-$type" ] || read -r n <"$LAB_RUN/.keys-$type"
	n=$((n + 1))
	echo "$n" >"$LAB_RUN/.keys-$type"
	if [ -s "$LAB_CACHE/keys/$type-$n.pem" ]; then
		cp "$LAB_CACHE/keys/$type-$n.pem" "$out" || lab_fail "copying key $type-$n failed"
	else
		lab_key_new "$type" "$out" ||
			lab_fail "openssl genpkey $type failed (types: rsa, rsa:BITS, ecdsa, ecdsa:CURVE, ed25519)"
	fi
	chmod 600 "$out"
}

# _lab_digest_opt KEYTYPE: EdDSA signs without a separate digest
_lab_digest_opt() {
	case $1 in
	ed25519) ;;
	*) echo "-sha256" ;;
	esac
}

lab_ca_create() {
	local dir=$1 type=${2:-rsa} cn=${3:-NM-ike Lab CA}
	mkdir -p "$dir"
	_lab_genkey "$type" "$dir/ca.key"
	echo "$type" >"$dir/ca.type"
	# shellcheck disable=SC2046
	openssl req -new -x509 -key "$dir/ca.key" $(_lab_digest_opt "$type") -days 30 \
		-subj "/C=XX/O=NM-ike lab/CN=$cn" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-addext "subjectKeyIdentifier=hash" \
		-out "$dir/ca.crt" 2>"$dir/ca.err" || lab_fail "CA creation failed: $(cat "$dir/ca.err")"
	openssl x509 -in "$dir/ca.crt" -outform DER -out "$dir/ca.der"
}

lab_cert_issue() {
	local dir=$1 name=$2 type=$3 cn=$4
	shift 4
	[ -f "$dir/ca.key" ] || lab_fail "lab_cert_issue: no CA in $dir (lab_ca_create first)"
	_lab_genkey "$type" "$dir/$name.key"
	local ext="$dir/$name.ext" san
	{
		echo "basicConstraints=critical,CA:FALSE"
		case $type in
		rsa*) echo "keyUsage=critical,digitalSignature,keyEncipherment" ;;
		*) echo "keyUsage=critical,digitalSignature" ;;
		esac
		echo "extendedKeyUsage=serverAuth,clientAuth,1.3.6.1.5.5.7.3.17"
		echo "subjectKeyIdentifier=hash"
		echo "authorityKeyIdentifier=keyid"
		if [ $# -gt 0 ]; then
			san=$(printf '%s,' "$@")
			echo "subjectAltName=${san%,}"
		fi
	} >"$ext"
	# shellcheck disable=SC2046
	openssl req -new -key "$dir/$name.key" -subj "/C=XX/O=NM-ike lab/CN=$cn" -out "$dir/$name.csr" \
		2>"$dir/$name.err" || lab_fail "CSR for $name failed: $(cat "$dir/$name.err")"
	# shellcheck disable=SC2046
	openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		$(_lab_digest_opt "$(cat "$dir/ca.type")") -set_serial "0x$(openssl rand -hex 8)" -days 30 \
		-extfile "$ext" -out "$dir/$name.crt" 2>"$dir/$name.err" ||
		lab_fail "signing $name failed: $(cat "$dir/$name.err")"
	openssl x509 -in "$dir/$name.crt" -outform DER -out "$dir/$name.der"
	openssl pkcs12 -export -in "$dir/$name.crt" -inkey "$dir/$name.key" -certfile "$dir/ca.crt" \
		-name "$name" -passout pass: -out "$dir/$name.p12" 2>"$dir/$name.err" ||
		lab_fail "PKCS#12 of $name failed: $(cat "$dir/$name.err")"
	rm -f "$dir/$name.csr" "$dir/$name.err"
}

lab_crl_create() {
	local dir=$1 name
	shift
	[ -f "$dir/ca.key" ] || lab_fail "lab_crl_create: no CA in $dir (lab_ca_create first)"
	local db="$dir/crl-db"
	rm -rf "$db" && mkdir -p "$db"
	: >"$db/index.txt"
	echo 01 >"$db/crlnumber"
	printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\n' \
		"$db/index.txt" "$db/crlnumber" >"$db/ca.cnf"
	for name in "$@"; do
		openssl ca -config "$db/ca.cnf" -keyfile "$dir/ca.key" -cert "$dir/ca.crt" \
			-revoke "$dir/$name.crt" -crl_reason keyCompromise 2>"$db/err" ||
			lab_fail "revoking $name failed: $(cat "$db/err")"
	done
	openssl ca -config "$db/ca.cnf" -keyfile "$dir/ca.key" -cert "$dir/ca.crt" -gencrl \
		-crldays 1 -out "$dir/ca.crl" 2>"$db/err" || lab_fail "CRL creation failed: $(cat "$db/err")"
	openssl crl -in "$dir/ca.crl" -outform DER -out "$dir/ca.crl.der"
}
