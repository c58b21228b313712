#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# test-bash-completion.sh COMPLETION-FILE — sources firstline-cli's bash
# completion and checks what it offers, against `firstline-cli --help` too.
# Needs $FIRSTLINE_CLI.

set -u
completion=$1
n=0
failed=0

ok () {
  n=$((n + 1))
  if [ "$1" = 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    failed=1
  fi
}

# shellcheck source=/dev/null
source "$completion"
spec=$(complete -p firstline-cli 2>/dev/null)
[ -n "$spec" ]
ok $? "the file registers a completion for firstline-cli ($spec)"

# complete LINE: the words bash would complete for LINE (the cursor at its end)
complete_line () {
  local line=$1
  read -r -a COMP_WORDS <<<"$line"
  if [ "${line: -1}" = " " ]; then
    COMP_WORDS+=("")
  fi
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE=$line
  COMP_POINT=${#line}
  COMPREPLY=()
  _firstline_cli firstline-cli "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# expect LINE WORDS: the completion of LINE is exactly WORDS (sorted)
expect () {
  local got want
  got=$(complete_line "$1")
  want=$(printf '%s\n' $2 | sort | tr '\n' ' ' | sed 's/ $//')
  [ "$got" = "$want" ]
  ok $? "“$1” completes to “$want” (got “$got”)"
}

# contains LINE WORD...: the completion of LINE offers each WORD
contains () {
  local line=$1 got word
  shift
  got=" $(complete_line "$line") "
  for word in "$@"; do
    [[ $got == *" $word "* ]]
    ok $? "“$line” offers $word"
  done
}

expect "firstline-cli re" "resolve resolve-conflict"
expect "firstline-cli --" "--cache --help --version"
expect "firstline-cli checklist " "list publish"
expect "firstline-cli checklist list --" "--json --cache --help"
expect "firstline-cli resolve 12 --code " \
  "first_contact solved workaround duplicate not_reproducible withdrawn"
expect "firstline-cli resolve 12 --code w" "workaround withdrawn"
expect "firstline-cli update 12 --status " "new in_progress waiting"
expect "firstline-cli list --status " "new in_progress waiting escalated resolved closed"
expect "firstline-cli new --ti" "--title"
expect "firstline-cli new --requester.p" "--requester.phone"
expect "firstline-cli new --impact " "low medium high"
expect "firstline-cli --cache /tmp/c.db note 12 --" "--internal --cache --help"
expect "firstline-cli step 12 vpn check " "done yes no skipped failed"
expect "firstline-cli step 12 vpn " ""
expect "firstline-cli resolve-conflict 3 --" "--keep-mine --take-theirs --cache --help"
expect "firstline-cli note 12 --title " ""

# --cache and checklist publish complete file names
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/cache-one.db" "$tmp/checklist.json"
expect "firstline-cli --cache $tmp/cache-" "$tmp/cache-one.db"
expect "firstline-cli checklist publish $tmp/check" "$tmp/checklist.json"

# Every command and option the CLI knows is offered.
help=$("$FIRSTLINE_CLI" --help)
commands=$(printf '%s\n' "$help" | sed -n 's/^  firstline-cli \([a-z-]*\).*/\1/p' | sort -u)
[ -n "$commands" ]
ok $? "firstline-cli --help lists commands"
# shellcheck disable=SC2086
contains "firstline-cli " $commands
for command in $commands; do
  [ "$command" = checklist ] && continue
  options=$(printf '%s\n' "$help" | grep "^  firstline-cli $command " |
            grep -o -- '--[a-z][a-z.-]*' | sort -u)
  [ -z "$options" ] && continue
  # shellcheck disable=SC2086
  contains "firstline-cli $command 12 --" $options
done

echo "1..$n"
exit $failed
