#!/usr/bin/env python3
"""Extract IKEv2 UDP payloads from a pcap (Ethernet/IPv4/UDP, ports 500/4500).

Usage: extract.py FILE.pcap OUTDIR PREFIX

Each IKE message is written as OUTDIR/PREFIX-NN-EXCHANGE-{req,resp}-PORT.bin holding the exact
UDP payload (so port-4500 files still start with the 4-byte non-ESP marker). ESP packets and
NAT-keepalives are skipped. An index (PREFIX-index.txt) lists source/destination per file.
"""
import struct
import sys

EXCH = {34: "ike_sa_init", 35: "ike_auth", 36: "create_child_sa", 37: "informational"}


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    else:
        endian = ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _ts, _tus, incl, _orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        yield linktype, data[off:off + incl]
        off += incl


def udp_payload(linktype, frame):
    if linktype == 1:  # Ethernet
        eth_type = struct.unpack(">H", frame[12:14])[0]
        ip = frame[14:]
        if eth_type != 0x0800:
            return None
    elif linktype == 113:  # Linux cooked
        ip = frame[16:]
    else:
        raise SystemExit(f"unsupported link type {linktype}")
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 17:
        return None
    src = ".".join(str(b) for b in ip[12:16])
    dst = ".".join(str(b) for b in ip[16:20])
    udp = ip[ihl:]
    sport, dport, ulen = struct.unpack(">HHH", udp[:6])
    return src, sport, dst, dport, udp[8:ulen]


def main():
    pcap, outdir, prefix = sys.argv[1:4]
    n = 0
    index = []
    for linktype, frame in packets(pcap):
        r = udp_payload(linktype, frame)
        if r is None:
            continue
        src, sport, dst, dport, payload = r
        port = dport if dport in (500, 4500) else sport
        ike = payload
        if port == 4500:
            if len(payload) == 1 and payload[0] == 0xFF:
                continue  # NAT-keepalive
            if payload[:4] != b"\0\0\0\0":
                continue  # ESP
            ike = payload[4:]
        if len(ike) < 28:
            continue
        exch = EXCH.get(ike[18], f"exch{ike[18]}")
        kind = "resp" if ike[19] & 0x20 else "req"
        name = f"{prefix}-{n:02}-{exch}-{kind}-{port}.bin"
        with open(f"{outdir}/{name}", "wb") as f:
            f.write(payload)
        index.append(f"{name} {src}:{sport} -> {dst}:{dport} len={len(payload)} msgid={struct.unpack('>I', ike[20:24])[0]}")
        n += 1
    with open(f"{outdir}/{prefix}-index.txt", "w") as f:
        f.write("\n".join(index) + "\n")
    print("\n".join(index))


if __name__ == "__main__":
    main()
