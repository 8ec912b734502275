#!/usr/bin/env bash
# mount_faults.sh - faults while mounted: the store changes or fails under a
# running zarrfs.  For each, no crash, no hang (every read runs under
# `timeout`), the mount keeps serving what is intact, and no read returns a
# mix of old and new bytes.
#
#  1. a shard replaced by another valid one (`mv` over it: a new inode; then
#     a new size; then rewritten in place: a new mtime): reads of regions not
#     read before, and O_DIRECT reads (which pass the kernel's page cache),
#     give the new bytes (or EIO), never the old ones nor a mix; then 8
#     readers read the shard while it is flipped between two versions: every
#     read is all old, all new, or EIO.
#  2. a shard truncated in place: its chunks still wholly inside read right,
#     the others fail with EIO; a shard whose index (at its end) was cut
#     fails with EIO; a shard removed reads as the fill value; the other
#     shards read right.
#  3. the store folder renamed away: reads give the right bytes (zarrfs holds
#     the folder open, so it follows it) or EIO, no hang; renamed back, reads
#     work.
#  4. unmount with 8 readers in flight: `fusermount3 -u` (refused while files
#     are open: EBUSY) then `fusermount3 -uz`; the readers end, each read was
#     right or an error, and the daemon exits once the last file is closed.
#  5. SIGKILL of the daemon: the mount point fails with "Transport endpoint
#     is not connected" (ENOTCONN) and so do the reads of files left open.
#     Recovery (README, "Mounting"): `fusermount3 -u MOUNTPOINT` (it works
#     although the daemon is gone, once no file on the mount is open; with
#     files still open, `fusermount3 -uz MOUNTPOINT`), then mount again.
#     8 readers in flight at the kill get ENOTCONN/ECONNABORTED, never wrong
#     bytes.
#  6. a disk returning EIO: the store lives on zf_faultfs (tests/helpers/
#     faultfs.c), a passthrough FUSE file system that fails reads of chosen
#     files with EIO; reads of the faulty shard give EIO, the rest reads
#     right, the daemon stays up; the disk turning bad after data was read
#     fails only the reads that need the disk.
# Exit 0 = pass, 77 = skip (no /dev/fuse).
source "$(dirname "$0")/mount_common.bash"
zf_require

# Arrays: 32 x 32768 uint8 (1 MiB), inner chunks 2 x 32768 (64 KiB), shards
# 8 x 32768 (256 KiB): shard s is bytes [s*256K, (s+1)*256K) of the flat
# file, its inner chunk k bytes [s*256K + k*64K, +64K), and its key c/s/0.
KI=65536
SH=$((4 * KI))
SIZE=$((4 * SH))
GEOM=(--shape 32,32768 --dtype uint8 --chunks 2,32768 --shards 8,32768 --threads 2)
for v in 1 2; do head -c $SIZE /dev/urandom >"$T/v$v.raw"; done
# v3: compressible, so its shards have another size than v1's.
yes "zarrfs faults $RANDOM" | head -c $SIZE >"$T/v3.raw"
S=$T/store.zarr
zf_group "$S" || { bad "making the store"; zf_finish; }
zf_pack "$T/v1.raw" "$S/rep" "${GEOM[@]}" --crc32c &&
    zf_pack "$T/v2.raw" "$T/rep2" "${GEOM[@]}" --crc32c &&
    zf_pack "$T/v3.raw" "$T/rep3" "${GEOM[@]}" --crc32c &&
    zf_pack "$T/v1.raw" "$S/flip" "${GEOM[@]}" &&
    zf_pack "$T/v2.raw" "$T/flip2" "${GEOM[@]}" &&
    zf_pack "$T/v1.raw" "$S/trunc_start" "${GEOM[@]}" --codec none --index-location start &&
    zf_pack "$T/v1.raw" "$S/trunc_end" "${GEOM[@]}" --crc32c &&
    zf_pack "$T/v1.raw" "$S/ren" "${GEOM[@]}" ||
    zf_finish
[ "$(stat -c %s "$S/rep/c/1/0")" != "$(stat -c %s "$T/rep3/c/1/0")" ] ||
    bad "v3's shard should differ in size from v1's"

