#!/usr/bin/env python3
"""Extract IKEv1 (ISAKMP) UDP payloads from a pcap (Ethernet/IPv4/UDP, ports 500/4500).

Usage: v1-extract.py FILE.pcap OUTDIR PREFIX

Each ISAKMP message is written as OUTDIR/PREFIX-NN-EXCHANGE-{i2r,r2i}-PORT.bin holding the
exact UDP payload (port-4500 files still start with the 4-octet non-ESP marker). The direction
is taken from the first sender (the initiator). An index (PREFIX-index.txt) lists
source/destination, length, message ID and flags of every file.
"""
import struct
import sys

from extract import packets, udp_payload

EXCH = {2: "main", 4: "aggressive", 5: "informational", 6: "transaction", 32: "quick"}


def main():
    pcap, outdir, prefix = sys.argv[1:4]
    n = 0
    index = []
    initiator = None
    for linktype, frame in packets(pcap):
        r = udp_payload(linktype, frame)
        if r is None:
            continue
        src, sport, dst, dport, payload = r
        port = dport if dport in (500, 4500) else sport
        ike = payload
        if port == 4500:
            if len(payload) == 1 and payload[0] == 0xFF:
                continue
            if payload[:4] != b"\0\0\0\0":
                continue
            ike = payload[4:]
        if len(ike) < 28 or ike[17] != 0x10:
            continue  # not ISAKMP 1.0
        if initiator is None:
            initiator = src
        exch = EXCH.get(ike[18], f"exch{ike[18]}")
        way = "i2r" if src == initiator else "r2i"
        name = f"{prefix}-{n:02}-{exch}-{way}-{port}.bin"
        with open(f"{outdir}/{name}", "wb") as f:
            f.write(payload)
        msgid = struct.unpack(">I", ike[20:24])[0]
        index.append(f"{name} {src}:{sport} -> {dst}:{dport} len={len(payload)} "
                     f"msgid={msgid:#010x} flags={ike[19]:#04x}")
        n += 1
    with open(f"{outdir}/{prefix}-index.txt", "w") as f:
        f.write("\n".join(index) + "\n")
    print("\n".join(index))


if __name__ == "__main__":
    main()
