#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Drives GNOME Settings (gnome-control-center) through AT-SPI as a user would, for the ui-*
lab scenarios (lib/gnome-settings.sh runs it inside the scenario's GUI session).

Usage: gnome-settings-drive.py STEP...   (run with Debian's /usr/bin/python3: pyatspi)

Every step waits for its target (polling the accessibility tree, no fixed sleeps) and prints
`ok STEP` or `FAIL STEP: reason` (then exits 1). Names are accessible names (what a screen
reader says), matched exactly; the search covers the windows of gnome-control-center that are
showing, the newest (the dialog) first.

  click:NAME               press the button NAME (its AT-SPI action, else a pointer click)
  click-in:TEXT=NAME       press the button NAME in the list row holding a label TEXT
  row:TEXT                 activate the list row holding a label TEXT (pointer click)
  tab:NAME                 select the notebook tab NAME
  choose:NAME=ITEM         open the drop-down NAME and pick ITEM (pointer clicks)
  set:NAME=VALUE           replace the text of the field NAME with VALUE (typed by keyboard)
  has:NAME                 a widget named NAME is showing
  gone:NAME                no widget named NAME is showing (a closed dialog)
  sensitive:NAME=0|1       the widget NAME is (1) or is not (0) sensitive
  shows:TEXT               a label containing TEXT is showing (in a window with a size)
  describes:NAME=TEXT      the accessible description (tooltip) of NAME contains TEXT
  labels:FILE              writes the texts of the showing labels (one a line) to FILE
  named:ROLE[,ROLE]        every showing widget of these roles in the newest window has a
                           name (e.g. named:text,password text,combo box,check box,toggle button)
  shot:FILE                screenshot (PNG) once the screen is drawn and steady
  sleep-until-steady       wait until two screen captures in a row are the same
"""
import hashlib
import os
import subprocess
import sys
import time

import pyatspi

APP = "gnome-control-center"
TIMEOUT = float(os.environ.get("GS_TIMEOUT", "30"))


class StepFailed(Exception):
    pass


def wait_for(what, fn, timeout=TIMEOUT):
    """Polls fn until it returns a true value (returned); StepFailed after timeout."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # the tree changes while we walk it
            last_error = e
        if time.monotonic() > deadline:
            why = f" (last error: {last_error})" if last_error else ""
            raise StepFailed(f"timeout after {timeout:.0f} s waiting for {what}{why}")
        time.sleep(0.1)


def app():
    for a in pyatspi.Registry.getDesktop(0):
        if a is not None and a.name == APP:
            return a
    return None


def showing(acc):
    """GTK 4.8 sets SHOWING on windows only; VISIBLE is the widget's own visibility."""
    try:
        return acc.getState().contains(pyatspi.STATE_VISIBLE)
    except Exception:
        return False


def windows():
    """The showing top-level windows of GNOME Settings, newest (last added) first."""
    a = app()
    if a is None:
        return []
    wins = [w for w in a if w is not None and showing(w)]
    return list(reversed(wins))


def walk(acc, depth=0):
    """Showing descendants of acc (depth first)."""
    if acc is None or depth > 60:
        return
    yield acc
    try:
        children = list(acc)
    except Exception:
        return
    for c in children:
        if c is not None and (showing(c) or c.getRoleName() == "page tab"):
            yield from walk(c, depth + 1)


def name_matches(have, want):
    """GTK 4.8 names a button with a mnemonic label "_Add Add": accept that for "Add"."""
    if have == want:
        return True
    return have is not None and have.replace("_", "") in (want, f"{want} {want}")


BUTTONS = {"push button", "toggle button", "menu item"}


def find_widget(name):
    """A button named NAME if there is one (not its label), else any widget named NAME."""
    return find(name, roles=BUTTONS) or find(name)


def tab_list_of(notebook, depth=0):
    if notebook is None or depth > 3:
        return None
    for c in notebook:
        if c is None:
            continue
        if c.getRoleName() == "page tab list":
            return c
        t = tab_list_of(c, depth + 1)
        if t is not None:
            return t
    return None


def in_hidden_page(acc):
    """Whether acc is on a notebook page that is not the current one. GTK 4.8 keeps such
    pages "visible", some even with their old size; the page objects (panels named "Tab")
    are in the order of the tabs, and the current tab is "selected"."""
    a = acc.parent
    while a is not None and a.getRoleName() not in ("application", "frame", "dialog"):
        if a.getRoleName() == "panel" and a.name == "Tab" and a.parent is not None:
            pages = [c for c in a.parent if c is not None and c.getRoleName() == "panel" and c.name == "Tab"]
            tabs = tab_list_of(a.parent.parent)
            if tabs is not None and a in pages:
                tab_items = [c for c in tabs if c is not None and c.getRoleName() == "page tab"]
                i = pages.index(a)
                if i < len(tab_items) and not tab_items[i].getState().contains(pyatspi.STATE_SELECTED):
                    return True
        a = a.parent
    return False


def find(name, roles=None, window=None):
    """The first widget named NAME (of ROLES), preferring one with a size: a notebook's other
    pages (GNOME Settings' IPv4 page has a "Gateway" too) are "visible" but not allocated."""
    fallback = None
    for w in [window] if window else windows():
        for acc in walk(w):
            try:
                if name_matches(acc.name, name) and (roles is None or acc.getRoleName() in roles):
                    if on_screen(acc) and not in_hidden_page(acc):
                        return acc
                    fallback = fallback or acc
            except Exception:
                continue
    return fallback


def xdotool(*args):
    subprocess.run(["xdotool", *args], check=True)


def screen_xy(acc):
    """The centre of acc on the screen. GTK4 reports extents relative to its window; without a
    window manager the windows sit where X put them, so add the window's own position."""
    comp = acc.queryComponent()
    ext = comp.getExtents(pyatspi.WINDOW_COORDS)
    x, y = ext.x + ext.width // 2, ext.y + ext.height // 2
    # the toplevel window: find its X position by title
    top = acc
    while top.parent is not None and top.parent.getRoleName() != "application":
        top = top.parent
    ox = oy = 0
    ids = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{top.name}$"],
                         capture_output=True, text=True).stdout.split()
    if ids:
        geo = subprocess.run(["xdotool", "getwindowgeometry", "--shell", ids[-1]],
                             capture_output=True, text=True).stdout
        vals = dict(line.split("=", 1) for line in geo.split() if "=" in line)
        ox, oy = int(vals.get("X", 0)), int(vals.get("Y", 0))
    return ox + x, oy + y


def main_title():
    """The title of GNOME Settings' main window (its first; "Settings", translated)."""
    a = app()
    for w in a if a is not None else []:
        if w is not None:
            return w.name
    return "Settings"


def place_dialogs(nudge=False):
    """Without a window manager every window maps where it asks (0,0 over the main one), and
    GTK 4 draws a second top-level window only after it has been configured: move each dialog
    to the right of the sidebar (which also keeps the main window's heading in the
    screenshots)."""
    ids = subprocess.run(["xdotool", "search", "--onlyvisible", "--class", APP],
                         capture_output=True, text=True).stdout.split()
    for wid in ids:
        name = subprocess.run(["xdotool", "getwindowname", wid], capture_output=True,
                              text=True).stdout.strip()
        if name in (main_title(), APP, ""):
            continue
        geo = subprocess.run(["xdotool", "getwindowgeometry", "--shell", wid],
                             capture_output=True, text=True).stdout
        vals = dict(line.split("=", 1) for line in geo.split() if "=" in line)
        if nudge and (vals.get("X"), vals.get("Y")) == ("300", "60"):
            # configured again, so that GTK draws what changed since
            xdotool("windowmove", "--sync", wid, "301", "60")
        if nudge or (vals.get("X"), vals.get("Y")) != ("300", "60"):
            xdotool("windowmove", "--sync", wid, "300", "60")


def pointer_click(acc):
    place_dialogs()
    x, y = screen_xy(acc)
    loc = subprocess.run(["xdotool", "getmouselocation", "--shell"], capture_output=True,
                         text=True).stdout
    vals = dict(line.split("=", 1) for line in loc.split() if "=" in line)
    # --sync waits for the pointer to move: never when it is already there
    if (vals.get("X"), vals.get("Y")) != (str(x), str(y)):
        xdotool("mousemove", "--sync", str(x), str(y))
    xdotool("click", "1")


def press(acc):
    try:
        act = acc.queryAction()
        for i in range(act.nActions):
            if act.getName(i) in ("click", "activate", "press"):
                act.doAction(i)
                return
    except NotImplementedError:
        pass
    pointer_click(acc)


def text_of(acc):
    try:
        t = acc.queryText()
        # GTK 4.8 answers "" for an end offset of -1
        return t.getText(0, t.characterCount)
    except Exception:
        return None


def editable(name):
    """The text widget named NAME (an entry, a password entry)."""
    acc = find(name, roles={"text", "password text", "entry", "spin button"})
    return acc


def set_text(name, value):
    acc = wait_for(f"a text field named {name!r}", lambda: editable(name))
    # Focus it as a user would (a click into the field), then replace everything by typing.
    pointer_click(acc)
    wait_for(f"{name!r} focused", lambda: acc.getState().contains(pyatspi.STATE_FOCUSED), 5)
    xdotool("key", "--clearmodifiers", "ctrl+a", "BackSpace")
    if value:
        xdotool("type", "--delay", "5", "--clearmodifiers", value)
    if acc.getRoleName() != "password text":
        wait_for(f"{name!r} to hold {value!r}", lambda: text_of(acc) == value, 10)


def screen_sum():
    raw = subprocess.run(["xwd", "-root", "-silent"], capture_output=True, check=True).stdout
    return hashlib.md5(raw).hexdigest(), raw


def steady(timeout=30):
    prev, same = None, 0
    deadline = time.monotonic() + timeout
    raw = b""
    while time.monotonic() < deadline:
        s, raw = screen_sum()
        same = same + 1 if s == prev else 0
        prev = s
        if same >= 2:
            return raw
        time.sleep(0.3)
    return raw


def shot(path):
    place_dialogs(nudge=True)
    raw = steady()
    subprocess.run(["convert", "xwd:-", "-trim", "+repage", f"png:{path}"], input=raw, check=True)


def ancestors(acc, stop):
    a = acc.parent
    while a is not None and a != stop:
        yield a
        a = a.parent


def on_screen(acc):
    """Has a size: the widgets of a notebook's other pages are "visible" but have none."""
    try:
        e = acc.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        return e.width > 0 and e.height > 0
    except Exception:
        return False


def row_of(text):
    """The list row holding a label TEXT."""
    r = find(text, roles={"label"})
    while r is not None and r.getRoleName() not in ("list item", "table row", "list box row"):
        r = r.parent
    return r


def description(acc):
    try:
        acc.clearCache()  # libatspi may hold the description it read before the change
    except Exception:
        pass
    try:
        return acc.description or ""
    except Exception:
        return ""


def step(s):
    kind, _, arg = s.partition(":")
    if kind == "click":
        acc = wait_for(f"a button named {arg!r}",
                       lambda: find(arg, roles=BUTTONS))
        wait_for(f"{arg!r} sensitive", lambda: acc.getState().contains(pyatspi.STATE_SENSITIVE), 10)
        press(acc)
    elif kind == "click-in":
        text, _, name = arg.partition("=")

        def button():
            r = row_of(text)
            if r is None:
                return None
            for acc in walk(r):
                if acc.name == name and acc.getRoleName() in ("push button", "toggle button"):
                    return acc
            return None
        press(wait_for(f"a button {name!r} in the row {text!r}", button))
    elif kind == "row":
        r = wait_for(f"a list row with the label {arg!r}", lambda: row_of(arg))
        pointer_click(r)
    elif kind == "tab":
        def tab():
            # GTK 4.8 names every notebook tab "Tab"; its label child holds the text
            for w in windows():
                for acc in walk(w):
                    if acc.getRoleName() == "page tab" and (
                            acc.name == arg or any(c is not None and c.name == arg for c in acc)):
                        return acc
            return None
        t = wait_for(f"a tab named {arg!r}", tab)
        def selected():
            return t.getState().contains(pyatspi.STATE_SELECTED)
        try:
            t.parent.querySelection().selectChild(t.getIndexInParent())
        except Exception:
            pass
        try:
            wait_for("", selected, 1)
        except StepFailed:
            pointer_click(t)  # as a user would
        wait_for(f"tab {arg!r} selected", selected, 5)
    elif kind == "choose":
        name, _, item = arg.partition("=")
        combo = wait_for(f"a drop-down named {name!r}", lambda: find(name, roles={"combo box"}))

        def shown_choice():
            # the button's own label (the popup's labels are not visible while it is closed)
            for acc in walk(combo):
                if acc.getRoleName() != "label":
                    continue
                up = list(ancestors(acc, combo))
                if any(a.getRoleName() == "list" for a in up):
                    continue
                if any(a.name == "GtkListItemWidget" for a in up):
                    return acc.name
            return None
        if shown_choice() == item:
            return
        pointer_click(combo)
        # The popup list takes the keyboard focus on its current item. Under Xvfb GTK 4 does
        # not draw popup surfaces, so the choice is made by keyboard, as a user may do anyway.

        def rows():
            for acc in walk(combo):
                if acc.getRoleName() == "list":
                    items = [c for c in acc if c is not None and c.getRoleName() == "list item"]
                    if items and any(c.getState().contains(pyatspi.STATE_FOCUSED) for c in items):
                        return items
            return None
        items = wait_for(f"the open list of {name!r}", rows, 10)
        texts = [next((a.name for a in walk(i) if a.getRoleName() == "label"), "") for i in items]
        if item not in texts:
            raise StepFailed(f"{item!r} is not a choice of {name!r} ({texts})")
        # the list opens with the keyboard on the current choice (its "focused" state may be
        # left on another row)
        cur = next((k for k, i in enumerate(items) if i.getState().contains(pyatspi.STATE_SELECTED)),
                   next(k for k, i in enumerate(items) if i.getState().contains(pyatspi.STATE_FOCUSED)))
        want = texts.index(item)
        key = "Down" if want > cur else "Up"
        for _ in range(abs(want - cur)):
            xdotool("key", key)
        xdotool("key", "Return")
        wait_for(f"{name!r} to show {item!r} (it shows {shown_choice()!r})",
                 lambda: shown_choice() == item, 10)
    elif kind == "set":
        name, _, value = arg.partition("=")
        set_text(name, value)
    elif kind == "has":
        wait_for(f"a widget named {arg!r}", lambda: find(arg))
    elif kind == "gone":
        wait_for(f"no widget named {arg!r}", lambda: find(arg) is None)
    elif kind == "sensitive":
        name, _, want = arg.partition("=")
        acc = wait_for(f"a widget named {name!r}", lambda: find_widget(name))
        want_b = want == "1"
        wait_for(f"{name!r} {'sensitive' if want_b else 'insensitive'}",
                 lambda: acc.getState().contains(pyatspi.STATE_SENSITIVE) == want_b, 10)
    elif kind == "shows":
        def label():
            for w in windows():
                for acc in walk(w):
                    if acc.getRoleName() == "label" and acc.name and arg in acc.name \
                            and on_screen(acc) and not in_hidden_page(acc):
                        return acc
            return None
        acc = wait_for(f"a label showing {arg!r}", label, 10)
        print(f"info label: {acc.name!r}")
    elif kind == "describes":
        name, _, text = arg.partition("=")
        acc = wait_for(f"a widget named {name!r}", lambda: find_widget(name))
        wait_for(f"the description of {name!r} to contain {text!r} (it is {description(acc)!r})",
                 lambda: text in description(acc), 10)
        print(f"info description of {name!r}: {description(acc)!r}")
    elif kind == "labels":
        w = wait_for("a window", lambda: windows()[0] if windows() else None)
        texts = []
        for acc in walk(w):
            try:
                if acc.getRoleName() in ("label", "page tab", "push button") and acc.name:
                    texts.append(f"{acc.getRoleName()} {acc.name}")
            except Exception:
                pass
        with open(arg, "w", encoding="utf-8") as f:
            f.write("\n".join(texts) + "\n")
    elif kind == "named":
        roles = set(arg.split(","))
        w = wait_for("a window", lambda: windows()[0] if windows() else None)
        unnamed, named = [], []
        for acc in walk(w):
            try:
                role = acc.getRoleName()
                if role in roles and on_screen(acc) and not in_hidden_page(acc):
                    (named if acc.name else unnamed).append(f"{role} {acc.name!r}")
            except Exception:
                pass
        for n in named:
            print(f"info named {n}")
        if unnamed:
            raise StepFailed(f"{len(unnamed)} widget(s) without an accessible name: {', '.join(unnamed)}")
        if not named:
            raise StepFailed(f"no widget of the roles {sorted(roles)} found")
    elif kind == "shot":
        shot(arg)
    elif kind == "sleep-until-steady":
        steady()
    else:
        raise StepFailed(f"unknown step kind {kind!r}")


def main(steps):
    for s in steps:
        t0 = time.monotonic()
        try:
            step(s)
        except StepFailed as e:
            print(f"FAIL {s}: {e}", flush=True)
            return 1
        except Exception as e:  # noqa: BLE001 - reported as the step's failure
            print(f"FAIL {s}: {type(e).__name__}: {e}", flush=True)
            return 1
        place_dialogs()
        print(f"ok {s} ({time.monotonic() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
