#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lists the kernel's SAs with the XFRM attributes iproute2 6.1 does not print.

One line per SA of the current network namespace, from a raw XFRM_MSG_GETSA dump (no
library of ours, so that it checks what the kernel holds, not what we think we asked for):

    spi=0xc1234567 src=198.51.100.2 dst=192.0.2.2 reqid=0x4e4d0001 encap=4500:4500 dir=out nat_keepalive_interval=20

`dir` (XFRMA_SA_DIR, Linux 6.10) and `nat_keepalive_interval` (XFRMA_NAT_KEEPALIVE_INTERVAL,
Linux 6.11) are printed only when the kernel reports them; `encap` only for UDP-encapsulated
SAs. Used by the life-nat-keepalive* scenarios.
"""

import ipaddress
import socket
import struct
import sys

NETLINK_XFRM = 6
XFRM_MSG_NEWSA = 0x10
XFRM_MSG_GETSA = 0x12
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
XFRMA_ENCAP = 4
XFRMA_SA_DIR = 33
XFRMA_NAT_KEEPALIVE_INTERVAL = 34
USERSA_INFO_LEN = 224
AF_INET6 = 10


def addr(raw, family):
    if family == AF_INET6:
        return str(ipaddress.IPv6Address(raw[:16]))
    return str(ipaddress.IPv4Address(raw[:4]))


def describe(body):
    spi = struct.unpack_from(">I", body, 72)[0]
    daddr = body[56:72]
    saddr = body[80:96]
    reqid, family = struct.unpack_from("=IH", body, 208)
    fields = [
        f"spi=0x{spi:08x}",
        f"src={addr(saddr, family)}",
        f"dst={addr(daddr, family)}",
        f"reqid=0x{reqid:08x}",
    ]
    off = USERSA_INFO_LEN
    while off + 4 <= len(body):
        length, kind = struct.unpack_from("=HH", body, off)
        if length < 4:
            break
        value = body[off + 4 : off + length]
        kind &= 0x3FFF
        if kind == XFRMA_ENCAP and len(value) >= 6:
            sport, dport = struct.unpack_from(">HH", value, 2)
            fields.append(f"encap={sport}:{dport}")
        elif kind == XFRMA_SA_DIR and len(value) >= 1:
            fields.append("dir=" + {1: "in", 2: "out"}.get(value[0], str(value[0])))
        elif kind == XFRMA_NAT_KEEPALIVE_INTERVAL and len(value) >= 4:
            fields.append(f"nat_keepalive_interval={struct.unpack_from('=I', value)[0]}")
        off += (length + 3) & ~3
    return " ".join(fields)


def main():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_XFRM)
    s.bind((0, 0))
    # struct xfrm_usersa_id (24 bytes, all zero): dump every SA
    payload = bytes(24)
    s.send(struct.pack("=IHHII", 16 + len(payload), XFRM_MSG_GETSA, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + payload)
    while True:
        data = s.recv(1 << 20)
        off = 0
        while off + 16 <= len(data):
            length, kind, _flags, _seq, _pid = struct.unpack_from("=IHHII", data, off)
            if length < 16:
                return 1
            if kind == NLMSG_DONE:
                return 0
            if kind == NLMSG_ERROR:
                err = struct.unpack_from("=i", data, off + 16)[0]
                if err:
                    print(f"xfrm-sa-attrs: dump failed: errno {-err}", file=sys.stderr)
                    return 1
            elif kind == XFRM_MSG_NEWSA:
                print(describe(data[off + 16 : off + length]))
            off += (length + 3) & ~3


if __name__ == "__main__":
    sys.exit(main())
