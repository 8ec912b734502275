#!/usr/bin/env bash
# mount_tree.sh - a store with a group tree: directories and files at their
# store paths (names with spaces and dots), an array with corrupt metadata
# left out and logged while the rest is served, and a chunk garbled after
# the mount giving EIO for reads that touch it (logged once) and the right
# bytes elsewhere, the mount staying up.
# Exit 0 = pass, 77 = skip (no /dev/fuse).
source "$(dirname "$0")/mount_common.bash"
zf_require

S=$T/store.zarr
head -c $((300 * 7 * 4)) /dev/urandom >"$T/a.raw"        # 300x7 float32
head -c $((64 * 4096)) /dev/urandom >"$T/b.raw"          # 64x4096 uint8
head -c $((10 * 10 * 8)) /dev/urandom >"$T/c.raw"        # 10x10 int64
zf_group "$S" && zf_group "$S/sub group" && zf_group "$S/sub group/deeper.d" &&
    zf_group "$S/empty" || { bad "making the groups"; zf_finish; }
zf_pack "$T/a.raw" "$S/a.b c" --shape 300,7 --dtype float32 --chunks 64,7 &&
    zf_pack "$T/b.raw" "$S/sub group/t2m.v1" --shape 64,4096 --dtype uint8 \
        --chunks 16,4096 --codec zstd &&
    zf_pack "$T/c.raw" "$S/sub group/deeper.d/x y" --shape 10,10 --dtype int64 \
        --chunks 4,4 --shards 8,8 --codec gzip &&
    zf_pack "$T/b.raw" "$S/garbled" --shape 64,4096 --dtype uint8 \
        --chunks 16,4096 --codec zstd &&
    zf_pack "$T/c.raw" "$S/broken" --shape 10,10 --dtype int64 --chunks 5,5 ||
    zf_finish
echo '{"zarr_format": 3, "node_type": "array", "shape": [10, ' >"$S/broken/zarr.json"

M=$T/m
LOG=$T/zarrfs.log
zf_mount_fg "$S" "$M" "$LOG" || { bad "mount: $(cat "$LOG")"; zf_finish; }

# --- the tree --------------------------------------------------------------
(cd "$M" && find . -mindepth 1 -printf '%y %p\n' | sort) >"$T/tree"
cat >"$T/want" <<'TREE'
d ./empty
d ./sub group
d ./sub group/deeper.d
f ./a.b c
f ./garbled
f ./sub group/deeper.d/x y
f ./sub group/t2m.v1
TREE
diff "$T/want" "$T/tree" >"$T/tree.diff" && ok "groups are directories, arrays are files" ||
    bad "the tree differs: $(tr '\n' ' ' <"$T/tree.diff")"
check "directories are read-only (0555)" [ "$(stat -c %a "$M/sub group")" = 555 ]
check "files are read-only (0444)" [ "$(stat -c %a "$M/a.b c")" = 444 ]
check "a directory's link count counts its subdirectories" \
    [ "$(stat -c %h "$M/sub group")" -eq 3 ]
check "lookup of a missing name fails" sh -c "! stat '$M/sub group/nope' 2>/dev/null"
for pair in "a.b c:a.raw" "sub group/t2m.v1:b.raw" "sub group/deeper.d/x y:c.raw"; do
    f=${pair%%:*} raw=${pair#*:}
    check "'$f' has the array's bytes" cmp -s "$M/$f" "$T/$raw"
    out=$("$CHECK" compare "$M/$f" "$T/$raw") && ok "'$f': mmap and pread" ||
        bad "'$f': $out"
    check "'$f' is identical to zarrfs-cat" \
        cmp -s "$M/$f" <("$BIN/zarrfs-cat" "$S" "$f" 2>/dev/null)
done
check "xattrs on a nested array" \
    [ "$("$CHECK" xattr "$M/sub group/deeper.d/x y" user.zarr.chunks)" = 8,8 ]

# --- corrupt metadata: absent and logged, the rest served -----------------------
check "an array with corrupt metadata is absent" [ ! -e "$M/broken" ]
check "... and logged with its path" grep -q "broken" "$LOG"

# --- a chunk garbled after the mount ---------------------------------------------
# "garbled" (not read so far, so nothing of it is cached) has 4 chunks of 16
# rows, 64 KiB each; garble chunk 2 (rows 32..47, blocks 32..47).
G="$M/garbled"
CH="$S/garbled/c/2/0"
[ -f "$CH" ] || bad "no chunk file at $CH"
head -c "$(stat -c %s "$CH")" /dev/urandom >"$T/junk" && cp "$T/junk" "$CH"
# direct_dd SKIP COUNT (in 4 KiB blocks): reads past the page cache.
direct_dd() {
    dd if="$G" of="$T/dd.out" bs=4096 skip="$1" count="$2" iflag=direct 2>"$T/dd.err"
}
for try in 1 2 3; do
    if direct_dd 33 2; then
        bad "read $try of a garbled chunk succeeded"
    elif grep -q "Input/output error" "$T/dd.err"; then
        ok "read $try of a garbled chunk gives EIO"
    else
        bad "read $try of a garbled chunk: $(cat "$T/dd.err")"
    fi
done
direct_dd 0 32 && cmp -s "$T/dd.out" <(head -c $((32 * 4096)) "$T/b.raw") &&
    ok "chunks 0-1 still read right" || bad "chunks 0-1 after the garbling"
direct_dd 48 16 && cmp -s "$T/dd.out" <(tail -c $((16 * 4096)) "$T/b.raw") &&
    ok "chunk 3 still reads right" || bad "chunk 3 after the garbling"
check "the mount stays up" mountpoint -q "$M"
check "other files are still served" cmp -s "$M/a.b c" "$T/a.raw"
n=$(grep -c "garbled" "$LOG")
check "the read error is logged once ($n lines)" [ "$n" -eq 1 ]

zf_umount "$M" "$ZF_PID" && ok "unmounted; zarrfs exited" || bad "unmount"
zf_finish