# rd.py (tests/sh/zf_versions.py): reads through the mount and says which
# version a read matched; see its header.
cp "$(dirname "$0")/zf_versions.py" "$T/rd.py"
# rd [-b] FILE OFF LEN NAME=RAW...: one read, at most 10 s ("hang" if more).
rd() {
    local out
    out=$(timeout 10 /usr/bin/python3 "$T/rd.py" read "$@") || out="hang($?)"
    echo "$out"
}
# want WHAT GOT ALLOWED...: passes when GOT is one of ALLOWED.
want() {
    local what=$1 got=$2 a
    shift 2
    for a in "$@"; do
        [ "$got" = "$a" ] && { ok "$what: $got"; return 0; }
    done
    bad "$what: $got (wanted: $*)"
}
# sum_counts FILE...: adds up the "NAME=N" counts of rd.py stress runs.
sum_counts() {
    cat "$@" | tr ' ' '\n' | grep . |
        awk -F= '{n[$1] += $2} END {for (k in n) printf "%s=%d ", k, n[k]; print ""}'
}
V1="v1=$T/v1.raw" V2="v2=$T/v2.raw" V3="v3=$T/v3.raw"

M=$T/m
LOG=$T/zarrfs.log
zf_mount_fg "$S" "$M" "$LOG" -o threads=4 || { bad "mount: $(cat "$LOG")"; zf_finish; }
PID1=$ZF_PID

# --- 1. a shard replaced by another valid one ------------------------------------
F=$M/rep
# Read shard 1's chunk 0 (buffered: now in the page cache and the engine's).
want "rep: chunk 1.0 before the change" "$(rd -b "$F" $SH $KI "$V1")" v1
# A new inode: mv over it.
mv "$T/rep2/c/1/0" "$S/rep/c/1/0"
want "rep (mv, new inode): a chunk not read before (buffered)" \
    "$(rd -b "$F" $((SH + 2 * KI)) $KI "$V1" "$V2")" v2 eio
want "rep (mv, new inode): the chunk read before (O_DIRECT)" \
    "$(rd "$F" $SH $KI "$V1" "$V2")" v2 eio
want "rep (mv, new inode): a read over 3 chunks (O_DIRECT)" \
    "$(rd "$F" $((SH + KI / 2)) $((2 * KI)) "$V1" "$V2")" v2 eio
want "rep: the next shard is untouched" "$(rd "$F" $((2 * SH)) $SH "$V1" "$V2")" v1
# A new size: v3's shard (compressible data: a smaller file, the index moves).
mv "$T/rep3/c/1/0" "$S/rep/c/1/0"
want "rep (mv, new size): a chunk not read before (buffered)" \
    "$(rd -b "$F" $((SH + 3 * KI)) $KI "$V1" "$V2" "$V3")" v3 eio
want "rep (mv, new size): the whole shard (O_DIRECT)" \
    "$(rd "$F" $SH $SH "$V1" "$V2" "$V3")" v3 eio
# Rewritten in place (cat >): the same inode, first with v2's shard (another
# size), then with v1's (the same size as v2's): only mtime/ctime change.
zf_pack "$T/v2.raw" "$T/rep2b" "${GEOM[@]}" --crc32c &&
    zf_pack "$T/v1.raw" "$T/rep1b" "${GEOM[@]}" --crc32c || zf_finish
ino=$(stat -c %i "$S/rep/c/1/0")
sleep 0.02 # a coarse timestamp clock would otherwise hide the rewrite
cat "$T/rep2b/c/1/0" >"$S/rep/c/1/0"
want "rep (rewritten in place, new size): the whole shard (O_DIRECT)" \
    "$(rd "$F" $SH $SH "$V1" "$V2" "$V3")" v2 eio
check "rep: v1's and v2's shards have the same size" \
    [ "$(stat -c %s "$T/rep1b/c/1/0")" = "$(stat -c %s "$T/rep2b/c/1/0")" ]
