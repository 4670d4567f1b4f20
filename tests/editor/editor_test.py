#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The editor plugin through libnm itself (PyGObject), in a GTK4 or GTK3 test host.

Usage: editor_test.py {4|3} LIBDIR OUTDIR

Loads LIBDIR/libnm-vpn-plugin-ike.so with NM.VpnEditorPlugin.load_from_file (which loads the
editor library of the host's toolkit from the same folder), creates the editor for a profile,
sets fields the way a user would, calls update_connection and checks the resulting vpn.data and
vpn.secrets; an invalid field must be refused (GLib.Error naming the key, the field marked
with the error style) and must not change the connection. Then it saves screenshots of the
page and of the advanced dialog to OUTDIR (page-gtkN[-LANG].png, advanced-gtkN[-LANG].png) and
prints the label texts so the caller can check the language. Run under Xvfb.
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
s_vpn.add_data_item("ipsec-max-packets", "100000")  # not on the page: must be kept
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
check(s_vpn.get_data_item("ipsec-max-packets") == "100000", "keys the page does not show are kept")
check(s_vpn.get_data_item("leftcert") is None, "no certificate keys for PSK auth")

# The advanced dialog.
find(page, "ike-advanced").emit("clicked")
pump()
dialog = [w for w in toplevels() if w.get_name() == "ike-advanced-dialog"]
check(len(dialog) == 1 and dialog[0].get_visible(), "Advanced… opens the advanced dialog")
dialog = dialog[0]
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

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
