#!/usr/bin/env bash
# peer_written.sh - stores written by the real peers, read by zarrfs
# (issue 22, "Conformance, both ways", items 1 and 3).  The pinned peers
# (tools/install-peers.sh: zarr-python 3, tensorstore, the zarrs pipeline,
# xarray) write with tests/peer/write_peers.py, into $T:
#   zarr-python 3 as zarr_format 3 and 2, tensorstore's zarr3 and zarr
#   drivers, zarr-python 3 with the zarrs codec pipeline (strict), and
#   xarray's to_zarr (zarr-python 3) as v3 and v2;
# every dtype, codec, fill value, edge and missing chunk, 0-d array,
# consolidated metadata, dimension_names and nested groups they write; the
# expected bytes are each peer's own read of the array
# (np.ascontiguousarray(a).tobytes(), native order).  For every array:
#   - zarrfs-cat's output equals them (cmp);
#   - the flat file of a mount (-o views=npy,nc) equals them (cmp);
#   - NAME.npy loads with the peer's shape and dtype and the same values
#     (np.load with the venv's numpy);
#   - the data types zarrfs has no flat view of (strings, variable-length
#     bytes, structured, ...) are refused: zarrfs-cat fails with a message
#     naming the array and the type, and the mount leaves them out.
# A codec zarrfs does not know is a skip (the message must name the codec
# and the array; none is left at the pinned versions); a refusal for any
# other reason, and every wrong byte, fails.  Where the zarrs pipeline's read of its own chunk
# differs from zarr-python's, zarrfs must equal one of them: the matrix
# counts those apart ("peers-disagree"), and the comment below says who is
# right.
# Item 3: xr.open_dataset(MNT/G.nc) is identical to xr.open_zarr(store)
# (xr.testing.assert_identical) for each group of the stores xarray and
# zarr-python 3 wrote, v3 and v2.
# Last, the matrix: writer x format x arrays x equal.
#
# Where zarrfs and a peer disagreed, and who was right:
#  - a shard compressed whole (zarr-python's sharding serializer with its
#    default zstd after it, shard/then_*): zarrfs read the index from the
#    stored bytes and failed the crc32c.  The core spec (v3.0) allows it:
#    "the list of codecs must be of the following form: zero or more array
#    -> array codecs; followed by exactly one array -> bytes codec; followed
#    by zero or more bytes -> bytes codecs".  Fixed: such a chunk is
#    decoded whole, then cut by its index.
#  - _FillValue in the netCDF view of a v3 array: zarrfs wrote the v3
#    fill_value there, so netCDF readers masked valid data (xarray: a time
#    axis starting at 0 became NaT).  The core spec's fill_value only
#    "provides an element value to use for uninitialised portions of the
#    Zarr array"; xarray keeps v3's CF _FillValue in the attributes.
#    Fixed: the view takes the _FillValue attribute (v2 keeps fill_value,
#    which xarray reads as _FillValue).
#  - fixedscaleoffset (v2, astype <i4) through the zarrs pipeline: zarrs
#    reads its own 2147483647 as 21474836.48, zarr-python (numcodecs) and
#    zarrfs as 21474836.47; see "disagree" below.
#  - zarr-python 3.1 checks a sharding codec's inner chunks against the
#    chunk shape before a transpose, zarrs (as the spec, where the sharding
#    codec gets the transposed chunk) after it; the writer uses square
#    shards there.
# Exit 0 = pass, 77 = skip (no /dev/fuse, or no peers outside CI).
source "$(dirname "$0")/mount_common.bash"
zf_require
zf_require_peers
SRC=${ZF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=$PEER_PY # pycheck's interpreter: the venv's numpy and xarray
W=$T/w
if ! "$PEER_PY" "$SRC/tests/peer/write_peers.py" "$W" >"$T/write.log" 2>&1; then
    bad "write_peers.py: $(tail -n 5 "$T/write.log")"
    zf_finish
fi
grep '^note: ' "$T/write.log" # what a peer would not write, and why
tail -n 1 "$T/write.log"

declare -A KEY   # store|path -> writer|fmt, the matrix row
declare -A GOOD  # store|path -> 1 while every check of the array passed
declare -A STATE # store|path -> equal, refused, unsupported or wrong
ROWS=()
declare -A REF   # store|path -> zarr-python's read where the zarrs pipeline's differs
while IFS=$'\t' read -r writer fmt store path dtype shape codecs fill exp want ref; do
    [ "$writer" = writer ] && continue
    ROWS+=("$store|$path|$exp|$want|$codecs")
    REF[$store|$path]=$ref
    KEY[$store|$path]="$writer|v$fmt"
    GOOD[$store|$path]=1
done <"$W/INDEX.tsv"
[ "${#ROWS[@]}" -gt 300 ] && ok "${#ROWS[@]} arrays written by the peers" ||
    bad "only ${#ROWS[@]} arrays written"
wrong() { GOOD[$1]=0; bad "$2"; }

# --- zarrfs-cat ------------------------------------------------------------------
for row in "${ROWS[@]}"; do
    IFS='|' read -r store path exp want codecs <<<"$row"
    k="$store|$path"
    if [ "$exp" = refused ]; then
        # The message names the array (its metadata key) and the type.
        if "$BIN/zarrfs-cat" "$W/$store" "$path" >/dev/null 2>"$T/cat.err"; then
            wrong "$k" "$store $path ($want) was read, not refused"
        elif grep -qF -- "$path/" "$T/cat.err" && grep -qF -- "$want" "$T/cat.err"; then
            STATE[$k]=refused
            ok "$store $path: refused, naming the array and $want: $(head -c 160 "$T/cat.err")"
        else
            wrong "$k" "$store $path: the refusal does not name the array and '$want': $(cat "$T/cat.err")"
        fi
        continue
    fi
    if "$BIN/zarrfs-cat" "$W/$store" "$path" >"$T/cat.out" 2>"$T/cat.err"; then
        if cmp -s "$T/cat.out" "$W/$exp"; then
            STATE[$k]=equal
        elif [ "${REF[$k]}" != - ] && cmp -s "$T/cat.out" "$W/${REF[$k]}"; then
            # The zarrs pipeline reads its own chunk differently from
            # zarr-python (numcodecs, whose codecs Zarr v2 names: "filters:
            # A list of JSON objects providing codec configurations ... as
            # for the compressor", each "identifying the codec": the v2
            # spec).  Seen: fixedscaleoffset(scale=100, astype <i4) of
            # 2147483647 is 21474836.48 in zarrs (the integer went through a
            # float32), 21474836.47 in numcodecs ("enc / scale + offset" in
            # float64); zarrfs reads it as numcodecs does.
            STATE[$k]=disagree
            ok "$store $path ($codecs): zarrfs-cat equals zarr-python's (numcodecs') read, not the zarrs pipeline's own"
        else
            wrong "$k" "zarrfs-cat $store $path ($codecs) differs: $(cmp "$T/cat.out" "$W/$exp" 2>&1 | head -n 1)"
        fi
    elif grep -qE "unknown codec '[^']+'" "$T/cat.err" && grep -qF "$path/" "$T/cat.err"; then
        # A codec zarrfs does not implement: refused by name, never misread.
        STATE[$k]=unsupported
        GOOD[$k]=0
        skip "$store $path ($codecs): $(head -c 200 "$T/cat.err")"
    else
        wrong "$k" "zarrfs-cat $store $path ($codecs) failed: $(head -c 300 "$T/cat.err")"
    fi
done
n_cat=0
for k in "${!STATE[@]}"; do [ "${STATE[$k]}" = equal ] && n_cat=$((n_cat + 1)); done
ok "zarrfs-cat: $n_cat arrays equal to the peers' reads"

# --- the mounts: flat files, .npy views, netCDF views ----------------------------
# npy_check MNT STORE: every equal array's NAME.npy, through the venv's numpy.
npy_check() {
    "$PEER_PY" - "$1" "$W" "$2" <<'EOF'
import os, sys
import numpy as np
mnt, w, store = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(w, "INDEX.tsv"))][1:]
for writer, fmt, st, path, dtype, shape, codecs, fill, exp, want, ref in rows:
    if st != store or exp == "refused" or not os.path.exists(os.path.join(mnt, path)):
        continue
    want_shape = () if shape == "-" else tuple(int(x) for x in shape.split(","))
    try:
        a = np.load(os.path.join(mnt, path + ".npy"), mmap_mode="r")
        got = np.ascontiguousarray(a).tobytes()
        good = (a.shape == want_shape and a.dtype == np.dtype(dtype) and
                (got == open(os.path.join(w, exp), "rb").read() or  # (see "disagree")
                 ref != "-" and got == open(os.path.join(w, ref), "rb").read()))
        why = "%s %s" % (a.dtype.str, a.shape)
    except Exception as e:
        good, why = False, "%s" % e
    print("%s: npy %s %s: %s (the peer's: %s %s)" % ("ok" if good else "FAIL", store, path,
                                                    why, dtype, want_shape))
