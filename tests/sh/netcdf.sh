#!/usr/bin/env bash
# netcdf.sh - the netCDF-4/HDF5 group files (zf_nc_build), made without a
# mount by `zarrfs-cat --nc STORE [GROUP]`, read by the real consumers:
#  - an xarray-written v2 store (consolidated, and with its metadata only in
#    .zmetadata: the same file; coordinates, CF attributes,
#    scale_factor/add_offset packing with a _FillValue, a time axis with
#    units, a subgroup): h5dump parses it, ncdump -h names the dimensions,
#    h5py reads every array and its attributes equal to zarr-python's,
#    xarray's netcdf4 engine gives a Dataset identical to open_zarr's (the
#    root and the subgroup), ncdump prints the lines it prints for the
#    file netCDF itself writes from the same Dataset, NCO's ncks cuts a
#    hyperslab, GDAL reads a 2-d variable;
#  - every array of the generated corpus (every dtype, both byte orders,
#    v2, v3, sharded) in one file: h5py reads each equal to the corpus's
#    expected bytes; netCDF4-python each, masked at _FillValue (float16
#    converted to float, complex as the {r, i} compound), and a hyperslab;
#  - v3 dimension_names written from the spec with numpy: coordinate
#    variables, dimension-only scales, phony dimensions shared by size, a
#    dimension-name conflict (a note, not a crash), a bool "coordinate"
#    netCDF cannot read, attributes with no netCDF form, a nested group;
#  - a group of 1,000 arrays; a 5 GiB sparse array (over 2^32 elements)
#    with an array after it past 4 GiB, read through zarrfs-cat ranges;
#  - bad input: a group whose metadata is broken, a missing group.
# The xarray store is also mounted with -o views=nc, and xarray, ncdump and
# NCO read MNT/xr.nc (skipped without /dev/fuse).  Exit 0 = pass, 77 = skip (no h5py / netCDF4 / xarray).
source "$(dirname "$0")/mount_common.bash"
zf_require_corpus

PY=/usr/bin/python3 # Debian's, with h5py, netCDF4, xarray, zarr, numpy
if ! "$PY" -c 'import h5py, netCDF4, xarray, zarr, numpy' 2>/dev/null; then
    echo "skip: $PY cannot import h5py, netCDF4, xarray, zarr and numpy"
    exit 77
fi
for b in h5dump ncdump; do
    command -v $b >/dev/null || { echo "skip: no $b (hdf5-tools, netcdf-bin)"; exit 77; }
done
CAT=$BIN/zarrfs-cat
NCC="$PY $(dirname "$0")/nc_check.py"

