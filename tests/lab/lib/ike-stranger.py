#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Packets a stranger sends to an IKE client (lab only: addresses inside the lab's namespaces).

Usage: ike-stranger.py KIND TARGET_IP [--spoof SRC_IP] [--peer PEER_IP]
  init        a well-formed IKE_SA_INIT request (SA, KE, Nonce) to TARGET:500 and TARGET:4500
  info        an INFORMATIONAL request with random SPIs and a random SK payload (500 and 4500)
  random      random bytes (20..400) to TARGET:500 and TARGET:4500
  icmp        an ICMP port unreachable that quotes a datagram TARGET:500 -> PEER:500
With --spoof the packet carries SRC_IP as its source (raw IP socket).
Prints one line per packet sent.
"""
import os
import socket
import struct
import sys


def ike_header(spi_i, spi_r, next_payload, exchange, flags, msg_id, body_len):
    return spi_i + spi_r + struct.pack("!BBBBII", next_payload, 0x20, exchange, flags, msg_id, 28 + body_len)


def payload(next_payload, body):
    return struct.pack("!BBH", next_payload, 0, 4 + len(body)) + body


def transform(last, ttype, tid, attrs=b""):
    body = struct.pack("!BBH", ttype, 0, tid) + attrs
    return struct.pack("!BBH", 0 if last else 3, 0, 4 + len(body)) + body


def ike_sa_init():
    ts = (transform(False, 1, 20, struct.pack("!HH", 0x800E, 256))  # ENCR AES-GCM-16, 256 bits
          + transform(False, 2, 5)                                   # PRF HMAC-SHA2-256
          + transform(True, 4, 19))                                  # DH ECP-256
    prop_body = struct.pack("!BBBB", 1, 1, 0, 3) + ts
    prop = struct.pack("!BBH", 0, 0, 4 + len(prop_body)) + prop_body
    sa = payload(34, prop)                                         # next: KE
    ke = payload(40, struct.pack("!HH", 19, 0) + os.urandom(64))   # next: Nonce
    nonce = payload(0, os.urandom(32))
    body = sa + ke + nonce
    return ike_header(os.urandom(8), bytes(8), 33, 34, 0x08, 0, len(body)) + body


def informational():
    body = payload(0, os.urandom(16 + 48 + 16))                     # SK: IV, data, ICV
    return ike_header(os.urandom(8), os.urandom(8), 46, 37, 0x08, 1, len(body)) + body


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, body):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0x4242, 0, 64, proto, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + body


def send_udp(target, port, data, spoof):
    if spoof:
        udp = struct.pack("!HHHH", 500 if port == 500 else 4500, port, 8 + len(data), 0) + data
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        s.sendto(ipv4(spoof, target, 17, udp), (target, 0))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", 500 if port == 500 else 4500))
        except OSError:
            pass
        s.sendto(data, (target, port))
    s.close()
    print(f"sent {len(data)} bytes to {target}:{port}" + (f" as {spoof}" if spoof else ""))


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    kind, target = argv[1], argv[2]
    spoof = peer = None
    rest = argv[3:]
    while rest:
        if rest[0] == "--spoof":
            spoof = rest[1]
        elif rest[0] == "--peer":
            peer = rest[1]
        else:
            print(f"unknown option {rest[0]}", file=sys.stderr)
            return 2
        rest = rest[2:]
    if kind in ("init", "info", "random"):
        for port in (500, 4500):
            if kind == "init":
                data = ike_sa_init()
            elif kind == "info":
                data = informational()
            else:
                data = os.urandom(20 + int.from_bytes(os.urandom(2), "big") % 380)
            if port == 4500:
                data = bytes(4) + data                                  # non-ESP marker
            send_udp(target, port, data, spoof)
    elif kind == "icmp":
        if not peer:
            print("icmp needs --peer", file=sys.stderr)
            return 2
        quoted = ipv4(target, peer, 17, struct.pack("!HHHH", 500, 500, 8 + 300, 0))
        icmp = struct.pack("!BBHI", 3, 3, 0, 0) + quoted
        icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
        if spoof:
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
            s.sendto(ipv4(spoof, target, 1, icmp), (target, 0))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            s.sendto(icmp, (target, 0))
        s.close()
        print(f"sent ICMP port unreachable (quoting {target}:500 -> {peer}:500) to {target}" +
              (f" as {spoof}" if spoof else ""))
    else:
        print(f"unknown kind {kind}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
