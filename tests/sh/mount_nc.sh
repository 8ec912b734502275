#!/usr/bin/env bash
# mount_nc.sh - the groups' netCDF-4/HDF5 files of a mount (-o views=nc):
#  - G.nc beside each group G's folder, STORE.nc for the root group, with
#    views=nc and views=all, not with other views or none; a name taken by
#    an array stays the array's, and STORE.nc the root group's (not a
#    top-level group's named STORE); a store whose root is an array has none;
#  - each file's size is what the engine builds (zf_nc_parts, the public
#    API), its bytes are zf_nc_read's (cmp, mmap and unaligned preads);
#    each part's region equals the array's flat file in the same mount and
#    numpy's bytes; every byte outside the header and the parts is 0;
#  - laziness (.zarrfs/stats): mounting, listing, opening and reading the
#    header decode no chunk; reading one part decodes exactly that array's
#    chunks (readahead=0: the kernel's window would reach the next part);
#  - an array with broken metadata, and one whose name the mount cannot
#    show, leave the other parts served; a damaged chunk fails reads of its
#    own part only (EIO, logged);
#  - metadata_ttl: an array added to a group gives its file (and its
#    ancestors') new bytes and a new inode number; an fd opened before reads
#    the old file whole; a group that did not change keeps its number;
#    only the changed groups' files are built again (the mount's log); a
#    group's attributes changed (v2 .zattrs) rebuild its file, while a
#    reader holding another group's file open reads on across the refresh
#    (same inode, same bytes);
#    data rewritten under the same metadata is read anew through the file,
#    with push= too (its pushed pages are dropped);
#  - a group of 1,000 arrays mounts and lists in reasonable time (the time
#    with and without views=nc is printed);
#  - group files past 2^63 bytes (two fill-only arrays of 2^62 bytes) are
#    not made, the mount and zarrfs-info say why, another group's is;
#  - a 5 GiB sparse uint8 array (more than 2^32 elements, two chunks
#    stored): the file's size, and its last elements and a filled one read
#    at the part's offset;
#  - the real consumers (h5py reads every variable equal to the flat file,
#    ncdump -h lists the variables, h5py reads the 5 GiB array's last
#    element), unless ZF_NC_STANDIN=1 (the temporary stand-in builder
#    writes no HDF5).
# Exit 0 = pass, 77 = skip (no /dev/fuse, no zarr-python).
source "$(dirname "$0")/mount_common.bash"
zf_require
PY=/usr/bin/python3 # Debian's, with python3-zarr, python3-h5py, netcdf-bin
$PY -c 'import numpy, zarr' 2>/dev/null ||
    { echo "skip: $PY has no numpy and zarr (apt-get install python3-zarr)"; exit 77; }
PARTS=$BIN/zf_nc_parts
[ -x "$PARTS" ] || { bad "$PARTS is not built"; zf_finish; }
CONSUMERS=1 HAVE_H5PY=1
if [ "${ZF_NC_STANDIN:-0}" = 1 ]; then
    CONSUMERS=0
    echo "ZF_NC_STANDIN=1: the h5py and ncdump checks are left out"
fi
$PY -c 'import h5py' 2>/dev/null || HAVE_H5PY=0

# --- the store: zarr-python 2 (v2), groups, attributes, dimension names ------
S=$T/data.zarr
R=$T/raw
cat >"$T/store.py" <<'EOF'
import os, sys
import numpy as np
import zarr
from zf_arrays import random_array

step, store, raw = sys.argv[1:4]
rng = np.random.default_rng(int.from_bytes(step.encode(), "little") % 1000)

def put(g, path, dtype, shape, chunks, dims):
    a = random_array(rng, dtype, shape)
    z = g.create_dataset(path, data=a, chunks=chunks, overwrite=True)
    z.attrs["_ARRAY_DIMENSIONS"] = dims
    z.attrs["units"] = "K"
    out = os.path.join(raw, path)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    a.tofile(out)

