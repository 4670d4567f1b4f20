#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Trim Wycheproof test vector files to the subsets the crypto tests use.

Usage: trim_wycheproof.py <wycheproof checkout>/testvectors_v1  (writes ./wycheproof/*.json)

Source: https://github.com/C2SP/wycheproof (Apache-2.0), testvectors_v1/. Only data is kept:
groups relevant to IKEv2 (12-byte nonces, 16-byte tags, ...), at most PER_FLAG tests per
distinct flag set (every kind of case stays represented), PEM/JWK copies of keys dropped,
JSON written compactly. The "trimmed" field records what was done.
"""
import json
import os
import sys

PER_FLAG = 8
GROUP_DROP = {"publicKeyPem", "publicKeyJwk", "keyJwk", "publicKey", "jwk", "source"}


def cap_by_flags(tests, per_flag=PER_FLAG, seen=None):
    seen = {} if seen is None else seen
    out = []
    for t in tests:
        key = (tuple(sorted(t.get("flags", []))), t["result"])
        if seen.get(key, 0) < per_flag:
            seen[key] = seen.get(key, 0) + 1
            t = {k: v for k, v in t.items() if k != "comment" or v}
            out.append(t)
    return out


def trim(src, name, group_filter=lambda g: True, per_flag=PER_FLAG, keep_public_key=False,
         across_groups=False):
    """across_groups: count the per-flag cap over the whole file, not per group."""
    with open(os.path.join(src, name + ".json")) as f:
        d = json.load(f)
    groups = []
    seen = {}
    for g in d["testGroups"]:
        if not group_filter(g):
            continue
        g2 = {k: v for k, v in g.items() if k not in GROUP_DROP or (keep_public_key and k == "publicKey")}
        g2["tests"] = cap_by_flags(g["tests"], per_flag, seen if across_groups else None)
        if g2["tests"]:
            groups.append(g2)
    out = {
        "algorithm": d["algorithm"],
        "schema": d.get("schema"),
        "trimmed": f"subset of C2SP/wycheproof testvectors_v1/{name}.json: "
        f"<= {per_flag} tests per flag set and result "
        f"{'in the file' if across_groups else 'per group'}, PEM/JWK dropped",
        "testGroups": groups,
    }
    os.makedirs("wycheproof", exist_ok=True)
    with open(os.path.join("wycheproof", name + ".json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    n = sum(len(g["tests"]) for g in groups)
    print(f"{name}: {len(groups)} groups, {n} tests, {os.path.getsize(f.name)} bytes")


def main():
    src = sys.argv[1]
    trim(src, "aes_gcm_test",
         lambda g: g["ivSize"] == 96 and g["tagSize"] == 128 and g["keySize"] in (128, 192, 256))
    trim(src, "chacha20_poly1305_test", lambda g: g["ivSize"] == 96, per_flag=12)
    trim(src, "x25519_test", per_flag=6)
    trim(src, "ecdh_secp256r1_ecpoint_test", per_flag=5)
    trim(src, "ed25519_test", per_flag=6, across_groups=True)
    trim(src, "ecdsa_secp256r1_sha256_p1363_test", per_flag=4, across_groups=True)
    trim(src, "ecdsa_secp256r1_sha256_test", per_flag=4, across_groups=True)
    trim(src, "rsa_pss_2048_sha256_mgf1_32_test", per_flag=6)
    trim(src, "rsa_pss_misc_test",
         lambda g: g["sha"] in ("SHA-256", "SHA-384", "SHA-512") and g["mgfSha"] == g["sha"],
         per_flag=2)


if __name__ == "__main__":
    main()