# nc STORE [GROUP] -> $T/NAME.nc, NAME from the store and group
nc() {
    local out=$T/$(basename "$1" .zarr)${2:+_${2//\//_}}.nc
    "$CAT" --nc "$@" >"$out" 2>"$T/cat.err" ||
        { bad "zarrfs-cat --nc $*: $(cat "$T/cat.err")"; return 1; }
    echo "$out"
}

# h5dump_ok FILE: h5dump reads all of it (data too) without an error.
h5dump_ok() {
    if h5dump "$1" >"$T/dump.out" 2>"$T/dump.err" && ! grep -qi error "$T/dump.err"; then
        ok "h5dump parses $(basename "$1")"
    else
        bad "h5dump $(basename "$1"): $(head -5 "$T/dump.err")"
    fi
}

# --- stores written by other tools --------------------------------------------
"$PY" - "$T" <<'EOF' || { bad "writing the stores"; zf_finish; }
import json, os, sys
import numpy as np, pandas as pd, xarray as xr
out = sys.argv[1]
rng = np.random.default_rng(15)

# xarray, Zarr v2, consolidated
t = pd.date_range("2001-01-01", periods=8, freq="6H")
temp = rng.normal(280, 5, (8, 6, 7)).astype("float32"); temp[0, 0, 0] = np.nan
packed = rng.uniform(0, 30, (8, 6, 7)); packed[1, 2, 3] = np.nan
ds = xr.Dataset(
    {"temp": (("time", "lat", "lon"), temp,
              {"units": "K", "standard_name": "air_temperature", "long_name": "Air temperature"}),
     "packed": (("time", "lat", "lon"), packed, {"units": "mm"}),
     "elev": (("lat", "lon"), rng.integers(0, 4000, (6, 7)).astype("int32"),
              {"units": "m", "valid_range": [0, 9000]}),
     "flag": (("time",), np.arange(8, dtype="int8"),
              {"flag_values": [0, 1, 2], "flag_meanings": "a b c"})},
    coords={"time": t, "lat": np.linspace(-10, 10, 6),
            "lon": np.linspace(0, 30, 7).astype("float32")},
    attrs={"title": "zarrfs netCDF test", "Conventions": "CF-1.8",
           "history": "written by netcdf.sh", "version": 3, "tags": ["x", "yz"]})
ds.to_zarr(f"{out}/xr.zarr", mode="w", encoding={
    "packed": {"dtype": "int16", "scale_factor": 0.01, "add_offset": 10.0, "_FillValue": -32768},
    "time": {"units": "hours since 2001-01-01", "calendar": "standard"}})
sub = xr.Dataset({"depth": (("z",), np.arange(5.0), {"units": "m"}),
                  "v": (("z", "lon"), rng.random((5, 7)))},
                 coords={"z": np.arange(5) * 10}, attrs={"kind": "subgroup"})
sub.to_zarr(f"{out}/xr.zarr", group="sub", mode="a")

# Zarr v3 from the spec: bytes codec, one chunk
def v3(path, arr, dims=None, fill=0, attrs=None, node="array"):
    os.makedirs(path)
    meta = {"zarr_format": 3, "node_type": node, "attributes": attrs or {}}
    if node == "array":
        meta.update({"shape": list(arr.shape), "data_type": str(arr.dtype),
                     "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(arr.shape)}},
                     "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
                     "fill_value": fill,
                     "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]})
        if dims is not None:
            meta["dimension_names"] = dims
        c = os.path.join(path, "c", *["0"] * arr.ndim)
        os.makedirs(os.path.dirname(c), exist_ok=True)
        arr.astype(arr.dtype.newbyteorder("<")).tofile(c)
        np.save(f"{out}/expect/{os.path.basename(path)}.npy", arr)
    with open(f"{path}/zarr.json", "w") as f:
        json.dump(meta, f)

os.makedirs(f"{out}/expect")
S = f"{out}/dims.zarr"
v3(S, None, node="group", attrs={"source": "netcdf.sh", "tags": ["a", "b"], "scale": 2.5,
                                 "n": [1, 2, 3], "": "no name", "obj": {"k": 1},
                                 "u": [1, 2**64 - 1], "es": ["", "é"], "mixed": [-1, 2**64 - 1]})
v3(f"{S}/x", np.linspace(0, 1, 5), ["x"], "NaN")
v3(f"{S}/y", np.arange(4.0), ["y"], "NaN")
v3(f"{S}/field", rng.random((4, 5)).astype("float32"), ["y", "x"], "NaN", {"units": "W"})
cnt = rng.integers(0, 9, (4, 5)).astype("uint16")
v3(f"{S}/counts", cnt, ["y", "x"], 0)
v3(f"{S}/noname", np.arange(15, dtype="int32").reshape(3, 5))
v3(f"{S}/noname2", np.arange(15, dtype="int32").reshape(5, 3))
v3(f"{S}/square", np.arange(9, dtype="int8").reshape(3, 3))
v3(f"{S}/partial", np.arange(12, dtype="int64").reshape(4, 3), ["y", None])
v3(f"{S}/conflict", np.arange(6, dtype="float32"), ["x"], "NaN")
v3(f"{S}/tonly", np.arange(7, dtype="int64") * 3, ["t"], -1)
v3(f"{S}/f16", rng.random((4, 5)).astype("float16"), ["y", "x"], 0)
v3(f"{S}/flag", np.array([True, False, True]), ["flag"], False)  # no netCDF type
v3(f"{S}/uses_flag", np.arange(3, dtype="int16"), ["flag"])
v3(f"{S}/g1", None, node="group", attrs={"level": 1})
v3(f"{S}/g1/a", np.arange(9, dtype="uint8"), ["x"], 255)

# 1,000 arrays sharing a dimension
M = f"{out}/many.zarr"
v3(M, None, node="group")
for i in range(1000):
    a = np.arange(10, dtype="int32") + 10 * i
    v3(f"{M}/a{i:04d}", a, ["n"], -1)

# 5 GiB, sparse: chunks 0 and the last; then a small array
B = f"{out}/big.zarr"
v3(B, None, node="group")
n, ch = 5 << 30, 1 << 20
os.makedirs(f"{B}/big/c")
meta = {"zarr_format": 3, "node_type": "array", "shape": [n], "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [ch]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0, "codecs": [{"name": "bytes"}], "attributes": {}}
json.dump(meta, open(f"{B}/big/zarr.json", "w"))
first = np.zeros(ch, "uint8"); first[0] = 5; first.tofile(f"{B}/big/c/0")
last = np.zeros(ch, "uint8"); last[-2:] = [7, 8]; last.tofile(f"{B}/big/c/{n // ch - 1}")
v3(f"{B}/tail", np.arange(10, dtype="int32"), ["k"])

# a v2 group whose subgroup's metadata is broken
os.makedirs(f"{out}/broken.zarr/bad")
open(f"{out}/broken.zarr/.zgroup", "w").write('{"zarr_format": 2}')
open(f"{out}/broken.zarr/bad/.zgroup", "w").write('{"zarr_format": 2,')
v3(f"{out}/broken.zarr/good", np.arange(3, dtype="int16"))
EOF

# --- the xarray store ------------------------------------------------------------
X=$T/xr.zarr
if F=$(nc "$X"); then
    h5dump_ok "$F"
    ncdump -h "$F" >"$T/ncdump.out" 2>&1
    check "ncdump -h names the dimensions (time = 8, lat = 6, lon = 7)" \
        grep -qE '^\s+time = 8 ;' "$T/ncdump.out"
    check "ncdump -h shows temp(time, lat, lon) and the subgroup" \
        bash -c "grep -q 'float temp(time, lat, lon)' '$T/ncdump.out' && grep -q 'group: sub' '$T/ncdump.out'"
    pycheck "$(dirname "$0")/nc_check.py" h5py_store "$F" "$X"
    pycheck "$(dirname "$0")/nc_check.py" ncdump_reference "$F" "$X" "$T/reference.nc"
    pycheck "$(dirname "$0")/nc_check.py" xarray_identical "$F" "$X"
    pycheck "$(dirname "$0")/nc_check.py" xarray_identical "$F" "$X" sub
    if command -v ncks >/dev/null; then
        pycheck "$(dirname "$0")/nc_check.py" nco "$F" "$T/ncks.nc"
    else
        skip "no ncks (nco)"
    fi
    pycheck "$(dirname "$0")/nc_check.py" gdal_2d "$F" elev "$X" elev
fi
# the same file through a mount (-o views=nc): the consumers on MNT/xr.nc
if [ -c /dev/fuse ] && [ -n "${F:-}" ]; then
    M=$T/m
    if zf_mount_fg "$X" "$M" "$T/mount.log" -o views=nc; then
        check "the mount's xr.nc is zarrfs-cat's file, byte for byte" cmp "$M/xr.nc" "$F"
        ncdump -h "$M/xr.nc" >"$T/ncdump.mnt" 2>&1
        check "ncdump -h on the mount names the dimensions" \
            grep -qE '^\s+time = 8 ;' "$T/ncdump.mnt"
        pycheck "$(dirname "$0")/nc_check.py" xarray_identical "$M/xr.nc" "$X"
        pycheck "$(dirname "$0")/nc_check.py" xarray_identical "$M/sub.nc" "$X/sub"
        if command -v ncks >/dev/null; then
            pycheck "$(dirname "$0")/nc_check.py" nco "$M/xr.nc" "$T/ncks_mnt.nc"
        fi
        zf_umount "$M" "$ZF_PID"
    else
        bad "zarrfs -o views=nc did not mount: $(head -3 "$T/mount.log")"
    fi
else
    skip "the mounted file: no /dev/fuse"
fi
# the same store with its metadata only in .zmetadata: the same file
XM=$T/xr_metaonly.zarr
cp -r "$X" "$XM"
find "$XM" -mindepth 1 \( -name .zarray -o -name .zgroup -o -name .zattrs \) -delete
if F2=$(nc "$XM"); then
    check "consolidated metadata alone gives the same file" cmp "$F" "$F2"
fi
if F=$(nc "$X" sub); then
    h5dump_ok "$F"
    pycheck "$(dirname "$0")/nc_check.py" xarray_identical "$F" "$X/sub"
fi

# --- every dtype and byte order of the corpus ----------------------------------
C=$T/types.zarr
mkdir -p "$C/v2" "$C/v3" "$C/v3s"
zf_group "$C" && zf_group "$C/v3" && zf_group "$C/v3s"
echo '{"zarr_format": 2}' >"$C/v2/.zgroup"
for a in "$CORPUS"/v2/*.zarr; do cp -r "$a" "$C/v2/$(basename "$a" .zarr)"; done
for a in "$CORPUS"/v3/*.zarr; do cp -r "$a" "$C/v3/$(basename "$a" .zarr)"; done
for a in "$CORPUS"/v3_sharded/*.zarr; do cp -r "$a" "$C/v3s/$(basename "$a" .zarr)"; done
if F=$(nc "$C"); then
    h5dump_ok "$F"
    pycheck "$(dirname "$0")/nc_check.py" h5py_corpus "$F" "$CORPUS"
    pycheck "$(dirname "$0")/nc_check.py" netcdf_corpus "$F" "$CORPUS"
    "$BIN/zarrfs-info" "$C" >"$T/info.out"
    check "zarrfs-info notes that float16 is no netCDF type" \
        grep -q 'note .*v2_f2.*float16 is no netCDF-4 type' "$T/info.out"
fi

# --- v3 dimension names --------------------------------------------------------
D=$T/dims.zarr
if F=$(nc "$D"); then
    h5dump_ok "$F"
    pycheck "$(dirname "$0")/nc_check.py" dims "$F" "$T/expect"
    "$BIN/zarrfs-info" --json "$D" >"$T/info.json"
    check "zarrfs-info --json notes the dimension conflict" \
        "$PY" -c "import json,sys; d=json.load(open('$T/info.json')); n=d['nodes'][0]['netcdf']['notes']; sys.exit(not any('conflict' in s and \"'x'\" in s for s in n))"
fi

# --- many, big -----------------------------------------------------------------
if F=$(nc "$T/many.zarr"); then
    h5dump_ok "$F"
    check "ncdump -h lists 1,000 variables" \
        test "$(ncdump -h "$F" | grep -c 'int a[0-9]*(n)')" -eq 1000
    pycheck "$(dirname "$0")/nc_check.py" many "$F" 1000
fi
len=$("$CAT" --nc --offset 0 --length 48 "$T/big.zarr" | "$PY" -c "import sys,struct; print(struct.unpack('<Q', sys.stdin.buffer.read()[28:36])[0])")
check "the big file's size (the superblock's end of file) is past 5 GiB: $len" test "${len:-0}" -gt $((5 << 30))
pycheck "$(dirname "$0")/nc_check.py" big "$CAT" "$T/big.zarr" "$len"

# --- bad input -------------------------------------------------------------------
if "$CAT" --nc "$T/broken.zarr" bad >/dev/null 2>"$T/err"; then
    bad "a group with broken metadata gave a file"
else
    check "a group with broken metadata: an error naming it ($(cat "$T/err"))" \
        grep -q "group 'bad'" "$T/err"
fi
if F=$(nc "$T/broken.zarr"); then
    h5dump_ok "$F"
    "$BIN/zarrfs-info" "$T/broken.zarr" >"$T/info.out"
    check "its parent's file leaves it out, with a note naming it" \
        grep -q 'note    bad: left out' "$T/info.out"
fi
"$CAT" --nc "$T/broken.zarr" nosuch >/dev/null 2>"$T/err"
check "a missing group: an error naming it" grep -q "no group 'nosuch'" "$T/err"
"$CAT" --nc "$T/broken.zarr" good >/dev/null 2>"$T/err"
check "an array is no group" grep -q "'good' is an array" "$T/err"

"$CAT" --nc "$CORPUS/v2/v2_i8_zlib.zarr" >/dev/null 2>"$T/err"
check "a store whose root is an array has no group file" \
    grep -q "the store's root is an array, not a group" "$T/err"
"$CAT" --nc --order F "$T/broken.zarr" >/dev/null 2>&1
check "--order with --nc is bad usage (exit 2)" test $? -eq 2

zf_finish
