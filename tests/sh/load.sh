#!/usr/bin/env bash
# load.sh - the mount under load: a 1 GiB uint16 array (zarrfs-pack, shards
# of 256^3 holding chunks of 64^3, zstd) read by 16 processes at once for
# ${ZF_LOAD_SECONDS:-60} seconds: 10 doing preads of random ranges (from a
# few bytes to 4 MiB, at any offset), 6 walking random pages of an mmap of
# the whole file; each drops the file's page cache now and then so the reads
# reach the daemon.  Every byte read is compared with the generator's input.
# The daemon's RSS and open descriptors are sampled every half second.
# Passes when no byte differed, no read failed, every reader finished in
# time (no deadlock), the daemon is alive, its RSS stayed under
# ${ZF_LOAD_RSS_MIB:-1024} MiB (the cache is 256 MiB by default) and its
# descriptors under 300.  Prints reads, bytes, errors, peak RSS, max fds.
# ZF_LOAD_MIB (default 1024) sets the array's size.  Exit 77 without FUSE.
source "$(dirname "$0")/mount_common.bash"
zf_require
SECS=${ZF_LOAD_SECONDS:-60}
MIB=${ZF_LOAD_MIB:-1024}
RSS_MAX=${ZF_LOAD_RSS_MIB:-1024}

# --- the data: a repeating pattern plus noise, compressible, every MiB
# different (its index is written into it) ---------------------------------
RAW=$T/vol.raw
/usr/bin/python3 - "$RAW" "$MIB" <<'PY' || { bad "generate the data"; zf_finish; }
import os, random, struct, sys
path, mib = sys.argv[1], int(sys.argv[2])
rnd = random.Random(12345)
pats = [bytes(rnd.getrandbits(8) for _ in range(4096)) for _ in range(16)]
with open(path, "wb") as f:
    for i in range(mib):
        blk = bytearray(pats[i % 16] * 256)
        for k in range(1024):  # noise: 8 random bytes per KiB
            at = rnd.randrange(len(blk) - 8)
            blk[at:at + 8] = struct.pack("<Q", rnd.getrandbits(64))
        blk[0:8] = struct.pack("<Q", i)
        f.write(blk)
PY
# 1024 MiB of uint16 = 512 x 1024 x 1024 elements; smaller sizes shrink dim 0
d0=$((MIB / 2))
zf_pack "$RAW" "$T/vol.zarr" --shape "$d0,1024,1024" --dtype uint16 \
    --chunks 64,64,64 --shards 256,256,256 --codec zstd:1 || zf_finish
echo "array: $MIB MiB, store $(du -sm "$T/vol.zarr" | cut -f1) MiB"

M=$T/m
zf_mount_fg "$T/vol.zarr" "$M" "$T/mount.log" || { bad "mount: $(cat "$T/mount.log")"; zf_finish; }
F=$M/vol

# --- the sampler -----------------------------------------------------------------
(
    while zf_alive "$ZF_PID"; do
        r=$(awk '/^VmRSS/ {print $2}' "/proc/$ZF_PID/status" 2>/dev/null)
        n=$(ls "/proc/$ZF_PID/fd" 2>/dev/null | wc -l)
        echo "${r:-0} $n"
        sleep 0.5
    done
) >"$T/samples" &
SAMPLER=$!

# --- the readers --------------------------------------------------------------------
cat >"$T/reader.py" <<'PY'
import mmap, os, random, sys, time
kind, idx, path, ref, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
rnd = random.Random(idx * 7919)
fd = os.open(path, os.O_RDONLY)
rf = os.open(ref, os.O_RDONLY)
size = os.fstat(rf).st_size
reads = nbytes = errors = diffs = 0
end = time.time() + secs
mm = mmap.mmap(fd, size, prot=mmap.PROT_READ) if kind == "mmap" else None
rm = mmap.mmap(rf, size, prot=mmap.PROT_READ)
while time.time() < end:
    if reads % 64 == 63:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        if mm is not None:
            mm.madvise(mmap.MADV_DONTNEED)
    try:
        if kind == "pread":
            n = rnd.choice([1, 7, 512, 4096, 65536, 1 << 20, 4 << 20])
            n = rnd.randrange(1, n + 1)
            off = rnd.randrange(0, size - n + 1)
            got = os.pread(fd, n, off)
        else:  # a walk of 16 pages from a random page, forwards
            off = rnd.randrange(0, size // 4096) * 4096
            n = min(16 * 4096, size - off)
            got = bytes(mm[off:off + n])
        reads += 1
        nbytes += len(got)
        if got != rm[off:off + n]:
            diffs += 1
            print("DIFF %s %d at %d+%d" % (kind, idx, off, n), file=sys.stderr)
    except OSError as e:
        errors += 1
        print("ERROR %s %d: %s" % (kind, idx, e), file=sys.stderr)
print(reads, nbytes, errors, diffs)
PY
pids=()
for i in $(seq 16); do
    kind=pread
    [ "$i" -gt 10 ] && kind=mmap
    /usr/bin/python3 "$T/reader.py" "$kind" "$i" "$F" "$RAW" "$SECS" \
        >"$T/r$i.out" 2>"$T/r$i.err" &
    pids+=($!)
done
# every reader must be done within SECS + 120 s: else a deadlock
deadline=$((SECONDS + SECS + 120))
hung=0
for p in "${pids[@]}"; do
    while zf_alive "$p" && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    if zf_alive "$p"; then
        hung=$((hung + 1))
        kill "$p" 2>/dev/null
    fi
    wait "$p" 2>/dev/null
done
check "every reader finished in time (no deadlock; $hung hung)" [ "$hung" -eq 0 ]
check "the daemon is alive" zf_alive "$ZF_PID"
cat "$T"/r*.err | head -5
read -r reads bytes errors diffs < <(cat "$T"/r*.out | awk '{a+=$1; b+=$2; c+=$3; d+=$4} END {printf "%.0f %.0f %.0f %.0f\n", a, b, c, d}')
check "reads happened ($reads)" [ "$reads" -gt 0 ]
check "no read failed ($errors errors)" [ "$errors" -eq 0 ]
check "every byte matched ($diffs differing reads)" [ "$diffs" -eq 0 ]
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
read -r peak maxfd < <(awk 'BEGIN {r = 0; f = 0} {if ($1 > r) r = $1; if ($2 > f) f = $2} END {print r, f}' "$T/samples")
samples=$(wc -l <"$T/samples")
echo "load: ${SECS}s, 16 readers: $reads reads, $((bytes / 1048576)) MiB, $errors errors, $diffs mismatches; daemon peak RSS $((peak / 1024)) MiB, max $maxfd fds ($samples samples)"
check "the daemon's RSS stayed under $RSS_MAX MiB ($((peak / 1024)) MiB)" [ "$peak" -lt $((RSS_MAX * 1024)) ]
check "the daemon's descriptors stayed under 300 ($maxfd)" [ "$maxfd" -lt 300 ]
check "unmount" zf_umount "$M" "$ZF_PID"
zf_finish
