#!/usr/bin/env bash
# views.sh - header views (-o views=...): NAME.npy, NAME.hdr, NAME.nhdr and
# NAME.mhd beside each array file NAME, checked with the tools that read
# them: numpy's np.load(mmap_mode='r') for dtypes of 0 to 4 dimensions and
# one 64 MiB array (and the bytes by mmap and unaligned preads across the
# header's end), GDAL's ENVI driver through gdal.Open(NAME) for 2-d and 3-d
# arrays of every ENVI type, teem's unu for every NRRD type, VTK's
# MetaImage reader for 1-d to 3-d and the header's fields for all; sizes,
# mtimes, arrays whose type a format lacks (no view, a message, and
# zarrfs-info saying why), a name taken by an array, the option's forms
# (none by default, all, a comma list, an unknown name refused).
# Exit 0 = pass, 77 = skip (no /dev/fuse).  A reader that is not installed
# (tools/install-deps.sh installs them all) skips its checks.
source "$(dirname "$0")/mount_common.bash"
zf_require

PY=/usr/bin/python3 # Debian's, with python3-numpy, python3-gdal, python3-vtk9
if ! "$PY" -c 'import numpy' 2>/dev/null; then
    echo "skip: $PY cannot import numpy (python3-numpy is not installed)"
    exit 77
fi
have_gdal=1 have_vtk=1 have_unu=1
"$PY" -c 'from osgeo import gdal' 2>/dev/null || have_gdal=0
"$PY" -c 'import vtk' 2>/dev/null || have_vtk=0
command -v teem-unu >/dev/null || have_unu=0

# --- the store: arrays of every type, made by numpy and zarrfs-pack ----------
S=$T/store.zarr
R=$T/raw
mkdir -p "$R"
zf_group "$S" || { bad "making the group"; zf_finish; }
# One line per array: NAME DTYPE SHAPE CHUNKS (the raw file is $R/NAME).
"$PY" - "$R" >"$T/arrays" <<'EOF'
import sys
import numpy as np
from zf_arrays import random_array
out = sys.argv[1]
rng = np.random.default_rng(7)
types = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32",
         "int64", "uint64", "float16", "float32", "float64", "complex64",
         "complex128"]

def make(dtype, shape):
    return random_array(rng, dtype, shape)

