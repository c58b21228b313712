#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# update-de.sh [LANG...]
#
# Merges the current messages of the sources into po/de.po (or the given
# languages) without guessing: new messages arrive untranslated, messages
# gone from the sources become obsolete (#~). Translate the empty msgstr
# entries afterwards; po/check-translations.sh lists them.

set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(de)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The built-in checklists' and categories' English texts (po/data-strings.c)
/usr/bin/python3 "$srcdir/po/extract-data-strings.py"
bash "$srcdir/po/make-pot.sh" "$srcdir" "$tmp/firstline.pot"

for lang in "${langs[@]}"; do
  po="$srcdir/po/$lang.po"
  if [ ! -f "$po" ]; then
    msginit --no-translator --locale="$lang" --input="$tmp/firstline.pot" --output-file="$po"
  else
    msgmerge --quiet --update --backup=none --no-fuzzy-matching "$po" "$tmp/firstline.pot"
  fi
  missing=$(LC_ALL=C msgfmt --statistics --output-file=/dev/null "$po" 2>&1 | sed -n "s/.* \([0-9]\+\) untranslated.*/\1/p")
  missing=${missing:-0}
  echo "$po: $missing message(s) to translate"
done
