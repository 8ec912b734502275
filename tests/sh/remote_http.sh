#!/usr/bin/env bash
# remote_http.sh - zarrfs mounting stores served by nginx on loopback over
# HTTP and HTTPS (tests/remote/nginx.bash):
#  - every corpus array (ZF_CORPUS/INDEX.tsv) mounted from its URL is
#    byte-identical to its expected content (cmp); on the extra corpus
#    (ZF_CORPUS_EXTRA set) that is all this test does;
#  - consolidated metadata (v2 .zmetadata, v3 inline) gives the whole tree; a v3 group
#    without it shows the arrays -o arrays names (the generated corpus'
#    groups/);
#  - random preads from several processes against a generated sharded array;
#  - the counters and nginx's access log show byte ranges only (no whole-shard
#    GET for a small read; shard indexes by suffix range, no HEAD) and
#    coalescing (fewer requests than chunks);
#  - an uncompressed array in 64 MiB chunks: 300 random 4 KiB reads fetch
#    at most 1.2x the bytes asked, in ranged GETs (no whole chunk);
#  - HTTPS with a self-signed certificate: refused without it (a clear TLS
#    message), trusted through CURL_CA_BUNDLE and -o cafile=, -o insecure
#    works and warns;
#  - zarrfs-info and zarrfs-cat on URLs; a 404 store URL fails at mount.
# Exit 0 = pass, 77 = skip (no /dev/fuse, no nginx, no extra corpus).
source "$(dirname "$0")/mount_common.bash"
source "$(dirname "$0")/../remote/nginx.bash"
zf_require_corpus
zf_require
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] ||
    { echo "skip: nginx is not installed"; exit 77; }
trap 'zf_nginx_stop; zf_cleanup' EXIT
INDEX=$CORPUS/INDEX.tsv

# A store of our own beside a view of the corpus, both under one root.
WWW=$T/www
mkdir -p "$WWW"
ln -s "$(cd "$CORPUS" && pwd)" "$WWW/corpus"
zf_nginx_start "$WWW" "$T/ngx" 1 || { echo "FAIL: nginx: see above"; exit 1; }
URL=http://127.0.0.1:$NGX_PORT
echo "nginx on $URL (https on $NGX_TLS_PORT)"

root_name() {
    local base=${1%/}
    base=${base##*/}
    [ "${base%.zarr}" != "" ] && base=${base%.zarr}
    echo "$base"
}

# ---- every corpus array, from its URL, four mounts at a time ---------------
# corpus_one N NAME PATH EXPECTED: prints "ok:" / "FAIL:" / "skip:" lines.
corpus_one() {
    local n=$1 name=$2 path=$3 expected=$4 mnt=$T/c$1 log=$T/c$1.log file
    mkdir -p "$mnt"
    if ! "$ZARRFS" "$URL/corpus/$path" "$mnt" 2>"$log"; then
        if [ "$expected" = - ]; then
            echo "ok: $name: no content, not shown"
        elif "$BIN/zarrfs-cat" "$CORPUS/$path" >/dev/null 2>&1; then
            echo "FAIL: $name: the URL mount failed: $(head -c 200 "$log")"
        else
            echo "skip: $name: refused by the engine locally too"
        fi
        return
    fi
    file=$mnt/$(root_name "$path")
    if [ "$expected" = - ]; then
        [ -e "$file" ] && echo "FAIL: $name: shown without content" ||
            echo "ok: $name: no content, not shown"
    elif [ ! -e "$file" ]; then
        if "$BIN/zarrfs-cat" "$CORPUS/$path" >/dev/null 2>&1; then
            echo "FAIL: $name: not shown from the URL, readable locally"
        else
            echo "skip: $name: refused by the engine locally too"
        fi
    elif cmp -s "$file" "$CORPUS/$expected"; then
        echo "ok: $name: cmp over HTTP"
    else
        echo "FAIL: $name: differs over HTTP"
    fi
    fusermount3 -u "$mnt" || fusermount3 -uz "$mnt"
}

n=0
batch=()
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { print $c["name"] "|" $c["path"] "|" $c["expected_raw"] }' "$INDEX" >"$T/rows"
while IFS='|' read -r name path expected; do
    n=$((n + 1))
    MOUNTS+=("$T/c$n")
    corpus_one "$n" "$name" "$path" "$expected" >"$T/c$n.out" &
    batch+=($!)
    if ((n % 4 == 0)); then wait "${batch[@]}"; batch=(); fi
done <"$T/rows"
[ ${#batch[@]} = 0 ] || wait "${batch[@]}"
for ((i = 1; i <= n; i++)); do
    line=$(cat "$T/c$i.out")
    case $line in
    ok:*) ok "${line#ok: }" ;;
    skip:*) skip "${line#skip: }" ;;
    *) bad "${line#FAIL: }" ;;
    esac
