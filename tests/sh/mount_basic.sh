#!/usr/bin/env bash
# mount_basic.sh - the zarrfs command and one mount, end to end: daemon start
# only once the mount is ready, options (threads=, cache_size=, unknown ones
# refused, --help, -V, fstab through mount.fuse3), page-cached reads, 8
# concurrent readers, hexdump, extended attributes, .zarrfs/stats, writes
# refused, SIGTERM/SIGINT unmount and exit, a nonexistent store.
# Exit 0 = pass, 77 = skip (no /dev/fuse).
source "$(dirname "$0")/mount_common.bash"
zf_require
zf_require_corpus

# stat_field FILE KEY: one counter of a stats file.
stat_field() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# --- a 4 MiB sharded array of random uint16, and a small corpus one --------
head -c $((1024 * 2048 * 2)) /dev/urandom >"$T/big.raw"
zf_pack "$T/big.raw" "$T/big.zarr" --shape 1024,2048 --dtype uint16 \
    --chunks 64,256 --shards 256,512 --codec zstd || zf_finish
KNOWN=$CORPUS/v3/v3_u1_zstd.zarr
KNOWN_RAW=$CORPUS/expected/v3_u1_zstd.raw

# --- command line ------------------------------------------------------------
"$ZARRFS" --help >"$T/help" 2>&1
check "--help exits 0" [ $? -eq 0 ]
check "--help lists zarrfs's options, then libfuse's" \
    grep -q "threads=N" "$T/help"
check "--help shows cache_size and libfuse's allow_other" \
    sh -c "grep -q cache_size= '$T/help' && grep -q allow_other '$T/help'"
check "-V prints the version" sh -c "'$ZARRFS' -V | grep -q 'zarrfs version'"

M=$T/m
mkdir -p "$M"
# refused STATUS PHRASE -- args...: fails with a message and mounts nothing.
refused() {
    local phrase=$1
    shift 2
    "$ZARRFS" "$@" >"$T/out" 2>&1
    local rc=$?
    if [ "$rc" -ne 0 ] && grep -qi -- "$phrase" "$T/out" && ! mountpoint -q "$M"; then
        ok "refused: $* ($(head -1 "$T/out"))"
    else
        bad "not refused as expected (exit $rc): $* ($(head -1 "$T/out"))"
    fi
}
refused "cannot open the store" -- "$T/no such store" "$M"
refused "not a Zarr store" -- "$T" "$M"
refused "unknown option" -- -o bogus_option "$T/big.zarr" "$M"
refused "threads" -- -o threads=many "$T/big.zarr" "$M"
refused "cache_size" -- -o cache_size=12Q "$T/big.zarr" "$M"
refused "reads=" -- -o reads=sideways "$T/big.zarr" "$M"
refused "MOUNTPOINT" -- "$T/big.zarr"
refused "mount point" -- "$T/big.zarr" "$T/no such dir"

# --- daemon mode: returns once mounted -----------------------------------------
MOUNTS+=("$M")
"$ZARRFS" "${READS_OPT[@]}" -o threads=2,cache_size=16M "$T/big.zarr" "$M" 2>"$T/err"
check "zarrfs STORE MNT exits 0 ($(cat "$T/err"))" [ $? -eq 0 ]
check "the mount is ready when the command returns" mountpoint -q "$M"
DPID=$(zf_daemon_pid "$M")
check "a daemon serves the mount" [ -n "$DPID" ]
check "the mount is read-only (ro)" \
    sh -c "grep ' $M fuse.zarrfs ro,' /proc/mounts >/dev/null"
F=$M/big
check "a root array shows as STORE's name less .zarr" [ -f "$F" ]
check "size is shape x itemsize" [ "$(stat -c %s "$F")" -eq $((1024 * 2048 * 2)) ]
check "mtime is that of the array's metadata" \
    [ "$(stat -c %Y "$F")" -eq "$(stat -c %Y "$T/big.zarr/zarr.json")" ]
check "inode numbers are stable" [ "$(stat -c %i "$F")" = "$(stat -c %i "$F")" ]
check "statfs answers" sh -c "stat -f '$M' >/dev/null"
check "cmp of the whole file" cmp -s "$F" "$T/big.raw"
out=$("$CHECK" compare "$F" "$T/big.raw") && ok "mmap and unaligned preads" ||
    bad "mmap and unaligned preads: $out"
out=$("$CHECK" random "$F" "$T/big.raw" 8 150) &&
    ok "8 concurrent readers of random ranges agree" ||
    bad "8 concurrent readers: $out"
check "a read past the end gives 0 bytes" \
    [ "$(dd if="$F" bs=4096 skip=2048 count=4 2>/dev/null | wc -c)" -eq 0 ]

# --- .zarrfs/stats; keep_cache ---------------------------------------------------
S=$M/.zarrfs/stats
check ".zarrfs is hidden from readdir" sh -c "! ls -a '$M' | grep -q zarrfs"
check ".zarrfs/stats can be looked up" [ -f "$S" ]
check "ls .zarrfs shows stats" sh -c "ls '$M/.zarrfs' | grep -qx stats"
cp "$S" "$T/s0.json"
check "stats is one JSON object with the engine's counters" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
keys = ["store_reads", "store_bytes_read", "index_reads", "chunks_decoded",
        "bytes_served", "cache_hits", "cache_misses"]
sys.exit(0 if all(isinstance(d[k], int) for k in keys) else 1)' "$T/s0.json"
python3 -c 'import os,sys; fd=os.open(sys.argv[1],os.O_RDONLY); os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED)' "$F"
cat "$F" >/dev/null
cp "$S" "$T/s1.json"
cat "$F" >/dev/null
cp "$S" "$T/s2.json"
check "stats counters move with reads" \
    [ "$(stat_field "$T/s1.json" bytes_served)" -gt "$(stat_field "$T/s0.json" bytes_served)" ]
