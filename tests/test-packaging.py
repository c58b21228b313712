#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# test-packaging.py CASE — what a distribution installs besides the programs.
#
#   version     firstline-server, firstline-cli (and firstline) --version
#   man         the man pages format without a warning and name every option
#               and command the programs' --help lists
#   unit        the systemd unit verifies, and systemd-analyze security rates its
#               exposure at most 3.0
#   install     meson install into a DESTDIR puts programs, man pages, the bash
#               completion, the unit and the docs where they belong
#
# Environment: FIRSTLINE_BUILD_DIR, FIRSTLINE_SOURCE_DIR, FIRSTLINE_SERVER,
# FIRSTLINE_CLI, FIRSTLINE_APP (empty without the app), MESON.

import os
import re
import shutil
import subprocess
import sys
import tempfile

build_dir = os.environ["FIRSTLINE_BUILD_DIR"]
source_dir = os.environ["FIRSTLINE_SOURCE_DIR"]
server = os.environ["FIRSTLINE_SERVER"]
cli = os.environ["FIRSTLINE_CLI"]
app = os.environ.get("FIRSTLINE_APP", "")
version = os.environ["FIRSTLINE_VERSION"]

checks = []


def check(ok, what):
    checks.append((bool(ok), what))


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kwargs)


def case_version():
    programs = [("firstline-server", server), ("firstline-cli", cli)]
    if app:
        programs.append(("firstline", app))
    for name, path in programs:
        result = run([path, "--version"], stdin=subprocess.DEVNULL)
        check(result.returncode == 0, "%s --version exits 0 (%d: %s)"
              % (name, result.returncode, result.stderr.strip()))
        check(result.stdout.strip() == "%s %s" % (name, version),
              "%s --version prints “%s %s” (got %r)" % (name, name, version, result.stdout))


def man_text(page):
    result = run(["groff", "-man", "-Tutf8", "-ww", "-P-cbou", page])
    check(result.returncode == 0 and result.stderr == "",
          "%s formats without warnings (%s)" % (os.path.basename(page), result.stderr.strip()))
    return result.stdout


def case_man():
    man_dir = os.path.join(build_dir, "data")
    pages = {"firstline-server": server, "firstline-cli": cli}
    if app:
        pages["firstline"] = app
    for name, program in pages.items():
        page = os.path.join(man_dir, name + ".1")
        check(os.path.exists(page), "%s.1 is built" % name)
        if not os.path.exists(page):
            continue
        text = man_text(page)
        check("@" not in re.sub(r"\S+@\S+", "", text), "%s.1 has no unreplaced @VARIABLE@" % name)
        check(("Firstline " + version) in text, "%s.1 names version %s" % (name, version))
        help_text = run([program, "--help"], stdin=subprocess.DEVNULL).stdout
        options = set(re.findall(r"(?<![\w-])--[a-z][a-z.-]*", help_text))
        options -= {"--help-all", "--help-gapplication", "--help-gtk"}
        for option in sorted(options):
            check(option in text, "%s.1 documents %s" % (name, option))
        if name == "firstline-cli":
            for command in re.findall(r"^  firstline-cli (\S+(?: list| publish)?)", help_text, re.M):
                check(command in text, "firstline-cli.1 documents the command %s" % command)


def case_unit():
    unit = os.path.join(build_dir, "data", "firstline-server.service")
    with open(unit, encoding="utf-8") as f:
        text = f.read()
    check(re.search(r"@[a-z]+@", text) is None, "the unit has no unreplaced @variable@")
    with tempfile.TemporaryDirectory() as tmp:
        # verify wants ExecStart= to exist: point it at the built server
        copy = os.path.join(tmp, "firstline-server.service")
        with open(copy, "w", encoding="utf-8") as f:
            f.write(re.sub(r"^ExecStart=\S+", "ExecStart=" + server, text, flags=re.M))
        result = run(["systemd-analyze", "verify", "--man=no", copy])
        check(result.returncode == 0 and result.stderr.strip() == "",
              "systemd-analyze verify accepts the unit (%s)" % result.stderr.strip())
        result = run(["systemd-analyze", "security", "--offline=true", "--no-pager", copy])
        match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
        check(match is not None, "systemd-analyze security rates the unit (%s)" % result.stderr.strip())
        if match:
            exposure = float(match.group(1))
            check(exposure <= 3.0, "exposure %.1f <= 3.0" % exposure)
            print("# exposure level %.1f" % exposure)
    for key in ("DynamicUser=yes", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service",
                "ProtectClock=yes", "ProtectKernelLogs=yes", "ProtectHostname=yes",
                "RestrictRealtime=yes", "RestrictSUIDSGID=yes", "ProtectProc=invisible",
                "StateDirectory=firstline-server", "KillSignal=SIGTERM"):
        check(key in text, "the unit sets %s" % key.strip())