done

[ -n "${ZF_CORPUS_EXTRA:-}" ] && zf_finish

# ---- consolidated metadata and -o arrays ------------------------------------
# expected NAME: the expected flat file of the corpus row NAME.
expected() { awk -F'\t' -v n="$1" '$1 == n { print $NF }' "$INDEX"; }
G2=groups/v2_consolidated.zarr
mnt=$T/cons
if zf_mount_fg "$URL/corpus/$G2" "$mnt" "$T/cons.log"; then
    want=$(find "$CORPUS/$G2" -name .zarray | wc -l)
    got=$(find "$mnt" -type f | wc -l)
    [ "$want" -gt 10 ] && [ "$got" = "$want" ] &&
        ok "v2 .zmetadata over HTTP: all $got arrays shown" ||
        bad "v2 .zmetadata over HTTP: $got files for $want arrays"
    f=$mnt/sub/g2_sub_f8
    [ -f "$f" ] && cmp -s "$f" "$CORPUS/$(expected g2_sub_f8)" &&
        ok "consolidated: sub/g2_sub_f8 equals its expected content" ||
        bad "consolidated: sub/g2_sub_f8 differs or is missing"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "v2 consolidated store over HTTP: $(head -c 300 "$T/cons.log")"
fi
# HTTP cannot list: the tree comes from the inline consolidated metadata alone
G3=groups/v3_consolidated.zarr
mnt=$T/cons3
if zf_mount_fg "$URL/corpus/$G3" "$mnt" "$T/cons3.log"; then
    want=$(find "$CORPUS/$G3" -mindepth 2 -name zarr.json -exec grep -l '"array"' {} + | wc -l)
    got=$(find "$mnt" -type f | wc -l)
    [ "$want" -ge 3 ] && [ "$got" = "$want" ] &&
        cmp -s "$mnt/sub/u2" "$CORPUS/$(expected g3c_sub_u2)" &&
        ok "v3 consolidated_metadata over HTTP: all $got arrays, sub/u2 equal to its expected content" ||
        bad "v3 consolidated_metadata over HTTP: $got files for $want arrays"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "v3 consolidated store over HTTP: $(head -c 300 "$T/cons3.log")"
fi
mnt=$T/arr
if zf_mount_fg "$URL/corpus/groups/v3_group.zarr" "$mnt" "$T/arr.log" \
    -o arrays=i2,sub/u8; then
    [ "$(find "$mnt" -type f | wc -l)" = 2 ] &&
        cmp -s "$mnt/i2" "$CORPUS/$(expected g3_i2)" &&
        cmp -s "$mnt/sub/u8" "$CORPUS/$(expected g3_sub_u8)" &&
        ok "v3 group without consolidated metadata: -o arrays=a,b/c shows exactly those" ||
        bad "-o arrays: $(find "$mnt" -type f | tr '\n' ' ')"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "-o arrays mount: $(head -c 300 "$T/arr.log")"
fi

