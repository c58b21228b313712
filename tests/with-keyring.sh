#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# with-keyring.sh COMMAND [ARGS...]
#
# Runs COMMAND in a D-Bus session of its own with a real gnome-keyring-daemon
# (Secret Service), whose default keyring is created and unlocked with a known
# password up front, so that nothing ever prompts. HOME and the XDG folders are
# fresh temporary ones: the user's own keyring is never touched.

set -euo pipefail

if [ -z "${FL_IN_KEYRING_SESSION:-}" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/runtime"
  chmod 0700 "$tmp/runtime"
  export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
         XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime" FL_IN_KEYRING_SESSION=1
  unset DBUS_SESSION_BUS_ADDRESS DISPLAY
  status=0
  dbus-run-session -- "$0" "$@" || status=$?
  exit "$status"
fi

# Inside the session: create and unlock the login keyring, then start the
# Secret Service component on it.
eval "$(printf 'test-keyring-password' | gnome-keyring-daemon --unlock --components=secrets)"
eval "$(gnome-keyring-daemon --start --components=secrets)"
export GNOME_KEYRING_CONTROL
status=0
"$@" || status=$?
kill "${GNOME_KEYRING_PID:-}" 2>/dev/null || true
exit "$status"
