#!/usr/bin/env python3
"""Build the v1_message fuzz seed corpus from the IKEv1 captures.

Usage: v1-mkseeds.py CAPTURE_DIR CORPUS_DIR
  CORPUS_DIR/v1_message/: every captured ISAKMP message (non-ESP marker removed), plus a
  "null-cipher" version of each encrypted one whose ciphertext is replaced by the plaintext
  (payload chain and padding) charon logged, so the fuzzer reaches the payload parsers behind
  the E flag without keys.
"""
import glob
import hashlib
import os
import sys


def plaintexts(path):
    """Maps ciphertext (hex) to the padded plaintext (hex) from a *-iv-vectors.txt file."""
    out = {}
    for line in open(path):
        f = line.split()
        if not f or f[0] not in ("encrypt", "decrypt"):
            continue
        kv = dict(x.split("=", 1) for x in f[1:])
        out[kv["encrypted"]] = kv["plain"] + kv.get("padding", "")
    return out


def main():
    cap, corpus = sys.argv[1:3]
    dst = os.path.join(corpus, "v1_message")
    os.makedirs(dst, exist_ok=True)
    plain = {}
    seen = set()
    for v in glob.glob(os.path.join(cap, "*-iv-vectors.txt")):
        plain.update(plaintexts(v))
    for path in sorted(glob.glob(os.path.join(cap, "*.bin"))):
        name = os.path.basename(path)[:-4]
        msg = open(path, "rb").read()
        if name.endswith("-4500"):
            msg = msg[4:]
        seeds = {name: msg}
        if msg[19] & 1:
            pt = plain.get(msg[28:].hex())
            if pt is not None:
                seeds[name + "-null-cipher"] = msg[:28] + bytes.fromhex(pt)
        for n, s in seeds.items():
            if s in seen:
                continue  # a retransmission
            seen.add(s)
            assert len(s) == int.from_bytes(s[24:28], "big"), n
            with open(os.path.join(dst, n), "wb") as f:
                f.write(s)
    print(len(os.listdir(dst)), "seeds in", dst, hashlib.sha256(b"".join(
        open(os.path.join(dst, n), "rb").read() for n in sorted(os.listdir(dst)))).hexdigest()[:12])


if __name__ == "__main__":
    main()