# ---- a generated sharded array: random preads, ranges, coalescing -----------
PY=python3
$PY -c 'import numpy' 2>/dev/null || PY=/usr/bin/python3
$PY - "$T/field.raw" <<'EOF'
import sys
import numpy as np
z, y, x = np.meshgrid(np.arange(128), np.arange(256), np.arange(256), indexing="ij")
a = (z * 7 + y * 3 + x + (x * y) % 17).astype(np.uint16)
a.tofile(sys.argv[1])
EOF
zf_pack "$T/field.raw" "$WWW/field.zarr" --shape 128,256,256 --dtype uint16 \
    --chunks 32,32,32 --shards 64,128,128 --codec zstd:3 --crc32c ||
    bad "zarrfs-pack of the field"
mnt=$T/field
if zf_mount_fg "$URL/field.zarr" "$mnt" "$T/field.log" -o prefetch=0 ||
    zf_mount_fg "$URL/field.zarr" "$mnt" "$T/field.log"; then
    f=$mnt/field
    : >"$NGX_LOG"
    # one 4 KiB page in the middle of the shards (0,0,0) and (0,0,1): eight
    # inner chunks along x; no kernel readahead (FADV_RANDOM)
    python3 - "$f" "$T/field.raw" <<'EOF' && ok "4 KiB read over HTTP" || bad "4 KiB read differs"
import os, sys
off = (20 * 256 * 256 + 40 * 256) * 2
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
got = os.pread(fd, 4096, off)
exp = open(sys.argv[2], "rb").read()[off:off + 4096]
sys.exit(0 if got == exp else 1)
EOF
    read -r reads bytes < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["store_reads"], s["store_bytes_read"])' "$mnt/.zarrfs/stats")
    shards=$(($(stat -c %s "$WWW/field.zarr/c/0/0/0") + $(stat -c %s "$WWW/field.zarr/c/0/0/1")))
    [ "$bytes" -lt $((shards / 4)) ] &&
        ok "a 4 KiB read fetched $bytes bytes in $reads requests (its two shards: $shards)" ||
        bad "a 4 KiB read fetched $bytes bytes of its two shards' $shards"
    # every GET of a shard carried a Range and was answered 206
    whole=$(awk '$1 == "GET" && $2 ~ /\/c\// && ($3 != 206 || $4 == "-")' "$NGX_LOG" | wc -l)
    ranged=$(awk '$1 == "GET" && $2 ~ /\/c\// && $3 == 206 && $4 ~ /^bytes=/' "$NGX_LOG" | wc -l)
    [ "$whole" = 0 ] && [ "$ranged" -ge 2 ] &&
        ok "access log: $ranged ranged GETs (206), no whole-shard GET" ||
        bad "access log: $whole GETs without a range: $(head -3 "$NGX_LOG")"
    # each shard's index came with a suffix range (516 bytes: 2x4x4 entries
    # of 16 bytes and a crc32c), whose reply told the size: no HEAD of a shard
    idx=$(awk '$1 == "GET" && $2 ~ /\/c\// && $4 == "bytes=-516"' "$NGX_LOG" | wc -l)
    heads=$(awk '$1 == "HEAD" && $2 ~ /\/c\//' "$NGX_LOG" | wc -l)
    [ "$idx" = 2 ] && [ "$heads" = 0 ] &&
        ok "access log: the 2 shard indexes read with suffix ranges, no HEAD" ||
        bad "access log: $idx suffix-range index reads (want 2), $heads HEADs of shards"
    # a whole z-plane touches 64 inner chunks lying 16 by 16 in 4 shards
    python3 - "$mnt/.zarrfs/stats" "$f" "$T/field.raw" "$T/coal" <<'EOF' && ok "coalescing: $(cat "$T/coal")" || bad "coalescing: $(cat "$T/coal")"
