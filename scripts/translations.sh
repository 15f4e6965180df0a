#!/bin/sh
# Message catalogues: extract, update, compile, check.
#
#   scripts/translations.sh extract   # app/**.py and templates/**.html -> app/translations/messages.pot
#   scripts/translations.sh update    # extract, then merge into zh_Hans, zh_Hant and en (no fuzzy guesses)
#   scripts/translations.sh compile   # .po -> .mo (the .mo files are git-ignored; run after every checkout)
#   scripts/translations.sh check     # update + compile --statistics, for a quick look at what is untranslated
#
# Babel skips directories starting with "_" or "." unless --ignore-dirs is given; templates/_partials and
# templates/_macros hold translated strings, so we ignore only dot-directories and node_modules.
set -eu
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
DIR=app/translations
POT="$DIR/messages.pot"

extract() {
    "$PYBABEL" extract -F babel.cfg --ignore-dirs ".* node_modules __pycache__" \
        -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 \
        -c TRANSLATORS: --sort-by-file \
        --project Lianxin --copyright-holder "Lianxin" --msgid-bugs-address "" \
        -o "$POT" .
}

update() {
    extract
    "$PYBABEL" update -i "$POT" -d "$DIR" --no-fuzzy-matching --ignore-obsolete
}

compile() {
    "$PYBABEL" compile -d "$DIR" --statistics
}

case "${1:-compile}" in
    extract) extract ;;
    update) update ;;
    compile) compile ;;
    check) update; compile ;;
    *) echo "usage: $0 extract|update|compile|check" >&2; exit 2 ;;
esac