def case_install():
    meson = os.environ["MESON"].split()
    with tempfile.TemporaryDirectory() as destdir:
        env = dict(os.environ, DESTDIR=destdir)
        result = run(meson + ["install", "-C", build_dir, "--no-rebuild", "--quiet",
                              "--destdir", destdir], env=env)
        check(result.returncode == 0, "meson install succeeds (%s)" % result.stderr.strip()[-500:])
        prefix = run(meson + ["introspect", "--buildoptions", build_dir]).stdout
        import json
        options = {o["name"]: o["value"] for o in json.loads(prefix)}
        root = destdir + options["prefix"]
        bindir = os.path.join(root, options["bindir"])
        mandir = os.path.join(root, options["mandir"])
        datadir = os.path.join(root, options["datadir"])
        expected = [
            os.path.join(bindir, "firstline-server"),
            os.path.join(bindir, "firstline-cli"),
            os.path.join(mandir, "man1", "firstline-server.1"),
            os.path.join(mandir, "man1", "firstline-cli.1"),
            os.path.join(datadir, "doc", "firstline", "README.md"),
        ]
        for doc in sorted(os.listdir(os.path.join(source_dir, "docs"))):
            if doc.endswith(".md"):
                expected.append(os.path.join(datadir, "doc", "firstline", doc))
        if app:
            expected += [
                os.path.join(bindir, "firstline"),
                os.path.join(mandir, "man1", "firstline.1"),
            ]
        for path in expected:
            check(os.path.isfile(path), "installs %s" % path[len(destdir):])
        units = [os.path.join(d, f) for d, _, fs in os.walk(destdir) for f in fs
                 if f == "firstline-server.service"]
        check(len(units) == 1 and "/lib/systemd/system/" in units[0],
              "installs the unit into lib/systemd/system (%s)" % units)
        if units:
            with open(units[0], encoding="utf-8") as f:
                unit = f.read()
            real_bindir = os.path.join(options["prefix"], options["bindir"])
            check("ExecStart=%s/firstline-server " % real_bindir in unit,
                  "the installed unit starts %s/firstline-server" % real_bindir)
        if app:
            app_id = "io.github.firstline.Firstline"
            service = os.path.join(datadir, "dbus-1", "services", app_id + ".service")
            ini = os.path.join(datadir, "gnome-shell", "search-providers",
                               app_id + ".search-provider.ini")
            desktop = os.path.join(datadir, "applications", app_id + ".desktop")
            for path in (service, ini, desktop):
                check(os.path.isfile(path), "installs %s" % path[len(destdir):])
            if os.path.isfile(service):
                text = open(service, encoding="utf-8").read()
                check("Name=%s\n" % app_id in text, "the D-Bus service is named %s" % app_id)
                check("Exec=%s/%s/firstline --gapplication-service\n"
                      % (options["prefix"], options["bindir"]) in text,
                      "the D-Bus service starts the installed firstline --gapplication-service")
            if os.path.isfile(ini):
                text = open(ini, encoding="utf-8").read()
                for line in ("DesktopId=%s.desktop" % app_id, "BusName=%s" % app_id,
                             "ObjectPath=/io/github/firstline/Firstline/SearchProvider",
                             "Version=2"):
                    check(line + "\n" in text, "the search provider sets %s" % line)
            if os.path.isfile(desktop):
                text = open(desktop, encoding="utf-8").read()
                for line in ("DBusActivatable=true", "Exec=firstline %U",
                             "MimeType=x-scheme-handler/firstline;", "Actions=new-ticket;",
                             "[Desktop Action new-ticket]", "Exec=firstline --new-ticket"):
                    check(line + "\n" in text, "the desktop file has %s" % line)
        completions = [os.path.join(d, f) for d, _, fs in os.walk(destdir) for f in fs
                       if f == "firstline-cli" and "bash-completion" in d]
        check(len(completions) == 1, "installs the bash completion (%s)" % completions)


cases = {"version": case_version, "man": case_man, "unit": case_unit, "install": case_install}
try:
    cases[sys.argv[1]]()
except Exception as error:  # a crash of the test is a failure, never a pass
    check(False, "%s: %r" % (sys.argv[1], error))

print("1..%d" % len(checks))
for number, (ok, what) in enumerate(checks, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", number, what))
sys.exit(0 if all(ok for ok, _ in checks) else 1)