import json, os, sys
stats, f, raw = sys.argv[1:4]
before = json.load(open(stats))
off, n = 64 * 256 * 256 * 2, 256 * 256 * 2  # plane z=64: other shards
fd = os.open(f, os.O_RDONLY)
got = os.pread(fd, n, off)
os.close(fd)
exp = open(raw, "rb").read()[off:off + n]
after = json.load(open(stats))
d = {k: after[k] - before[k] for k in after if isinstance(after[k], int)}
data_reads = d["store_reads"] - d["index_reads"]
msg = "%d chunks decoded from %d range requests (+%d index reads)" % (
    d["chunks_decoded"], data_reads, d["index_reads"])
open(sys.argv[4], "w").write(msg)
ok = got == exp and d["chunks_decoded"] >= 16 and data_reads * 4 <= d["chunks_decoded"]
sys.exit(0 if ok else 1)
EOF
    out=$("$CHECK" random "$f" "$T/field.raw" 4 300 2>&1) &&
        ok "random preads (4 processes x 300) over HTTP" || bad "random preads: $out"
    out=$("$CHECK" compare "$f" "$T/field.raw" 2>&1) &&
        ok "mmap and unaligned preads over HTTP" || bad "mmap/pread: $out"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "mount of the field over HTTP: $(head -c 300 "$T/field.log")"
fi

# ---- an uncompressed array in 64 MiB chunks: 4 KiB reads fetch ~4 KiB -------
# (the bytes codec alone: a read fetches only the byte ranges it needs, not
# the chunk; chunk c/1 is missing and reads as the fill value)
$PY - "$WWW/raw64.zarr" <<'EOF2' || bad "writing raw64.zarr"
import json, os, sys
import numpy as np
root = sys.argv[1]
os.makedirs(root + "/c", exist_ok=True)
n = 16 << 20  # 64 MiB of uint32 a chunk
meta = {"zarr_format": 3, "node_type": "array", "shape": [2 * n],
        "data_type": "uint32", "fill_value": 0,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [n]}},
        "chunk_key_encoding": {"name": "default"},
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}
json.dump(meta, open(root + "/zarr.json", "w"))
(np.arange(n, dtype=np.uint32) * np.uint32(2654435761) + np.uint32(12345)).tofile(root + "/c/0")
EOF2
mnt=$T/raw64
if zf_mount_fg "$URL/raw64.zarr" "$mnt" "$T/raw64.log"; then
    : >"$NGX_LOG"
    $PY - "$mnt/raw64" "$mnt/.zarrfs/stats" "$T/raw64.msg" <<'EOF2' &&
