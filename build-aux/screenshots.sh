#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# screenshots.sh — renders the screenshots in data/screenshots/ from the real
# app and a demo server under Xvfb. Needs: xvfb, imagemagick, xdotool.
#
#   build-aux/screenshots.sh [BUILDDIR]

set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${1:-$srcdir/build}
out="$srcdir/data/screenshots"
work=$(mktemp -d)
display=:$((90 + RANDOM % 9))
pids=()

cleanup () {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

ninja -C "$builddir" src/app/firstline src/server/firstline-server data/gschemas.compiled >/dev/null

Xvfb "$display" -screen 0 1600x900x24 -nolisten tcp &
pids+=($!)
sleep 1
export DISPLAY=$display GTK_A11Y=none NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory
export GSETTINGS_SCHEMA_DIR="$builddir/data" FIRSTLINE_CREDENTIALS=file XDG_CONFIG_HOME="$work/config"

"$builddir/src/server/firstline-server" --data-dir "$work/server" seed-demo >/dev/null
"$builddir/src/server/firstline-server" --listen 127.0.0.1:0 --data-dir "$work/server" >"$work/server.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/server.out" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$work/server.out")

shoot () {   # shoot NAME VIEW-KEY [ENV...]: start the app, select a view's first ticket, capture
  local name=$1 view=$2; shift 2
  env "$@" FIRSTLINE_CACHE="$work/cache-$name.db" FIRSTLINE_PASSWORD=demo \
    "$builddir/src/app/firstline" --server "$url" --user alex >/dev/null 2>&1 &
  local app=$!
  sleep 4
  local wid
  wid=$(xwininfo -root -tree | awk '/"Firstline"/ { print $1; exit }')
  xdotool windowfocus --sync "$wid" 2>/dev/null || true
  sleep 0.3
  xdotool key "$view"
  sleep 0.3
  xdotool key alt+Down
  sleep 1.5
  import -window "$wid" "$out/$name.png"
  kill "$app"; wait "$app" 2>/dev/null || true
}

mkdir -p "$out"
shoot main-window alt+1
shoot main-window-dark alt+1 ADW_DEBUG_COLOR_SCHEME=prefer-dark
shoot ticket-detail alt+2
# German, where the de_DE.UTF-8 locale is installed
if locale -a 2>/dev/null | grep -qi '^de_DE.utf8$'; then
  shoot main-window-de alt+2 LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 FIRSTLINE_LOCALEDIR="$builddir/po"
fi
echo "Screenshots written to $out"
