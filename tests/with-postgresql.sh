#!/bin/bash
# Runs "$@" with a throwaway PostgreSQL cluster: initdb + pg_ctl in a temporary directory,
# on a free loopback port, as an unprivileged user (PostgreSQL refuses root), and
# FIRSTLINE_TEST_DATABASE set to a URI of it. The cluster is stopped afterwards, also when
# the command fails or is interrupted. fsync is off unless FIRSTLINE_TEST_PG_FSYNC=on
# (the benchmarks measure durable commits).
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with-postgresql.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi

dir=$(mktemp -d /tmp/firstline-pg.XXXXXX)
chmod 0755 "$dir"

as_user=()
if [ "$(id -u)" = 0 ]; then
  user=postgres
  if ! id "$user" >/dev/null 2>&1; then
    user=firstline-test
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  fi
  chown "$user" "$dir"
  as_user=(setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --)
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop () {
  "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" stop -m fast >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

"${as_user[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=${FIRSTLINE_TEST_PG_FSYNC:-off} -c max_connections=300" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }

export FIRSTLINE_TEST_DATABASE="postgresql://postgres@127.0.0.1:$port/postgres"
export FIRSTLINE_TEST_PG_BINDIR="$bindir"
"$@"
