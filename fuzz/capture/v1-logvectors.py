#!/usr/bin/env python3
"""Pull the IKEv1 encryption vectors out of a charon log (ike=4, enc=3).

Usage: v1-logvectors.py CHARON.LOG OUTPREFIX

Writes OUTPREFIX-iv-vectors.txt, one record a line, in log order:
  key HEX                            the Phase 1 encryption key (charon's "encryption key Ka")
  initial-iv HEX                     the Phase 1 IV, hash(g^xi | g^xr) cut to the block size
  next-iv MID HEX                    the IV charon holds for message ID MID (decimal) after the
                                     last message (MID 0: Phase 1; the first line for a new MID
                                     is hash(last Phase 1 IV | MID) cut to the block size)
  encrypt iv=HEX plain=HEX padding=HEX encrypted=HEX
  decrypt encrypted=HEX plain=HEX    plain as decrypted: payload chain and padding
"""
import re
import sys

DUMP = re.compile(r"^\S+ \d+\[(\w+)\] (.*?) => (\d+) bytes @ 0x[0-9a-f]+$")
HEX = re.compile(r"^\S+ \d+\[\w+\]\s+\d+: ((?:[0-9A-F]{2} )+)")


def dumps(lines):
    """Yields (label, hex) for every hexdump and ('mark', text) for the en/decrypt markers."""
    i = 0
    while i < len(lines):
        line = lines[i]
        m = DUMP.match(line)
        if m:
            n = int(m.group(3))
            data = []
            i += 1
            while len(data) < n and i < len(lines):
                h = HEX.match(lines[i])
                if not h:
                    break
                data += h.group(1).split()
                i += 1
            yield m.group(2).strip(), "".join(data[:n]).lower()
            continue
        if "encrypting payloads:" in line:
            yield "mark", "encrypt"
        elif "decrypting payloads:" in line:
            yield "mark", "decrypt"
        i += 1


def main():
    log, prefix = sys.argv[1:3]
    with open(log) as f:
        lines = f.read().splitlines()
    out = []
    cur = None
    for label, val in dumps(lines):
        if label == "mark":
            cur = {"kind": val}
            continue
        if label == "encryption key Ka":
            out.append(f"key {val}")
        elif label == "initial IV":
            out.append(f"initial-iv {val}")
        elif label.startswith("next IV for MID "):
            out.append(f"next-iv {label.split()[-1]} {val}")
        elif cur is not None and label in ("IV", "plain", "padding", "encrypted"):
            cur[label.lower()] = val
            done = cur["kind"] == "encrypt" and label == "encrypted" or \
                cur["kind"] == "decrypt" and label == "plain"
            if done:
                if cur["kind"] == "encrypt":
                    out.append(f"encrypt iv={cur.get('iv', '')} plain={cur.get('plain', '')} "
                               f"padding={cur.get('padding', '')} encrypted={cur['encrypted']}")
                else:
                    out.append(f"decrypt encrypted={cur.get('encrypted', '')} plain={cur['plain']}")
                cur = None
    with open(f"{prefix}-iv-vectors.txt", "w") as f:
        f.write("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
