#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# test-l10n-de.py — firstline-cli and the window speak German under LANGUAGE=de
#
# With LC_ALL=C.UTF-8 and LANGUAGE=de (glibc honours LANGUAGE there) and the
# build's translations: an invalid CLI invocation, a change core refuses, a
# change the server rejects (two clients: one resolves, the other claims) and
# the labels of the real window (read over AT-SPI) must not be English. Any
# text equal to an English message of po/de.po whose German differs fails.
#
#   dbus-run-session -- /usr/bin/python3 tests/test-l10n-de.py

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("a11y", os.path.join(here, "test-a11y.py"))
a11y = importlib.util.module_from_spec(spec)
spec.loader.exec_module(a11y)          # its main() only runs as a script
tap = a11y.tap

build_dir = a11y.build_dir
source_dir = os.environ.get("FIRSTLINE_SOURCE_DIR", os.path.join(here, ".."))
cli_bin = os.environ.get("FIRSTLINE_CLI", os.path.join(build_dir, "src/cli/firstline-cli"))


def load_po(path):
    """English message -> German, for the messages whose German differs."""
    text = open(path, encoding="utf-8").read()
    english = {}
    for block in text.split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        def strings(key):
            m = re.search(r"^%s ((?:\".*\"\n?)+)" % re.escape(key), block, re.M)
            return json.loads("[" + ",".join(re.findall(r"\"(?:[^\"\\]|\\.)*\"", m.group(1))) + "]") if m else None
        mid = strings("msgid")
        mstr = strings("msgstr") or strings("msgstr[0]")
        if not mid or not mstr:
            continue
        mid, mstr = "".join(mid), "".join(mstr)
        plain = mid.replace("_", "")
        if mid and mstr and mid != mstr and "%" not in mid and len(plain) > 3:
            english[plain] = mstr
    return english


ENGLISH = load_po(os.path.join(source_dir, "po", "de.po"))


def english_in(text):
    found = []
    for line in re.split(r"[\n:;]|, ", text):
        line = line.strip().rstrip(".").strip("“”\"")
        if line in ENGLISH or (line + ".") in ENGLISH:
            found.append(line)
    return found


