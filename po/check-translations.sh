#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# check-translations.sh SOURCE_DIR
#
# Fails when
#  (a) a file under src/ with translatable strings is missing from
#      po/POTFILES.in (or POTFILES.in is unsorted or names a missing file),
#  (b) a message of the current sources is untranslated or fuzzy in a
#      language of po/LINGUAS,
#  (c) msgfmt --check rejects a catalog.
#
# Files that hold marked strings on purpose but are not to be translated can
# be listed in po/POTFILES.skip.

set -uo pipefail

srcdir=${1:-$(dirname "$0")/..}
cd "$srcdir" || exit 2
export LC_ALL=C

for tool in xgettext msgmerge msgattrib msgfmt awk; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool not found (install gettext)"
    exit 77
  fi
done

failed=0
fail () {
  echo "FAIL: $*"
  failed=1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Entries of a list file: no comments, no blank lines.
list_entries () {
  [ -f "$1" ] || return 0
  sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1"
}

list_entries po/POTFILES.in > "$tmp/potfiles"
list_entries po/POTFILES.skip > "$tmp/skip"

# --- (a) POTFILES.in is complete, sorted and names existing files ----------
if ! sort -c "$tmp/potfiles" 2>/dev/null; then
  fail "po/POTFILES.in is not sorted (LC_ALL=C sort); expected order:"
  sort "$tmp/potfiles" | sed 's/^/  /'
fi
if [ -n "$(sort "$tmp/potfiles" | uniq -d)" ]; then
  fail "po/POTFILES.in lists a file twice:"
  sort "$tmp/potfiles" | uniq -d | sed 's/^/  /'
fi
while IFS= read -r f; do
  [ -f "$f" ] || fail "po/POTFILES.in names $f, which does not exist"
done < "$tmp/potfiles"

# C: _( N_( C_( NC_( with or without a space before the parenthesis, and
# the plural helpers; .ui: translatable="yes".
c_pattern='(^|[^A-Za-z0-9_])(_|N_|C_|NC_|g_dngettext|ngettext) ?\('
ui_pattern='translatable="(yes|true)"'
{
  find src -type f \( -name '*.c' -o -name '*.h' \) -print0 2>/dev/null \
    | xargs -0 -r grep -lE "$c_pattern"
  find src -type f \( -name '*.ui' -o -name '*.xml' -o -name '*.xml.in' \) -print0 2>/dev/null \
    | xargs -0 -r grep -lE "$ui_pattern"
} | sort -u > "$tmp/marked"

sort -u "$tmp/potfiles" "$tmp/skip" > "$tmp/known"
missing=$(comm -23 "$tmp/marked" "$tmp/known")
if [ -n "$missing" ]; then
  fail "files with translatable strings missing from po/POTFILES.in:"
  echo "$missing" | sed 's/^/  /'
fi

# --- (b) every message is translated ---------------------------------------
if ! bash po/make-pot.sh . "$tmp/firstline.pot"; then
  fail "extracting the messages (po/make-pot.sh) failed"
  exit 1
fi

# The msgids of a catalog, one per line, continuation lines joined, without
# the header entry.
msgids () {
  awk '
    /^msgid /   { if (id != "") print id; id = substr($0, 7); inid = 1; next }
    /^"/        { if (inid) { id = id " " $0 }; next }
                { inid = 0 }
    END         { if (id != "") print id }
  ' | grep -v '^""$' || true
}

for lang in $(list_entries po/LINGUAS); do
  po="po/$lang.po"
  if [ ! -f "$po" ]; then
    fail "po/LINGUAS names $lang but $po does not exist"
    continue
  fi

  # (c) the catalog itself is well-formed and its format strings match.
  if ! msgfmt --check --output-file=/dev/null "$po"; then
    fail "msgfmt --check rejects $po"
  fi

  if ! msgmerge --quiet --no-fuzzy-matching --output-file="$tmp/$lang.po" \
         "$po" "$tmp/firstline.pot"; then
    fail "msgmerge failed for $po"
    continue
  fi
  if ! msgfmt --check --output-file=/dev/null "$tmp/$lang.po"; then
    fail "msgfmt --check rejects $po merged with the current sources"
  fi

  untranslated=$(msgattrib --untranslated --no-obsolete --no-wrap "$tmp/$lang.po" | msgids)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete --no-wrap "$tmp/$lang.po" | msgids)
  if [ -n "$untranslated" ]; then
    fail "$po: $(echo "$untranslated" | wc -l) untranslated message(s) (run po/update-de.sh, then translate):"
    echo "$untranslated" | sed 's/^/  /'
  fi
  if [ -n "$fuzzy" ]; then
    fail "$po: $(echo "$fuzzy" | wc -l) fuzzy message(s):"
    echo "$fuzzy" | sed 's/^/  /'
  fi

  obsolete=$(msgattrib --only-obsolete --no-wrap "$tmp/$lang.po" | grep -cE '^#~ msgid ' || true)
  if [ "${obsolete:-0}" -gt 0 ]; then
    echo "note: $po has $obsolete message(s) no longer in the sources"
  fi
  if [ "$failed" -eq 0 ]; then
    echo "ok: $po translates all $(msgids < "$tmp/firstline.pot" | wc -l) messages"
  fi
done

exit "$failed"