if step == "init":
    g = zarr.open_group(store, mode="w")
    g.attrs["title"] = "zarrfs mount_nc"
    put(g, "temp", "float32", (20, 30), (7, 11), ["y", "x"])
    put(g, "y", "float64", (20,), (20,), ["y"])
    put(g, "flags", "uint8", (30,), (16,), ["x"])
    g.create_group("sub")
    put(g, "sub/b", "int16", (5000,), (1000,), ["n"])
    put(g, "sub/c", "uint8", (12,), (5,), ["m"])
    put(g, "sub/deep/d", "float64", (3, 4, 5), (2, 2, 5), ["a", "b", "c"])
    g.create_group("empty")
    g.create_group("coll")          # its file's name is an array's:
    put(g, "coll.nc", "int32", (6,), (6,), ["k"])
    put(g, "broken", "int32", (6,), (6,), ["k"])
    with open(os.path.join(store, "broken", ".zarray"), "w") as f:
        f.write('{"zarr_format": 2, "shape": [6], "chunks": ')  # cut short
    os.remove(os.path.join(raw, "broken"))
    put(g, ".zarrfs", "uint16", (10,), (10,), ["k10"])  # the mount hides it
    put(g, "data/z", "uint8", (5,), (5,), ["k5"])  # data.nc is the root's
elif step == "add":
    g = zarr.open_group(store, mode="a")
    put(g, "sub/added", "int32", (40,), (16,), ["p"])
elif step == "attrs":
    g = zarr.open_group(store, mode="a")
    g["sub/deep"].attrs["history"] = "attributes changed under the mount"
elif step == "rewrite":
    g = zarr.open_group(store, mode="a")
    a = random_array(rng, "int16", (5000,))
    g["sub/b"][...] = a
    a.tofile(os.path.join(raw, "sub/b"))
EOF
mkdir -p "$R"
$PY "$T/store.py" init "$S" "$R" 2>"$T/py.err" ||
    { bad "writing the store: $(tail -3 "$T/py.err")"; zf_finish; }

# layout GROUP OUT: the engine's layout of GROUP's file into OUT; the parts
# into OUT.parts ("OFFSET NBYTES PATH" lines).
layout() {
    "$PARTS" "$S" "$1" >"$2" 2>"$T/parts.err" || return 1
    awk '$1 == "part" {print $2, $3, $4}' "$2" >"$2.parts"
}
# field OUT NAME: the value of line NAME of a layout.
field() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
# region FILE OFF LEN: bytes [OFF, OFF + LEN) of FILE on stdout.
region() { dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=1M 2>/dev/null; }
# stat_of MNT KEY: a counter of MNT/.zarrfs/stats.
stat_of() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1/.zarrfs/stats" "$2"; }

# --- the entries -----------------------------------------------------------
M=$T/m
zf_mount_fg "$S" "$M" "$T/m.log" -o views=nc || { bad "mount: $(cat "$T/m.log")"; zf_finish; }
check "views=nc: data.nc for the root group" test -f "$M/data.nc"
check "views=nc: sub.nc and empty.nc beside their folders" test -f "$M/sub.nc" -a -f "$M/empty.nc"
check "views=nc: sub/deep.nc for the nested group" test -f "$M/sub/deep.nc"
check "views=nc: no file for a plain array" test ! -e "$M/temp.nc"
check "a group file's name taken by an array: the array stays" \
    cmp -s "$M/coll.nc" "$R/coll.nc"
check "... and the mount says so" grep -q "coll: no group file: the name coll.nc is taken" "$T/m.log"
check "the array with broken metadata is not shown" test ! -e "$M/broken"
check "a top-level group named like the store: data.nc stays the root's" \
    grep -q "data: no group file: the name data.nc is the root group's" "$T/m.log"

