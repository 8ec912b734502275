#!/usr/bin/env bash
# mount_grid.sh - the work a read causes follows the chunk grid (-o push=
# with the kernel's readahead off, grid-aware prefetch, chunks larger than
# the cache), and no mode ever shows a wrong or stale byte.
#
# The data: tools/bench/tick_archive.py (numpy + zstandard from the spec,
# not zarrfs) - float64 [16 symbols, 4 days of 10000 s], inner chunks
# (1, 10000) (80,000 bytes: chunk ends fall inside pages) in shards of one
# symbol; its flat bytes come from numpy.  Counters from .zarrfs/stats.
#  - random 4 KiB reads fetch at most 1.1 x the stored bytes of the chunks
#    they touch (plus one index a shard);
#  - a day of every symbol by pread: the right bytes; chunks decoded at
#    most 1.1 x the chunks its page-rounded ranges touch, and with direct
#    reads (iomode.h) exactly the chunks that hold the day;
#  - the same by mmap (numpy.memmap): the right bytes; chunks decoded at
#    most 1.25 x what its page-rounded ranges touch (a page across a chunk
#    end needs both chunks, so with direct reads mmap decodes more than
#    pread);
#  - 8 processes mmap-walking random pages of the file at once; readers
#    while the page cache is dropped in a loop: every byte right;
#  - chunks larger than the cache (4 MiB chunks, cache_size=1M): dd
#    decodes each chunk once, the daemon's peak RSS stays bounded;
#  - a shard replaced, again and again, while readers map the file and
#    pages are pushed: afterwards one read that notices the change drops
#    what the kernel holds, and the whole file is the new version;
#  - the same under -o metadata_ttl (chunks rewritten, metadata unchanged).
# Exit 0 = pass, 77 = skip (no /dev/fuse).
source "$(dirname "$0")/mount_common.bash"
zf_require
zf_require_numpy_zstd

S=16 DAYS=4 DAY=10000
N=$((DAYS * DAY))
RAW=$T/ticks.raw "$PY" "$SRC/tools/bench/tick_archive.py" ticks "$T/ticks.zarr" $S $DAYS $DAY >/dev/null
F=ticks
stat_field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
delta() { echo $(($(stat_field "$2" "$3") - $(stat_field "$1" "$3"))); }