sleep 0.02
cat "$T/rep1b/c/1/0" >"$S/rep/c/1/0"
check "rep: the in-place rewrites kept the inode" [ "$(stat -c %i "$S/rep/c/1/0")" = "$ino" ]
want "rep (rewritten in place: same inode and size, new mtime): O_DIRECT" \
    "$(rd "$F" $SH $SH "$V1" "$V2" "$V3")" v1 eio
want "rep (rewritten in place): a chunk not read before (buffered)" \
    "$(rd -b "$F" $((SH + KI)) $KI "$V1" "$V2" "$V3")" v1 eio

# Flips while 8 readers read shard 1 of "flip" (O_DIRECT, 3 inner chunks a
# read) for ZF_FLIP_SECS seconds (default 3).  v1's and v2's shards have the
# same size and layout (random bytes do not compress), so an index of one
# version fits the chunks of the other: only a read that takes all its bytes
# from one version is right.
FLIP_SECS=${ZF_FLIP_SECS:-3}
cp "$S/flip/c/1/0" "$T/flip_v1_shard"
cp "$T/flip2/c/1/0" "$T/flip_v2_shard"
readers=()
for i in $(seq 8); do
    timeout $((FLIP_SECS + 30)) /usr/bin/python3 "$T/rd.py" stress "$M/flip" \
        $FLIP_SECS $SH $((2 * SH)) $((2 * KI)) $((i % 2)) "$V1" "$V2" >"$T/flip.$i" 2>&1 &
    readers+=($!)
done
flips=0
end=$((SECONDS + FLIP_SECS))
while [ $SECONDS -lt $end ]; do
    v=$((flips % 2 + 1))
    [ $v = 1 ] && src=$T/flip_v2_shard || src=$T/flip_v1_shard
    cp "$src" "$S/flip/c/1/.next" && mv "$S/flip/c/1/.next" "$S/flip/c/1/0"
    flips=$((flips + 1))
    sleep 0.01
done
hung=0
for p in "${readers[@]}"; do wait "$p" || hung=$((hung + 1)); done
check "flip: the 8 readers ended in time ($flips flips)" [ $hung -eq 0 ]
sum_counts "$T"/flip.[0-9]* >"$T/flip.sum"
echo "flip: reads: $(cat "$T/flip.sum")"
check "flip: no read mixed the versions" sh -c "! grep -q 'mix' '$T/flip.sum'"
check "flip: no read failed otherwise than with EIO" \
    sh -c "! grep -Eq 'err:|short|open:|Traceback' $T/flip.*"
check "flip: reads saw both versions" grep -q "v1=.*v2=\|v2=.*v1=" "$T/flip.sum"
want "flip: afterwards, the current version (O_DIRECT)" "$(rd "$M/flip" $SH $SH "$V1" "$V2")" \
    "$( [ $((flips % 2)) = 1 ] && echo v2 || echo v1)"

# --- 2. a shard truncated in place -----------------------------------------------
# trunc_start: codec none, index first (64 bytes): inner chunk k of a shard is
# bytes [64 + k*64K, +64K) of the file.  Cut shard 2 inside its chunk 2.
truncate -s $((64 + 2 * KI + 1000)) "$S/trunc_start/c/2/0"
F=$M/trunc_start
want "trunc_start: chunk 0 of the cut shard (wholly inside)" "$(rd "$F" $((2 * SH)) $KI "$V1")" v1
want "trunc_start: chunk 1 of the cut shard (wholly inside)" \
    "$(rd "$F" $((2 * SH + KI)) $KI "$V1")" v1
want "trunc_start: chunk 2 (cut)" "$(rd "$F" $((2 * SH + 2 * KI)) $KI "$V1")" eio
want "trunc_start: chunk 2 again (an error is not cached as data)" \
    "$(rd "$F" $((2 * SH + 2 * KI)) $KI "$V1")" eio
