#!/usr/bin/env bash
# tiff.sh - the TIFF view (-o views=tiff): NAME.tif beside each array of 2 or
# more dimensions, read by the tools that read TIFF: tifffile (imread of
# every sample type, 2-d to 5-d; series shape and axes; is_imagej, is_ome,
# is_shaped; memmap; the OME-XML against OME's schema when the schema is on
# this machine), libtiff's tiffinfo and tiffdump (no warning on any file),
# GDAL (a 2-d uint16 and a 3-d float32), ImageMagick's identify (8-bit 2-d),
# ImageJ 1.x (hyperstack dimensions and every pixel), Bio-Formats (what
# Fiji's File > Import > Bio-Formats runs: its reader's DimensionOrder and
# each plane at the Z, C, T it gives it, and its ImageJ plugin's hyperstack,
# pixel for pixel; tools/install-bioformats.sh installs it, and OME's
# schema); every order of t, c, z (OME-XML but for ImageJ's TZCYX), OME for
# types ImageJ lacks and for a BigTIFF in ImageJ's order; subarray files
# (NAME[EXPR].tif, NAME@F.tif) with the axes they keep;
# an NGFF 0.4 multiscale image written here by zarr-python with attributes
# from the spec (a .tif per level, physical sizes from the scales), an NGFF
# 0.5 image, v3 dimension_names and v2 _ARRAY_DIMENSIONS; a 6 GiB sparse
# array as BigTIFF (its last page read by tifffile) and a page over 4 GiB
# in two strips; reading one page decodes only the chunks it intersects
# (.zarrfs/stats); arrays with no TIFF form (float16, complex, 1-d) have no
# .tif and zarrfs-info says why; views=all has .tif.
# Exit 0 = pass, 77 = skip (no /dev/fuse, no tifffile).  Other readers that
# are not installed (tools/install-deps.sh installs them) skip their checks.
source "$(dirname "$0")/mount_common.bash"
zf_require

PY=/usr/bin/python3 # Debian's, with python3-tifffile, python3-numpy, ...
if ! "$PY" -c 'import tifffile, numpy' 2>/dev/null; then
    echo "skip: $PY cannot import tifffile and numpy (python3-tifffile)"
    exit 77
fi

