#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# test-a11y.py — walks the accessibility tree of the real firstline app
#
# Starts firstline-server with the demo data on 127.0.0.1 (port 0) and the real
# `firstline` logged in to it, then reads what a screen reader reads over
# AT-SPI: the main window, the guided checklist, the intake form (Ctrl+N), the
# handoff form and the preferences. Fails on any control a person can focus or
# activate that has no name, a doubled name ("Title Title") or a raw mnemonic
# ("_Add Note"); checks the names of the list rows, where the window puts the
# focus when it opens, and that F6 and Tab move between the panes.
#
# Run under dbus-run-session (the AT-SPI bus lives there) and a display
# (meson's default 'xvfb' test setup). Nothing here skips: a missing bus or
# display is a failure.
#
#   dbus-run-session -- /usr/bin/python3 tests/test-a11y.py

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DEADLINE = time.monotonic() + float(os.environ.get("FIRSTLINE_A11Y_TIMEOUT", "150"))
failures = []
step = 0


def tap(ok, what):
    global step
    step += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (step, what), flush=True)
    if not ok:
        failures.append(what)


def bail(why):
    print("Bail out! %s" % why, flush=True)
    sys.exit(1)


try:
    import pyatspi
except ImportError as e:
    print("1..1")
    bail("pyatspi is missing (apt-get install python3-pyatspi at-spi2-core): %s" % e)

if not os.environ.get("DISPLAY"):
    print("1..1")
    bail("no display: run under xvfb-run (meson test's default 'xvfb' setup)")
if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
    print("1..1")
    bail("no session bus: run under dbus-run-session")

