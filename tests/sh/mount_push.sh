#!/usr/bin/env bash
# mount_push.sh - the pusher (-o push=, fs/push.h) on files that hold more
# than one array: a group's netCDF-4 file (views=nc) puts its arrays at
# different offsets of one inode, so what was pushed lately must be
# remembered by file offset, not by the offset within each array.
#  - two arrays of one group, alike (same shape and chunks): reading the
#    first page of A's part pushes the rest of its chunk; then reading the
#    first page of B's part pushes the rest of B's chunk as well (the bytes
#    pushed for B are counted, and are B's).
# Exit 0 = pass, 77 = skip (no /dev/fuse).
source "$(dirname "$0")/mount_common.bash"
zf_require
PARTS=$BIN/zf_nc_parts
stat_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1/.zarrfs/stats" "$2"; }

# --- a group of two arrays: float64 [65536], one 512 KiB chunk each ----------------
S=$T/g.zarr
zf_group "$S" || { bad "making the group"; zf_finish; }
for a in A B; do
    head -c $((65536 * 8)) /dev/urandom >"$T/$a.raw"
    zf_pack "$T/$a.raw" "$S/$a" --shape 65536 --dtype float64 --chunks 65536 ||
        { bad "zarrfs-pack $a"; zf_finish; }
done
"$PARTS" "$S" "" >"$T/layout" 2>"$T/parts.err" ||
    { bad "zf_nc_parts: $(cat "$T/parts.err")"; zf_finish; }
part_off() { awk -v p="$1" '$1 == "part" && $4 ~ ("(^|/)" p "$") { print $2; exit }' "$T/layout"; }
OA=$(part_off A) OB=$(part_off B)
[ -n "$OA" ] && [ -n "$OB" ] || { bad "no parts A and B in: $(cat "$T/layout")"; zf_finish; }
echo "parts: A at $OA, B at $OB"

# --- the first page of A, then of B ----------------------------------------------
# (readahead=0: the kernel asks for the page alone; reads=cached: the reads
# go through the page cache, where the pushes land)
M=$T/m
zf_mount_fg "$S" "$M" "$T/m.log" -o views=nc,push=4M,readahead=0,reads=cached ||
    { bad "mount: $(cat "$T/m.log")"; zf_finish; }
NC=$M/$(basename "$S" .zarr).nc
# first_page OFF: reads one page there; waits until the pushes it caused
# have landed (cached_bytes still for 1 s); prints the bytes they pushed.
first_page() {
    local b0 b1 prev i
    b0=$(stat_of "$M" cached_bytes)
    dd if="$NC" of=/dev/null bs=4096 count=1 iflag=skip_bytes skip="$1" 2>/dev/null
    prev=-1
    for ((i = 0; i < 50; i++)); do
        sleep 0.2
        b1=$(stat_of "$M" cached_bytes)
        [ "$b1" = "$prev" ] && [ "$b1" -gt "$b0" ] && break
        prev=$b1
    done
    echo $((b1 - b0))
}
pa=$(first_page "$OA")
pb=$(first_page "$OB")
check "the first page of A pushed the rest of A's chunk ($pa bytes)" [ "$pa" -gt 0 ]
check "the first page of B pushed the rest of B's chunk too ($pb bytes, A's: $pa)" \
    [ "$pb" -eq "$pa" ]
check "B's pushed pages hold B's bytes" \
    cmp -s <(dd if="$NC" bs=4096 skip=$((OB / 4096)) count=128 2>/dev/null) "$T/B.raw"
zf_umount "$M" "$ZF_PID"
zf_finish
