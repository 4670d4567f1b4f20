#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where the VM's CPU time goes: BSD process accounting (acct(2), a record per exited process).

  acct.py on FILE      start writing records to FILE (root)
  acct.py off          stop
  acct.py report FILE  CPU seconds (user + system) per command name, most first, with counts

Used by tests/lab/run when LAB_ACCT=1 (inside the VM: results/<run>/vm-acct.txt), to find what a
scenario spends the emulated CPUs on.  Processes still running when accounting stops are not in it.
"""
import collections
import ctypes
import os
import struct
import sys

AHZ = 100  # the unit of the comp_t times
REC = struct.Struct("<BBHIIIIIIf8H16s")  # struct acct_v3 (linux/acct.h), 64 bytes


def comp_t(v):
    """13-bit mantissa, 3-bit base-8 exponent."""
    return (v & 0x1FFF) << (3 * (v >> 13))


def acct(path):
    libc = ctypes.CDLL(None, use_errno=True)
    arg = path.encode() if path is not None else None
    if libc.acct(arg) != 0:
        err = ctypes.get_errno()
        sys.exit(f"acct: {os.strerror(err)}")


def report(path):
    cpu = collections.Counter()
    count = collections.Counter()
    with open(path, "rb") as f:
        data = f.read()
    for off in range(0, len(data) - REC.size + 1, REC.size):
        rec = REC.unpack_from(data, off)
        if rec[1] != 3:
            continue
        utime, stime = comp_t(rec[10]), comp_t(rec[11])
        comm = rec[18].split(b"\0", 1)[0].decode(errors="replace")
        cpu[comm] += (utime + stime) / AHZ
        count[comm] += 1
    total = sum(cpu.values())
    print(f"{total:9.1f} s  all {sum(count.values())} processes")
    for comm, secs in cpu.most_common(40):
        print(f"{secs:9.1f} s  {comm} ({count[comm]}x)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "on":
        open(sys.argv[2], "ab").close()
        acct(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "off":
        acct(None)
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)
