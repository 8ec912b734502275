#!/usr/bin/env bash
# man_pages.sh - the man pages agree with the programs: every option each
# program's --help prints (-x, --long, and -o NAME) is in its man page as
# man renders it, each page renders without a warning from man or groff,
# and the version in each page's title is the one --version prints.
# Needs ZF_BIN (the build's bin folder; the pages are in ../man); exit 77
# when man or groff is missing.  Helpers: mount_common.bash.
set -u

BIN=${ZF_BIN:-build/bin}
MAN=$BIN/../man
for c in man groff col; do
    if ! command -v "$c" >/dev/null; then
        echo "skip: $c is not installed (tools/install-deps.sh)"
        exit 77
    fi
done
# shellcheck source=mount_common.bash
. "$(dirname "$0")/mount_common.bash" # ok, bad, zf_finish

# The options a help text names: -x and --long-name at the start of a word
# (after a space, '[', '(', '|' or ','), and "-o name" for -o's names.
help_options() {
    printf '%s\n' "$1" | grep -oE '(^|[][ (|,])--?[A-Za-z][A-Za-z0-9-]*' |
        sed -E 's/^[][ (|,]//'
    printf '%s\n' "$1" | grep -oE -- '-o [a-z][a-z0-9_]*'
}

for prog in zarrfs zarrfs-cat zarrfs-info zarrfs-pack; do
    page=$MAN/$prog.1
    if [ ! -x "$BIN/$prog" ] || [ ! -f "$page" ]; then
        bad "$prog: program or $page missing"
        continue
    fi
    # Rendering: man's warnings, and groff's with all warnings on.
    warn=$(MANWIDTH=80 LC_ALL=C man --warnings -l "$page" 2>&1 >/dev/null)
    [ -z "$warn" ] && ok "$prog.1 renders without man warnings" ||
        bad "$prog.1: man warns: $warn"
    warn=$(groff -ww -z -man "$page" 2>&1)
    [ -z "$warn" ] && ok "$prog.1 renders without groff warnings" ||
        bad "$prog.1: groff warns: $warn"
    # Wide, so that no option name is hyphenated at a line's end.
    text=$(MANWIDTH=1000 LC_ALL=C man -l "$page" 2>/dev/null | col -b)
    [ -n "$text" ] && ok "$prog.1 renders to text" || bad "$prog.1 renders to nothing"

    help=$("$BIN/$prog" --help 2>&1)
    opts=$(help_options "$help" | sort -u)
    n=$(printf '%s\n' "$opts" | grep -c .)
    [ "$n" -ge 4 ] && ok "$prog --help names $n options" ||
        bad "$prog --help: only $n options found"
    while IFS= read -r opt; do
        [ -n "$opt" ] || continue
        if printf '%s\n' "$text" |
            grep -qE -- "(^|[^A-Za-z0-9_-])$opt([^A-Za-z0-9_-]|\$)"; then
            ok "$prog: '$opt' is in $prog.1"
        else
            bad "$prog: '$opt' is in --help but not in $prog.1"
        fi
    done <<<"$opts"

    # One version: the page's title line carries what --version prints.
    want=$("$BIN/$prog" --version | head -1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+')
    title=$(grep -m1 '^\.TH' "$page")
    if [ -n "$want" ] && [[ "$title" == *"\"zarrfs $want\""* ]]; then
        ok "$prog.1's title carries the version $want"
    else
        bad "$prog.1: title '$title' lacks the version '$want' of --version"
    fi
done

zf_finish
