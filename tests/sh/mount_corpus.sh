#!/usr/bin/env bash
# mount_corpus.sh - every array of a conformance corpus (ZF_CORPUS/INDEX.tsv),
# mounted on its own (each row's path is a store whose root is the array) and
# compared with its expected flat content three ways: cmp of the whole file,
# mmap(MAP_SHARED) plus pread at unaligned offsets (zf_mount_check compare),
# and dd with unaligned skip/count.  Rows without expected content ('-') must
# be absent from the mount.  An array the engine refuses is absent too: that
# is reported (skipped) unless zarrfs-cat reads it correctly, which fails.
# Exit 0 = pass, 77 = skip (no /dev/fuse, or no extra corpus).
source "$(dirname "$0")/mount_common.bash"
zf_require_corpus
zf_require
INDEX=$CORPUS/INDEX.tsv

# The file name a root array gets: its folder's name less a trailing ".zarr".
root_name() {
    local base=${1%/}
    base=${base##*/}
    [ "${base%.zarr}" != "" ] && base=${base%.zarr}
    echo "$base"
}

# dd_same FILE EXPECTED SKIP COUNT: those bytes of both files are the same.
dd_same() {
    cmp -s <(dd if="$1" iflag=skip_bytes,count_bytes skip="$3" count="$4" \
                bs=65536 2>/dev/null) \
           <(dd if="$2" iflag=skip_bytes,count_bytes skip="$3" count="$4" \
                bs=65536 2>/dev/null)
}

# compare_file NAME FILE EXPECTED: the three comparisons.
compare_file() {
    local name=$1 file=$2 exp=$3 size out
    size=$(stat -c %s "$exp")
    cmp -s "$file" "$exp" && ok "$name: cmp" || bad "$name: cmp differs"
    out=$("$CHECK" compare "$file" "$exp" 2>&1) &&
        ok "$name: mmap and pread" || bad "$name: $out"
    if dd_same "$file" "$exp" 1 $((size / 2 + 3)) &&
        dd_same "$file" "$exp" $((size / 3 + 1)) $((size + 7)) &&
        dd_same "$file" "$exp" $((size > 0 ? size - 1 : 0)) 5; then
        ok "$name: dd at unaligned offsets"
    else
        bad "$name: dd at unaligned offsets differs"
    fi
}

# absent NAME STORE EXPECTED LOG: the array is not in the mount; fine when
# the engine cannot read it either.
absent() {
    local name=$1 store=$2 exp=$3 log=$4 why
    why=$(grep -m1 -v '^fuse:' "$log" | sed -e 's/^zarrfs: //' \
        -e "s|$store|STORE|g" | cut -c1-160)
    if "$BIN/zarrfs-cat" "$store" >"$T/cat.out" 2>"$T/cat.err" &&
        cmp -s "$T/cat.out" "$exp"; then
        bad "$name: absent from the mount, but zarrfs-cat reads it ($why)"
    else
        skip "$name: refused by the engine: ${why:-$(head -c 160 "$T/cat.err")}"
    fi
}

# The columns this test needs, by their header names, '|'-separated (read
# with a tab IFS would merge empty fields).
columns() {
    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { print $c["name"] "|" $c["path"] "|" $c["fmt"] "|" $c["expected_raw"] }' "$INDEX"
}

n=0
while IFS='|' read -r name path fmt expected; do
    n=$((n + 1))
    store=$CORPUS/$path
    mnt=$T/m$n
    log=$T/log$n
    file=$mnt/$(root_name "$path")
    if ! zf_mount_fg "$store" "$mnt" "$log"; then
        # A store the engine cannot open at all (v2 before it is supported).
        wait "$ZF_PID" 2>/dev/null
        if [ "$expected" = - ]; then
            ok "$name: no content, not shown"
        else
            absent "$name" "$store" "$CORPUS/$expected" "$log"
        fi
        continue
    fi
    if [ "$expected" = - ]; then
        [ ! -e "$file" ] && ok "$name (v$fmt): no flat content, not shown" ||
            bad "$name: an array without flat content is shown"
    elif [ -f "$file" ]; then
        compare_file "$name (v$fmt)" "$file" "$CORPUS/$expected"
    else
        absent "$name" "$store" "$CORPUS/$expected" "$log"
    fi
    zf_umount "$mnt" "$ZF_PID" || bad "$name: unmount"
done < <(columns)
[ "$n" -gt 0 ] && ok "$n corpus rows visited" || bad "no corpus rows"
zf_finish