# --- sizes and bytes, group by group ------------------------------------------
# ("/" stands for the root group, "" for zf_nc_parts)
declare -A file_of=([/]=data.nc [sub]=sub.nc [sub/deep]=sub/deep.nc [empty]=empty.nc)
for key in / sub sub/deep empty; do
    g=${key#/} f=$M/${file_of[$key]} L=$T/layout_${key//\//_}
    layout "$g" "$L" || { bad "zf_nc_parts '$g': $(cat "$T/parts.err")"; continue; }
    check "${file_of[$key]}: stat size is the engine's" [ "$(stat -c %s "$f")" = "$(field "$L" size)" ]
    "$PARTS" "$S" "$g" --cat >"$T/expect.nc" 2>"$T/parts.err" ||
        { bad "zf_nc_read '$g': $(cat "$T/parts.err")"; continue; }
    check "${file_of[$key]}: the bytes are zf_nc_read's" cmp "$f" "$T/expect.nc"
    check "${file_of[$key]}: mmap and unaligned preads" "$CHECK" compare "$f" "$T/expect.nc"
    [ "$key" = / ] && check "data.nc: random preads from 4 processes at once" \
        "$CHECK" random "$f" "$T/expect.nc" 4 300
    while read -r off n path; do
        check "${file_of[$key]}: part $path is at a 4096-aligned offset" [ $((off % 4096)) = 0 ]
        [ -f "$M/$path" ] && check "${file_of[$key]}: part $path is $path's flat file" \
            cmp <(region "$f" "$off" "$n") "$M/$path"
        [ -f "$R/$path" ] && check "${file_of[$key]}: part $path is numpy's bytes" \
            cmp <(region "$f" "$off" "$n") "$R/$path"
    done <"$L.parts"
done
# Padding, through mmap: every byte in neither the header nor a part is 0.
check "data.nc: the padding is zero (mmap)" $PY - "$M/data.nc" "$T/layout__" <<'EOF'
import mmap, sys
path, layout = sys.argv[1:3]
lines = [l.split() for l in open(layout)]
head = int(next(l[1] for l in lines if l[0] == "header"))
parts = [(int(l[1]), int(l[2])) for l in lines if l[0] == "part"]
with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as m:
    data = bytearray(m)
data[:head] = bytes(head)
for off, n in parts:
    data[off:off + n] = bytes(n)
sys.exit(0 if not any(data) else 1)
EOF
grep -q ' broken$' "$T/layout__.parts" && bad "data.nc holds the broken array" ||
    ok "data.nc leaves the broken array out"
check "data.nc holds the array the mount hides (.zarrfs)" grep -q ' .zarrfs$' "$T/layout__.parts"
check "data.nc holds sub/deep/d (groups recursively)" grep -q ' sub/deep/d$' "$T/layout__.parts"

# --- the real consumers (not the stand-in) --------------------------------------
if [ "$CONSUMERS" = 1 ] && [ "$HAVE_H5PY" = 0 ]; then
    skip "$PY cannot import h5py (python3-h5py): its checks are left out"
elif [ "$CONSUMERS" = 1 ]; then
    while read -r off n path; do
        # (numpy's bytes, checked equal to the flat file above: .zarrfs has none)
        check "h5py reads $path from data.nc equal to its flat file" $PY - "$M/data.nc" "$path" "$R/$path" <<'EOF'
import sys
import h5py
nc, var, flat = sys.argv[1:4]
with h5py.File(nc, "r") as f:
    got = f[var][...].tobytes()
sys.exit(0 if got == open(flat, "rb").read() else 1)
EOF
    done <"$T/layout__.parts"
    if command -v ncdump >/dev/null; then
        ncdump -h "$M/data.nc" >"$T/ncdump.txt" 2>&1
        for v in temp y flags; do
            check "ncdump -h data.nc lists $v" grep -qE "[[:space:]]$v\(" "$T/ncdump.txt"
        done
        check "ncdump -h sub.nc lists b" sh -c 'ncdump -h "$1" | grep -qE "[[:space:]]b\("' _ "$M/sub.nc"
    else
        skip "ncdump is not installed (netcdf-bin)"
    fi
fi
zf_umount "$M" "$ZF_PID" || bad "unmount"

# --- which views add the files --------------------------------------------------
for v in all npy none; do
    zf_mount_fg "$S" "$T/v_$v" "$T/v_$v.log" -o "views=$v" || { bad "views=$v: mount"; continue; }
    if [ "$v" = all ]; then
        check "views=all: data.nc and sub.nc" test -f "$T/v_$v/data.nc" -a -f "$T/v_$v/sub.nc"
    else
        check "views=$v: no .nc file" [ -z "$(find "$T/v_$v" -name '*.nc' ! -name coll.nc)" ]
    fi
    zf_umount "$T/v_$v" "$ZF_PID" || bad "views=$v: unmount"
done
mkdir -p "$T/rootarray"
zf_pack "$R/flags" "$T/rootarray/arr.zarr" --shape 30 --dtype uint8 --chunks 16 || zf_finish
zf_mount_fg "$T/rootarray/arr.zarr" "$T/v_root" "$T/v_root.log" -o views=nc &&
    check "a root array store has no group file" [ "$(ls "$T/v_root")" = arr ]
zf_umount "$T/v_root" "$ZF_PID" || bad "root array: unmount"

# --- laziness -----------------------------------------------------------------
M=$T/lazy
zf_mount_fg "$S" "$M" "$T/lazy.log" -o views=nc,readahead=0 || { bad "lazy mount"; zf_finish; }
reads0=$(stat_of "$M" store_reads) # (building may read attributes, never chunks)
check "mounting decodes no chunk" [ "$(stat_of "$M" chunks_decoded)" = 0 ]
ls -lR "$M" >/dev/null
stat "$M/data.nc" "$M/sub.nc" >/dev/null
$PY -c 'import sys; [open(p, "rb").close() for p in sys.argv[1:]]' "$M/data.nc" "$M/sub.nc"
head -c "$(field "$T/layout__" header)" "$M/data.nc" >/dev/null
check "listing, opening and reading the header decode no chunk" [ "$(stat_of "$M" chunks_decoded)" = 0 ]
check "... and read nothing from the store" [ "$(stat_of "$M" store_reads)" = "$reads0" ]
read -r off n _ < <(grep ' temp$' "$T/layout__.parts")
region "$M/data.nc" "$off" "$n" >/dev/null
# temp is 20 x 30 in chunks of 7 x 11: 3 x 3 chunks, every one stored.
check "reading temp's part decodes temp's 9 chunks, nothing else" [ "$(stat_of "$M" chunks_decoded)" = 9 ]
# A damaged chunk fails its own part's reads (EIO, logged with the array),
# not the others'.
cp "$S/flags/1" "$T/flags.1"
head -c 64 /dev/urandom >"$S/flags/1"
read -r off n _ < <(grep ' flags$' "$T/layout__.parts")
check "a damaged chunk of flags: reading its part fails" sh -c '! dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" of=/dev/null 2>/dev/null' _ "$M/data.nc" "$off" "$n"
check "... and the mount names flags" grep -q "flags" "$T/lazy.log"
read -r off n _ < <(grep ' y$' "$T/layout__.parts")
check "... while y's part is still served" cmp <(region "$M/data.nc" "$off" "$n") "$R/y"
cp "$T/flags.1" "$S/flags/1"
zf_umount "$M" "$ZF_PID" || bad "lazy: unmount"

# --- refresh: a group changes under the mount -------------------------------------
for push in 0 4M; do
    M=$T/ttl_$push
    zf_mount_fg "$S" "$M" "$T/ttl_$push.log" -o "views=nc,metadata_ttl=0.3,push=$push" ||
        { bad "push=$push: ttl mount: $(cat "$T/ttl_$push.log")"; continue; }
    cat "$M/sub.nc" "$M/data.nc" >/dev/null # (pages cached, pushed)
    if [ "$push" = 0 ]; then
        "$PARTS" "$S" sub --cat >"$T/sub_old.nc"
        ino_sub=$(stat -c %i "$M/sub.nc") ino_deep=$(stat -c %i "$M/sub/deep.nc")
        exec 5<"$M/sub.nc"
        $PY "$T/store.py" add "$S" "$R" 2>"$T/py.err" || bad "adding an array: $(tail -2 "$T/py.err")"
        layout sub "$T/layout_new"
        for ((i = 0; i < 50; i++)); do
            [ "$(stat -c %s "$M/sub.nc")" = "$(field "$T/layout_new" size)" ] && break
            sleep 0.2
        done
        check "refresh: sub.nc has the new size" [ "$(stat -c %s "$M/sub.nc")" = "$(field "$T/layout_new" size)" ]
        check "refresh: sub.nc holds the added array" grep -q ' sub/added$' "$T/layout_new.parts"
        check "refresh: sub.nc's bytes are the new file's" cmp "$M/sub.nc" <("$PARTS" "$S" sub --cat)
        # (data.nc may follow sub.nc by a refresh or an entry timeout: the
        # kernel keeps a name's old inode until it looks the name up again)
        for ((i = 0; i < 25; i++)); do
            cmp -s "$M/data.nc" <("$PARTS" "$S" "" --cat) && break
            sleep 0.2
        done
        check "refresh: data.nc's too" cmp "$M/data.nc" <("$PARTS" "$S" "" --cat)
        check "refresh: sub.nc has a new inode number" [ "$(stat -c %i "$M/sub.nc")" != "$ino_sub" ]
        check "refresh: sub.nc's mtime is at least its newest array's" \
            [ "$(stat -c %Y "$M/sub.nc")" -ge "$(stat -c %Y "$M/sub/added")" ]
        check "refresh: sub/deep.nc did not change: same number" [ "$(stat -c %i "$M/sub/deep.nc")" = "$ino_deep" ]
        check "refresh: the fd opened before reads the old file whole" cmp <(cat <&5) "$T/sub_old.nc"
        exec 5<&-
        check "refresh: only the changed groups' files were built again (sub.nc, data.nc)" \
            grep -q "group files: 2 built, 2 kept" "$T/ttl_$push.log"
        # A group's attributes change (v2 .zattrs): only its file and its
        # ancestors' (sub.nc, data.nc) are built again; a reader of another group's file, holding
        # it open across the refresh, reads on: same inode, same bytes.
        ino_empty=$(stat -c %i "$M/empty.nc")
        cp "$M/empty.nc" "$T/empty_old.nc"
        $PY - "$M/empty.nc" "$T/empty_old.nc" "$T/reader.stop" >"$T/reader.out" 2>&1 <<'PYEOF' &
import os, sys
path, want_path, stop = sys.argv[1:4]
want = open(want_path, "rb").read()
fd = os.open(path, os.O_RDONLY)
ino, reads, bad = os.fstat(fd).st_ino, 0, 0
while not os.path.exists(stop) or reads < 3:
    bad += os.pread(fd, len(want) + 1, 0) != want
    reads += 1
print(reads, bad, int(os.fstat(fd).st_ino == ino))
PYEOF
        reader=$!
        n_built=$(grep -c "group files:" "$T/ttl_$push.log")
        $PY "$T/store.py" attrs "$S" "$R" 2>"$T/py.err" || bad "changing attributes: $(tail -2 "$T/py.err")"
        for ((i = 0; i < 50; i++)); do
            [ "$(grep -c "group files:" "$T/ttl_$push.log")" -gt "$n_built" ] && break
            sleep 0.2
        done
        touch "$T/reader.stop"
        wait "$reader"
        read -r reads mismatched same_ino <"$T/reader.out" || true
        check "attributes: a refresh saw the change and built 3 group files (sub/deep, sub, the root's), kept 1" \
            grep -q "group files: 3 built, 1 kept" <(grep "group files:" "$T/ttl_$push.log" | tail -1)
        check "attributes: sub/deep.nc holds the new attribute" \
            grep -q "attributes changed under the mount" "$M/sub/deep.nc"
        check "attributes: sub/deep.nc's bytes are the new file's" cmp "$M/sub/deep.nc" <("$PARTS" "$S" sub/deep --cat)
        check "attributes: sub/deep.nc has a new inode number" [ "$(stat -c %i "$M/sub/deep.nc")" != "$ino_deep" ]
        check "an open empty.nc read on across the refresh ($reads reads, $mismatched differing)" \
            [ "${reads:-0}" -ge 3 -a "${mismatched:-1}" = 0 -a "${same_ino:-0}" = 1 ]
        check "empty.nc keeps its inode number" \
            [ "$(stat -c %i "$M/empty.nc")" = "$ino_empty" ]
        check "... and its bytes" cmp "$M/empty.nc" "$T/empty_old.nc"
    else
        sleep 1.1 # (a rewrite within the second could keep the chunks' mtimes)
        $PY "$T/store.py" rewrite "$S" "$R" 2>"$T/py.err" || bad "rewriting sub/b: $(tail -2 "$T/py.err")"
        read -r off n _ < <(grep ' sub/b$' "$T/layout_new.parts")
        for ((i = 0; i < 50; i++)); do
            cmp -s <(region "$M/sub.nc" "$off" "$n") "$R/sub/b" && break
            sleep 0.2
        done
        check "push=4M: data rewritten under the same metadata is read anew in sub.nc" \
            cmp <(region "$M/sub.nc" "$off" "$n") "$R/sub/b"
        check "push=4M: the whole file is zf_nc_read's" cmp "$M/sub.nc" <("$PARTS" "$S" sub --cat)
    fi
    zf_umount "$M" "$ZF_PID" || bad "push=$push: ttl unmount"
done

# --- v3 stores written from the spec: 1,000 arrays; a 5 GiB sparse array ------
cat >"$T/v3.py" <<'EOF'
import json, os, sys
import numpy as np
kind, root = sys.argv[1:3]

def node(path, doc):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "zarr.json"), "w") as f:
        json.dump(doc, f)

