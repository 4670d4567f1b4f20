#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Independent computation of the IKEv2 key schedule, PSK AUTH and MODP values.

Written from the RFC text only (RFC 7296 §2.13-2.18, RFC 3526, RFC 2409) with Python's hmac and
pow(); the Rust tests (tests/crypto_keys.rs, crypto_auth.rs, crypto_dh.rs) compare the crate's
results with the values this script stores in ike_kat.json. Regenerate with
`python3 gen_ike_kat.py > ike_kat.json` from this directory.
"""
import hashlib
import hmac
import json

H = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
     "sha512": hashlib.sha512}


def prf(alg, key, data):
    return hmac.new(key, data, H[alg]).digest()


def prf_plus(alg, key, seed, length):
    out, t, n = b"", b"", 1
    while len(out) < length:
        t = prf(alg, key, t + seed + bytes([n]))
        out += t
        n += 1
    assert n <= 256
    return out[:length]


HLEN = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}
# (name, prf, integ key length, encryption key length incl. salt)
SUITES = [
    ("aes256gcm16-prfsha384", "sha384", 0, 32 + 4),
    ("aes128-sha1-sha1_96", "sha1", 20, 16),
    ("chacha20poly1305-prfsha256", "sha256", 0, 32 + 4),
    ("aes256-prfsha512-sha256_128", "sha512", 32, 32),
]

NI = bytes(range(0x10, 0x30))
NR = bytes(range(0x30, 0x50))
SPI_I = bytes.fromhex("0102030405060708")
SPI_R = bytes.fromhex("1112131415161718")
GIR = bytes((i * 7 + 3) & 0xFF for i in range(32))


def ike_keys(alg, alen, elen, skeyseed, ni, nr, spi_i, spi_r):
    plen = HLEN[alg]
    km = prf_plus(alg, skeyseed, ni + nr + spi_i + spi_r, 3 * plen + 2 * alen + 2 * elen)
    names = ["sk_d", "sk_ai", "sk_ar", "sk_ei", "sk_er", "sk_pi", "sk_pr"]
    lens = [plen, alen, alen, elen, elen, plen, plen]
    out, at = {}, 0
    for n, l in zip(names, lens):
        out[n] = km[at:at + l].hex()
        at += l
    return out


def main():
    kat = {"inputs": {"ni": NI.hex(), "nr": NR.hex(), "spi_i": SPI_I.hex(), "spi_r": SPI_R.hex(),
                      "g_ir": GIR.hex()}}
    suites = {}
    for name, alg, alen, elen in SUITES:
        skeyseed = prf(alg, NI + NR, GIR)
        s = {"skeyseed": skeyseed.hex()}
        s.update(ike_keys(alg, alen, elen, skeyseed, NI, NR, SPI_I, SPI_R))
        suites[name] = s
    kat["ike_sa"] = suites

    # prf+ alone, several lengths (including more than one block and an odd length).
    # The longest (255 blocks, the maximum) is stored as its SHA-256 to keep the file small.
    kat["prf_plus"] = []
    for alg, n in [("sha256", 1), ("sha256", 32), ("sha256", 100), ("sha1", 61),
                   ("sha384", 200), ("sha512", 255 * 64)]:
        out = prf_plus(alg, b"\x0b" * 20, b"prf+ seed", n)
        entry = {"prf": alg, "key": "0b" * 20, "seed": (b"prf+ seed").hex(), "len": n}
        if n > 256:
            entry["out_sha256"] = hashlib.sha256(out).hexdigest()
        else:
            entry["out"] = out.hex()
        kat["prf_plus"].append(entry)

    # IKE SA rekey (RFC 7296 §2.18): old SA = first suite, new SA = second suite.
    old = suites["aes256gcm16-prfsha384"]
    ni2, nr2 = bytes(range(0x50, 0x70)), bytes(range(0x70, 0x90))
    spi_i2, spi_r2 = bytes.fromhex("2122232425262728"), bytes.fromhex("3132333435363738")
    gir2 = bytes((i * 13 + 5) & 0xFF for i in range(32))
    rekey_seed = prf("sha384", bytes.fromhex(old["sk_d"]), gir2 + ni2 + nr2)
    rk = {"ni": ni2.hex(), "nr": nr2.hex(), "spi_i": spi_i2.hex(), "spi_r": spi_r2.hex(),
          "g_ir": gir2.hex(), "skeyseed": rekey_seed.hex()}
    rk.update(ike_keys("sha1", 20, 16, rekey_seed, ni2, nr2, spi_i2, spi_r2))
    kat["ike_rekey"] = rk

    # Child SA KEYMAT (RFC 7296 §2.17): encr_i | integ_i | encr_r | integ_r.
    sk_d = bytes.fromhex(old["sk_d"])
    child = []
    for esp, elen, alen, pfs in [("aes128gcm16", 20, 0, False), ("aes128gcm16", 20, 0, True),
                                 ("aes256-sha256_128", 32, 32, False),
                                 ("chacha20poly1305", 36, 0, True)]:
        seed = (gir2 if pfs else b"") + ni2 + nr2
        km = prf_plus("sha384", sk_d, seed, 2 * (elen + alen))
        child.append({"esp": esp, "pfs": pfs, "encr_i": km[:elen].hex(),
                      "integ_i": km[elen:elen + alen].hex(),
                      "encr_r": km[elen + alen:2 * elen + alen].hex(),
                      "integ_r": km[2 * elen + alen:].hex()})
    kat["child_sa"] = child

    # PSK AUTH (RFC 7296 §2.15) with PRF-HMAC-SHA2-256.
    sk_pi = bytes.fromhex(suites["chacha20poly1305-prfsha256"]["sk_pi"])
    real_message = bytes.fromhex("0102030405060708000000000000000021202208000000000000002c")
    rest_of_id = bytes([2, 0, 0, 0]) + b"vpn.example.com"
    psk = b"correct horse battery staple"
    octets = real_message + NR + prf("sha256", sk_pi, rest_of_id)
    auth = prf("sha256", prf("sha256", psk, b"Key Pad for IKEv2"), octets)
    kat["psk_auth"] = {"prf": "sha256", "sk_p": sk_pi.hex(), "real_message": real_message.hex(),
                       "peer_nonce": NR.hex(), "rest_of_id": rest_of_id.hex(),
                       "psk": psk.hex(), "signed_octets": octets.hex(), "auth": auth.hex()}

    # MODP: g = 2, fixed 512-bit exponents, public values and shared secret padded to |p|.
    with open("modp_primes.json") as f:
        primes = json.load(f)
    modp = []
    for group in ["1536", "2048"]:
        p = int(primes[group], 16)
        n = (p.bit_length() + 7) // 8
        xa = int.from_bytes(hashlib.sha512(b"alice " + group.encode()).digest(), "big")
        xb = int.from_bytes(hashlib.sha512(b"bob " + group.encode()).digest(), "big")
        ya, yb = pow(2, xa, p), pow(2, xb, p)
        shared = pow(yb, xa, p)
        assert shared == pow(ya, xb, p)
        modp.append({"group": int(group), "x_a": format(xa, "0128x"), "x_b": format(xb, "0128x"),
                     "y_a": ya.to_bytes(n, "big").hex(), "y_b": yb.to_bytes(n, "big").hex(),
                     "shared": shared.to_bytes(n, "big").hex()})
    kat["modp"] = modp
    print(json.dumps(kat, indent=1))


if __name__ == "__main__":
    main()