# q MNT KIND: one query by the reader below; prints its verdict line.
cat >"$T/q.py" <<'PY'
import os, sys
import numpy as np
path, raw, kind = sys.argv[1:4]
S, N, DAY, D = map(int, sys.argv[4:8])
want = np.fromfile(raw, dtype="<f8").reshape(S, N)
fd = os.open(path, os.O_RDONLY)
if kind == "pread":
    got = np.stack([np.frombuffer(os.pread(fd, DAY * 8, (s * N + D * DAY) * 8), "<f8") for s in range(S)])
    # the chunks the page-rounded ranges touch
    touched = set()
    for s in range(S):
        a = (s * N + D * DAY) * 8 // 4096 * 4096
        b = -(-((s * N + (D + 1) * DAY) * 8) // 4096) * 4096
        for e in range(a // 8, min(b, S * N * 8) // 8, DAY // 4):
            touched.add(e // DAY)
        touched.add((min(b, S * N * 8) // 8 - 1) // DAY)
    print(len(touched))
elif kind == "mmap":
    m = np.memmap(path, dtype="<f8", mode="r", shape=(S, N))
    got = np.array(m[:, D * DAY:(D + 1) * DAY])
    print(0)
ok = np.array_equal(got, want[:, D * DAY:(D + 1) * DAY])
print("values", "ok" if ok else "WRONG")
PY

# fresh MNT [options]: a new mount of the archive on MNT, its stats in $T/s0.
fresh() {
    local m=$1
    shift
    zf_mount_fg "$T/ticks.zarr" "$m" "$T/log" "$@" || { bad "mount $*"; return 1; }
    cp "$m/.zarrfs/stats" "$T/s0"
}

# (push=4M alone keeps a 128K kernel window, which on these 80 KB chunk
# runs still reaches neighbours: the grid-exact setting is readahead=0)
for opts in "-o push=4M,readahead=0" ""; do
    tag=${opts:-defaults}
    fresh "$T/m1" $opts || continue
    out=$("$PY" "$T/q.py" "$T/m1/$F" "$T/ticks.raw" pread $S $N $DAY 2)
    cp "$T/m1/.zarrfs/stats" "$T/s1"
    zf_umount "$T/m1" "$ZF_PID"
    touched=$(head -1 <<<"$out")
    pread_dec=$(delta "$T/s0" "$T/s1" chunks_decoded)
    check "$tag: a day by pread: the right values" grep -q "values ok" <<<"$out"
    check "$tag: a day by pread decodes $pread_dec chunks, at most 1.1 x the $touched its page-rounded ranges touch" \
        awk -v d="$pread_dec" -v t="$touched" 'BEGIN { exit !(d <= 1.1 * t) }'
    if [ "$(stat_field "$T/s1" reads)" = direct ]; then
        check "$tag: direct reads: a day by pread decodes exactly the $S chunks that hold it ($pread_dec)" \
            [ "$pread_dec" -eq "$S" ]
    fi

    fresh "$T/m1" $opts || continue
    out=$("$PY" "$T/q.py" "$T/m1/$F" "$T/ticks.raw" mmap $S $N $DAY 2)
    cp "$T/m1/.zarrfs/stats" "$T/s1"
    zf_umount "$T/m1" "$ZF_PID"
    mmap_dec=$(delta "$T/s0" "$T/s1" chunks_decoded)
    check "$tag: a day by mmap: the right values" grep -q "values ok" <<<"$out"
    if [ -n "$opts" ]; then # (by default the kernel's 1 MiB read-around windows cut across the grid)
        check "$tag: a day by mmap decodes $mmap_dec chunks, at most 1.25 x the $touched its pages touch" \
            awk -v m="$mmap_dec" -v t="$touched" 'BEGIN { exit !(m <= 1.25 * t) }'
        check "$tag: pushed bytes were counted" test "$(delta "$T/s0" "$T/s1" cached_bytes)" -gt 0
    fi
done

# --- random 4 KiB reads: the store bytes follow the chunks they touch ----------------
fresh "$T/m1" || true
"$PY" - "$T/m1/$F" "$T/ticks.zarr" "$T/s0" $S $N $DAY $DAYS >"$T/rand.out" <<'PY'
import json, os, random, struct, sys
path, store, s0 = sys.argv[1], sys.argv[2], sys.argv[3]
S, N, DAY, DAYS = map(int, sys.argv[4:])
fd = os.open(path, os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
rng = random.Random(5)
size = S * N * 8
touched = set()
for _ in range(60):
    off = rng.randrange(size // 4096) * 4096
    os.pread(fd, 4096, off)
    for e in (off // 8, min(off + 4095, size - 1) // 8):
        touched.add((e // N, e % N // DAY))
# the least any reader reads: the stored chunks touched, one index a shard
least = 0
for s in {s for s, _ in touched}:
    raw = open(os.path.join(store, "c", str(s), "0"), "rb").read()
    least += 16 * DAYS
    for s2, d in touched:
        if s2 == s:
            least += struct.unpack_from("<QQ", raw, len(raw) - 16 * DAYS + 16 * d)[1]
b = json.load(open(path.rsplit("/", 1)[0] + "/.zarrfs/stats"))
a = json.load(open(s0))
print(b["store_bytes_read"] - a["store_bytes_read"], least)
PY
read -r got least <"$T/rand.out"
zf_umount "$T/m1" "$ZF_PID"
check "60 random 4 KiB reads fetch $got store bytes, at most 1.1 x the $least least" \
    awk -v g="$got" -v l="$least" 'BEGIN { exit !(l > 0 && g <= 1.1 * l) }'

# --- many mapping readers, and eviction -------------------------------------------
cat >"$T/walk.py" <<'PY'
import mmap, os, random, sys
path, raw, seed, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
want = open(raw, "rb").read()
fd = os.open(path, os.O_RDONLY)
m = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
rng = random.Random(seed)
bad = 0
for _ in range(n):
    p = rng.randrange(len(want) // 4096 + 1) * 4096
    k = rng.choice((8, 4096, 20000))
    if m[p:p + k] != want[p:p + k]:
        bad += 1
    q = rng.randrange(len(want))
    if os.pread(fd, 3000, q) != want[q:q + 3000]:
        bad += 1
print(bad)
PY
# (readahead=0: with push='s default 128K window a request can take a whole
# 80 KB chunk, which is decoded into the reply and not kept, so a later
# fault in it decodes it again: 68 of 64 seen once under ASan)
fresh "$T/m2" -o push=4M,readahead=0 || true
nbad=0
pids=()
for i in 1 2 3 4 5 6 7 8; do
    "$PY" "$T/walk.py" "$T/m2/$F" "$T/ticks.raw" "$i" 400 >"$T/w.$i" &
    pids+=($!)
done
wait "${pids[@]}" # (not the daemon's)
for i in 1 2 3 4 5 6 7 8; do nbad=$((nbad + $(cat "$T/w.$i" 2>/dev/null || echo 1))); done
check "8 processes mmap-walking random pages: every byte right ($nbad wrong)" test "$nbad" -eq 0
cp "$T/m2/.zarrfs/stats" "$T/s1"
dec=$(delta "$T/s0" "$T/s1" chunks_decoded)
check "8 walkers decode each of the $((S * DAYS)) chunks at most once ($dec)" test "$dec" -le $((S * DAYS))
if [ -w /proc/sys/vm/drop_caches ]; then
    ( for ((k = 0; k < 40; k++)); do echo 1 >/proc/sys/vm/drop_caches; sleep 0.05; done ) &
    dropper=$!
    nbad=0
    pids=()
    for i in 1 2 3 4; do
        "$PY" "$T/walk.py" "$T/m2/$F" "$T/ticks.raw" $((i + 10)) 300 >"$T/w.$i" &
        pids+=($!)
    done
    wait $dropper "${pids[@]}"
    for i in 1 2 3 4; do nbad=$((nbad + $(cat "$T/w.$i" 2>/dev/null || echo 1))); done
    check "readers while the page cache is dropped in a loop: every byte right ($nbad wrong)" test "$nbad" -eq 0
else
    skip "eviction while reading: /proc/sys/vm/drop_caches is not writable (not root)"
fi
zf_umount "$T/m2" "$ZF_PID"

# --- chunks larger than the cache ------------------------------------------------
RAW=$T/big.raw "$PY" "$SRC/tools/bench/tick_archive.py" big "$T/big.zarr" 2048 2048 256 >/dev/null
zf_mount_fg "$T/big.zarr" "$T/m3" "$T/log3" -o cache_size=1M,threads=4 || bad "mount big"
# (by default: 1 MiB requests, each a slice of a chunk larger than the cache)
cp "$T/m3/.zarrfs/stats" "$T/s0"
check "4 MiB chunks, cache_size=1M: dd gives the right bytes" cmp -s "$T/m3/big" "$T/big.raw"
cp "$T/m3/.zarrfs/stats" "$T/s1"
dec=$(delta "$T/s0" "$T/s1" chunks_decoded)
check "4 MiB chunks, cache_size=1M: dd decodes each of the 8 chunks once ($dec)" test "$dec" -eq 8
hwm=$(awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$ZF_PID/status")
if ldd "$ZARRFS" 2>/dev/null | grep -q 'libasan\|libtsan'; then
    skip "4 MiB chunks, cache_size=1M: peak RSS ${hwm} MiB not checked: a sanitizer's shadow memory and quarantine count in it"
else
    check "4 MiB chunks, cache_size=1M: peak RSS ${hwm} MiB <= 1M + 2 chunks + 64 MiB" test "$hwm" -le 73
fi
zf_umount "$T/m3" "$ZF_PID"

# --- shards replaced while pages are pushed ----------------------------------------
# Two versions of the archive; the writer renames one shard after the other
# over the mounted store's shards, the readers map and read the file
# meanwhile (each byte read must belong to one of the versions).
cp -r "$T/ticks.zarr" "$T/A.zarr"
cp "$T/ticks.raw" "$T/A.raw"
"$PY" - "$T/ticks.zarr" "$T/B.zarr" "$T/B.raw" $S $DAYS $DAY <<'PY'
import json, os, shutil, struct, sys
import numpy as np, zstandard
src, dst, raw, S, DAYS, DAY = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:])
shutil.copytree(src, dst)
cctx = zstandard.ZstdCompressor(level=3)
rows = -np.arange(S * DAYS * DAY, dtype="<f8").reshape(S, DAYS * DAY)
rows.tofile(raw)
for s in range(S):
    body, index = bytearray(), []
    for d in range(DAYS):
        frame = cctx.compress(rows[s, d * DAY:(d + 1) * DAY].tobytes())
        index.append((len(body), len(frame)))
        body += frame
    body += b"".join(struct.pack("<QQ", o, n) for o, n in index)
    open(os.path.join(dst, "c", str(s), "0"), "wb").write(body)
PY
cat >"$T/mixed.py" <<'PY'
import mmap, os, random, sys, time
path, a, b, secs, seed = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
A, B = open(a, "rb").read(), open(b, "rb").read()
fd = os.open(path, os.O_RDONLY)
m = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
rng, bad, end = random.Random(seed), 0, time.time() + secs
while time.time() < end:
    p = rng.randrange(len(A) // 8) * 8
    got = m[p:p + 8]
    if got != A[p:p + 8] and got != B[p:p + 8]:
        bad += 1
print(bad)
PY
# swap_shards FROM: renames FROM's shards over the mounted store's.
swap_shards() {
    local s
    for ((s = 0; s < S; s++)); do
        cp "$1/c/$s/0" "$T/ticks.zarr/c/$s/0.new" && mv "$T/ticks.zarr/c/$s/0.new" "$T/ticks.zarr/c/$s/0"
    done
}
for mode in replaced refreshed; do
    cp -r "$T/A.zarr/c/." "$T/ticks.zarr/c/"
    if [ $mode = replaced ]; then
        zf_mount_fg "$T/ticks.zarr" "$T/m4" "$T/log4" -o push=4M || bad "mount ($mode)"
    else
        zf_mount_fg "$T/ticks.zarr" "$T/m4" "$T/log4" -o push=4M,metadata_ttl=0.2 || bad "mount ($mode)"
    fi
    pids=()
    for i in 1 2 3; do
        "$PY" "$T/mixed.py" "$T/m4/$F" "$T/A.raw" "$T/B.raw" 3 "$i" >"$T/x.$i" &
        pids+=($!)
    done
    for ((k = 0; k < 6; k++)); do
        swap_shards "$T/B.zarr"; sleep 0.2; swap_shards "$T/A.zarr"; sleep 0.2
    done
    swap_shards "$T/B.zarr"
    wait "${pids[@]}"
    nbad=0
    for i in 1 2 3; do nbad=$((nbad + $(cat "$T/x.$i" 2>/dev/null || echo 1))); done
    check "shards $mode under readers: every value is one version's ($nbad mixed)" test "$nbad" -eq 0
    # one read that meets the change drops what the kernel holds (replaced);
    # the next refresh does (refreshed)
    "$PY" -c 'import os,sys; fd=os.open(sys.argv[1],os.O_RDONLY); os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED); os.pread(fd,8,int(sys.argv[2]))' \
        "$T/m4/$F" $(((N - 1) * 8))
    sleep 0.6
    check "shards $mode: afterwards the whole file is the new version" cmp -s "$T/m4/$F" "$T/B.raw"
    zf_umount "$T/m4" "$ZF_PID"
done
zf_finish