want "trunc_start: chunk 3 (beyond the end)" "$(rd "$F" $((2 * SH + 3 * KI)) $KI "$V1")" eio
want "trunc_start: shard 1" "$(rd "$F" $SH $SH "$V1")" v1
want "trunc_start: shard 3" "$(rd "$F" $((3 * SH)) $SH "$V1")" v1
truncate -s 0 "$S/trunc_start/c/3/0"
want "trunc_start: a shard cut to 0 bytes" "$(rd "$F" $((3 * SH)) $KI "$V1")" eio
# trunc_end: index at the end (crc32c): cutting the file cuts the index off.
truncate -s $((3 * KI)) "$S/trunc_end/c/0/0"
F=$M/trunc_end
want "trunc_end: chunk 0 of the shard whose index was cut" "$(rd "$F" 0 $KI "$V1")" eio
want "trunc_end: chunk 3 of it" "$(rd "$F" $((3 * KI)) $KI "$V1")" eio
want "trunc_end: shards 1-3" "$(rd "$F" $SH $((3 * SH)) "$V1")" v1
# A shard removed: a missing key is the fill value (0), not the old bytes.
head -c $SIZE /dev/zero >"$T/zero.raw"
rm "$S/trunc_end/c/2/0"
want "trunc_end: a shard removed reads as the fill value" \
    "$(rd "$F" $((2 * SH)) $SH "$V1" "zero=$T/zero.raw")" zero
want "trunc_end: the shards beside it" "$(rd "$F" $SH $SH "$V1")" v1
check "truncation: the daemon is alive" zf_alive "$PID1"
check "truncation: the mount is up" mountpoint -q "$M"

# --- 3. the store folder renamed away --------------------------------------------
F=$M/ren
want "rename: before, shard 1 chunk 0 (buffered)" "$(rd -b "$F" $SH $KI "$V1")" v1
mv "$S" "$T/away.zarr"
want "rename away: that chunk again (page cache)" "$(rd -b "$F" $SH $KI "$V1")" v1
want "rename away: a chunk not read before (buffered)" \
    "$(rd -b "$F" $((2 * SH + KI)) $KI "$V1")" v1 eio
want "rename away: O_DIRECT" "$(rd "$F" $((3 * SH)) $SH "$V1")" v1 eio
check "rename away: ls of the mount" sh -c "timeout 10 ls '$M/' | grep -q rep"
check "rename away: stat of a file" sh -c "timeout 10 stat -c %s '$M/rep' >/dev/null"
check "rename away: the daemon is alive" zf_alive "$PID1"
mv "$T/away.zarr" "$S"
want "renamed back: O_DIRECT" "$(rd "$F" $SH $((3 * SH)) "$V1")" v1
want "renamed back: a chunk not read before (buffered)" \
    "$(rd -b "$F" $((3 * SH + 2 * KI)) $KI "$V1")" v1
# Another folder in the old place: zarrfs keeps serving the folder it opened.
mv "$S" "$T/away.zarr"
mkdir -p "$S"
want "rename away, another folder there: O_DIRECT" "$(rd "$F" $SH $KI "$V1")" v1 eio
rmdir "$S" && mv "$T/away.zarr" "$S"
check "renamed back: the daemon is alive" zf_alive "$PID1"
timeout 10 fusermount3 -u "$M" && zf_wait_gone "$PID1" 10 && ok "unmount; zarrfs exited" ||
    bad "unmount after 1-3"

# --- 4. unmount with reads in flight ---------------------------------------------
M4=$T/m4
zf_mount_fg "$S" "$M4" "$T/m4.log" -o threads=4 || { bad "mount 4: $(cat "$T/m4.log")"; zf_finish; }
PID4=$ZF_PID
readers=()
for i in $(seq 8); do
    timeout 30 /usr/bin/python3 "$T/rd.py" stress "$M4/rep" 4 0 $SIZE $((2 * KI)) $((i % 2)) \
        "$V1" >"$T/um.$i" 2>&1 &
    readers+=($!)
done
sleep 0.7
if fusermount3 -u "$M4" 2>"$T/umount.err"; then
    ok "unmount -u with readers in flight: unmounted"
else
    check "unmount -u with readers in flight: refused as busy ($(head -c 100 "$T/umount.err"))" \
        grep -qi "busy" "$T/umount.err"
    check "unmount -uz (lazy)" fusermount3 -uz "$M4"
