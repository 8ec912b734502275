#!/usr/bin/env bash
# zarrita_reads_pack.sh - what zarrfs-pack writes is read by a real peer:
# zarrita.js (npm zarrita, pinned, with @zarrita/storage's FileSystemStore;
# tests/peer/read_zarrita.mjs) reads back arrays packed sharded (index at the
# end) and unsharded, with each codec (none, zstd, gzip), crc32c on and off,
# little and big endian, over the data types zarrita supports, and its bytes
# must be the input's.
#
# Only index_location=end is tested: zarrita.js ignores index_location and
# always reads the index from the end of the shard, so packs with
# --index-location start are unreadable by it (a zarrita limitation, not
# zarrfs's).  zarrita has no complex types; float16 needs a node with
# Float16Array (Node >= 24) and is skipped without it.
#
# zarrita is installed with npm once into ${ZF_NPM_CACHE:-~/.cache/zarrfs-npm}
# (kept between runs).  Exit 0 = pass, 77 = skip (no node/npm, or the npm
# registry cannot be reached on the first run).
set -euo pipefail
source "$(dirname "$0")/mount_common.bash" # ok/bad/check/zf_finish and $T
trap 'set +e; zf_cleanup' EXIT
SRC=${ZF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PACK=$BIN/zarrfs-pack
[ -x "$PACK" ] || { echo "FAIL: $PACK is not built"; echo "0 passed, 1 failed"; exit 1; }

ZARRITA=0.7.5          # pinned; @zarrita/storage is its storage package
ZARRITA_STORAGE=0.2.0
CACHE=${ZF_NPM_CACHE:-$HOME/.cache/zarrfs-npm}
MODS=$CACHE/zarrita-$ZARRITA-storage-$ZARRITA_STORAGE

for c in node npm; do
    command -v "$c" >/dev/null || { echo "skip: no $c: cannot run zarrita.js"; exit 77; }
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || { echo "skip: node $node_major is too old for zarrita (18+)"; exit 77; }

if [ ! -e "$MODS/.complete" ]; then
    echo "installing zarrita@$ZARRITA @zarrita/storage@$ZARRITA_STORAGE into $MODS"
    mkdir -p "$CACHE"
    tmp=$(mktemp -d "$CACHE/.install.XXXXXX")
    if timeout 300 npm install --prefix "$tmp" --no-audit --no-fund --no-update-notifier \
        --loglevel=error --fetch-retries=1 --fetch-retry-mintimeout=2000 \
        --fetch-retry-maxtimeout=5000 --fetch-timeout=30000 \
        "zarrita@$ZARRITA" "@zarrita/storage@$ZARRITA_STORAGE" \
        >"$T/npm.log" 2>&1; then
        touch "$tmp/.complete"
        mv -T "$tmp" "$MODS" 2>/dev/null || rm -rf "$tmp" # another run won
    else
        rm -rf "$tmp"
        echo "skip: npm could not install zarrita (registry unreachable?):" \
            "$(grep -m 2 '^npm error' "$T/npm.log" | sed 's/^npm error //' | tr '\n' ' ')"
        exit 77
    fi
fi
[ -e "$MODS/.complete" ] || { bad "no zarrita in $MODS"; zf_finish; }
echo "zarrita $(node -p "require('$MODS/node_modules/zarrita/package.json').version")," \
    "node $(node --version)"
# The reader resolves its imports from its own folder.
mkdir -p "$T/node"
cp "$SRC/tests/peer/read_zarrita.mjs" "$T/node/"
ln -s "$MODS/node_modules" "$T/node/node_modules"

# gen DTYPE N OUT: N random elements, C order, little endian; floats without
# NaN or infinity (a NaN's payload need not survive a peer); bool 0 or 1.
gen() {
    python3 - "$@" <<'EOF'
import os, sys
dtype, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
size = {"bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2,
        "float16": 2, "int32": 4, "uint32": 4, "float32": 4, "int64": 8,
        "uint64": 8, "float64": 8}[dtype]
b = bytearray(os.urandom(n * size))
if dtype == "bool":
    b = bytearray(x & 1 for x in b)
elif dtype.startswith("float"):
    b[size - 1::size] = bytes(x & 0xBF for x in b[size - 1::size])  # exponent < max
open(out, "wb").write(b)
EOF
}

DTYPES=(bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64)
if node -e 'process.exit(typeof Float16Array === "function" ? 0 : 1)'; then
    DTYPES+=(float16)
else
    skip "float16: this node has no Float16Array, which zarrita needs"
fi
# shape chunks shards: edge chunks and edge shards in each.
SHAPES=("1000 64 256" "37,50 8,16 16,32" "9,10,11 4,4,4 8,8,4" "5,3,7,6 2,2,3,3 4,2,3,6")

: >"$T/list"
i=0
for layout in end unsharded; do
    for codec in none zstd gzip; do
        for crc in off on; do
            for endian in little big; do
                dt=${DTYPES[i % ${#DTYPES[@]}]}
                read -r shape chunks shards <<<"${SHAPES[i % ${#SHAPES[@]}]}"
                n=$(($(tr ',' '*' <<<"$shape")))
                name=$(printf 'a%02d_%s_%s_%s_crc%s_%s' "$i" "$layout" "$codec" "$endian" "$crc" "$dt")
                gen "$dt" "$n" "$T/$name.in"
                args=(--shape "$shape" --dtype "$dt" --chunks "$chunks" --codec "$codec"
                      --endian "$endian")
                [ "$layout" = unsharded ] || args+=(--shards "$shards" --index-location "$layout")
                [ "$crc" = off ] || args+=(--crc32c)
                if "$PACK" "${args[@]}" "$T/$name.in" "$T/$name.zarr" 2>"$T/pack.err"; then
                    printf '%s\t%s\n' "$T/$name.zarr" "$T/$name.out" >>"$T/list"
                else
                    bad "$name: zarrfs-pack ${args[*]}: $(cat "$T/pack.err")"
                fi
                i=$((i + 1))
            done
        done
    done
done

node "$T/node/read_zarrita.mjs" "$T/list" >"$T/node.log" 2>&1 || true
while IFS=$'\t' read -r store out; do
    name=$(basename "$store" .zarr)
    why=$(grep -F "error $store:" "$T/node.log" | head -n 1 | cut -c1-300 || true)
    if [ -n "$why" ]; then
        bad "$name: zarrita cannot read it: ${why#error "$store": }"
    elif [ ! -f "$out" ]; then
        bad "$name: zarrita wrote nothing: $(tail -n 3 "$T/node.log" | tr '\n' ' ')"
    elif cmp -s "$out" "$T/$name.in"; then
        ok "$name: zarrita reads the input's bytes"
    else
        bad "$name: zarrita's bytes differ: $(cmp "$out" "$T/$name.in" 2>&1 | head -n 1)"
    fi
done <"$T/list"
zf_finish