EOF
}

STORES=$(for row in "${ROWS[@]}"; do echo "${row%%|*}"; done | sort -u)
n=0
for store in $STORES; do
    n=$((n + 1))
    M=$T/m$n
    if ! zf_mount_fg "$W/$store" "$M" "$T/mount$n.log" -o views=npy,nc; then
        bad "zarrfs -o views=npy,nc $store did not mount: $(head -n 3 "$T/mount$n.log")"
        continue
    fi
    for row in "${ROWS[@]}"; do
        IFS='|' read -r st path exp want codecs <<<"$row"
        [ "$st" = "$store" ] || continue
        k="$store|$path"
        if [ "$exp" = refused ] || [ "${STATE[$k]:-}" = unsupported ]; then
            [ ! -e "$M/$path" ] || wrong "$k" "$store $path: cannot be read, yet it is in the mount"
        elif [ ! -f "$M/$path" ]; then
            wrong "$k" "$store $path: not in the mount ($(grep -m1 -F "$path" "$T/mount$n.log"))"
        elif [ "${STATE[$k]:-}" = disagree ]; then
            cmp -s "$M/$path" "$W/${REF[$k]}" ||
                wrong "$k" "$store $path: the mounted file differs from zarrfs-cat's reading"
        elif ! cmp -s "$M/$path" "$W/$exp"; then
            wrong "$k" "$store $path: the mounted file differs: $(cmp "$M/$path" "$W/$exp" 2>&1 | head -n 1)"
        fi
    done
    npy_check "$M" "$store" >"$T/npy.out" 2>&1
    while read -r line; do
        case $line in
            ok:*) passed=$((passed + 1)) ;;
            FAIL:*) set -- $line; wrong "$store|${4%:}" "${line#FAIL: }" ;;
            *) bad "npy check: $line" ;;
        esac
    done <"$T/npy.out"
    echo "ok: $store: $(grep -c '^ok: ' "$T/npy.out") .npy views load with the peer's shape, dtype and values"
    case $store in
        xarray-v*)
            # Item 3: each group's netCDF view against xarray's read of the store.
            nc=$M/${store%.zarr}.nc
            pycheck "$SRC/tests/sh/nc_check.py" xarray_identical "$nc" "$W/$store"
            pycheck "$SRC/tests/sh/nc_check.py" xarray_identical "$M/sub.nc" "$W/$store/sub"
            pycheck "$SRC/tests/sh/nc_check.py" xarray_identical "$M/plain.nc" "$W/$store/plain"
            ;;
    esac
    zf_umount "$M" "$ZF_PID" || bad "$store: unmount"
