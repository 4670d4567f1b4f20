#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The editor plugin through libnm itself (PyGObject), in a GTK4 or GTK3 test host.

Usage: editor_test.py {4|3} LIBDIR OUTDIR

Loads LIBDIR/libnm-vpn-plugin-ike.so with NM.VpnEditorPlugin.load_from_file (which loads the
editor library of the host's toolkit from the same folder), creates the editor for a profile,
sets fields the way a user would, calls update_connection and checks the resulting vpn.data and
vpn.secrets; an invalid field must be refused (GLib.Error naming the key, the field marked
with the error style) and must not change the connection. Every key of nm-settings-ike(5) must
have its widget (except the keys gnome-editor/tests/schema_fields.rs lists with their reason).
Then it saves screenshots of the page and of the advanced dialog to OUTDIR
(page-gtkN-LANG.png, advanced-gtkN-LANG.png, and advanced-gtkN-LANG-SECTION.png for each tab
of the dialog) and prints the label and tab texts so the caller can check the language. Run under Xvfb.
"""
import os
import sys

import gi

TOOLKIT = sys.argv[1]
LIBDIR = sys.argv[2]
OUTDIR = sys.argv[3]
gi.require_version("NM", "1.0")
gi.require_version("Gtk", "4.0" if TOOLKIT == "4" else "3.0")
from gi.repository import GLib, Gtk, NM  # noqa: E402

SERVICE = "org.freedesktop.NetworkManager.ike"
LANG = os.environ.get("LANGUAGE", "en").split(":")[0] or "en"
MAN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../data/man/nm-settings-ike.5")
# Keys of nm-settings-ike(5) without a field are read from the one list that gives each one's
# reason, NOT_FIELDS in gnome-editor/tests/schema_fields.rs (two lists drifted apart twice on
# 2026-12-07: leftauth and aggrmode).
SCHEMA_FIELDS_TEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../gnome-editor/tests/schema_fields.rs")


def not_fields():
    """The keys that deliberately have no field: the NOT_FIELDS table of
    gnome-editor/tests/schema_fields.rs (one list, with each key's reason there)."""
    import re
    with open(SCHEMA_FIELDS_TEST, encoding="utf-8") as f:
        text = f.read()
    block = text[text.index("const NOT_FIELDS"):]
    block = block[:block.index("\n];")]
    keys = set(re.findall(r'\(\s*"([A-Za-z0-9_-]+)",', block))
    if not keys:
        raise SystemExit("editor test: no NOT_FIELDS entries found in " + SCHEMA_FIELDS_TEST)
    return keys


NOT_FIELDS = not_fields()
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def children(w):
    if TOOLKIT == "4":
        c = w.get_first_child()
        while c is not None:
            yield c
            c = c.get_next_sibling()
    elif isinstance(w, Gtk.Container):
        yield from w.get_children()


def find(w, name):
    if w.get_name() == name:
        return w
    for c in children(w):
        r = find(c, name)
        if r is not None:
            return r
    return None


def labels(w, out):
    if isinstance(w, Gtk.Label) and w.get_text():
        out.append(w.get_text())
    for c in children(w):
        labels(c, out)
    return out


def toplevels():
    if TOOLKIT == "4":
        m = Gtk.Window.get_toplevels()
        return [m.get_item(i) for i in range(m.get_n_items())]
    return Gtk.Window.list_toplevels()


def pump(seconds=0.3):
    ctx = GLib.MainContext.default()
    end = GLib.get_monotonic_time() + int(seconds * 1e6)
    while GLib.get_monotonic_time() < end:
        ctx.iteration(False)


def screenshot(window, path):
    """Saves the window's X11 contents (xwd + convert) as PNG."""
    import subprocess

    pump(0.8)
    if TOOLKIT == "4":
        gi.require_version("GdkX11", "4.0")
        from gi.repository import GdkX11

        xid = GdkX11.X11Surface.get_xid(window.get_surface())
    else:
        gi.require_version("GdkX11", "3.0")
        from gi.repository import GdkX11

        xid = GdkX11.X11Window.get_xid(window.get_window())
    xwd = subprocess.run(["xwd", "-id", str(xid), "-silent"], check=True, capture_output=True).stdout
    subprocess.run(["convert", "xwd:-", "png:" + path], input=xwd, check=True)
    print("screenshot " + path)


def man_keys():
    """The vpn.data and vpn.secrets keys the man page documents (its `.B key` lines)."""
    keys = []
    with open(MAN, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for prev, line in zip(lines, lines[1:]):
        if prev == ".TP" and line.startswith(".B "):
            keys.append(line[3:].replace("\\-", "-"))
    return keys


def set_choice(w, value_index):
    if TOOLKIT == "4":
        w.set_selected(value_index)
    else:
        w.set_active(value_index)


def has_error_class(w):
    if TOOLKIT == "4":
        return w.has_css_class("error")
    return w.get_style_context().has_class("error")


if TOOLKIT == "4":
    Gtk.init()
else:
    Gtk.init(None)

plugin = NM.VpnEditorPlugin.load_from_file(
    os.path.join(LIBDIR, "libnm-vpn-plugin-ike.so"), SERVICE, -1, lambda *a: True, None
)
check(plugin.props.service == SERVICE, "plugin loaded through libnm, service " + plugin.props.service)

conn = NM.SimpleConnection.new()
s_con = NM.SettingConnection.new()
s_con.props.id = "office"
s_con.props.type = "vpn"
s_con.props.uuid = NM.utils_uuid_generate()
s_vpn = NM.SettingVpn.new()
s_vpn.props.service_type = SERVICE
s_vpn.add_data_item("right", "old.example.com")
s_vpn.add_data_item("authby", "cert")
s_vpn.add_data_item("leftsendcert", "always")  # not a field (ignored key): must be kept
conn.add_setting(s_con)
conn.add_setting(s_vpn)

editor = plugin.get_editor(conn)
page = editor.get_widget()
check(page is not None and page.get_name() == "ike-page", "editor page created")
changed = []
editor.connect("changed", lambda *a: changed.append(1))

window = Gtk.Window()
window.set_title("NetworkManager-ike")
window.set_default_size(640, 560)
if TOOLKIT == "4":
    window.set_child(page)
    window.present()
else:
    window.add(page)
    window.show_all()
pump()

right = find(page, "ike-right")
check(right is not None and right.get_text() == "old.example.com", "gateway field shows the profile")
right.set_text("vpn.example.com")
check(len(changed) > 0, "editing emits changed")
psk = find(page, "ike-pskvalue")
check(psk is not None and not psk.get_visible() or not psk.get_mapped(), "PSK field hidden for certificate auth")
set_choice(find(page, "ike-authby"), 1)  # IKEv2 (pre-shared key)
pump()
check(psk.get_mapped(), "PSK field shown for PSK auth")
check(not find(page, "ike-leftcert").get_mapped(), "certificate field hidden for PSK auth")
psk.set_text("s3cret-psk")
set_choice(find(page, "ike-pskvalue-flags"), 1)  # store for all users (flags 0)
find(page, "ike-leftid").set_text("@laptop.example.com")
find(page, "ike-rightid").set_text("@vpn.example.com")

ok = editor.update_connection(conn)
s_vpn = conn.get_setting_vpn()
check(ok, "update_connection accepts a valid page")
check(s_vpn.get_data_item("right") == "vpn.example.com", "vpn.data right written")
check(s_vpn.get_data_item("authby") == "secret", "vpn.data authby=secret")
check(s_vpn.get_data_item("leftid") == "@laptop.example.com", "vpn.data leftid written")
check(s_vpn.get_data_item("pskvalue-flags") == "0", "pskvalue-flags=0 (all users)")
check(s_vpn.get_secret("pskvalue") == "s3cret-psk", "vpn.secrets pskvalue written")
check(s_vpn.get_data_item("leftsendcert") == "always", "keys the page does not show are kept")
check(s_vpn.get_data_item("leftcert") is None, "no certificate keys for PSK auth")

# The advanced dialog.
find(page, "ike-advanced").emit("clicked")
pump()
dialog = [w for w in toplevels() if w.get_name() == "ike-advanced-dialog"]
check(len(dialog) == 1 and dialog[0].get_visible(), "Advanced… opens the advanced dialog")
dialog = dialog[0]
# Every key of nm-settings-ike(5) has its widget on the page or in the dialog.
keys = man_keys()
check(len(keys) > 40, "the man page lists %d keys" % len(keys))
missing = [k for k in keys if k not in NOT_FIELDS and find(page, "ike-" + k) is None and find(dialog, "ike-" + k) is None]
check(not missing, "every documented key has a field (missing: %s)" % ", ".join(missing))
sections = find(dialog, "ike-advanced-sections")
check(sections is not None and sections.get_n_pages() == 8, "the advanced dialog has 8 sections")
tabs = [sections.get_tab_label(sections.get_nth_page(i)).get_text() for i in range(sections.get_n_pages())]
find(dialog, "ike-ike").set_text("aes256-sha2_256;dh19")
find(dialog, "ike-esp").set_text("aes_gcm256")
pfs = find(dialog, "ike-pfs")
pfs.set_active(False)
subnet = find(dialog, "ike-rightsubnet")
subnet.set_text("10.20.0.0/16")
check(editor.update_connection(conn), "advanced values accepted")
s_vpn = conn.get_setting_vpn()
check(s_vpn.get_data_item("ike") == "aes256-sha2_256;dh19", "vpn.data ike written")
check(s_vpn.get_data_item("pfs") == "no", "disable PFS writes pfs=no")
check(s_vpn.get_data_item("rightsubnet") == "10.20.0.0/16", "vpn.data rightsubnet written")
check(s_vpn.get_data_item("type") is None, "a choice left at its default is not written")

# The fields issue 18 added.
find(dialog, "ike-rightport").set_text("4500")
find(dialog, "ike-vti-interface").set_text("vti42")
find(dialog, "ike-mark").set_text("42")
find(dialog, "ike-ipsec-max-bytes").set_text("1000000000")
find(dialog, "ike-leftprotoport").set_text("17/1701")
set_choice(find(dialog, "ike-nic-offload"), 1)  # when the device supports it (auto)
set_choice(find(dialog, "ike-type"), 1)  # transport
set_choice(find(dialog, "ike-hostaddrfamily"), 2)  # IPv6
find(dialog, "ike-rekey").set_active(False)
check(editor.update_connection(conn), "the new fields are accepted")
s_vpn = conn.get_setting_vpn()
for key, value in [("rightport", "4500"), ("vti-interface", "vti42"), ("mark", "42"),
                   ("ipsec-max-bytes", "1000000000"), ("leftprotoport", "17/1701"),
                   ("nic-offload", "auto"), ("type", "transport"), ("hostaddrfamily", "ipv6"),
                   ("rekey", "no")]:
    check(s_vpn.get_data_item(key) == value, "vpn.data %s=%s written" % (key, value))
find(dialog, "ike-mark").set_text("")
try:
    editor.update_connection(conn)
    check(False, "vti-interface without mark is refused")
except GLib.Error as e:
    check("vti-interface" in e.message, "error names vti-interface: " + e.message.replace("\n", " | "))
find(dialog, "ike-vti-interface").set_text("")
set_choice(find(dialog, "ike-type"), 0)
check(editor.update_connection(conn), "valid again without the VTI")

for i in range(sections.get_n_pages()):
    sections.set_current_page(i)
    name = sections.get_nth_page(i).get_name().replace("ike-section-", "")
    screenshot(dialog, os.path.join(OUTDIR, "advanced-gtk%s-%s-%s.png" % (TOOLKIT, LANG, name)))
sections.set_current_page(4)  # networks, for the invalid subnet below
screenshot(dialog, os.path.join(OUTDIR, "advanced-gtk%s-%s.png" % (TOOLKIT, LANG)))
adv_labels = labels(dialog, [])

# Invalid input is refused, marked at the field, and nothing is written.
subnet.set_text("10.20.0.0/33")
find(dialog, "ike-dpddelay").set_text("soon")
try:
    editor.update_connection(conn)
    check(False, "an invalid subnet is refused")
except GLib.Error as e:
    check("rightsubnet" in e.message and "dpddelay" in e.message, "error names the keys: " + e.message.replace("\n", " | "))
check(has_error_class(subnet), "the invalid subnet field carries the error style")
check(subnet.get_tooltip_text() and "33" in subnet.get_tooltip_text(), "the reason is the field's tooltip")
check(conn.get_setting_vpn().get_data_item("rightsubnet") == "10.20.0.0/16", "nothing written on error")
subnet.set_text("10.20.0.0/16")
find(dialog, "ike-dpddelay").set_text("30s")
check(not has_error_class(subnet), "editing clears the mark")
check(editor.update_connection(conn), "valid again")
if TOOLKIT == "4":
    dialog.set_visible(False)
else:
    dialog.hide()

# Secrets stored nowhere when the user asks every time.
set_choice(find(page, "ike-pskvalue-flags"), 2)
check(editor.update_connection(conn), "ask-every-time accepted")
check(conn.get_setting_vpn().get_secret("pskvalue") is None, "a not-saved PSK is not written")
check(conn.get_setting_vpn().get_data_item("pskvalue-flags") == "2", "pskvalue-flags=2")
set_choice(find(page, "ike-pskvalue-flags"), 1)

# Back to a certificate profile for the screenshot.
set_choice(find(page, "ike-authby"), 0)
find(page, "ike-leftcert").set_text("/etc/ipsec.d/certs/laptop.pem")
find(page, "ike-leftkey").set_text("/etc/ipsec.d/private/laptop.key")
find(page, "ike-rightca").set_text("/etc/ipsec.d/cacerts/corp-ca.pem")
check(editor.update_connection(conn), "certificate profile accepted")
screenshot(window, os.path.join(OUTDIR, "page-gtk%s-%s.png" % (TOOLKIT, LANG)))
for text in labels(page, []) + adv_labels:
    print("label " + text)
for text in tabs:
    print("tab " + text)

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
