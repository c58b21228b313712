#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# test-flatpak.py MANIFEST — checks build-aux/flatpak/*.json without building it.
#
# Building the Flatpak needs the GNOME runtime and SDK from Flathub, which this
# machine cannot download; so this test checks what can be checked offline:
#   - flatpak-builder --show-manifest parses it without a warning (unknown keys),
#   - the app id, command, runtime and SDK, and minimal finish-args (no home or
#     host file system, no session or system bus, no direct Secret Service: the
#     keyring is reached through the portal),
#   - the module list: Firstline alone (everything else is in the runtime),
#     built with meson from this source tree,
#   - the module configures with its config-opts as flatpak-builder would
#     (meson setup --prefix=/app) and installs bin/firstline, without libsodium.
# Environment: FIRSTLINE_SOURCE_DIR, MESON.

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

APP_ID = "io.github.firstline.Firstline"
ALLOWED_FINISH_ARGS = {
    "--share=network", "--share=ipc", "--socket=wayland", "--socket=fallback-x11",
    "--device=dri",
}

manifest_path = sys.argv[1]
source_dir = os.environ["FIRSTLINE_SOURCE_DIR"]
checks = []


def check(ok, what):
    checks.append((bool(ok), what))


def main():
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)

    builder = shutil.which("flatpak-builder")
    check(builder is not None, "flatpak-builder is installed")
    if builder:
        result = subprocess.run([builder, "--show-manifest", manifest_path], capture_output=True,
                                text=True, timeout=60)
        check(result.returncode == 0, "flatpak-builder --show-manifest parses it (%s)"
              % result.stderr.strip())
        check("WARNING" not in result.stderr and "Unknown property" not in result.stderr,
              "flatpak-builder knows every key (%s)" % result.stderr.strip())
        if result.returncode == 0:
            shown = json.loads(result.stdout)
            check(shown.get("id") == APP_ID, "flatpak-builder reads the id %s" % APP_ID)

    check(os.path.basename(manifest_path) == APP_ID + ".json", "the file is named after the app id")
    check(manifest.get("id") == APP_ID, "id is %s" % APP_ID)
    check(manifest.get("command") == "firstline", "command is firstline")
    check(manifest.get("runtime") == "org.gnome.Platform", "runtime is org.gnome.Platform")
    check(manifest.get("sdk") == "org.gnome.Sdk", "sdk is org.gnome.Sdk")
    version = str(manifest.get("runtime-version", ""))
    check(re.fullmatch(r"4[3-9]|[5-9][0-9]", version) is not None,
          "runtime-version %r has GTK >= 4.8 and libadwaita >= 1.2" % version)

    args = manifest.get("finish-args", [])
    check(len(args) == len(set(args)), "finish-args are not repeated")
    for arg in args:
        check(arg in ALLOWED_FINISH_ARGS, "finish-arg %s is one of the minimal set" % arg)
    for needed in ("--share=network", "--socket=wayland", "--socket=fallback-x11"):
        check(needed in args, "finish-args include %s" % needed)
    check(not any("secrets" in a or "filesystem" in a or "bus" in a for a in args),
          "no file system, bus or Secret Service access (the portals cover them)")

    modules = manifest.get("modules", [])
    check(len(modules) == 1, "one module (got %d)" % len(modules))
    if not modules:
        return
    module = modules[0]
    check(isinstance(module, dict) and module.get("name") == "firstline", "the module is firstline")
    check(module.get("buildsystem") == "meson", "it builds with meson")
    sources = module.get("sources", [])
    check(len(sources) == 1 and sources[0].get("type") == "dir", "its source is a directory")
    if sources:
        path = os.path.normpath(os.path.join(os.path.dirname(manifest_path),
                                             sources[0].get("path", "")))
        check(os.path.samefile(path, source_dir), "the directory is this source tree (%s)" % path)

    options = open(os.path.join(source_dir, "meson_options.txt"), encoding="utf-8").read()
    opts = module.get("config-opts", [])
    for opt in opts:
        name = re.match(r"-D([a-z_]+)=", opt)
        check(name is not None, "config-opt %s is -DNAME=VALUE" % opt)
        if name and name.group(1) not in ("buildtype", "prefix"):
            check("option('%s'" % name.group(1) in options, "meson_options.txt has %s" % name.group(1))

    # Configure as flatpak-builder would: --prefix=/app and the config-opts.
    meson = os.environ["MESON"].split()
    with tempfile.TemporaryDirectory() as builddir:
        result = subprocess.run(meson + ["setup", builddir, source_dir, "--prefix=/app"] + opts,
                                capture_output=True, text=True, timeout=300)
        check(result.returncode == 0, "meson setup with the config-opts succeeds (%s)"
              % result.stdout[-800:])
        if result.returncode != 0:
            return
        ninja = open(os.path.join(builddir, "build.ninja"), encoding="utf-8").read()
        check("sodium" not in ninja, "the Flatpak build does not need libsodium")
        installed = json.loads(subprocess.run(meson + ["introspect", "--installed", builddir],
                                              capture_output=True, text=True, timeout=60).stdout)
        targets = set(installed.values())
        for path in ("/app/bin/firstline", "/app/bin/firstline-cli",
                     "/app/share/applications/%s.desktop" % APP_ID,
                     "/app/share/metainfo/%s.metainfo.xml" % APP_ID,
                     "/app/share/dbus-1/services/%s.service" % APP_ID,
                     "/app/share/gnome-shell/search-providers/%s.search-provider.ini" % APP_ID):
            check(path in targets, "the Flatpak installs %s" % path)
        check("/app/bin/firstline-server" not in targets, "the Flatpak leaves the server out")


try:
    main()
except Exception as error:
    check(False, "test-flatpak: %r" % error)

print("1..%d" % len(checks))
for number, (ok, what) in enumerate(checks, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", number, what))
sys.exit(0 if all(ok for ok, _ in checks) else 1)