done

# --- the matrix ----------------------------------------------------------------------
for row in "${ROWS[@]}"; do
    IFS='|' read -r store path exp want codecs <<<"$row"
    k="$store|$path"
    case ${STATE[$k]:-}/${GOOD[$k]} in
        equal/1) ok "$store $path: zarrfs-cat, the mounted file and its .npy equal the peer's read" ;;
        disagree/1) ok "$store $path: zarrfs-cat, the mounted file and its .npy equal zarr-python's read" ;;
    esac
done
echo
echo "writer                  format  arrays  equal  refused-type  unsupported-codec  peers-disagree  wrong"
for key in $(printf '%s\n' "${KEY[@]}" | sort -u | tr ' ' '_'); do
    a=0 e=0 r=0 u=0 d=0 x=0
    for row in "${ROWS[@]}"; do
        IFS='|' read -r store path exp want codecs <<<"$row"
        k="$store|$path"
        [ "${KEY[$k]// /_}" = "$key" ] || continue
        a=$((a + 1))
        case ${STATE[$k]:-}/${GOOD[$k]} in
            equal/1) e=$((e + 1)) ;;
            refused/1) r=$((r + 1)) ;;
            unsupported/*) u=$((u + 1)) ;;
            disagree/1) d=$((d + 1)) ;;
            *) x=$((x + 1)) ;;
        esac
    done
    w=${key%|*}
    printf '%-23s %-7s %6d %6d %13d %18d %15d %6d\n' "${w//_/ }" "${key##*|}" "$a" "$e" "$r" "$u" "$d" "$x"
done
echo
zf_finish
