#!/usr/bin/env bash
# mount_readahead.sh - the mount's bdi read_ahead_kb is what -o readahead=
# says (1M by default, 128K with -o push=; root only); by default a sequential
# `dd bs=1M` of a mounted file arrives as 1 MiB READ requests (counted in
# the -d debug output, matched by request id), not the kernel's default
# 128 KiB; with -o push=4M most of it comes by pushes.  Also -o prefetch=0 (no prefetched chunk) and bad
# readahead=/prefetch= values refused.
# Exit 0 = pass, 77 = skip (no /dev/fuse).
source "$(dirname "$0")/mount_common.bash"
zf_require

# stat_field FILE KEY: one counter of a stats file.
stat_field() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# bdi_kb MNT: the read_ahead_kb of the mount's backing device.
bdi_kb() {
    cat "/sys/class/bdi/$(mountpoint -d "$1")/read_ahead_kb"
}

# read_sizes LOG INO: "COUNT SIZE" lines, the data sizes of the READ
# replies for inode INO in a -d log (a reply carries a 16-byte header).
read_sizes() {
    awk -v ino="$2" '
        /opcode: READ / {
            u = $2; sub(/,/, "", u)
            n = $0; sub(/.*nodeid: /, "", n); sub(/,.*/, "", n)
            if (n == ino) want[u] = 1
        }
        /unique: [0-9]+, success, outsize:/ {
            u = $2; sub(/,/, "", u)
            if (u in want) { sizes[$NF - 16]++; delete want[u] }
        }
        END { for (s in sizes) print sizes[s], s }' "$1" | sort -k2 -n
}

# --- a 16 MiB sharded array ----------------------------------------------------
head -c $((16 << 20)) /dev/urandom >"$T/a.raw"
zf_pack "$T/a.raw" "$T/a.zarr" --shape 2048,4096 --dtype uint16 \
    --chunks 128,256 --shards 512,1024 --codec zstd:1 || zf_finish

"$ZARRFS" --help >"$T/help" 2>&1
check "--help shows readahead= and prefetch=" \
    sh -c "grep -q 'readahead=SIZE' '$T/help' && grep -q 'prefetch=0|1' '$T/help'"
M=$T/m
mkdir -p "$M"
for bad_opt in readahead=12Q readahead=2G readahead=-1 prefetch=2 prefetch=; do
    "$ZARRFS" -o "$bad_opt" "$T/a.zarr" "$M" >"$T/out" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ] && grep -q "${bad_opt%%=*}" "$T/out" && ! mountpoint -q "$M"; then
        ok "refused: -o $bad_opt ($(head -1 "$T/out"))"
    else
        bad "not refused as expected (exit $rc): -o $bad_opt ($(head -1 "$T/out"))"
    fi
done

# --- push=4M: a 128K kernel readahead; pushes fill the page cache --------------
if zf_mount_fg "$T/a.zarr" "$M" "$T/d0.log" -o push=4M; then
    if [ "$(id -u)" -eq 0 ]; then
        check "push=4M: readahead defaults to 128K: read_ahead_kb is $(bdi_kb "$M")" \
            [ "$(bdi_kb "$M")" = 128 ]
    else
        skip "not root: read_ahead_kb cannot be set"
    fi
    dd if="$M/a" of=/dev/null bs=1M 2>/dev/null
    cp "$M/.zarrfs/stats" "$T/stats0"
    check "push=4M: dd bs=1M reads the whole file" \
        sh -c "cmp -s '$M/a' '$T/a.raw'"
    served=$(stat_field "$T/stats0" bytes_served)
    pushed=$(stat_field "$T/stats0" cached_bytes)
    check "push=4M: pushes carried most of the file ($pushed pushed, $served asked for)" \
        test "$pushed" -ge $((8 << 20)) -a $((pushed + served)) -ge $((16 << 20))
    zf_umount "$M" "$ZF_PID"
else
    bad "zarrfs did not mount: $(head -3 "$T/d0.log")"