rows = []
shapes = {"d1": (1000,), "d2": (13, 17), "d3": (3, 11, 7), "d4": (2, 3, 4, 5)}
for t in types:
    for tag, shape in shapes.items():
        if tag == "d4" and t not in ("uint16", "float32", "complex128"):
            continue
        name = f"{t}_{tag}"
        make(t, shape).astype(np.dtype(t).newbyteorder("<")).tofile(f"{out}/{name}")
        chunks = ",".join(str(max(1, s // 2)) for s in shape)
        rows.append((name, t, ",".join(map(str, shape)), chunks))
# A name with a dot: GDAL must still find "t2m.v1.hdr" for "t2m.v1".
make("uint16", (3, 11, 7)).astype("<u2").tofile(f"{out}/t2m.v1")
rows.append(("t2m.v1", "uint16", "3,11,7", "2,5,7"))
for r in rows:
    print(*r)
EOF
[ -s "$T/arrays" ] || { bad "generating the arrays"; zf_finish; }
while read -r name dtype shape chunks; do
    zf_pack "$R/$name" "$S/$name" --shape "$shape" --dtype "$dtype" \
        --chunks "$chunks" --codec zstd || zf_finish
done <"$T/arrays"
# A 0-d array (one float64, its fill value: no chunk is stored).
mkdir -p "$S/scalar"
cat >"$S/scalar/zarr.json" <<'EOF'
{"zarr_format": 3, "node_type": "array", "shape": [], "data_type": "float64",
 "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": []}},
 "chunk_key_encoding": {"name": "default"}, "fill_value": 2.5,
 "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}
EOF
"$PY" -c 'import numpy as np, sys; np.array(2.5, "<f8").tofile(sys.argv[1])' "$R/scalar"
# "taken.npy" is an array: the .npy view of "taken" must step aside.
head -c 100 /dev/urandom >"$R/taken.npy"
zf_pack "$R/taken.npy" "$S/taken.npy" --shape 100 --dtype uint8 --chunks 100 &&
    zf_pack "$R/taken.npy" "$S/taken" --shape 100 --dtype uint8 --chunks 100 ||
    zf_finish
cp "$R/taken.npy" "$R/taken"
echo "scalar float64 - -" >>"$T/arrays"
echo "taken uint8 100 -" >>"$T/arrays"
# 64 MiB of uint16 (4096 x 8192), sharded: a store whose root is the array.
"$PY" -c '
import numpy as np, sys
a = (np.arange(4096 * 8192, dtype=np.uint64) * 2654435761 >> 7).astype("<u2")
a.tofile(sys.argv[1])' "$T/big.raw"
zf_pack "$T/big.raw" "$T/big.zarr" --shape 4096,8192 --dtype uint16 \
    --chunks 256,512 --shards 1024,2048 --codec zstd:1 || zf_finish

# --- the option's forms ----------------------------------------------------------
M=$T/m
LOG=$T/zarrfs.log
listing() { (cd "$1" && ls -A | sort); }
if zf_mount_fg "$S" "$M" "$LOG"; then
    listing "$M" >"$T/plain"
    check "without views=, only the arrays ($(wc -l <"$T/plain") entries)" \
        sh -c "! grep -qE '\.(hdr|nhdr|mhd)$' '$T/plain' && ! grep -qx 'uint8_d1.npy' '$T/plain' &&
               [ \$(wc -l <'$T/plain') -eq $(($(wc -l <"$T/arrays") + 1)) ]"
    zf_umount "$M" "$ZF_PID"
else
    bad "plain mount: $(cat "$LOG")"
fi
if zf_mount_fg "$S" "$M" "$LOG" -o views=npy,nrrd,threads=2; then
    listing "$M" >"$T/some"
    check "views=npy,nrrd: .npy and .nhdr, no .hdr nor .mhd" \
        sh -c "grep -qx uint16_d2.npy '$T/some' && grep -qx uint16_d2.nhdr '$T/some' &&
               ! grep -qE '\.(hdr|mhd)$' '$T/some'"
    zf_umount "$M" "$ZF_PID"
else
    bad "mount with views=npy,nrrd: $(cat "$LOG")"
fi
for bogus in jpeg npy,jpeg; do
    "$ZARRFS" -o "views=$bogus" "$S" "$M" >"$T/out" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ] && grep -q jpeg "$T/out" && ! mountpoint -q "$M"; then
        ok "views=$bogus refused: $(head -1 "$T/out")"
    else
        bad "views=$bogus not refused (exit $rc): $(cat "$T/out")"
        zf_umount "$M"
    fi
done
check "--help documents views=" sh -c "'$ZARRFS' --help 2>&1 | grep -q 'views=LIST'"

# --- views=all ------------------------------------------------------------------------
zf_mount_fg "$S" "$M" "$LOG" -o views=all || { bad "mount views=all: $(cat "$LOG")"; zf_finish; }
listing "$M" >"$T/all"
check "views=all shows .npy, .hdr, .nhdr and .mhd" \
    sh -c "for s in npy hdr nhdr mhd; do grep -qx uint16_d3.\$s '$T/all' || exit 1; done"
check "taken.npy is the array of that name, not taken's view" \
    cmp -s "$M/taken.npy" "$R/taken.npy"
check "the taken name is logged" grep -q "taken.npy is taken" "$LOG"

# Sizes, mtimes, which views exist, and the .npy bytes against an expected
# file built here from the spec (header padded to 64 bytes, then the raw).
"$PY" - "$M" "$R" "$S" "$T/arrays" "$T/exp" >"$T/npy.out" 2>&1 <<'EOF'
import os, sys
import numpy as np
m, raw, store, listing, exp = sys.argv[1:]
os.makedirs(exp)
fails = 0
def bad(msg):
    global fails
    fails += 1
    print("FAIL:", msg)
no_envi = {"int8", "float16"}
no_nrrd_mhd = {"float16"}
for line in open(listing):
    name, dtype, shape, _ = line.split()
    shape = tuple(int(s) for s in shape.split(",")) if shape != "-" else ()
    want = {"npy": True, "hdr": 1 <= len(shape) <= 3 and dtype not in no_envi,
            "nhdr": dtype not in no_nrrd_mhd, "mhd": dtype not in no_nrrd_mhd}
    for suffix, present in want.items():
        f = f"{m}/{name}.{suffix}"
        if suffix == "npy" and name == "taken":
            continue  # an array has that name
        if os.path.exists(f) != present:
            bad(f"{name}.{suffix}: present={os.path.exists(f)}, want {present}")
            continue
        if not present:
            continue
        st = os.stat(f)
        if st.st_mtime != os.stat(f"{m}/{name}").st_mtime:
            bad(f"{name}.{suffix}: mtime differs from the array's")
        data = open(f, "rb").read()
        if len(data) != st.st_size:
            bad(f"{name}.{suffix}: read {len(data)} bytes, size {st.st_size}")
    if name == "taken":
        continue
    f = f"{m}/{name}.npy"
    dt = np.dtype(dtype).newbyteorder("=")
    expected = np.fromfile(f"{raw}/{name}", dtype=np.dtype(dtype).newbyteorder("<")).astype(dt).reshape(shape)
    a = np.load(f, mmap_mode="r")
    if a.dtype != dt or a.shape != shape or not np.array_equal(a, expected):
        bad(f"{name}.npy: np.load gives {a.dtype} {a.shape}, want {dt} {shape}")
    order = "|" if dt.itemsize == 1 else ("<" if sys.byteorder == "little" else ">")
    descr = order + dt.kind + str(dt.itemsize)
    shp = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    d = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shp)
    total = -(-(10 + len(d) + 1) // 64) * 64
    header = b"\x93NUMPY\x01\x00" + (total - 10).to_bytes(2, "little") + \
        d.encode() + b" " * (total - 11 - len(d)) + b"\n"
    with open(f"{exp}/{name}.npy", "wb") as o:
        o.write(header + expected.tobytes())
    if open(f, "rb").read() != header + expected.tobytes():
        bad(f"{name}.npy: differs from the expected header + bytes")
print(f"npy: {fails} failures")
sys.exit(1 if fails else 0)
EOF
rc=$?
check "sizes, mtimes, which views exist; np.load(mmap_mode='r') of every dtype, 0-d to 4-d ($(tail -1 "$T/npy.out"))" \
    [ "$rc" -eq 0 ]
grep FAIL "$T/npy.out" | head -5
for name in uint16_d1 complex128_d4 bool_d2 int64_d3; do
    out=$("$CHECK" compare "$M/$name.npy" "$T/exp/$name.npy") &&
        ok "$name.npy: mmap and unaligned preads across the header's end" ||
        bad "$name.npy: $out"
done
zf_mount_fg "$T/big.zarr" "$T/mb" "$T/mb.log" -o views=npy ||
    { bad "mount of the 64 MiB array: $(cat "$T/mb.log")"; zf_finish; }
"$PY" - "$T/mb/big.npy" "$T/big.raw" >"$T/big.out" 2>&1 <<'EOF'
import sys
import numpy as np
a = np.load(sys.argv[1], mmap_mode="r")
want = np.memmap(sys.argv[2], dtype="<u2", mode="r").reshape(4096, 8192)
ok = a.shape == (4096, 8192) and a.dtype == np.dtype("=u2") and np.array_equal(a, want)
print(f"{a.dtype} {a.shape} offset {a.offset}")
sys.exit(0 if ok else 1)
EOF
rc=$?
check "a 64 MiB array: np.load(mmap_mode='r') equals the data ($(tail -1 "$T/big.out"))" [ "$rc" -eq 0 ]
size=$(stat -c %s "$T/mb/big.npy")
check "its size is a 128-byte header and the 64 MiB ($size), and the bytes past the header are the array's" \
    sh -c "[ $size -eq $((4096 * 8192 * 2 + 128)) ] && tail -c +129 '$T/mb/big.npy' | cmp -s - '$T/big.raw'"
zf_umount "$T/mb" "$ZF_PID"

# --- ENVI through GDAL --------------------------------------------------------------------
if [ "$have_gdal" = 1 ]; then
    "$PY" - "$M" "$R" "$T/arrays" >"$T/gdal.out" 2>&1 <<'EOF'
import sys
import numpy as np
from osgeo import gdal
gdal.UseExceptions()
gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")  # no .aux.xml on a read-only mount
m, raw, listing = sys.argv[1:]
n = fails = old = 0
for line in open(listing):
    name, dtype, shape, _ = line.split()
    if shape == "-" or len(shape.split(",")) not in (2, 3):
        continue
    if dtype in ("int8", "float16"):
        continue
    shape = tuple(int(s) for s in shape.split(","))
    want = np.fromfile(f"{raw}/{name}", dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
    if dtype == "bool":
        want = want.astype(np.uint8)
    try:
        ds = gdal.Open(f"{m}/{name}")
    except RuntimeError as e:
        # GDAL < 3.7 knows no ENVI data types 14 and 15 (64-bit integers).
        if dtype in ("int64", "uint64") and "data_type" in str(e):
            old += 1
            continue
        raise
    got = ds.ReadAsArray()
    drv = ds.GetDriver().ShortName
    n += 1
    if drv != "ENVI" or got.shape != shape or not np.array_equal(got, want):
        fails += 1
        print(f"FAIL: {name}: {drv} {got.dtype} {got.shape}, want {want.dtype} {shape}")
print(f"{n} arrays read, {fails} differ" +
      (f", {old} 64-bit integer arrays left out: GDAL {gdal.__version__} "
       "has no ENVI types 14, 15" if old else ""))
sys.exit(1 if fails or n < 20 else 0)
EOF
    rc=$?
    check "gdal.Open(NAME).ReadAsArray() for 2-d and 3-d arrays of every ENVI type ($(tail -1 "$T/gdal.out"))" \
        [ "$rc" -eq 0 ]
    grep FAIL "$T/gdal.out" | head -5
else
    skip "GDAL: python3-gdal is not installed"
fi

# --- NRRD through teem's unu ----------------------------------------------------------------
if [ "$have_unu" = 1 ]; then
    n=0 nbad=0
    while read -r name dtype shape _; do
        [ "$dtype" = float16 ] && continue
        if ! (cd "$T" && teem-unu save -i "$M/$name.nhdr" -f nrrd -e raw -o "$T/out.nrrd") 2>"$T/unu.err"; then
            nbad=$((nbad + 1)); echo "FAIL: unu save $name.nhdr: $(cat "$T/unu.err")"; continue
        fi
        # The data follows the first empty line of the written header.
        "$PY" -c '
import sys
d = open(sys.argv[1], "rb").read()
body = d[d.index(b"\n\n") + 2:]
sys.exit(0 if body == open(sys.argv[2], "rb").read() else 1)' "$T/out.nrrd" "$R/$name" ||
            { nbad=$((nbad + 1)); echo "FAIL: $name: unu's data differs"; }
        n=$((n + 1))
    done <"$T/arrays"
    check "teem-unu save -i NAME.nhdr writes the array's bytes ($n arrays, $nbad bad)" \
        [ "$nbad" -eq 0 -a "$n" -ge 40 ]
    teem-unu head "$M/complex64_d2.nhdr" >"$T/unu.head" 2>&1
    check "a complex array is float with a 2-sample complex axis" \
        sh -c "grep -q 'kinds: complex domain domain' '$T/unu.head' && grep -q 'sizes: 2 17 13' '$T/unu.head'"
else
    skip "NRRD: teem-apps (teem-unu) is not installed"
fi

# --- MetaImage: the fields, and VTK's reader -------------------------------------------------
"$PY" - "$M" "$T/arrays" "$have_vtk" >"$T/mhd.out" 2>&1 <<'EOF'
import os, sys
import numpy as np
m, listing, have_vtk = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
met = {"bool": "MET_UCHAR", "int8": "MET_CHAR", "uint8": "MET_UCHAR",
       "int16": "MET_SHORT", "uint16": "MET_USHORT", "int32": "MET_INT",
       "uint32": "MET_UINT", "int64": "MET_LONG_LONG",
       "uint64": "MET_ULONG_LONG", "float32": "MET_FLOAT",
       "float64": "MET_DOUBLE", "complex64": "MET_FLOAT",
       "complex128": "MET_DOUBLE"}
if have_vtk:
    import vtk
    from vtk.util.numpy_support import vtk_to_numpy
n = nv = fails = 0
def bad(msg):
    global fails
    fails += 1
    print("FAIL:", msg)
for line in open(listing):
    name, dtype, shape, _ = line.split()
    if dtype == "float16":
        continue
    shape = tuple(int(s) for s in shape.split(",")) if shape != "-" else ()
    lines = open(f"{m}/{name}.mhd").read().splitlines()
    f = dict(l.split(" = ", 1) for l in lines)
    want = {"ObjectType": "Image", "NDims": str(max(1, len(shape))),
            "DimSize": " ".join(map(str, reversed(shape or (1,)))),
            "ElementType": met[dtype], "HeaderSize": "0",
            "ElementByteOrderMSB": "False" if sys.byteorder == "little" else "True",
            "ElementDataFile": name}
    if dtype.startswith("complex"):
        want["ElementNumberOfChannels"] = "2"
    for k, v in want.items():
        if f.get(k) != v:
            bad(f"{name}.mhd: {k} = {f.get(k)}, want {v}")
    if not lines[-1].startswith("ElementDataFile = "):
        bad(f"{name}.mhd: ElementDataFile is not the last line")
    n += 1
    # VTK 9.1's reader crashes on MET_LONG_LONG and MET_ULONG_LONG.
    if have_vtk and 1 <= len(shape) <= 3 and dtype not in ("int64", "uint64"):
        r = vtk.vtkMetaImageReader()
        r.SetFileName(f"{m}/{name}.mhd")
        r.Update()
        img = r.GetOutput()
        got = vtk_to_numpy(img.GetPointData().GetScalars())
        raw = np.fromfile(f"{m}/{name}", dtype=np.dtype(dtype))
        if dtype.startswith("complex"):
            raw = raw.view(raw.real.dtype).reshape(-1, 2)
        if dtype == "bool":
            raw = raw.astype(np.uint8)
        dims = tuple(reversed(img.GetDimensions()[:len(shape)]))
        if dims != shape or not np.array_equal(got, raw):
            bad(f"{name}.mhd: VTK reads {got.dtype} {dims}, want {shape}")
        nv += 1
print(f"{n} headers checked, {nv} read by VTK, {fails} failures")
sys.exit(1 if fails else 0)
EOF
rc=$?
check "MetaImage headers: fields, ElementDataFile last; VTK reads 1-d to 3-d ($(tail -1 "$T/mhd.out"))" \
    [ "$rc" -eq 0 ]
grep FAIL "$T/mhd.out" | head -5
[ "$have_vtk" = 1 ] || skip "MetaImage through VTK: python3-vtk9 is not installed"

# --- formats that cannot express an array --------------------------------------------------
check "no .hdr for int8 and float16, no .nhdr/.mhd for float16, none for 4-d ENVI" \
    sh -c "! ls '$M' | grep -qE '^(int8_d2\.hdr|float16_d2\.(hdr|nhdr|mhd)|uint16_d4\.hdr)$'"
check "the mount log says why (ENVI has no int8 data type)" \
    grep -q "int8_d2: ENVI has no int8 data type; int8_d2.hdr not shown" "$LOG"
"$BIN/zarrfs-info" "$S" >"$T/info" 2>&1
check "zarrfs-info lists the views of an array" \
    sh -c "grep -A20 '^/uint16_d2 ' '$T/info' | grep -q 'nrrd  uint16_d2.nhdr'"
check "zarrfs-info says why a view is absent" \
    sh -c "grep -A20 '^/float16_d3 ' '$T/info' | grep -q 'envi  none: ENVI has no float16 data type'"
"$BIN/zarrfs-info" --json "$S" >"$T/info.json" 2>&1
check "zarrfs-info --json has the views with file or reason" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = {n["path"]: n["views"] for n in d["nodes"] if n["kind"] == "array"}
u4 = {x["format"]: x for x in v["uint16_d4"]}
ok = u4["npy"]["file"] == "uint16_d4.npy" and u4["envi"]["file"] is None \
    and "1 to 3 dimensions" in u4["envi"]["reason"] and u4["mhd"]["file"] == "uint16_d4.mhd"
sys.exit(0 if ok else 1)' "$T/info.json"
fusermount3 -u "$M"
zf_wait_gone "$ZF_PID" 10
wait "$ZF_PID"
check "unmounted: zarrfs exits 0, nothing from a sanitizer in its log" \
    sh -c "[ $? -eq 0 ] && ! grep -q Sanitizer '$LOG'"
zf_finish
