#!/usr/bin/env python3
"""Pull SK/SKF encryption test vectors and derived IKE SA keys out of a charon log.

charon must log with `ike = 4` and `enc = 3`. Usage: logvectors.py charon.log OUTPREFIX

Writes OUTPREFIX-sk-vectors.txt: one block per encrypted (SK) or fragment (SKF) payload the
logging daemon generated ("encrypt") or received ("decrypt"), fields as hex:
    op, kind (sk|skf), iv, plain (inner payload chain or fragment piece), padding (incl. the pad
    length octet), assoc (AAD as strongSwan computed it), encrypted (ciphertext without IV/ICV), icv
(on "decrypt" the ICV is stripped from "encrypted" so both directions look alike),
and OUTPREFIX-keys.txt with SKEYSEED and SK_d/ai/ar/ei/er/pi/pr (the logging daemon's view).
"""
import re
import sys

LINE = re.compile(r"^\S+ (\d+)\[(\w+)\] (.*)$")
LABEL = re.compile(r"^(IV|plain|padding|assoc|encrypted|ICV|SKEYSEED|Sk_[a-z]+ secret) => (\d+) bytes")
DUMP = re.compile(r"^ *\d+: ((?:[0-9A-F]{2} ){0,15}[0-9A-F]{2})")


def main():
    log, prefix = sys.argv[1:3]
    threads = {}  # thread -> current state
    vectors, keys = [], []
    for raw in open(log, errors="replace"):
        m = LINE.match(raw.rstrip("\n"))
        if not m:
            continue
        tid, _grp, text = m.groups()
        st = threads.setdefault(tid, {"vec": None, "field": None, "want": 0, "keys": None})
        if "payload encryption:" in text or "payload decryption:" in text:
            vec = {
                "op": "encrypt" if "encryption" in text else "decrypt",
                "kind": "skf" if "fragment" in text else "sk",
            }
            vectors.append(vec)
            st["vec"], st["field"] = vec, None
            continue
        lm = LABEL.match(text)
        if lm:
            name, n = lm.group(1), int(lm.group(2))
            if name in ("SKEYSEED",) or name.startswith("Sk_"):
                key = {"name": name.replace(" secret", ""), "hex": ""}
                keys.append(key)
                st["field"] = ("key", key)
            elif st["vec"] is not None:
                st["vec"][name.lower()] = ""
                st["field"] = ("vec", name.lower())
            st["want"] = n
            continue
        dm = DUMP.match(text)
        if dm and st["field"] is not None:
            hexs = dm.group(1).replace(" ", "").lower()
            kind, ref = st["field"]
            if kind == "key":
                ref["hex"] += hexs
            else:
                st["vec"][ref] += hexs
            continue
        st["field"] = None
    with open(prefix + "-sk-vectors.txt", "w") as f:
        f.write("# SK/SKF vectors from charon's log (see fuzz/capture/logvectors.py)\n")
        for v in vectors:
            if "icv" not in v:
                continue
            # on decryption charon dumps the ciphertext with the ICV still attached
            if v["op"] == "decrypt" and v.get("encrypted", "").endswith(v["icv"]):
                v["encrypted"] = v["encrypted"][: len(v["encrypted"]) - len(v["icv"])]
            f.write("\n")
            for k in ("op", "kind", "iv", "plain", "padding", "assoc", "encrypted", "icv"):
                f.write(f"{k} {v.get(k, '')}\n")
    with open(prefix + "-keys.txt", "w") as f:
        f.write("# IKE SA keys derived by the initiator (charon ike=4 log)\n")
        for k in keys:
            f.write(f"{k['name']} {k['hex']}\n")


if __name__ == "__main__":
    main()
