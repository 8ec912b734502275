#!/usr/bin/env bash
# mount_mem.sh - the daemon's memory bound (README "Memory"): its peak RSS
# (VmHWM) stays within cache_size + 64 MiB, + 2 chunks when chunks are
# larger than the cache, while a dd (and on two arrays, 4 readers) read an
# array of large zstd chunks: cache entries, decodes in flight (their
# scratch) and the buffer pool are charged to one budget.
#
# The data: tools/bench/tick_archive.py big (numpy + zstandard, not zarrfs):
# float64 [4096, 2048] in chunks of (512, 2048), 8 MiB each; and the same
# in chunks of (2048, 2048), 32 MiB, for the leg where chunks exceed the
# cache; and a uint16 512^3 cube in 256^3 zstd chunks (32 MiB), written
# here from the spec with numpy and zstandard.  The bound is checked in the Release build only: a sanitizer's
# shadow memory and quarantine count in RSS.
# Exit 0 = pass, 77 = skip (no /dev/fuse).
source "$(dirname "$0")/mount_common.bash"
zf_require
SRC=${ZF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
zf_require_py numpy zstandard
SAN=$(ldd "$ZARRFS" 2>/dev/null | grep -c 'libasan\|libtsan')

cat >"$T/preads.py" <<'PY'
import os, random, sys
path, raw, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
want = open(raw, "rb").read()
fd = os.open(path, os.O_RDONLY)
rng = random.Random(seed)
bad = 0
for _ in range(48):
    off = rng.randrange(len(want) - (1 << 20))
    if os.pread(fd, 1 << 20, off) != want[off:off + (1 << 20)]:
        bad += 1
print(bad)
PY

cat >"$T/cube.py" <<'PY'
# cube.py STORE RAW N C: uint16 [N, N, N] in zstd chunks of C^3 (a smooth
# field plus noise), its flat bytes at RAW; Zarr v3 from the spec.
import json, os, sys
import numpy as np, zstandard
store, raw, n, c = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(3)
z = np.arange(n, dtype=np.uint32)
a = ((z[:, None, None] * 7 + z[None, :, None] * 3 + z[None, None, :]) % 4096
     ).astype(np.uint16) + rng.integers(0, 64, (n, n, n), dtype=np.uint16)
a.tofile(raw)
os.makedirs(store, exist_ok=True)
json.dump({"zarr_format": 3, "node_type": "array", "shape": [n] * 3,
           "data_type": "uint16",
           "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [c] * 3}},
           "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
           "fill_value": 0, "attributes": {},
           "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                      {"name": "zstd", "configuration": {"level": 1, "checksum": False}}]},
          open(os.path.join(store, "zarr.json"), "w"))
cz = zstandard.ZstdCompressor(level=1)
for i in range(n // c):
    for j in range(n // c):
        for k in range(n // c):
            d = os.path.join(store, "c", str(i), str(j))
            os.makedirs(d, exist_ok=True)
            b = a[i*c:(i+1)*c, j*c:(j+1)*c, k*c:(k+1)*c]
            open(os.path.join(d, str(k)), "wb").write(cz.compress(b.tobytes()))
PY

# mk_rows NAME CHUNK_ROWS COLS: float64 [4096, COLS] in chunks of whole rows.
mk_rows() {
    RAW=$T/$1.raw "$PY" "$SRC/tools/bench/tick_archive.py" big "$T/$1.zarr" 4096 "$3" "$2" >/dev/null
}
# mk_cube NAME N C: the cube above.
mk_cube() { "$PY" "$T/cube.py" "$T/$1.zarr" "$T/$1.raw" "$2" "$3"; }

# leg NAME CHUNK_MIB CACHE_MIB THREADS READERS: mounts $T/NAME.zarr, reads
# it with a dd and READERS pread readers at once, checks the bytes and the
# daemon's VmHWM.
leg() {
    local name=$1 chunk=$2 cache=$3 threads=$4 readers=$5 i nbad=0 pids=()
    zf_mount_fg "$T/$name.zarr" "$T/m.$name" "$T/log.$name" -o cache_size=${cache}M,threads=$threads ||
        { bad "mount $name"; return; }
    dd if="$T/m.$name/$name" of="$T/$name.dd" bs=1M status=none &
    pids+=($!)
    for ((i = 1; i <= readers; i++)); do
        "$PY" "$T/preads.py" "$T/m.$name/$name" "$T/$name.raw" "$i" >"$T/p.$i" &
        pids+=($!)
    done
    wait "${pids[@]}" # (not the daemon's)
    for ((i = 1; i <= readers; i++)); do nbad=$((nbad + $(cat "$T/p.$i" 2>/dev/null || echo 1))); done
    local what="$name: $chunk MiB chunks, cache_size=${cache}M, threads=$threads"
    check "$what: dd gives the right bytes" cmp -s "$T/$name.dd" "$T/$name.raw"
    [ "$readers" -gt 0 ] &&
        check "$what: $readers parallel preaders get the right bytes ($nbad wrong)" test "$nbad" -eq 0
    local hwm limit=$((cache + 64))
    [ "$chunk" -gt "$cache" ] && limit=$((limit + 2 * chunk))
    hwm=$(awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$ZF_PID/status")
    if [ "$SAN" -gt 0 ]; then
        skip "$what: peak RSS ${hwm} MiB not checked: a sanitizer's shadow memory and quarantine count in it"
    else
        check "$what: peak RSS ${hwm} MiB <= $limit MiB" test "$hwm" -le "$limit"
    fi
    zf_umount "$T/m.$name" "$ZF_PID"
    rm -rf "$T/$name.dd" "$T/$name.raw" "$T/$name.zarr"
}

mk_rows rows 512 2048 && leg rows 8 32 4 4
mk_rows big 2048 2048 && leg big 32 16 4 4
# The flat file's order crosses a row of 4 chunks every 1 MiB; dd with the
# default cache_size and threads=2 (before the one budget: 348 MiB, the
# pool and the decodes in flight on top of the entries).  With 4 random
# readers beside it, the entries they pin while decodes queue still pass
# the bound (README "Memory": 314 MiB here, before 361-369).
mk_cube cube 512 256 && leg cube 32 256 2 0
zf_finish