fi
check "after the unmount the mount point is no mount" sh -c "! mountpoint -q '$M4'"
hung=0
for p in "${readers[@]}"; do wait "$p" || hung=$((hung + 1)); done
check "unmount: the 8 readers ended in time" [ $hung -eq 0 ]
sum_counts "$T"/um.[0-9]* >"$T/um.sum"
echo "unmount: reads: $(cat "$T/um.sum")"
check "unmount: no read gave wrong bytes" sh -c "! grep -Eq 'mix|short' '$T/um.sum'"
check "unmount: no reader crashed" sh -c "! grep -q Traceback $T/um.*"
zf_wait_gone "$PID4" 10 && ok "unmount: the daemon exited once the readers were done" ||
    bad "unmount: the daemon is still running 10 s after its readers"

# --- 5. SIGKILL of the daemon ----------------------------------------------------
M5=$T/m5
zf_mount_fg "$S" "$M5" "$T/m5.log" || { bad "mount 5: $(cat "$T/m5.log")"; zf_finish; }
PID5=$ZF_PID
exec 7<"$M5/rep" # a file left open across the kill
readers=()
for i in $(seq 8); do
    timeout 30 /usr/bin/python3 "$T/rd.py" stress "$M5/rep" 4 0 $SIZE $((2 * KI)) $((i % 2)) \
        "$V1" >"$T/kill.$i" 2>&1 &
    readers+=($!)
done
sleep 0.5
{ kill -9 "$PID5" && wait "$PID5"; } 2>/dev/null # (no "Killed" line)
zf_wait_gone "$PID5" 5 && ok "SIGKILL: the daemon is gone" ||
    bad "SIGKILL: the daemon is still there"
hung=0
for p in "${readers[@]}"; do wait "$p" || hung=$((hung + 1)); done
check "SIGKILL: the 8 readers in flight ended in time" [ $hung -eq 0 ]
sum_counts "$T"/kill.[0-9]* >"$T/kill.sum"
echo "SIGKILL: reads: $(cat "$T/kill.sum")"
check "SIGKILL: no read gave wrong bytes" sh -c "! grep -Eq 'mix|short|Traceback' $T/kill.*"
check "SIGKILL: the readers got ENOTCONN or ECONNABORTED" grep -Eq "ENOTCONN|ECONNABORTED" "$T/kill.sum"
timeout 10 stat "$M5" >/dev/null 2>"$T/k.err"
check "SIGKILL: stat of the mount point fails: $(head -c 100 "$T/k.err")" \
    grep -q "Transport endpoint is not connected" "$T/k.err"
timeout 10 dd bs=4096 count=1 of=/dev/null 2>"$T/k.err" <&7
check "SIGKILL: a read of a file left open fails with ENOTCONN" \
    grep -q "Transport endpoint is not connected" "$T/k.err"
check "SIGKILL: the mount stays listed (stale)" grep -qF " $M5 " /proc/mounts
# Recovery: unmount the dead mount (`fusermount3 -u`, refused as busy while
# a file on it is still open; then `fusermount3 -uz`), then mount again.
timeout 10 fusermount3 -u "$M5" 2>"$T/k.err"
check "SIGKILL recovery: fusermount3 -u is refused while a file is open" grep -qi busy "$T/k.err"
exec 7<&-
check "SIGKILL recovery: fusermount3 -u works once it is closed" timeout 10 fusermount3 -u "$M5"
check "SIGKILL recovery: mount again" zf_mount_fg "$S" "$M5" "$T/m5b.log"
want "SIGKILL recovery: the remounted file reads right" "$(rd "$M5/rep" 0 $SIZE "$V1")" v1
exec 7<"$M5/rep"
{ kill -9 "$ZF_PID" && wait "$ZF_PID"; } 2>/dev/null
check "SIGKILL recovery: fusermount3 -uz works with a file still open" \
    timeout 10 fusermount3 -uz "$M5"
exec 7<&-
check "SIGKILL recovery: mount again" zf_mount_fg "$S" "$M5" "$T/m5c.log"
want "SIGKILL recovery: the remounted file reads right" "$(rd -b "$M5/rep" 0 $SIZE "$V1")" v1
check "SIGKILL recovery: unmount" zf_umount "$M5" "$ZF_PID"

