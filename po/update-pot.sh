#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate po/NetworkManager-ike.pot from the sources listed in po/POTFILES.in and merge it
# into every po/<lang>.po of po/LINGUAS. Needs xgettext and msgmerge (Debian: gettext).
# Texts are marked with tr("..."), trf("...", ...) and tr_noop("..."); xgettext reads the Rust
# files with its C parser, which handles plain string literals (no \-newline continuations;
# nm-plugin/tests/i18n.rs enforces that). Its warnings about Rust lifetimes ('a) are dropped.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
domain=NetworkManager-ike
version=$(sed -n "s/^  version: '\(.*\)',$/\1/p" meson.build | head -n1)
files=$(grep -v '^#' po/POTFILES.in | grep -v '^[[:space:]]*$')
# shellcheck disable=SC2086
xgettext --from-code=UTF-8 --language=C --add-comments=TRANSLATORS: \
    --keyword=tr --keyword=trf:1 --keyword=tr_noop \
    --flag=tr:1:no-c-format --flag=trf:1:no-c-format --flag=tr_noop:1:no-c-format \
    --package-name="$domain" --package-version="$version" \
    --sort-by-file --output="po/$domain.pot" $files \
    2> >(grep -v 'warning: unterminated character constant' >&2)
sed -i 's/^"Content-Type: text\/plain; charset=CHARSET\\n"$/"Content-Type: text\/plain; charset=UTF-8\\n"/' "po/$domain.pot"
while read -r lang; do
    case $lang in ''|'#'*) continue ;; esac
    msgmerge --quiet --update --backup=none "po/$lang.po" "po/$domain.pot"
    msgattrib --no-obsolete --output-file="po/$lang.po" "po/$lang.po"  # git keeps old texts
    msgfmt --check --statistics --output-file=/dev/null "po/$lang.po"
done < po/LINGUAS