fi

# --- default: readahead 1M (128K with direct reads), no pushes: 1 MiB requests ---------
if zf_mount_fg "$T/a.zarr" "$M" "$T/d.log" -d; then
    cat "$M/.zarrfs/stats" >/dev/null # (the INIT reply has set the window)
    ra=1024
    [ "$(zf_reads "$M")" = direct ] && ra=128
    if [ "$(id -u)" -eq 0 ]; then
        check "readahead defaults to ${ra}K with $(zf_reads "$M") reads: read_ahead_kb is $(bdi_kb "$M")" \
            [ "$(bdi_kb "$M")" = $ra ]
    else
        skip "not root: read_ahead_kb cannot be set"
    fi
    check "the init reply asks for max_readahead ${ra} KiB, 64 background" \
        grep -q "init: max_readahead $((ra << 10)), .*max_background 64" "$T/d.log"
    ino=$(stat -c %i "$M/a")
    dd if="$M/a" of=/dev/null bs=1M 2>/dev/null
    # The counts are dd's alone: taken before cmp reads the file again
    # (from the page cache, unless something evicted it meanwhile).
    cp "$T/d.log" "$T/d-dd.log"
    S=$M/.zarrfs/stats
    cp "$S" "$T/stats1"
    check "dd bs=1M reads the whole file" \
        sh -c "cmp -s '$M/a' '$T/a.raw'"
    read_sizes "$T/d-dd.log" "$ino" >"$T/sizes"
    echo "READ requests (count, bytes): $(tr '\n' ';' <"$T/sizes")"
    if [ "$(id -u)" -eq 0 ]; then
        # Every request but the first (the kernel's initial window may be
        # smaller) is 1 MiB.
        check "sequential reads arrive as 1 MiB requests" awk '
            { n += $1; if ($2 == 1048576) big += $1; bytes += $1 * $2 }
            END { exit !(n > 0 && big >= n - 1 && bytes == 16 * 1048576) }' "$T/sizes"
    else
        check "sequential reads arrive as requests of 128 KiB or more" awk '
            { n += $1; if ($2 >= 131072) big += $1 }
            END { exit !(n > 0 && big >= n - 1) }' "$T/sizes"
    fi
    check "bytes_served is the file's size (each byte read once)" \
        [ "$(stat_field "$T/stats1" bytes_served)" = $((16 << 20)) ]
    zf_umount "$M" "$ZF_PID"
else
    bad "zarrfs -d did not mount: $(head -3 "$T/d.log")"
fi

# --- readahead=256K, prefetch=0 ----------------------------------------------------
# (reads=cached: direct reads reach zarrfs at the reader's sizes, whatever
# the kernel's readahead window)
if zf_mount_fg "$T/a.zarr" "$M" "$T/e.log" -d -o readahead=256K,prefetch=0,push=0,reads=cached; then
    if [ "$(id -u)" -eq 0 ]; then
        check "readahead=256K: read_ahead_kb is $(bdi_kb "$M")" \
            [ "$(bdi_kb "$M")" = 256 ]
    fi
    ino=$(stat -c %i "$M/a")
    dd if="$M/a" of=/dev/null bs=1M 2>/dev/null
    read_sizes "$T/e.log" "$ino" >"$T/sizes"
    check "readahead=256K: no request is larger than 256 KiB" \
        awk '{ if ($2 > 262144) exit 1 }' "$T/sizes"
    cp "$M/.zarrfs/stats" "$T/stats2"
    check "prefetch=0: nothing was prefetched" sh -c "
        [ \"\$(python3 -c 'import json,sys; s = json.load(open(sys.argv[1])); print(s[\"prefetch_hits\"] + s[\"prefetch_wasted_bytes\"])' '$T/stats2')\" = 0 ]"
    zf_umount "$M" "$ZF_PID"
else
    bad "zarrfs -o readahead=256K,prefetch=0 did not mount: $(head -3 "$T/e.log")"
fi

zf_finish