build_dir = os.environ.get("FIRSTLINE_BUILD_DIR",
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build"))
server_bin = os.environ.get("FIRSTLINE_SERVER", os.path.join(build_dir, "src/server/firstline-server"))
app_bin = os.environ.get("FIRSTLINE_APP", os.path.join(build_dir, "src/app/firstline"))

# Controls a person focuses or activates: each needs a proper name.
CONTROL_ROLES = {
    "push button", "toggle button", "check box", "radio button", "entry", "text",
    "password text", "combo box", "list item", "menu item", "check menu item",
    "radio menu item", "switch", "spin button", "slider", "page tab", "link",
    "list", "tree", "table", "tree item",
}
# Everything GTK 4.8 gives an (empty) action interface that nobody activates.
PASSIVE_ROLES = {
    "label", "panel", "filler", "scroll pane", "scroll bar", "frame", "dialog", "window",
    "image", "separator", "form", "alert", "menu", "page tab list", "icon", "application",
}
# GTK 4.8 answers with the type name when a widget has no name at all.
TYPE_NAME = re.compile(r"^(Gtk|Adw|Fl)[A-Z][A-Za-z]*$")
RAW_MNEMONIC = re.compile(r"(^|[\s(])_[^\W_]|[^\W_]_[^\W_]")


def doubled(name):
    words = name.split()
    for length in range(1, len(words) // 2 + 1):
        for i in range(0, len(words) - 2 * length + 1):
            if words[i:i + length] == words[i + length:i + 2 * length]:
                return " ".join(words[i:i + length])
    return None


def nodes(acc):
    stack = [acc]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        yield node
        try:
            count = node.childCount
        except Exception:
            continue
        for i in reversed(range(count)):
            try:
                stack.append(node.getChildAtIndex(i))
            except Exception:
                pass


def role(acc):
    try:
        return acc.getRoleName()
    except Exception:
        return ""


def is_control(acc):
    r = role(acc)
    if r in CONTROL_ROLES:
        return True
    if r in PASSIVE_ROLES:
        return False
    try:
        return acc.queryAction().nActions > 0
    except Exception:
        return False


def path_of(acc):
    parts = []
    node = acc
    for _ in range(6):
        try:
            node = node.parent
        except Exception:
            break
        if node is None:
            break
        if node.name and not TYPE_NAME.match(node.name):
            parts.append("%s %r" % (role(node), node.name))
            if len(parts) == 2:
                break
    return " in ".join(parts) or "?"


def states(acc):
    try:
        return " ".join(pyatspi.stateToString(s) for s in acc.getState().getStates())
    except Exception:
        return "?"


def check_names(root, what):
    """Every control under ROOT has one clean name; returns how many were seen."""
    bad = []
    seen = 0
    for acc in nodes(root):
        if not is_control(acc):
            continue
        seen += 1
        name = acc.name or ""
        r = role(acc)
        if not name.strip() or TYPE_NAME.match(name):
            bad.append("%s without a name (%s) [%s]" % (r, path_of(acc), states(acc)))
        elif doubled(name):
            bad.append("%s %r says %r twice" % (r, name, doubled(name)))
        elif r != "list item" and RAW_MNEMONIC.search(name):
            bad.append("%s %r shows a raw mnemonic underscore" % (r, name))
    for b in bad:
        print("#   %s: %s" % (what, b), flush=True)
    tap(not bad and seen > 0, "%s: %d controls, all named once (%d bad)" % (what, seen, len(bad)))
    return seen


def wait_for(func, what, timeout=15.0):
    end = min(time.monotonic() + timeout, DEADLINE)
    while time.monotonic() < end:
        try:
            value = func()
        except Exception:
            value = None
        if value:
            return value
        time.sleep(0.1)
    return None


def find(root, role_name, name=None, pred=None):
    for acc in nodes(root):
        if role(acc) == role_name and (name is None or acc.name == name) and (pred is None or pred(acc)):
            return acc
    return None


def click(acc):
    action = acc.queryAction()
    for i in range(action.nActions):
        if action.getName(i) in ("click", "activate", "press", "toggle"):
            return action.doAction(i)
    return action.doAction(0)


def focused(root):
    for acc in nodes(root):
        try:
            if acc.getState().contains(pyatspi.STATE_FOCUSED):
                return acc
        except Exception:
            pass
    return None


def inside(acc, ancestor_role, ancestor_name):
    node = acc
    while node is not None:
        if role(node) == ancestor_role and node.name == ancestor_name:
            return True
        try:
            node = node.parent
        except Exception:
            return False
    return False


def press(keysym_name, shift=False):
    """A real key press through the X server (XTest), as a person types."""
    keysyms = {"F6": 0xFFC3, "Tab": 0xFF09, "Escape": 0xFF1B}
    shift_keycode = 50      # Shift_L in the X server's default keymap
    if shift:
        pyatspi.Registry.generateKeyboardEvent(shift_keycode, None, pyatspi.KEY_PRESS)
    pyatspi.Registry.generateKeyboardEvent(keysyms[keysym_name], None, pyatspi.KEY_SYM)
    if shift:
        pyatspi.Registry.generateKeyboardEvent(shift_keycode, None, pyatspi.KEY_RELEASE)
    time.sleep(0.3)


def find_app():
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        a = desktop.getChildAtIndex(i)
        if a is not None and a.name == "firstline":
            return a
    return None


def frames(app):
    return [app.getChildAtIndex(i) for i in range(app.childCount)]


def new_frame(app, before, what):
    frame = wait_for(lambda: next((f for f in frames(app) if f not in before and f.childCount > 0), None),
                     what)
    if frame is not None:
        time.sleep(0.5)     # let it fill in
    return frame


def close_frame(app, frame, button_names):
    for name in button_names:
        button = find(frame, "push button", name)
        if button is not None:
            click(button)
            break
    wait_for(lambda: frame not in frames(app), "window to close", 5)


def main():
    work = tempfile.mkdtemp(prefix="firstline-a11y-")
    procs = []
    try:
        env = dict(os.environ)
        for var in ("GTK_A11Y", "NO_AT_BRIDGE"):
            env.pop(var, None)
        env.update({
            "GSETTINGS_BACKEND": "memory",
            "GSK_RENDERER": "cairo",
            "FIRSTLINE_CREDENTIALS": "file",
            "FIRSTLINE_TOKEN_FILE": os.path.join(work, "token"),
            "FIRSTLINE_CACHE": os.path.join(work, "cache.db"),
            "FIRSTLINE_PASSWORD": "demo",
            "HOME": work,
            "XDG_CONFIG_HOME": os.path.join(work, "config"),
            "XDG_DATA_HOME": os.path.join(work, "data"),
            "XDG_CACHE_HOME": os.path.join(work, "cache"),
            "LC_ALL": "C.UTF-8",
            "LANGUAGE": "en",
        })
        env.setdefault("GSETTINGS_SCHEMA_DIR", os.path.join(build_dir, "data"))

        print("1..17", flush=True)

        server_dir = os.path.join(work, "server")
        subprocess.run([server_bin, "--data-dir", server_dir, "seed-demo"], check=True,
                       stdout=subprocess.DEVNULL, env=env, timeout=60)
        server = subprocess.Popen([server_bin, "--listen", "127.0.0.1:0", "--data-dir", server_dir],
                                  stdout=subprocess.PIPE, stderr=open(os.path.join(work, "server.log"), "w"),
                                  env=env, text=True)
        procs.append(server)
        url = None
        line = server.stdout.readline()
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if m:
            url = m.group(1)
        if url is None:
            bail("firstline-server did not start: %r" % line)

        # The AT-SPI bus must answer before the app starts, or GTK never registers.
        try:
            pyatspi.Registry.getDesktop(0).childCount
        except Exception as e:
            bail("the AT-SPI bus does not answer: %s" % e)

        app_log = open(os.path.join(work, "app.log"), "w")
        proc = subprocess.Popen([app_bin, "--server", url, "--user", "alex"],
                                stdout=app_log, stderr=subprocess.STDOUT, env=env)
        procs.append(proc)

        app = wait_for(lambda: (lambda a: a if a is not None and a.childCount > 0 else None)(find_app()),
                       "the app on the AT-SPI bus", 30)
        if app is None:
            bail("firstline never showed up on the AT-SPI bus")
        window = frames(app)[0]

        # --- the ticket list and the views ------------------------------------
        tickets = wait_for(lambda: (lambda l: l if l is not None and l.childCount >= 3 else None)(
            find(window, "list", "Tickets")), "the ticket list", 30)
        tap(tickets is not None, "the ticket list shows the demo tickets")
        if tickets is None:
            bail("no ticket list")
        rows = [tickets.getChildAtIndex(i) for i in range(tickets.childCount)]
        row_re = re.compile(r"^P[1-4], #\d+, .+, .+, .+, .+")
        bad = [r.name for r in rows if not row_re.match(r.name or "")]
        for b in bad[:5]:
            print("#   ticket row named %r" % b)
        tap(not bad, "%d/%d ticket rows are named like 'P1, #320, title, requester, ...'"
            % (len(rows) - len(bad), len(rows)))
        print("#   first row: %r" % rows[0].name)
        tap(any(re.search(r"due in|overdue by|due time paused", r.name or "") for r in rows),
            "ticket rows say the time to due in words")

        views = find(window, "list", "Views")
        view_rows = [views.getChildAtIndex(i) for i in range(views.childCount)] if views else []
        view_re = re.compile(r"^\w[\w ]*, \d+ tickets?$")
        bad = [r.name for r in view_rows if not view_re.match(r.name or "")]
        tap(len(view_rows) == 6 and not bad, "%d/%d view rows are named like 'Incoming, 17 tickets' %r"
            % (len(view_rows) - len(bad), len(view_rows), bad))

        # --- focus when the window opens ------------------------------------------
        focus = wait_for(lambda: focused(window), "a focused widget", 5)
        tap(focus is not None and inside(focus, "list", "Tickets"),
            "the window opens with the focus in the ticket list (%s %r)"
            % (role(focus), focus.name if focus else None))

        # --- a selected ticket: detail, timeline, note composer ---------------
        tickets.querySelection().selectChild(0)
        timeline = wait_for(lambda: (lambda l: l if l is not None and l.childCount > 0 else None)(
            find(window, "list", "History of the ticket")), "the timeline", 10)
        entries = [timeline.getChildAtIndex(i) for i in range(timeline.childCount)] if timeline else []
        tap(entries and all((e.name or "").strip() and not TYPE_NAME.match(e.name) for e in entries),
            "%d timeline entries are named (%r)" % (len(entries), entries[0].name if entries else None))

        # --- the guided checklist pane -----------------------------------------
        checklist_button = find(window, "push button", "Guided Checklist") or \
            find(window, "toggle button", "Guided Checklist")
        if not checklist_button.getState().contains(pyatspi.STATE_CHECKED) and \
           not checklist_button.getState().contains(pyatspi.STATE_PRESSED):
            click(checklist_button)
        time.sleep(1.0)
        check_names(window, "main window with a ticket and its checklist")

        # --- F6 and Tab move between the panes ----------------------------------
        def pane_of(acc):
            if acc is None:
                return None
            if inside(acc, "list", "Views"):
                return "views"
            if inside(acc, "list", "Tickets"):
                return "list"
            if role(acc) == "text" and acc.name == "Note":
                return "composer"
            if inside(acc, "panel", "Checklist"):
                return "checklist"
            return "detail"

        panes = []
        for _ in range(5):
            press("F6")
            panes.append(pane_of(focused(window)))
        print("#   F6 went through: %r" % panes)
        tap(sorted(panes) == sorted(["views", "list", "detail", "composer", "checklist"]),
            "F6 moves the focus through the 5 panes, each once")
        back = []
        for _ in range(5):
            press("F6", shift=True)
            back.append(pane_of(focused(window)))
        print("#   Shift+F6 went through: %r" % back)
        tap(back == list(reversed(panes[:-1])) + [panes[-1]], "Shift+F6 goes back the same way")

        # Into the list again, one Tab leaves it.
        tickets_focus = None
        for _ in range(8):
            f = focused(window)
            if f is not None and inside(f, "list", "Tickets"):
                tickets_focus = f
                break
            press("F6")
        press("Tab")
        f = focused(window)
        tap(tickets_focus is not None and f is not None and not inside(f, "list", "Tickets"),
            "one Tab leaves the ticket list (now at %s %r)" % (role(f), f.name if f else None))

        # --- the intake form (New Ticket, Ctrl+N) -------------------------------
        before = frames(app)
        click(find(window, "push button", "New Ticket"))
        intake = new_frame(app, before, "the intake form")
        if intake is not None:
            check_names(intake, "intake form")
            # A title like a solved demo ticket's: the similar tickets beside the form
            # are rows with names too.
            title = find(intake, "text", pred=lambda a: "Title" in (a.name or ""))
            if title is not None:
                title.queryEditableText().setTextContents("VPN verbindet nicht")
            suggestion = wait_for(lambda: find(intake, "list item",
                                               pred=lambda a: "VPN" in (a.name or "")),
                                  "a similar solved ticket beside the intake form")
            tap(suggestion is not None, "the intake form suggests a similar solved ticket (%r)"
                % (suggestion.name if suggestion is not None else None))
            check_names(intake, "intake form with suggestions")
            close_frame(app, intake, ["Discard", "Cancel"])
        else:
            tap(False, "the intake form opens")

        # --- the handoff form ------------------------------------------------------
        before = frames(app)
        handoff_button = find(window, "push button", "Hand Off…")
        if handoff_button is not None:
            click(handoff_button)
        handoff = new_frame(app, before, "the handoff form")
        if handoff is not None:
            check_names(handoff, "handoff form")
            close_frame(app, handoff, ["Cancel"])
        else:
            tap(False, "the handoff form opens")

        # --- preferences, from the main menu -----------------------------------
        menu = find(window, "push button", "Main Menu", lambda a: a.childCount > 0 and "click" in
                    [a.queryAction().getName(i) for i in range(a.queryAction().nActions)])
        menu = menu or find(window, "toggle button", "Main Menu")
        click(menu)
        item = wait_for(lambda: find(window, "menu item", "Preferences"), "the main menu", 5)
        if item is not None:
            check_names(find(window, "menu", None) or window, "main menu")
        before = frames(app)
        if item is not None:
            click(item)
        prefs = new_frame(app, before, "the preferences")
        if prefs is not None:
            check_names(prefs, "preferences")
        else:
            tap(False, "the preferences open")

        tap(proc.poll() is None, "the app is still running")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if failures:
            try:
                with open(os.path.join(work, "app.log")) as log:
                    tail = log.read()[-3000:]
                print("# app log:\n" + "\n".join("#   " + l for l in tail.splitlines()))
            except OSError:
                pass
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