def run_cli(env, *args, stdin=None):
    p = subprocess.run([cli_bin] + list(args), input=stdin, capture_output=True, text=True,
                       env=env, timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    work = tempfile.mkdtemp(prefix="firstline-l10n-")
    procs = []
    try:
        env = dict(os.environ)
        for var in ("GTK_A11Y", "NO_AT_BRIDGE", "LANG", "LC_MESSAGES"):
            env.pop(var, None)
        env.update({
            "LC_ALL": "C.UTF-8", "LANGUAGE": "de",
            "FIRSTLINE_LOCALEDIR": os.path.join(build_dir, "po"),
            "FIRSTLINE_CREDENTIALS": "file",
            "GSETTINGS_BACKEND": "memory", "GSK_RENDERER": "cairo",
            "HOME": work, "XDG_CONFIG_HOME": os.path.join(work, "config"),
            "XDG_DATA_HOME": os.path.join(work, "data"), "XDG_CACHE_HOME": os.path.join(work, "cache"),
        })
        env.setdefault("GSETTINGS_SCHEMA_DIR", os.path.join(build_dir, "data"))
        print("1..8", flush=True)

        # --- the CLI, offline --------------------------------------------------
        rc, out, err = run_cli(env, "--bogus")
        tap(rc == 2 and "unbekannte Option" in err and not english_in(err),
            "an invalid invocation is refused in German: %r" % err.strip())

        cache = os.path.join(work, "offline.db")
        rc, out, err = run_cli(env, "--cache", cache, "new", "--title", "Drucker", "--category",
                               "printer", "--requester", "Jana Krüger")
        ticket = out.strip()
        rc, out, err = run_cli(env, "--cache", cache, "update", ticket, "--status", "resolved")
        tap(rc == 1 and "Feld „status“" in err and not english_in(err),
            "core refuses a change in German: %r" % err.strip())

        # --- a change the server rejects -----------------------------------------
        server_dir = os.path.join(work, "server")
        subprocess.run([a11y.server_bin, "--data-dir", server_dir, "seed-demo"], check=True,
                       stdout=subprocess.DEVNULL, env=env, timeout=60)
        server = subprocess.Popen([a11y.server_bin, "--listen", "127.0.0.1:0", "--data-dir", server_dir],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        procs.append(server)
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", server.stdout.readline())
        if not m:
            a11y.bail("firstline-server did not start")
        url = m.group(1)

        def client(name):
            e = dict(env, FIRSTLINE_TOKEN_FILE=os.path.join(work, "token-" + name),
                     FIRSTLINE_CACHE=os.path.join(work, "cache-%s.db" % name))
            rc, out, err = run_cli(e, "login", url, name, stdin="demo\n")
            assert rc == 0, err
            assert "angemeldet" in out, out
            rc, out, err = run_cli(e, "sync")
            assert rc == 0, err
            return e

        alex, jana = client("alex"), client("jana")
        rc, out, err = run_cli(alex, "list", "--json")
        open_ticket = next(t["id"] for t in json.loads(out)["tickets"] if t["status"] == "new")
        rc, out, err = run_cli(alex, "resolve", open_ticket, "--code", "solved", "--summary", "Erledigt")
        assert rc == 0, err
        rc, out, err = run_cli(alex, "sync")
        assert rc == 0, err
        rc, out, err = run_cli(jana, "claim", open_ticket)
        rc, out, err = run_cli(jana, "sync")
        print("#   jana's sync: rc %d, %r" % (rc, err.strip()))
        tap("abgelehnt" in err or "Konflikt" in err or "Konflikte" in (out + err),
            "the server's answer to the late claim reaches the user in German")
        tap(not english_in(out + err), "no English message in the sync output")
        rc, out, err = run_cli(jana, "conflicts")
        tap(not english_in(out + err), "no English in the conflicts listing: %r" % (out + err)[:200])

        # --- the window ----------------------------------------------------------
        if not os.environ.get("DISPLAY") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            a11y.bail("the window part needs a display and a session bus (xvfb-run, dbus-run-session)")
        try:
            a11y.pyatspi.Registry.getDesktop(0).childCount     # the AT-SPI bus before the app
        except Exception as e:
            a11y.bail("the AT-SPI bus does not answer: %s" % e)
        app_env = dict(env, FIRSTLINE_TOKEN_FILE=os.path.join(work, "token-app"),
                       FIRSTLINE_CACHE=os.path.join(work, "cache-app.db"), FIRSTLINE_PASSWORD="demo")
        app = subprocess.Popen([a11y.app_bin, "--server", url, "--user", "alex"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=app_env)
        procs.append(app)
        acc = a11y.wait_for(lambda: (lambda a: a if a is not None and a.childCount > 0 else None)(a11y.find_app()),
                            "the app", 30)
        if acc is None:
            a11y.bail("firstline never showed up on the AT-SPI bus")
        window = a11y.frames(acc)[0]
        views = a11y.wait_for(lambda: a11y.find(window, "list", "Ansichten"), "the views", 20)
        tickets = a11y.wait_for(lambda: (lambda l: l if l is not None and l.childCount >= 3 else None)(
            a11y.find(window, "list", "Tickets")), "the ticket list", 20)
        tap(views is not None and tickets is not None, "the window's lists have German names")
        time.sleep(1.0)
        texts = []
        for node in a11y.nodes(window):
            if node.name:
                texts.append(node.name)
            if a11y.role(node) == "label":
                try:
                    t = node.queryText()
                    texts.append(t.getText(0, t.characterCount))
                except Exception:
                    pass
        english = sorted(set(e for t in texts for e in english_in(t)))
        for e in english:
            print("#   English in the window: %r (German: %r)" % (e, ENGLISH.get(e) or ENGLISH.get(e + ".")))
        tap(texts and not english, "%d texts of the window, none English" % len(texts))
        rows = [tickets.getChildAtIndex(i).name for i in range(tickets.childCount)]
        tap(any(re.search(r"bis zur Fälligkeit|überfällig|Frist angehalten", r or "") for r in rows),
            "ticket rows say the time to due in German: %r" % rows[0])
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 1 if a11y.failures else 0


if __name__ == "__main__":
    sys.exit(main())