READS=$(zf_reads "$M")
check "the mount reads $(zf_reads_expected), as this build and kernel allow (stats: $READS, $(stat_field "$T/s2.json" reads_why))" \
    [ "$READS" = "$(zf_reads_expected)" ]
if [ "$READS" = cached ]; then
    check "a re-read is served from the page cache" \
        [ "$(stat_field "$T/s2.json" bytes_served)" -eq "$(stat_field "$T/s1.json" bytes_served)" ]
else
    check "direct: a re-read reaches zarrfs, and is served from its cache (no decode)" \
        [ "$(stat_field "$T/s2.json" bytes_served)" -gt "$(stat_field "$T/s1.json" bytes_served)" -a \
          "$(stat_field "$T/s2.json" chunks_decoded)" -eq "$(stat_field "$T/s1.json" chunks_decoded)" ]
fi

# --- writes are refused ----------------------------------------------------------
check "creating a file is refused" sh -c "! touch '$M/new' 2>/dev/null"
check "mkdir is refused" sh -c "! mkdir '$M/dir' 2>/dev/null"
check "open for writing gets EROFS" python3 -c '
import errno, os, sys
try:
    os.open(sys.argv[1], os.O_WRONLY)
except OSError as e:
    sys.exit(0 if e.errno == errno.EROFS else 1)
sys.exit(1)' "$F"
check "the file is unchanged" cmp -s "$F" "$T/big.raw"

# --- SIGINT to the daemon unmounts and ends it ---------------------------------------
if [ -n "$DPID" ]; then
    kill -INT "$DPID"
    check "SIGINT: the daemon exits" zf_wait_gone "$DPID" 10
    check "SIGINT: unmounted" sh -c "! mountpoint -q '$M'"
fi

# --- a known array: hexdump, extended attributes --------------------------------------
K=$T/k
if zf_mount_fg "$KNOWN" "$K" "$T/k.log"; then
    KF=$K/v3_u1_zstd
    cat "$K/.zarrfs/stats" >/dev/null # (INIT has been answered: the line is out)
    check "the mount's log says how it reads: $(grep -o 'reads: .*' "$T/k.log")" \
        grep -q "reads: $(zf_reads_expected) (" "$T/k.log"
    if command -v hexdump >/dev/null; then
        check "hexdump -C shows the expected first line" \
            [ "$(hexdump -C "$KF" | head -1)" = "$(hexdump -C "$KNOWN_RAW" | head -1)" ]
    else
        skip "hexdump: the bsdextrautils package is not installed"
    fi
    for kv in shape=37,53 dtype=uint8 chunks=16,16; do
        got=$("$CHECK" xattr "$KF" "user.zarr.${kv%%=*}")
        [ "$got" = "${kv#*=}" ] && ok "user.zarr.${kv%%=*} = $got (size query, ERANGE)" ||
            bad "user.zarr.${kv%%=*}: '$got', want '${kv#*=}'"
    done
    "$CHECK" xattr "$KF" user.zarr.metadata >"$T/meta.json"
    check "user.zarr.metadata is the array's metadata JSON" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["shape"] == [37, 53] and d["node_type"] == "array" else 1)' "$T/meta.json"
    check "listxattr lists the four attributes" python3 -c '
import os, sys
want = {"user.zarr.shape", "user.zarr.dtype", "user.zarr.chunks", "user.zarr.metadata"}
sys.exit(0 if set(os.listxattr(sys.argv[1])) == want else 1)' "$KF"
    if command -v getfattr >/dev/null; then
        check "getfattr reads user.zarr.shape" \
            [ "$(getfattr --only-values -n user.zarr.shape "$KF" 2>/dev/null)" = 37,53 ]
    else
        skip "getfattr: the attr package is not installed"
    fi
    check "an unknown attribute is ENODATA" python3 -c '
import errno, os, sys
try:
    os.getxattr(sys.argv[1], "user.zarr.nope")
except OSError as e:
    sys.exit(0 if e.errno == errno.ENODATA else 1)
sys.exit(1)' "$KF"
    # SIGTERM in the foreground: unmounts, exits 0, leaves nothing behind.
    kill -TERM "$ZF_PID"
    zf_wait_gone "$ZF_PID" 10
    wait "$ZF_PID"
    check "SIGTERM: zarrfs -f exits 0" [ $? -eq 0 ]
    check "SIGTERM: unmounted" sh -c "! mountpoint -q '$K'"
else
    bad "mount $KNOWN: $(cat "$T/k.log")"
fi

# --- fstab: mount.fuse3 runs "zarrfs STORE MNT -o opts" ----------------------------------
if command -v mount.fuse3 >/dev/null; then
    PATH="$BIN:$PATH" mount.fuse3 "$T/big.zarr" "$M" -t fuse.zarrfs \
        -o defaults,rw,threads=2,x-systemd.automount 2>"$T/err"
    check "mount.fuse3 -t fuse.zarrfs ($(cat "$T/err"))" mountpoint -q "$M"
    check "fstab mount is read-only despite rw" \
        sh -c "grep ' $M fuse.zarrfs ro,' /proc/mounts >/dev/null"
    check "fstab mount serves the array" cmp -s "$M/big" "$T/big.raw"
    DPID=$(zf_daemon_pid "$M")
    fusermount3 -u "$M"
    check "fusermount3 -u: the daemon exits" zf_wait_gone "${DPID:-0}" 10
else
    skip "mount.fuse3 is not installed"
fi
zf_finish