# --- the v3 store: every sample type 2-d to 5-d, named axes, odd ones ---------
S=$T/store.zarr
R=$T/raw
mkdir -p "$R"
zf_group "$S" || { bad "making the group"; zf_finish; }
"$PY" - "$R" >"$T/arrays" <<'EOF'
import sys
import numpy as np
from zf_arrays import random_array
out = sys.argv[1]
rng = np.random.default_rng(16)
rows = []
def add(name, dtype, shape, dims="-", chunks=None):
    random_array(rng, dtype, shape).astype(np.dtype(dtype).newbyteorder("<")).tofile(f"{out}/{name}")
    chunks = chunks or tuple(max(1, s // 2) for s in shape)
    rows.append((name, dtype, ",".join(map(str, shape)),
                 ",".join(map(str, chunks)), dims))
shapes = {2: (13, 17), 3: (3, 11, 7), 4: (2, 3, 5, 6), 5: (2, 2, 3, 4, 5)}
for t in ["bool", "uint8", "int8", "uint16", "int16", "uint32", "int32",
          "uint64", "int64", "float32", "float64"]:
    for n, shape in shapes.items():
        add(f"{t}_d{n}", t, shape)
add("ij_zyx", "uint16", (5, 33, 40), "z,y,x")
add("ij_tzcyx", "float32", (2, 3, 2, 9, 10), "t,z,c,y,x")
add("ij_cyx", "int16", (3, 9, 10), "C,Y,X")
add("ij_yx", "uint8", (13, 17), "y,x")
add("ij_tc1zyx", "uint16", (2, 1, 3, 9, 10), "t,c,z,y,x")  # (one channel)
# OME-NGFF's order and the other orders of t, c, z that ImageJ's TZCYX is
# not: OME-XML, whose DimensionOrder names the order fastest first (XYZCT
# for TCZYX).  perm_tzc is in ImageJ's order, so ImageJ's description.
import itertools
for p in itertools.permutations("tcz"):
    add("perm_" + "".join(p), "uint16", tuple({"t": 2, "c": 3, "z": 4}[a] for a in p) + (5, 6),
        ",".join(p) + ",y,x")
add("ome_czyx_f32", "float32", (2, 3, 9, 10), "c,z,y,x")
add("ome_zyx_u32", "uint32", (3, 9, 10), "z,y,x")  # TZCYX, but not ImageJ's type
add("ome_t1czyx_i8", "int8", (1, 2, 3, 9, 10), "t,c,z,y,x")  # (one frame)
add("shaped_zyx_i64", "int64", (3, 9, 10), "z,y,x")  # ImageJ lacks int64
add("shaped_qyx", "uint16", (3, 9, 10), "q,y,x")  # not an axis letter
add("part", "uint16", (8, 256, 256), "-", (2, 128, 128))
add("f16", "float16", (4, 5))
add("c64", "complex64", (4, 5))
add("u8_1d", "uint8", (10,))
for r in rows:
    print(*r)
EOF
[ -s "$T/arrays" ] || { bad "generating the arrays"; zf_finish; }
while read -r name dtype shape chunks dims; do
    zf_pack "$R/$name" "$S/$name" --shape "$shape" --dtype "$dtype" \
        --chunks "$chunks" --codec zstd || zf_finish
done <"$T/arrays"
# dimension_names into the zarr.json of the arrays that have them.
"$PY" - "$S" "$T/arrays" <<'EOF' || { bad "adding dimension_names"; zf_finish; }
import json, sys
store, listing = sys.argv[1:]
for line in open(listing):
    name, _, _, _, dims = line.split()
    if dims != "-":
        p = f"{store}/{name}/zarr.json"
        doc = json.load(open(p))
        doc["dimension_names"] = dims.split(",")
        json.dump(doc, open(p, "w"))
EOF

# A 6 GiB uint16 array, all fill value (7) but one chunk of the last page,
# and a uint8 array whose pages are over 4 GiB (two strips), all fill.
sparse() { # NAME DTYPE SHAPE CHUNKS FILL [DIMENSION_NAMES]
    local names=""
    [ -z "${6:-}" ] || names="\"dimension_names\": [$6], "
    mkdir -p "$S/$1"
    cat >"$S/$1/zarr.json" <<EOF
{"zarr_format": 3, "node_type": "array", "shape": [$3], "data_type": "$2", $names
 "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [$4]}},
 "chunk_key_encoding": {"name": "default"}, "fill_value": $5,
 "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}
EOF
}
# (z, y, x: ImageJ's order, but ImageJ's description is for classic TIFF
# only, so OME-XML)
sparse big uint16 "768, 2048, 2048" "1, 1024, 1024" 7 '"z", "y", "x"'
mkdir -p "$S/big/c/767/1"
"$PY" -c 'import numpy as np, sys; np.random.default_rng(1).integers(0, 65535, 1024 * 1024, dtype="<u2").tofile(sys.argv[1])' \
    "$S/big/c/767/1/0"
sparse strips uint8 "2, 70000, 70000" "1, 10000, 10000" 3

# --- OME-Zarr: NGFF 0.4 (Zarr v2), written by zarr-python from the spec ------
O4=$T/img04.zarr
"$PY" - "$O4" "$T/xr.zarr" <<'EOF' || bad "writing the NGFF 0.4 image"
# NGFF 0.4: a group whose "multiscales" lists the axes (name, type, unit)
# and, per level, a dataset path with its "scale" transformation; the
# multiscale's own transformations apply after them.  Arrays are Zarr v2
# with "/" as dimension_separator.
import json, os, sys
import numpy as np, zarr, numcodecs
root, xr = sys.argv[1:]
zarr.open_group(root, mode="w")
axes = [{"name": "t", "type": "time", "unit": "second"},
        {"name": "c", "type": "channel"},
        {"name": "z", "type": "space", "unit": "micrometer"},
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"}]
datasets = []
rng = np.random.default_rng(4)
for level in range(3):
    f = 2 ** level
    shape = (2, 2, 3, 64 // f, 48 // f)
    a = zarr.open_array(f"{root}/{level}", mode="w", shape=shape,
                        chunks=(1, 1, 1, 16, 16), dtype="<u2",
                        compressor=numcodecs.Zlib(1), dimension_separator="/")
    a[...] = rng.integers(0, 4000, shape, dtype="<u2")
    datasets.append({"path": str(level), "coordinateTransformations": [
        {"type": "scale", "scale": [0.5, 1.0, 2.0, 0.25 * f, 0.25 * f]}]})
ms = {"version": "0.4", "name": "img", "axes": axes, "datasets": datasets,
      "coordinateTransformations": [
          {"type": "scale", "scale": [2.0, 1.0, 1.5, 1.0, 1.0]}]}
with open(f"{root}/.zattrs", "w") as fh:
    json.dump({"multiscales": [ms]}, fh)
# An xarray-style v2 array: _ARRAY_DIMENSIONS, no multiscales.
zarr.open_group(xr, mode="w")
a = zarr.open_array(f"{xr}/temp", mode="w", shape=(4, 20, 30),
                    chunks=(2, 10, 10), dtype="<u2")
a[...] = np.arange(4 * 20 * 30, dtype="<u2").reshape(4, 20, 30)
a.attrs["_ARRAY_DIMENSIONS"] = ["z", "y", "x"]
EOF
# NGFF 0.5 (Zarr v3): "ome" in the group's attributes.
O5=$T/img05.zarr
zf_pack "$R/ij_zyx" "$O5/s0" --shape 5,33,40 --dtype uint16 --chunks 1,33,40 ||
    zf_finish
cat >"$O5/zarr.json" <<'EOF'
{"zarr_format": 3, "node_type": "group", "attributes": {"ome": {
 "version": "0.5", "multiscales": [{"name": "v5",
  "axes": [{"name": "z", "type": "space", "unit": "nanometer"},
           {"name": "y", "type": "space", "unit": "nanometer"},
           {"name": "x", "type": "space", "unit": "nanometer"}],
  "datasets": [{"path": "s0", "coordinateTransformations": [
     {"type": "scale", "scale": [40.0, 10.0, 12.5]}]}]}]}}}
EOF

# --- mount and check -------------------------------------------------------------
M=$T/m
LOG=$T/zarrfs.log
zf_mount_fg "$S" "$M" "$LOG" -o views=tiff ||
    { bad "mount views=tiff: $(cat "$LOG")"; zf_finish; }
M4=$T/m4 M5=$T/m5 MX=$T/mx
zf_mount_fg "$O4" "$M4" "$T/log4" -o views=tiff || bad "mount NGFF 0.4: $(cat "$T/log4")"
zf_mount_fg "$O5" "$M5" "$T/log5" -o views=tiff || bad "mount NGFF 0.5: $(cat "$T/log5")"
zf_mount_fg "$T/xr.zarr" "$MX" "$T/logx" -o views=tiff || bad "mount v2: $(cat "$T/logx")"

# OME's schema: tools/install-bioformats.sh takes it out of Bio-Formats.
XSD=${ZF_OME_XSD:-${ZF_SRC:-.}/.peers/bioformats/ome-2016-06.xsd}
pycheck - "$M" "$R" "$T/arrays" "$M4" "$M5" "$MX" "$XSD" <<'EOF'
import itertools, os, sys, warnings
import numpy as np
import tifffile
m, raw, listing, m4, m5, mx, xsd = sys.argv[1:]
warnings.simplefilter("error")  # a tifffile warning is a failure
def ok(c, msg):
    print(("ok: " if c else "FAIL: ") + msg)
def attempt(msg, f, *a):
    try:
        f(*a)
    except Exception as e:
        print(f"FAIL: {msg}: {type(e).__name__}: {e}")

def axes_of(dims, shape, rule):
    """tifffile's series axes: ImageJ and OME drop axes of size 1."""
    if rule == "shaped":
        return "Q" * (len(shape) - 2) + "YX"
    return "".join(d for d, s in zip(dims.upper(), shape) if s > 1 or d in "YX")

def check(path, expected, dims, rule):
    name = os.path.basename(path)
    with tifffile.TiffFile(path) as t:
        s = t.series[0]
        p0 = t.pages[0]
        want_shape = expected.shape if rule == "shaped" else tuple(
            n for d, n in zip(dims, expected.shape) if n > 1 or d in "yx")
        ok(s.shape == want_shape and s.axes == axes_of(dims, expected.shape, rule),
           f"{name}: series {s.shape} {s.axes}, want {want_shape} {axes_of(dims, expected.shape, rule)}")
        ok((t.is_imagej, t.is_ome, t.is_shaped) ==
           (rule == "imagej", rule == "ome", rule == "shaped"),
           f"{name}: imagej/ome/shaped = {t.is_imagej}/{t.is_ome}/{t.is_shaped}, want {rule}")
        off = p0.dataoffsets[0]
        ok(off % 4096 == 0 and os.path.getsize(path) == off + expected.nbytes
           and len(t.pages) == expected.size // (expected.shape[-1] * expected.shape[-2]),
           f"{name}: data at {off} (4 KiB aligned), size = header + data, one page per plane")
    a = tifffile.imread(path)
    ok(a.dtype == expected.dtype and np.array_equal(a.reshape(expected.shape), expected),
       f"{name}: imread {a.dtype} {a.shape} equals the array")
    mm = tifffile.memmap(path, mode="r")
    ok(np.array_equal(np.asarray(mm).reshape(expected.shape), expected),
       f"{name}: memmap maps the data, values right")

with open(listing) as fh:
    rows = [line.split() for line in fh]
for name, dtype, shape, _, dims in rows:
    dims = dims.replace(",", "").lower()
    shape = tuple(int(x) for x in shape.split(","))
    f = f"{m}/{name}.tif"
    if dtype in ("float16", "complex64") or len(shape) < 2:
        ok(not os.path.exists(f), f"{name}: no .tif ({dtype}, {len(shape)}-d)")
        continue
    e = np.fromfile(f"{raw}/{name}", np.dtype(dtype).newbyteorder("<")).reshape(shape)
    e = e.astype(np.uint8 if dtype == "bool" else e.dtype.newbyteorder("="))
    rule = "shaped"
    if name.startswith("ij_") or name == "perm_tzc":
        rule = "imagej"
    elif name.startswith(("ome_", "perm_")):
        rule = "ome"
    attempt(name, check, f, e, dims, rule)

# ImageJ descriptions in ImageJ's form.
with tifffile.TiffFile(f"{m}/ij_tzcyx.tif") as t:
    ij = t.imagej_metadata
    ok(ij.get("images") == 12 and ij.get("channels") == 2 and ij.get("slices") == 3
       and ij.get("frames") == 2 and ij.get("hyperstack") is True
       and ij.get("mode") == "grayscale", f"ij_tzcyx: ImageJ metadata {ij}")
    ok(t.pages[0].description.startswith("ImageJ=1.11a\nimages=12\nchannels=2\n"),
       "ij_tzcyx: the description is in ImageJ's form")

# OME-Zarr: OME-XML with the physical sizes of each level.
have_xsd = os.path.exists(xsd)
if have_xsd:
    with open(xsd, "rb") as fh:
        xsd_bytes = fh.read()
if not have_xsd:
    print(f"{'FAIL' if os.environ.get('CI') == 'true' else 'skip'}: OME-XML "
          f"schema validation: no ome.xsd at {xsd} (bash tools/install-bioformats.sh "
          "puts OME's there; or set ZF_OME_XSD to a copy)")
def ome_check(path, expected, dims, sizes):
    name = path.split("/")[-2] + "/" + os.path.basename(path)
    check(path, expected, dims, "ome")
    with tifffile.TiffFile(path) as t:
        xml = t.ome_metadata
        px = tifffile.xml2dict(xml)["OME"]["Image"]["Pixels"]
        got = {k: px.get(k) for k in sizes}
        ok(all(abs(float(got[k]) - v) < 1e-9 if isinstance(v, float) else got[k] == v
               for k, v in sizes.items()), f"{name}: OME Pixels {got}, want {sizes}")
        if have_xsd:
            try:
                tifffile.OmeXml.validate(xml, xsd_bytes)
                ok(True, f"{name}: OME-XML validates against ome.xsd")
            except AssertionError as e:
                ok(False, f"{name}: OME-XML does not validate: {e}")
        from lxml import etree
        root = etree.fromstring(xml.split(">", 1)[1].encode())
        ok(root.tag == "{http://www.openmicroscopy.org/Schemas/OME/2016-06}OME"
           and len(root.findall(".//{*}Channel")) == px["SizeC"]
           and root.find(".//{*}TiffData").get("PlaneCount") == str(expected.size // (expected.shape[-1] * expected.shape[-2])),
           f"{name}: well-formed OME 2016-06, one Channel per c, TiffData PlaneCount")
import zarr
for level in range(3):
    f = 2 ** level
    attempt(f"NGFF 0.4 level {level}", lambda lv=level, f=f: ome_check(
        f"{m4}/{lv}.tif", np.asarray(zarr.open_array(os.path.join(os.path.dirname(m4), "img04.zarr", str(lv)), mode="r")[...]),
        "tczyx", {"SizeT": 2, "SizeC": 2, "SizeZ": 3, "SizeY": 64 // f, "SizeX": 48 // f,
                  "DimensionOrder": "XYZCT", "Type": "uint16",
                  "PhysicalSizeX": 0.25 * f, "PhysicalSizeY": 0.25 * f, "PhysicalSizeZ": 3.0,
                  "PhysicalSizeXUnit": "\u00b5m", "PhysicalSizeZUnit": "\u00b5m",
                  "TimeIncrement": 1.0, "TimeIncrementUnit": "s"}))
e5 = np.fromfile(f"{raw}/ij_zyx", "<u2").reshape(5, 33, 40)
attempt("NGFF 0.5", ome_check, f"{m5}/s0.tif", e5, "zyx",
        {"SizeZ": 5, "SizeC": 1, "SizeT": 1, "PhysicalSizeZ": 40.0,
         "PhysicalSizeY": 10.0, "PhysicalSizeX": 12.5, "PhysicalSizeXUnit": "nm"})
ex = np.arange(4 * 20 * 30, dtype="<u2").reshape(4, 20, 30)
attempt("v2 _ARRAY_DIMENSIONS", check, f"{mx}/temp.tif", ex, "zyx", "imagej")
# Named axes in any order but ImageJ's: OME-XML.  DimensionOrder names the
# order fastest first (the array's last leading axis first, after XY), and
# tifffile, reading it, gives the array back as it is, plane for plane.
def raw_of(name):
    row = next(r for r in rows if r[0] == name)
    return np.fromfile(f"{raw}/{name}", np.dtype(row[1]).newbyteorder("<")).reshape(
        tuple(int(x) for x in row[2].split(","))).astype(np.dtype(row[1]).newbyteorder("="))
def order_of(dims):
    lead = [d.upper() for d in dims[:-2]][::-1]
    return "XY" + "".join(lead) + "".join(d for d in "ZCT" if d not in lead)
def ome_named(name, dims, sizes, path=None, e=None):
    e = raw_of(name) if e is None else e
    path = path or f"{m}/{name}.tif"
    ome_check(path, e, dims, dict(sizes, DimensionOrder=order_of(dims)))
    with tifffile.TiffFile(path) as t:
        s = t.series[0]
        got = s.asarray()
        want = e.reshape(s.shape)  # (axes of size 1 dropped, order kept)
        ok(s.axes == "".join(d for d, n in zip(dims.upper(), e.shape) if n > 1 or d in "YX")
           and all(np.array_equal(got[k], want[k]) for k in np.ndindex(s.shape[:-2])),
           f"{os.path.basename(path)}: tifffile's axes {s.axes}, every plane equals the array's")
for p in itertools.permutations("tcz"):
    dims = "".join(p) + "yx"
    if dims == "tzcyx":
        continue  # ImageJ's order: ImageJ's description, checked above
    attempt(f"perm_{dims[:3]}", ome_named, f"perm_{dims[:3]}", dims,
            {"SizeT": 2, "SizeC": 3, "SizeZ": 4, "SizeY": 5, "SizeX": 6, "Type": "uint16"})
with tifffile.TiffFile(f"{m}/perm_tcz.tif") as t:
    ok(t.series[0].axes == "TCZYX" and t.is_ome and
       'DimensionOrder="XYZCT"' in t.pages[0].description,
       "perm_tcz.tif (OME-NGFF's order, no multiscales): tifffile's axes TCZYX, is_ome, DimensionOrder XYZCT")
attempt("ome_czyx_f32", ome_named, "ome_czyx_f32", "czyx",
        {"SizeC": 2, "SizeZ": 3, "SizeT": 1, "Type": "float"})
attempt("ome_zyx_u32", ome_named, "ome_zyx_u32", "zyx", {"SizeZ": 3, "Type": "uint32"})
attempt("ome_t1czyx_i8", ome_named, "ome_t1czyx_i8", "tczyx",
        {"SizeT": 1, "SizeC": 2, "SizeZ": 3, "Type": "int8"})

# A subarray's .tif (NAME[EXPR].tif, a virtual name): the axes of the
# dimensions it keeps, reversed in Fortran order; an OME-Zarr level's
# physical sizes times the steps.
e = raw_of("perm_tcz")
attempt("perm_tcz[1].tif", ome_named, "perm_tcz", "czyx",
        {"SizeT": 1, "SizeC": 3, "SizeZ": 4}, f"{m}/perm_tcz[1].tif", e[1])
attempt("perm_tcz[:,0:2,::2].tif", ome_named, "perm_tcz", "tczyx",
        {"SizeT": 2, "SizeC": 2, "SizeZ": 2}, f"{m}/perm_tcz[:,0:2,::2].tif", e[:, 0:2, ::2])
attempt("perm_tzc[0].tif", check, f"{m}/perm_tzc[0].tif", raw_of("perm_tzc")[0], "zcyx", "imagej")
attempt("perm_tcz[0,0].tif", check, f"{m}/perm_tcz[0,0].tif", e[0, 0], "zyx", "imagej")
attempt("perm_tcz@F.tif", check, f"{m}/perm_tcz@F.tif", np.ascontiguousarray(e.T), "xyzct", "shaped")
l0 = np.asarray(zarr.open_array(os.path.join(os.path.dirname(m4), "img04.zarr", "0"), mode="r")[...])
attempt("0[1,:,:,::2,::3].tif", ome_named, "0", "czyx",
        {"SizeC": 2, "SizeZ": 3, "SizeY": 32, "SizeX": 16, "PhysicalSizeX": 0.75,
         "PhysicalSizeY": 0.5, "PhysicalSizeZ": 3.0}, f"{m4}/0[1,:,:,::2,::3].tif",
        l0[1, :, :, ::2, ::3])
EOF

# libtiff: every file parses without a warning (and, below 1 MiB, libtiff
# reads all its strips: tiffinfo -D).
n=0 noisy=""
for f in "$M"/*.tif "$M4"/*.tif "$M5"/*.tif "$MX"/*.tif; do
    data=""
    [ "$(stat -c %s "$f")" -lt 1048576 ] && data=-D
    tiffinfo $data "$f" >/dev/null 2>"$T/ti.err" && tiffdump "$f" >/dev/null 2>>"$T/ti.err" ||
        echo "exit status" >>"$T/ti.err"
    [ -s "$T/ti.err" ] && noisy="$noisy $(basename "$f"): $(head -1 "$T/ti.err")"
    n=$((n + 1))
done
check "tiffinfo (-D) and tiffdump parse all $n files, nothing on stderr${noisy:+:$noisy}" \
    [ -z "$noisy" -a "$n" -gt 50 ]

# BigTIFF and strips.
pycheck - "$M" "$S" <<'EOF'
import os, sys
import numpy as np
import tifffile
m, store = sys.argv[1:]
def ok(c, msg):
    print(("ok: " if c else "FAIL: ") + msg)
with tifffile.TiffFile(f"{m}/big.tif") as t:
    last = t.pages[-1].asarray()
    want = np.full((2048, 2048), 7, np.uint16)
    want[1024:, :1024] = np.fromfile(f"{store}/big/c/767/1/0", "<u2").reshape(1024, 1024)
    ok(t.is_bigtiff and len(t.pages) == 768 and np.array_equal(last, want),
       f"big.tif (6 GiB): BigTIFF of {len(t.pages)} pages; the last page read right")
    ok(t.is_ome and not t.is_imagej and t.series[0].axes == "ZYX" and
       t.series[0].shape == (768, 2048, 2048),
       f"big.tif (z, y, x, too big for ImageJ's classic TIFF): OME-XML, axes {t.series[0].axes}")
    ok(os.path.getsize(f"{m}/big.tif") == t.pages[0].dataoffsets[0] + 768 * 2048 * 2048 * 2,
       "big.tif: size = header + 6 GiB")
with tifffile.TiffFile(f"{m}/uint16_d3.tif") as t:
    ok(not t.is_bigtiff, "a small file is classic TIFF")
with tifffile.TiffFile(f"{m}/strips.tif") as t:
    p = t.pages[1]
    rows = (2**32 - 1) // 70000
    ok(p.rowsperstrip == rows and p.databytecounts == (rows * 70000, (70000 - rows) * 70000)
       and p.dataoffsets[1] == p.dataoffsets[0] + rows * 70000
       and p.dataoffsets[0] == t.pages[0].dataoffsets[0] + 70000 * 70000,
       f"strips.tif: a 4.9 GB page in 2 strips {p.databytecounts} at {p.dataoffsets}")
    with open(f"{m}/strips.tif", "rb") as fh:
        fh.seek(p.dataoffsets[1] + p.databytecounts[1] - 4)
        ok(fh.read(4) == b"\x03" * 4, "strips.tif: the last bytes are the fill value")
EOF

# GDAL and ImageMagick.
if "$PY" -c 'from osgeo import gdal' 2>/dev/null; then
    pycheck - "$M" "$R" <<'EOF'
import sys
import numpy as np
from osgeo import gdal
gdal.UseExceptions()
m, raw = sys.argv[1:]
def ok(c, msg):
    print(("ok: " if c else "FAIL: ") + msg)
e = np.fromfile(f"{raw}/uint16_d2", "<u2").reshape(13, 17)
ds = gdal.Open(f"{m}/uint16_d2.tif")
ok(ds.RasterXSize == 17 and ds.RasterYSize == 13 and
   np.array_equal(ds.ReadAsArray(), e), "GDAL reads the 2-d uint16, values right")
e = np.fromfile(f"{raw}/float32_d3", "<f4").reshape(3, 11, 7)
ds = gdal.Open(f"{m}/float32_d3.tif")
subs = ds.GetSubDatasets()
pages = [gdal.Open(s[0]).ReadAsArray() for s in subs]
ok(len(subs) == 3 and ds.GetRasterBand(1).DataType == gdal.GDT_Float32 and
   all(np.array_equal(p, e[k]) for k, p in enumerate(pages)),
   f"GDAL reads the 3-d float32 ({len(subs)} pages as subdatasets), values right")
EOF
else
    skip "GDAL: python3-gdal is not installed"
fi
if command -v identify >/dev/null; then
    out=$(identify "$M/uint8_d2.tif" 2>"$T/id.err")
    check "ImageMagick identify: 17x13 8-bit gray ($out)" \
        sh -c "echo '$out' | grep -q ' TIFF 17x13 ' && echo '$out' | grep -q '8-bit' && [ ! -s '$T/id.err' ]"
else
    skip "ImageMagick: identify is not installed"
fi

# ImageJ 1.x (the core of Fiji) opens the files as File > Open does: the
# TZCYX float32 as a hyperstack of 2 channels, 3 slices and 2 frames, the
# others as stacks; every pixel of every stack image equals the array's
# element (ImageJ's stack order is C order over the leading axes; signed
# 16-bit shows through ImageJ's calibration).
IJ_JAR=${ZF_IJ_JAR:-/usr/share/java/ij.jar}
if [ -f "$IJ_JAR" ] && command -v java >/dev/null; then
    ijfiles=("$M/ij_tzcyx.tif" "$M/ij_zyx.tif" "$M/ij_cyx.tif" "$M/ij_yx.tif"
             "$M/uint16_d3.tif" "$M4/0.tif" "$M/perm_tcz.tif")
    if java -Djava.awt.headless=true -cp "$IJ_JAR" \
        "$(dirname "$0")/../helpers/IjCheck.java" "${ijfiles[@]}" >"$T/ij.out" 2>"$T/ij.err"; then
        pycheck - "$T/ij.out" "$R" "$O4" <<'EOF'
import sys
import numpy as np
import zarr
out, raw, o4 = sys.argv[1:]
def ok(c, msg):
    print(("ok: " if c else "FAIL: ") + msg)
def raw_array(name, dtype, shape):
    return np.fromfile(f"{raw}/{name}", dtype).reshape(shape)
want = {  # file: (expected array, (W, H, C, Z, T, hyperstack, bits))
    "ij_tzcyx": (raw_array("ij_tzcyx", "<f4", (2, 3, 2, 9, 10)), (10, 9, 2, 3, 2, True, 32)),
    "ij_zyx": (raw_array("ij_zyx", "<u2", (5, 33, 40)), (40, 33, 1, 5, 1, False, 16)),
    "ij_cyx": (raw_array("ij_cyx", "<i2", (3, 9, 10)), (10, 9, 3, 1, 1, False, 16)),
    "ij_yx": (raw_array("ij_yx", "<u1", (13, 17)), (17, 13, 1, 1, 1, False, 8)),
    "uint16_d3": (raw_array("uint16_d3", "<u2", (3, 11, 7)), (7, 11, 1, 3, 1, False, 16)),
    "0": (zarr.open_array(f"{o4}/0", mode="r")[...], (48, 64, 1, 12, 1, False, 16)),
    # (ImageJ's own reader takes no OME-XML: a plain stack, in page order)
    "perm_tcz": (raw_array("perm_tcz", "<u2", (2, 3, 4, 5, 6)), (6, 5, 1, 24, 1, False, 16)),
}
lines = open(out).read().splitlines()
i = 0
while i < len(lines):
    head = lines[i].split()
    name = head[0].rsplit("/", 1)[-1][:-len(".tif")]
    e, dims = want[name]
    got = tuple(int(x) for x in head[1:6]) + (head[6] == "true", int(head[7]))
    planes = e.size // (e.shape[-1] * e.shape[-2])
    values = np.array([float(v) for line in lines[i + 1:i + 1 + planes] for v in line.split()])
    i += 1 + planes
    ok(got == dims, f"ImageJ opens {name}.tif as W H C Z T hyperstack bits = {got}, want {dims}")
    # Java prints the shortest decimal that gives the float back: compare
    # as the array's type; NaN equals NaN here.
    ok(values.size == e.size and np.array_equal(values.astype(e.dtype), e.ravel(),
                                                equal_nan=e.dtype.kind == "f"),
       f"ImageJ: every pixel of {name}.tif equals the array ({values.size} values)")
EOF
    else
        bad "ImageJ could not open the files: $(head -c 600 "$T/ij.err")"
    fi
else
    skip "ImageJ: no $IJ_JAR or no java (libij-java, default-jre-headless)"
fi

# Bio-Formats (what Fiji's File > Import > Bio-Formats runs) on every order
# of t, c, z, OME-XML or ImageJ's, other types, an OME-Zarr level and a
# subarray: its reader's DimensionOrder and sizes, each plane's values at
# the Z, C, T it gives that plane, and the hyperstack its ImageJ plugin
# opens (channels, slices, frames, every pixel in ImageJ's C-Z-T order).
BF_JAR=${ZF_BIOFORMATS_JAR:-${ZF_SRC:-.}/.peers/bioformats/bioformats_package.jar}
if [ -f "$BF_JAR" ] && [ -f "$IJ_JAR" ] && command -v java >/dev/null; then
    bffiles=("$M/perm_tcz.tif" "$M/perm_tzc.tif" "$M/perm_ctz.tif" "$M/perm_czt.tif"
             "$M/perm_ztc.tif" "$M/perm_zct.tif" "$M/ome_czyx_f32.tif" "$M/ome_zyx_u32.tif"
             "$M/ome_t1czyx_i8.tif" "$M/ij_tzcyx.tif" "$M4/0.tif" "$M/perm_tcz[1].tif")
    if java -Djava.awt.headless=true -cp "$BF_JAR:$IJ_JAR" \
        "$(dirname "$0")/../helpers/BfCheck.java" "${bffiles[@]}" >"$T/bf.out" 2>"$T/bf.err"; then
        pycheck - "$T/bf.out" "$R" "$T/arrays" "$O4" <<'EOF'
import sys
import numpy as np
import zarr
out, raw, listing, o4 = sys.argv[1:]
def ok(c, msg):
    print(("ok: " if c else "FAIL: ") + msg)
rows = {r[0]: r for r in (line.split() for line in open(listing))}
def array(name):
    if name == "0":
        return zarr.open_array(f"{o4}/0", mode="r")[...], "tczyx"
    if name == "perm_tcz[1]":
        a, _ = array("perm_tcz")
        return a[1], "czyx"
    _, dtype, shape, _, dims = rows[name]
    a = np.fromfile(f"{raw}/{name}", np.dtype(dtype).newbyteorder("<"))
    return a.reshape(tuple(int(x) for x in shape.split(","))), dims.replace(",", "").lower()
def order(dims):  # OME's DimensionOrder: fastest first
    lead = dims[:-2][::-1].upper()
    return "XY" + lead + "".join(d for d in "ZCT" if d not in lead)
def plane(e, dims, z, c, t):
    at = {"z": z, "c": c, "t": t}
    return e[tuple(at[d] for d in dims[:-2])]
lines = open(out).read().splitlines()
i = 0
while i < len(lines):
    head = lines[i].split()
    name = head[0].rsplit("/", 1)[-1][:-len(".tif")]
    e, dims = array(name)
    n = {d: (e.shape[dims.index(d)] if d in dims else 1) for d in "tczyx"}
    fmt, dimorder = head[2], head[3]
    sizes = tuple(int(x) for x in head[4:9])
    want_order = "XYCZT" if dims == "tzcyx" else order(dims)
    ok(dimorder == want_order and sizes == (n["x"], n["y"], n["z"], n["c"], n["t"]),
       f"Bio-Formats ({fmt}) reads {name}.tif as {dimorder} XYZCT {sizes}, want {want_order} "
       f"{(n['x'], n['y'], n['z'], n['c'], n['t'])}")
    planes = n["z"] * n["c"] * n["t"]
    right = 0
    for line in lines[i + 1:i + 1 + planes]:
        v = line.split()
        z, c, t = (int(x) for x in v[:3])
        got = np.array([float(x) for x in v[3:]])
        right += np.array_equal(got.astype(e.dtype), plane(e, dims, z, c, t).ravel(),
                                equal_nan=e.dtype.kind == "f")
    ok(right == planes, f"Bio-Formats: each of the {planes} planes of {name}.tif, at the "
       f"Z, C, T it gives the plane, equals the array's ({right} right)")
    i += 1 + planes
    head = lines[i].split()
    got = tuple(int(x) for x in head[2:7])
    ok(got[:2] == (n["x"], n["y"]) and got[2:] == (n["c"], n["z"], n["t"]) and
       (head[7] == "true") == (sum(n[d] > 1 for d in "czt") > 1),
       f"Fiji's Bio-Formats importer opens {name}.tif as W H C Z T {got}, hyperstack {head[7]}")
    if name == "0":  # the OME-Zarr level's calibration
        cal = tuple(float(x) for x in head[9:12]) + (head[12],)
        ok(cal == (0.25, 0.25, 3.0, "\u00b5m") or cal == (0.25, 0.25, 3.0, "micron"),
           f"Fiji's Bio-Formats importer: 0.tif's voxel {cal}, want 0.25 x 0.25 x 3 \u00b5m")
    # (ImageJ's images are 8, 16 or 32-bit float; the importer makes uint32
    # a float32 through int32, so 2^31 and above show negative: measured
    # with Bio-Formats 7.3.1, its choice, and the reader part above is exact)
    kind = np.float32 if head[8] == "32" else np.float64
    shown = e.view(np.int32) if e.dtype == np.uint32 else e
    right = 0
    for k, line in enumerate(lines[i + 1:i + 1 + planes]):
        c, z, t = k % n["c"], k // n["c"] % n["z"], k // (n["c"] * n["z"])
        got = np.array([float(x) for x in line.split()]).astype(kind)
        right += np.array_equal(got, plane(shown, dims, z, c, t).ravel().astype(kind),
                                equal_nan=True)
    ok(right == planes, f"Fiji's Bio-Formats importer: each of the {planes} images of "
       f"{name}.tif, in ImageJ's C, Z, T order, equals the array's ({right} right)")
    i += 1 + planes
EOF
    else
        bad "Bio-Formats could not open the files: $(head -c 600 "$T/bf.out") $(head -c 600 "$T/bf.err")"
    fi
elif [ "${CI:-}" = true ]; then
    bad "Bio-Formats: no $BF_JAR (bash tools/install-bioformats.sh), $IJ_JAR or java"
else
    skip "Bio-Formats: no $BF_JAR (bash tools/install-bioformats.sh), $IJ_JAR or java"
fi

# zarrfs-info says why there is no .tif; views=all has .tif.
"$BIN/zarrfs-info" "$S" >"$T/info" 2>&1
check "zarrfs-info: float16 has no TIFF view, and why" \
    grep -q "tiff  none: TIFF readers take no 16-bit floats" "$T/info"
check "zarrfs-info: complex64 and 1-d arrays neither" sh -c \
    "grep -q 'tiff  none: TIFF has no complex64 sample' '$T/info' &&
     grep -q 'tiff  none: TIFF pages need two dimensions' '$T/info'"
check "zarrfs-info lists uint16_d3.tif" grep -q "tiff  uint16_d3.tif" "$T/info"
check "the mount logs why f16 has no .tif" grep -q "f16.tif not shown" "$LOG"
zf_umount "$M" "$ZF_PID"

# One page decodes only the chunks it intersects: a fresh mount (nothing
# cached), prefetch=0, and no readahead (POSIX_FADV_RANDOM).
zf_mount_fg "$S" "$M" "$LOG" -o views=tiff,prefetch=0 ||
    bad "mount views=tiff,prefetch=0: $(cat "$LOG")"
pycheck - "$M" "$R" <<'EOF'
import json, os, sys
import numpy as np
import tifffile
m, raw = sys.argv[1:]
def ok(c, msg):
    print(("ok: " if c else "FAIL: ") + msg)
f = f"{m}/part.tif"
with tifffile.TiffFile(f) as t:
    off, n = t.pages[5].dataoffsets[0], t.pages[5].databytecounts[0]
def stats():
    return json.load(open(f"{m}/.zarrfs/stats"))
fd = os.open(f, os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
before = stats()
data = os.pread(fd, n, off)
after = stats()
os.close(fd)
e = np.fromfile(f"{raw}/part", "<u2").reshape(8, 256, 256)
decoded = after["chunks_decoded"] - before["chunks_decoded"]
ok(data == e[5].tobytes() and decoded == 4,
   f"part.tif page 5 (chunks 2x128x128): {decoded} chunks decoded, want 4; bytes right")
EOF

zf_umount "$M" "$ZF_PID"
zf_mount_fg "$S" "$M" "$LOG" -o views=all || bad "mount views=all: $(cat "$LOG")"
check "views=all has .tif beside .npy" sh -c "[ -f '$M/uint16_d3.tif' ] && [ -f '$M/uint16_d3.npy' ]"
zf_finish