import json, os, random, sys
import numpy as np
f, stats, msg = sys.argv[1:4]
n = 16 << 20
before = json.load(open(stats))
fd = os.open(f, os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
rnd = random.Random(24)
wrong = 0
for _ in range(300):
    off = rnd.randrange(0, 2 * n * 4 // 4096) * 4096
    got = np.frombuffer(os.pread(fd, 4096, off), dtype="<u4")
    e = np.arange(off // 4, off // 4 + 1024, dtype=np.uint64)
    exp = np.where(e < n, (e * 2654435761 + 12345) % (1 << 32), 0)
    wrong += int((got != exp).sum())
os.close(fd)
after = json.load(open(stats))
fetched = after["store_bytes_read"] - before["store_bytes_read"]
reqs = after["store_reads"] - before["store_reads"]
asked = 300 * 4096
open(msg, "w").write("%d bytes fetched for %d asked (%.3fx) in %d range "
                     "requests, %d elements wrong" % (fetched, asked,
                     fetched / asked, reqs, wrong))
sys.exit(0 if wrong == 0 and fetched * 5 <= asked * 6 else 1)
EOF2
        ok "uncompressed 64 MiB chunks over HTTP, 300 random 4 KiB reads: $(cat "$T/raw64.msg")" ||
        bad "uncompressed 64 MiB chunks over HTTP: $(cat "$T/raw64.msg" 2>/dev/null)"
    gets=$(awk '$1 == "GET" && $2 ~ /\/c\// && $3 == 206' "$NGX_LOG" | wc -l)
    whole=$(awk '$1 == "GET" && $2 ~ /\/c\// && $3 != 206' "$NGX_LOG" | wc -l)
    heads=$(awk '$1 == "HEAD" && $2 ~ /\/c\//' "$NGX_LOG" | wc -l)
    [ "$whole" = 0 ] && [ "$gets" -le 300 ] &&
        ok "access log: $gets ranged GETs and $heads HEADs of chunks for 300 reads, none whole" ||
        bad "access log: $gets ranged GETs, $whole other GETs of chunks for 300 reads"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "mount of raw64 over HTTP: $(head -c 300 "$T/raw64.log")"
fi

# ---- HTTPS ------------------------------------------------------------------
SURL=https://127.0.0.1:$NGX_TLS_PORT
mnt=$T/tls
if CURL_CA_BUNDLE= zf_mount_fg "$SURL/field.zarr" "$mnt" "$T/tls0.log" -o retries=0; then
    bad "https with an untrusted certificate was mounted"
    zf_umount "$mnt" "$ZF_PID"
else
    grep -qi "tls\|certificate\|ssl" "$T/tls0.log" &&
        ok "https, untrusted certificate: refused ($(grep -m1 -io 'TLS verification failed' "$T/tls0.log"))" ||
        bad "https refused without a clear message: $(head -c 300 "$T/tls0.log")"
fi
if CURL_CA_BUNDLE=$NGX_CERT zf_mount_fg "$SURL/field.zarr" "$mnt" "$T/tls1.log"; then
    cmp -s "$mnt/field" "$T/field.raw" && ok "https with CURL_CA_BUNDLE: cmp" ||
        bad "https with CURL_CA_BUNDLE: differs"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "https with CURL_CA_BUNDLE: $(head -c 300 "$T/tls1.log")"
fi
if zf_mount_fg "$SURL/corpus/v3_sharded/v3s_u8_zstd_end.zarr" "$mnt" "$T/tls2.log" \
    -o "cafile=$NGX_CERT"; then
    cmp -s "$mnt/v3s_u8_zstd_end" "$CORPUS/expected/v3s_u8_zstd_end.raw" &&
        ok "https with -o cafile: cmp" || bad "https with -o cafile: differs"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "https with -o cafile: $(head -c 300 "$T/tls2.log")"
fi
if zf_mount_fg "$SURL/field.zarr" "$mnt" "$T/tls3.log" -o insecure; then
    grep -q "insecure" "$T/tls3.log" && ok "-o insecure mounts and warns" ||
        bad "-o insecure gave no warning"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "-o insecure: $(head -c 300 "$T/tls3.log")"
fi

# ---- the tools, and a missing store ---------------------------------------------
out=$("$BIN/zarrfs-info" "$URL/field.zarr" 2>&1) && echo "$out" | grep -q "128" &&
    ok "zarrfs-info on a URL" || bad "zarrfs-info: $out"
"$BIN/zarrfs-cat" --offset 1000000 --length 70000 "$URL/field.zarr" >"$T/cat.out" 2>"$T/cat.err" &&
    cmp -s "$T/cat.out" <(tail -c +1000001 "$T/field.raw" | head -c 70000) &&
    ok "zarrfs-cat --offset --length on a URL" || bad "zarrfs-cat: $(head -c 300 "$T/cat.err")"
if zf_mount_fg "$URL/no/such.zarr" "$T/none" "$T/none.log"; then
    bad "a missing store URL was mounted"
    zf_umount "$T/none" "$ZF_PID"
else
    grep -q "no/such.zarr" "$T/none.log" && ok "a missing store URL: $(head -c 150 "$T/none.log")" ||
        bad "a missing store URL: $(head -c 300 "$T/none.log")"
fi
zf_finish
