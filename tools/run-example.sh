#!/usr/bin/env bash
# Installs the dependencies, builds zarrfs, packs a small sharded example
# array with zarrfs-pack, shows it with zarrfs-info, mounts it with zarrfs
# and looks at the mounted flat file with ls and hexdump, then unmounts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
ex=build/example
rm -rf "$ex" && mkdir -p "$ex"
# 128 x 128 x 64 uint16 values of a smooth field, little endian.
python3 - "$ex/sample.raw" <<'PY'
import math, struct, sys
nz, ny, nx = 128, 128, 64
with open(sys.argv[1], "wb") as f:
    for z in range(nz):
        row = bytearray()
        for y in range(ny):
            row += struct.pack("<%dH" % nx, *(int(1000 + 500 * math.sin(z / 9)
                   * math.cos(y / 7) + x) & 0xFFFF for x in range(nx)))
        f.write(row)
PY
build/bin/zarrfs-pack --shape 128,128,64 --dtype uint16 --chunks 32,32,32 \
  --shards 64,64,64 --codec zstd:3 --crc32c "$ex/sample.raw" "$ex/sample.zarr"
echo "== zarrfs-info $ex/sample.zarr"
build/bin/zarrfs-info "$ex/sample.zarr"
if [ ! -e /dev/fuse ]; then
  echo "== no /dev/fuse here: showing the flat view with zarrfs-cat instead"
  build/bin/zarrfs-cat "$ex/sample.zarr" | hexdump -C | head || true
  exit 0
fi
mnt=$(mktemp -d /tmp/zarrfs-example.XXXXXX)
trap 'fusermount3 -u "$mnt" 2>/dev/null; rmdir "$mnt"' EXIT
echo "== zarrfs $ex/sample.zarr $mnt"
build/bin/zarrfs "$ex/sample.zarr" "$mnt"
echo "== ls -l $mnt"
ls -l "$mnt"
echo "== hexdump -C $mnt/sample | head"
hexdump -C "$mnt/sample" | head || true  # head closes the pipe early
cmp "$mnt/sample" "$ex/sample.raw" \
  && echo "== the mounted file equals the packed input, byte for byte"
echo "== fusermount3 -u $mnt"
