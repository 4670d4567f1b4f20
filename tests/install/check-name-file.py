#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check an installed NetworkManager VPN .name file: it parses as a keyfile, has the keys NM
needs, and every path it names exists below the staging root (DESTDIR)."""
import configparser
import os
import sys

SERVICE = "org.freedesktop.NetworkManager.ike"


def fail(msg):
    print(f"check-name-file: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        fail("usage: check-name-file.py NAME_FILE DESTDIR")
    path, destdir = sys.argv[1], sys.argv[2]
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str
    try:
        with open(path, encoding="utf-8") as f:
            cp.read_file(f)
    except (OSError, configparser.Error) as e:
        fail(f"{path} does not parse: {e}")
    if "VPN Connection" not in cp:
        fail("missing [VPN Connection] group")
    vc = cp["VPN Connection"]
    for key in ("name", "service", "program"):
        if not vc.get(key):
            fail(f"missing key {key}")
    if vc["service"] != SERVICE:
        fail(f"service is {vc['service']!r}, expected {SERVICE!r}")
    if vc.get("supports-multiple-connections") not in ("true", None):
        fail("supports-multiple-connections must be true when set")
    # NetworkManager >= 1.52.2 refuses private profiles without it (CVE-2025-9615); the
    # service reads their files with the users' rights (nm_plugin::driver::files).
    if vc.get("supports-safe-private-file-access") != "true":
        fail("supports-safe-private-file-access=true is missing")
    paths = [("VPN Connection", "program")]
    paths += [(g, k) for g, k in (("libnm", "plugin"), ("GNOME", "auth-dialog")) if cp.has_option(g, k)]
    for group, key in paths:
        value = cp[group][key]
        if "@" in value:
            fail(f"[{group}] {key}={value} was not substituted")
        if not os.path.isabs(value):
            fail(f"[{group}] {key}={value} is not absolute")
        staged = os.path.join(destdir, value.lstrip("/"))
        if not os.path.isfile(staged):
            fail(f"[{group}] {key}={value} does not exist in the staged install ({staged})")
        if key != "plugin" and not os.access(staged, os.X_OK):
            fail(f"[{group}] {key}={value} is not executable")
    print(f"check-name-file: {path} OK ({', '.join(cp[g][k] for g, k in paths)})")


if __name__ == "__main__":
    main()
