#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make-pot.sh SOURCE_DIR OUTPUT_POT
#
# Extracts every message of the files in po/POTFILES.in into OUTPUT_POT,
# with the same keywords as meson's glib preset; .ui files as Glade.

set -euo pipefail

srcdir=$1
out=$(realpath -m "$2")
cd "$srcdir"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' po/POTFILES.in > "$tmp/all"
grep -v '\.ui$' "$tmp/all" > "$tmp/other" || true
grep '\.ui$' "$tmp/all" > "$tmp/ui" || true

common=(--from-code=UTF-8 --add-comments=Translators --package-name=firstline
        --msgid-bugs-address=https://github.com/firstline/firstline/issues
        --output="$out")
keywords=(--keyword=_ --keyword=N_ '--keyword=C_:1c,2' '--keyword=NC_:1c,2'
          '--keyword=g_dngettext:2,3')

rm -f "$out"
join=()
if [ -s "$tmp/other" ]; then
  xgettext "${common[@]}" "${keywords[@]}" --files-from="$tmp/other"
  join=(--join-existing)
fi
if [ -s "$tmp/ui" ]; then
  if [ ${#join[@]} -gt 0 ] && [ ! -f "$out" ]; then
    join=()
  fi
  xgettext "${common[@]}" "${join[@]}" --language=Glade --files-from="$tmp/ui"
fi
if [ ! -f "$out" ]; then
  echo "make-pot.sh: no translatable messages found" >&2
  exit 1
fi