# --- 6. a disk returning EIO -----------------------------------------------------
FAULTFS=$BIN/zf_faultfs
if [ ! -x "$FAULTFS" ]; then
    bad "$FAULTFS is not built"
    zf_finish
fi
D=$T/disk
mkdir -p "$D"
zf_group "$D" && zf_pack "$T/v1.raw" "$D/arr" "${GEOM[@]}" --crc32c &&
    zf_pack "$T/v2.raw" "$D/other" "${GEOM[@]}" || zf_finish
FD=$T/faulty
mkdir -p "$FD"
MOUNTS+=("$FD")
ZF_FAULT='arr/c/1/0' ZF_FAULT_FILE=$T/bad_keys "$FAULTFS" "$D" "$FD" -f 2>"$T/faultfs.log" &
FPID=$!
PIDS+=("$FPID")
for ((i = 0; i < 200; i++)); do mountpoint -q "$FD" && break; sleep 0.05; done
check "faultfs mounted" mountpoint -q "$FD"
check "faultfs: the bad shard fails to read" sh -c "! cat '$FD/arr/c/1/0' >/dev/null 2>&1"
check "faultfs: a good shard reads" cmp -s "$FD/arr/c/0/0" "$D/arr/c/0/0"
M6=$T/m6
zf_mount_fg "$FD" "$M6" "$T/m6.log" -o threads=4 || { bad "mount 6: $(cat "$T/m6.log")"; zf_finish; }
PID6=$ZF_PID
F=$M6/arr
want "EIO disk: a chunk of the bad shard" "$(rd "$F" $SH $KI "$V1")" eio
want "EIO disk: again (not cached as data)" "$(rd -b "$F" $((SH + KI)) $KI "$V1")" eio
want "EIO disk: shard 0" "$(rd "$F" 0 $SH "$V1")" v1
want "EIO disk: shards 2-3" "$(rd "$F" $((2 * SH)) $((2 * SH)) "$V1")" v1
check "EIO disk: the daemon is alive" zf_alive "$PID6"
# "other": read with the disk good, then the disk turns bad for all of it.
want "EIO disk: other, shard 0 with the disk still good (buffered)" \
    "$(rd -b "$M6/other" 0 $KI "$V2")" v2
echo 'other/c/*' >"$T/bad_keys" # the disk turns bad under "other"
want "EIO disk: other, the same bytes after it turned bad (page cache, unless evicted)" \
    "$(rd -b "$M6/other" 0 $KI "$V2")" v2 eio
want "EIO disk: other, shard 1 after it turned bad" "$(rd "$M6/other" $SH $KI "$V2")" eio
want "EIO disk: other, shard 3 after it turned bad (buffered)" \
    "$(rd -b "$M6/other" $((3 * SH)) $KI "$V2")" eio
# Many readers against the bad disk: no hang, no crash.
readers=()
for i in $(seq 8); do
    timeout 30 /usr/bin/python3 "$T/rd.py" stress "$F" 1 0 $SIZE $((2 * KI)) $((i % 2)) \
        "$V1" >"$T/dk.$i" 2>&1 &
    readers+=($!)
done
hung=0
for p in "${readers[@]}"; do wait "$p" || hung=$((hung + 1)); done
check "EIO disk: 8 readers ended in time" [ $hung -eq 0 ]
check "EIO disk: their reads were right or EIO" sh -c "! grep -Eq 'mix|short|err:|open:|Traceback' $T/dk.*"
check "EIO disk: the daemon is alive" zf_alive "$PID6"
rm -f "$T/bad_keys"
want "EIO disk: other, shard 1 with the disk good again" "$(rd "$M6/other" $SH $KI "$V2")" v2
check "EIO disk: the read errors are logged" grep -q "arr" "$T/m6.log"
check "EIO disk: unmount zarrfs" zf_umount "$M6" "$PID6"
check "EIO disk: unmount faultfs" zf_umount "$FD" "$FPID"

zf_finish