def array(path, shape, dtype, chunk, fill):
    shape = shape if isinstance(shape, list) else [shape]
    chunk = chunk if isinstance(chunk, list) else [chunk]
    node(path, {"zarr_format": 3, "node_type": "array", "shape": shape,
                "data_type": dtype, "fill_value": fill,
                "chunk_grid": {"name": "regular",
                               "configuration": {"chunk_shape": chunk}},
                "chunk_key_encoding": {"name": "default"},
                "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]})

group = {"zarr_format": 3, "node_type": "group", "attributes": {}}
node(root, group)
node(os.path.join(root, "g"), group)
if kind == "many":  # g/v0000 ... g/v0999, each its fill value i (no chunk)
    for i in range(1000):
        array(os.path.join(root, "g", "v%04d" % i), 100, "int16", 100, i)
elif kind == "wrap":  # g: two fill-only arrays of 2^62 bytes; h: a small one
    for name in ("p0", "p1"):
        array(os.path.join(root, "g", name), [2, 1 << 61], "uint8", [1, 1 << 20], 0)
    node(os.path.join(root, "h"), group)
    array(os.path.join(root, "h", "v"), 10, "uint8", 10, 3)
else:  # g/huge: 5 GiB of uint8, fill 7; chunks 300 and 639 (the last) hold i % 251
    chunk = 8 << 20
    array(os.path.join(root, "g", "huge"), 5 << 30, "uint8", chunk, 7)
    os.makedirs(os.path.join(root, "g", "huge", "c"))
    for k in (300, 639):
        (np.arange(k * chunk, (k + 1) * chunk, dtype=np.uint64) % 251).astype(
            np.uint8).tofile(os.path.join(root, "g", "huge", "c", str(k)))
EOF

# --- 1,000 arrays in one group ------------------------------------------------------
MANY=$T/many.zarr
$PY "$T/v3.py" many "$MANY" || bad "writing 1,000 arrays"
for v in none nc; do
    t0=$(date +%s.%N)
    zf_mount_fg "$MANY" "$T/many_$v" "$T/many_$v.log" -o "views=$v" || { bad "1,000 arrays, views=$v: mount"; continue; }
    entries=$(ls -l "$T/many_$v/g" | grep -c '^-')
    t1=$(date +%s.%N)
    took=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
    echo "1,000 arrays, views=$v: mounted and listed in $took s"
    check "1,000 arrays, views=$v: listed" [ "$entries" = 1000 ]
    if [ "$v" = nc ]; then
        check "1,000 arrays: mounted and listed within 30 s" awk -v t="$took" 'BEGIN {exit !(t < 30)}'
        check "1,000 arrays: g.nc is the engine's file" cmp "$T/many_$v/g.nc" <("$PARTS" "$MANY" g --cat)
        check "1,000 arrays: g.nc has 1,000 parts" [ "$("$PARTS" "$MANY" g | grep -c '^part')" = 1000 ]
        read -r off n _ < <("$PARTS" "$MANY" g | awk '$1 == "part" && $4 == "g/v0999" {print $2, $3}')
        check "1,000 arrays: the last part is its fill value" $PY -c '
import sys, numpy as np
f = open(sys.argv[1], "rb"); f.seek(int(sys.argv[2]))
sys.exit(0 if (np.frombuffer(f.read(int(sys.argv[3])), "<i2") == 999).all() else 1)' "$T/many_$v/g.nc" "$off" "$n"
    fi
    zf_umount "$T/many_$v" "$ZF_PID" || bad "1,000 arrays: unmount"
done

# --- group files past 2^63 bytes: refused, never wrapped ------------------------------
WRAP=$T/wrap.zarr
$PY "$T/v3.py" wrap "$WRAP" || bad "writing the 2^63-byte group"
M=$T/wrap
if zf_mount_fg "$WRAP" "$M" "$T/wrap.log" -o views=nc; then
    check "2^63 bytes: no g.nc (its parts would end past the largest file size)" test ! -e "$M/g.nc"
    check "... nor the root's, which holds g" test ! -e "$M/wrap.nc"
    check "... the mount logs why, naming the group and the array" \
        grep -q "g: no group file: group 'g': its netCDF-4 file would be larger than 9223372036854775807 bytes (an off_t) from g/p1 on" "$T/wrap.log"
    check "... while h.nc is made" cmp "$M/h.nc" <("$PARTS" "$WRAP" h --cat)
    check "... and the arrays' files are there, 2^62 bytes each" [ "$(stat -c %s "$M/g/p0")" = $((1 << 62)) ]
    zf_umount "$M" "$ZF_PID" || bad "2^63 bytes: unmount"
else
    bad "2^63 bytes: mount: $(cat "$T/wrap.log")"
fi
check "2^63 bytes: zarrfs-info gives the same reason" \
    grep -q "netcdf  none: group 'g': its netCDF-4 file would be larger than" <("$BIN/zarrfs-info" "$WRAP")

# --- a 5 GiB sparse array ------------------------------------------------------------
BIG=$T/big.zarr
$PY "$T/v3.py" big "$BIG" || bad "writing the 5 GiB array"
M=$T/big
zf_mount_fg "$BIG" "$M" "$T/big.log" -o views=nc || { bad "5 GiB: mount"; zf_finish; }
"$PARTS" "$BIG" g >"$T/big_layout"
read -r off n _ < <(awk '$1 == "part" && $4 == "g/huge" {print $2, $3}' "$T/big_layout")
check "5 GiB: the part is the whole array" [ "$n" = $((5 << 30)) ]
check "5 GiB: g.nc's size is the engine's" [ "$(stat -c %s "$M/g.nc")" = "$(field "$T/big_layout" size)" ]
check "5 GiB: g.nc is larger than 5 GiB" [ "$(stat -c %s "$M/g.nc")" -gt $((5 << 30)) ]
check "5 GiB: the last 4 elements, and a filled one, through g.nc (pread)" $PY - "$M/g.nc" "$off" "$n" "$M/g/huge" <<'EOF'
import os, sys
nc, off, n, flat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
fd = os.open(nc, os.O_RDONLY)
last = os.pread(fd, 4, off + n - 4)
mid = os.pread(fd, 1, off + 100 * (8 << 20))
want = bytes((i % 251) for i in range(n - 4, n))
ff = os.open(flat, os.O_RDONLY)
sys.exit(0 if last == want == os.pread(ff, 4, n - 4) and mid == b"\x07" else 1)
EOF
if [ "$CONSUMERS" = 1 ] && [ "$HAVE_H5PY" = 1 ]; then
    check "5 GiB: h5py reads the last element" $PY -c '
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    sys.exit(0 if int(f["huge"][-1]) == ((5 << 30) - 1) % 251 else 1)' "$M/g.nc"
fi
if [ "$CONSUMERS" = 1 ] && command -v h5dump >/dev/null; then
    # -H: the whole header (superblock, groups, datatypes, dataspaces,
    # attributes), none of the 5 GiB of data.
    check "5 GiB: h5dump -H parses g.nc" sh -c \
        "h5dump -H '$M/g.nc' >'$T/big.h5dump' 2>&1 && ! grep -qi error '$T/big.h5dump' && grep -q 'DATASPACE  SIMPLE { ( 5368709120 )' '$T/big.h5dump'"
fi
zf_umount "$M" "$ZF_PID" || bad "5 GiB: unmount"

zf_finish
