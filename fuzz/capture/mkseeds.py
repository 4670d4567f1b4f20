#!/usr/bin/env python3
"""Build the fuzz seed corpora from the strongSwan captures.

Usage: mkseeds.py CAPTURE_DIR CORPUS_DIR
  CORPUS_DIR/parse_message/: every captured IKE message (non-ESP marker removed)
  CORPUS_DIR/decrypt_path/ : every captured UDP payload as is, plus a "null-cipher" version
                             of each SK/SKF message whose ciphertext is replaced by the
                             padded plaintext charon logged (so the fuzzer reaches the inner
                             payload parser without keys)
"""
import glob
import os
import sys

IV_ICV = {"gcm": (8, 16), "frag": (16, 16)}


def vectors(path):
    out, cur = [], {}
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                out.append(cur)
            cur = {}
            continue
        k, _, v = line.partition(" ")
        cur[k] = v.strip()
    if cur:
        out.append(cur)
    return out


def main():
    cap, corpus = sys.argv[1:3]
    pm = os.path.join(corpus, "parse_message")
    dp = os.path.join(corpus, "decrypt_path")
    os.makedirs(pm, exist_ok=True)
    os.makedirs(dp, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(cap, "*.bin"))):
        name = os.path.basename(path)[:-4]
        raw = open(path, "rb").read()
        port4500 = name.endswith("-4500")
        ike = raw[4:] if port4500 else raw
        open(os.path.join(pm, name), "wb").write(ike)
        open(os.path.join(dp, name), "wb").write(raw)
        scenario = name.split("-")[0]
        for v in vectors(os.path.join(cap, f"{scenario}-sk-vectors.txt")):
            assoc = bytes.fromhex(v["assoc"])
            if not ike.startswith(assoc):
                continue
            iv, icv = bytes.fromhex(v["iv"]), bytes.fromhex(v["icv"])
            padded = bytes.fromhex(v["plain"]) + bytes.fromhex(v["padding"])
            null = assoc + iv + padded + icv
            if len(null) != len(ike):
                continue
            if port4500:
                null = b"\0\0\0\0" + null
            open(os.path.join(dp, name + "-nullcipher"), "wb").write(null)
            break


if __name__ == "__main__":
    main()
