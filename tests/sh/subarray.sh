#!/usr/bin/env bash
# subarray.sh - subarrays and Fortran order by file name (NAME[EXPR],
# NAME@F, NAME[EXPR]@F), with numpy as the oracle.
#
# The store: arrays written by zarr-python 2 (v2: int8 .. complex64, bool,
# float16, big-endian, order F, 0-d to 5-d) and by zarrfs-pack (v3: plain,
# sharded, index at the start, big-endian).  Random expressions (seed
# printed; ZF_SUBARRAY_SEED repeats a run), at least 2,000 of them, with
# and without @F, a few out of range, are each checked against numpy's
# a[EXPR] (.tobytes() in C order, or order 'F'):
#  - through zarrfs-cat STORE 'NAME[EXPR]@F' (--order F for some);
#  - through the mount: stat's size, a whole read, and for a share of them
#    mmap and unaligned preads (zf_mount_check compare), the xattrs
#    (user.zarr.shape, user.zarr.selection = the normalised expression,
#    computed here from Python's slice.indices);
#  - np.load(mmap_mode='r') of NAME[EXPR].npy and NAME[EXPR]@F.npy.
# Then: chunks decoded (zarrfs-cat --stats, .zarrfs/stats) equal the chunks
# the selection intersects (inner chunks of a sharded array; one when it
# lies inside one), virtual names are not listed, an array whose real name
# has brackets is found by it, an empty selection is an empty file, bad
# names are ENOENT with the reason logged and the daemon alive, GDAL opens
# subarrays and Fortran-order files through their virtual .tif with a clean
# environment (gdalinfo, gdal_translate, each page of a 3-d one as its
# subdataset) and through their virtual .hdr when told not to list the
# folder, and 7,000 distinct names looked up leave the daemon's memory
# bounded.
# Exit 0 = pass, 77 = skip (no /dev/fuse, no numpy/zarr).
source "$(dirname "$0")/mount_common.bash"
zf_require

PY=/usr/bin/python3 # Debian's, with python3-numpy and python3-zarr
if ! "$PY" -c 'import numpy, zarr' 2>/dev/null; then
    echo "skip: $PY cannot import numpy and zarr (python3-numpy, python3-zarr)"
    exit 77
fi
SEED=${ZF_SUBARRAY_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "seed: $SEED (ZF_SUBARRAY_SEED=$SEED repeats this run)"
S=$T/store.zarr
R=$T/ref
export T
mkdir -p "$R"

# --- the store ---------------------------------------------------------------------
# v2 arrays by zarr-python 2; references as .npy; raw inputs for zarrfs-pack.
"$PY" - "$S" "$R" "$SEED" <<'PYEOF' || { bad "making the store"; zf_finish; }
import sys, numpy as np, zarr
store, ref, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(seed)
root = zarr.open_group(store, mode="w")
def data(dtype, shape):
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    if dt.kind == "b":
        v = rng.integers(0, 2, n).astype(bool)
    elif dt.kind == "c":
        v = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    elif dt.kind == "f":
        v = rng.standard_normal(n) * 100
    else:
        info = np.iinfo(dt)
        v = rng.integers(info.min, info.max, n, endpoint=True,
                         dtype=dt.newbyteorder("="))
    return v.astype(dt).reshape(shape)
v2 = [  # name, dtype, shape, chunks, order
    ("i8_1d", "|i1", (61,), (8,), "C"),
    ("u16_2d", "<u2", (37, 41), (8, 16), "C"),
    ("f32_3d", "<f4", (13, 17, 19), (4, 8, 5), "C"),
    ("f64_4d_F", "<f8", (5, 7, 6, 9), (2, 3, 4, 4), "F"),
    ("i32_5d", "<i4", (4, 5, 3, 6, 7), (2, 2, 2, 3, 4), "C"),
    ("c64_2d", "<c8", (19, 23), (7, 6), "C"),
    ("b_2d", "|b1", (29, 31), (10, 10), "C"),
    ("f16_2d", "<f2", (21, 18), (5, 7), "C"),
    ("be_u32_3d", ">u4", (9, 11, 14), (4, 4, 4), "C"),
    ("i64_0d", "<i8", (), None, "C"),
]
for name, dt, shape, chunks, order in v2:
    a = data(dt, shape)
    comp = zarr.Zstd(level=1) if a.ndim % 2 else zarr.Blosc()
    z = root.create_dataset(name, shape=shape, chunks=chunks, dtype=dt,
                            order=order, compressor=comp)
    z[...] = a
    np.save(f"{ref}/{name}.npy", a.astype(a.dtype.newbyteorder("=")))
# an array whose real name has brackets, beside the array of the plain name
w = data("<u2", (6, 5))
root.create_dataset("weird[0]", shape=w.shape, chunks=(3, 5), dtype="<u2")[...] = w
np.save(f"{ref}/weird[0].npy", w)
# inputs of the v3 arrays zarrfs-pack makes
for name, dt, shape in [("p_u16_3d_sh", "<u2", (17, 23, 29)),
                        ("p_i32_3d", "<i4", (11, 13, 15)),
                        ("p_f32_2d_sh", "<f4", (45, 38))]:
    a = data(dt, shape)
    a.tofile(f"{ref}/{name}.raw")
    np.save(f"{ref}/{name}.npy", a)
PYEOF
zf_pack "$R/p_u16_3d_sh.raw" "$S/p_u16_3d_sh" --shape 17,23,29 --dtype uint16 \
    --chunks 4,5,6 --shards 8,10,12 --codec zstd --crc32c || zf_finish
zf_pack "$R/p_i32_3d.raw" "$S/p_i32_3d" --shape 11,13,15 --dtype int32 \
    --chunks 4,4,4 --codec gzip || zf_finish
zf_pack "$R/p_f32_2d_sh.raw" "$S/p_f32_2d_sh" --shape 45,38 --dtype float32 \
    --chunks 7,6 --shards 14,18 --codec none --index-location start \
    --endian big || zf_finish
rm -f "$R"/*.raw

M=$T/m
LOG=$T/zarrfs.log
zf_mount_fg "$S" "$M" "$LOG" -o views=npy,envi,tiff || { bad "mount: $(cat "$LOG")"; zf_finish; }

# --- counters first, while the cache is cold ----------------------------------------
# Selections inside one inner chunk of the sharded array: exactly one decode.
"$PY" - "$M" <<'PYEOF' >"$T/counters" 2>&1
import json, sys
m = sys.argv[1]
def decoded():
    with open(f"{m}/.zarrfs/stats") as f:
        return json.load(f)["chunks_decoded"]
for expr in ["1:3,2:4,0:5", "4:8:2,5:10:3,7", "-1,-1,-1", "8,11:14,::-100"]:
    before = decoded()
    with open(f"{m}/p_u16_3d_sh[{expr}]", "rb") as f:
        f.read()
    print(expr, decoded() - before)
PYEOF
while read -r expr n; do
    if [ "$n" = 1 ]; then ok "p_u16_3d_sh[$expr] (inside one inner chunk): 1 chunk decoded"
    else bad "p_u16_3d_sh[$expr]: $n chunks decoded, expected 1"; fi
done <"$T/counters"
[ "$(wc -l <"$T/counters")" -eq 4 ] || bad "counters: $(cat "$T/counters")"

# --- random expressions: zarrfs-cat and the mount against numpy ----------------------
"$PY" - "$S" "$M" "$R" "$SEED" "$BIN" "$CHECK" <<'PYEOF'
import os, sys, subprocess, random
import numpy as np
store, m, ref, seed, bindir, check = sys.argv[1:7]
rnd = random.Random(int(seed))
cat = os.path.join(bindir, "zarrfs-cat")
names = sorted(f[:-4] for f in os.listdir(ref)
               if f.endswith(".npy") and f != "weird[0].npy")
arrays = {n: np.load(f"{ref}/{n}.npy") for n in names}
passed = failed = 0
def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        if failed <= 30:
            print("FAIL:", what)

def rand_item(n):
    if n > 0 and rnd.random() < 0.25:
        return str(rnd.randint(-n, n - 1))
    def bound():
        return "" if rnd.random() < 0.3 else str(rnd.randint(-n - 2, n + 2))
    step = rnd.choice(["", "", "1", "2", "3", "-1", "-2", "-3", "5", "-7", "1000"])
    s = bound() + ":" + bound()
    if step or rnd.random() < 0.2:
        s += ":" + step
    return s

def rand_expr(shape):
    nd = len(shape)
    items = [rand_item(shape[d]) for d in range(rnd.randint(0, nd))]
    if nd == 0 or not items or rnd.random() < 0.25:
        # an ellipsis: the items after it index the last axes
        e = rnd.randint(0, len(items))
        tail = len(items) - e
        items = items[:e] + ["..."] + [rand_item(shape[nd - tail + j]) for j in range(tail)]
    if nd and rnd.random() < 0.03:  # out of range: ENOENT
        d = rnd.randrange(nd)
        items = [":"] * d + [str(shape[d] + rnd.randint(0, 3))]
    return ",".join(items)

def normalise(expr, shape):
    """The normalised expression, from Python's slice.indices."""
    items = [x.strip() for x in expr.split(",")]
    nreal = sum(1 for i in items if i != "...")
    if "..." in items:
        e = items.index("...")
        items = items[:e] + [":"] * (len(shape) - nreal) + items[e + 1:]
    items += [":"] * (len(shape) - len(items))
    out = []
    for it, n in zip(items, shape):
        if ":" not in it:
            i = int(it)
            out.append(str(i + n if i < 0 else i))
            continue
        r = range(*slice(*[int(x) if x else None for x in it.split(":")]).indices(n))
        if len(r) == 0:
            out.append("0:0")
        elif len(r) == 1:
            out.append(f"{r[0]}:{r[0] + 1}")
        else:
            stop = r[-1] + (1 if r.step > 0 else -1)
            out.append(f"{r[0]}::{r.step}" if stop < 0 else
                       f"{r[0]}:{stop}" if r.step == 1 else
                       f"{r[0]}:{stop}:{r.step}")
    return ",".join(out) if shape else "..."

N = int(os.environ.get("ZF_SUBARRAY_N", "2100"))
cases = []
for i in range(N):
    name = names[i % len(names)]
    a = arrays[name]
    expr = rand_expr(a.shape)
    F = rnd.random() < 0.4
    try:
        want = a[eval(f"np.s_[{expr}]")]
    except IndexError:
        want = None
    cases.append((name, expr, F, want))
print(f"{len(cases)} expressions over {len(names)} arrays; "
      f"{sum(c[3] is None for c in cases)} out of range, "
      f"{sum(c[2] for c in cases)} in Fortran order")

exp = f"{os.environ['T']}/expected"
for idx, (name, expr, F, want) in enumerate(cases):
    vname = f"{name}[{expr}]" + ("@F" if F else "")
    wbytes = None if want is None else want.tobytes(order="F" if F else "C")
    # zarrfs-cat: @F in the name, or --order F
    by_option = F and idx % 2 == 0
    arg = f"{name}[{expr}]" if by_option else vname
    extra = ["--order", "F"] if by_option else []
    p = subprocess.run([cat, "--threads", "1", *extra, store, arg],
                       capture_output=True)
    if want is None:
        ok(p.returncode != 0 and b"out of bounds" in p.stderr,
           f"zarrfs-cat {arg}: exit {p.returncode} {p.stderr!r}")
    else:
        ok(p.returncode == 0 and p.stdout == wbytes,
           f"zarrfs-cat {extra} {arg}: exit {p.returncode}, {len(p.stdout)} "
           f"bytes, expected {len(wbytes)} {p.stderr[:200]!r}")
    # the mount
    path = f"{m}/{vname}"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    if want is None:
        ok(st is None, f"{vname}: exists, expected ENOENT")
        continue
    if st is None:
        ok(False, f"{vname}: ENOENT")
        continue
    ok(st.st_size == len(wbytes), f"{vname}: size {st.st_size}, expected {len(wbytes)}")
    with open(path, "rb") as f:
        got = f.read()
    ok(got == wbytes, f"{vname}: the {len(got)} bytes read differ")
    if idx % 7 == 0 and wbytes:
        with open(exp, "wb") as f:
            f.write(wbytes)
        r = subprocess.run([check, "compare", path, exp], capture_output=True,
                           text=True)
        ok(r.returncode == 0, f"{vname}: mmap/pread: {r.stdout.strip()}")
    if idx % 5 == 0:
        sel = os.getxattr(path, "user.zarr.selection").decode()
        norm = normalise(expr, a.shape if False else arrays[name].shape)
        ok(sel == norm, f"{vname}: user.zarr.selection {sel!r}, expected {norm!r}")
        shp = os.getxattr(path, "user.zarr.shape").decode()
        ok(shp == ",".join(map(str, want.shape)),
           f"{vname}: user.zarr.shape {shp!r}, expected {want.shape}")
    if idx % 10 == 0:
        try:
            # (numpy cannot mmap an empty array)
            v = np.load(path + ".npy", mmap_mode="r" if want.size else None)
            good = (v.shape == want.shape and
                    v.dtype == want.dtype.newbyteorder("=") and
                    np.array_equal(np.asarray(v), want,
                                   equal_nan=want.dtype.kind in "fc") and
                    (not F or want.ndim < 2 or v.flags["F_CONTIGUOUS"]))
            ok(good, f"np.load({vname}.npy): shape {v.shape} dtype {v.dtype}")
        except Exception as e:
            ok(False, f"np.load({vname}.npy): {e}")
print(f"random expressions: {passed} checks passed, {failed} failed")
sys.exit(1 if failed else 0)
PYEOF
check "random expressions through zarrfs-cat and the mount match numpy (seed $SEED)" test $? -eq 0

# --- chunks decoded = chunks intersected (zarrfs-cat --stats, a cold cache each) --------
"$PY" - "$S" "$BIN" "$SEED" <<'PYEOF'
import sys, json, random, subprocess
store, bindir, seed = sys.argv[1:4]
rnd = random.Random(int(seed) + 1)
shape, inner = (17, 23, 29), (4, 5, 6)
bad = 0
for i in range(40):
    items, idx = [], []
    for n in shape:
        if rnd.random() < 0.3:
            k = rnd.randrange(n)
            items.append(str(k))
            idx.append([k])
        else:
            a, b = sorted(rnd.sample(range(-n, n + 1), 2))
            st = rnd.choice([1, 2, 3, 5, 7, -1, -4, -9])
            s = slice(a, b, st) if st > 0 else slice(b, a, st)
            items.append(f"{s.start}:{s.stop}:{st}")
            idx.append(list(range(*s.indices(n))))
    want = 1
    for ix, c in zip(idx, inner):
        want *= len({x // c for x in ix})
    expr = ",".join(items)
    p = subprocess.run([f"{bindir}/zarrfs-cat", "--stats", store,
                        f"p_u16_3d_sh[{expr}]"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    got = json.loads(p.stderr.strip().splitlines()[-1])["chunks_decoded"]
    if got != want:
        bad += 1
        print(f"FAIL: p_u16_3d_sh[{expr}]: {got} chunks decoded, {want} intersected")
print(f"chunks decoded = intersected: {40 - bad} of 40")
sys.exit(1 if bad else 0)
PYEOF
check "zarrfs-cat: inner chunks decoded = inner chunks intersected (40 selections)" test $? -eq 0

# --- names -----------------------------------------------------------------------------
ls -A "$M" | grep -v '^weird\[0\]' | grep -E '\[|@F' >"$T/listed"
check "virtual names are not listed (only the real 'weird[0]' and its views)" \
    test ! -s "$T/listed"
check "an array named 'weird[0]' is found by its real name" \
    "$PY" -c "import numpy as np, sys; a = np.load(sys.argv[2]); b = open(sys.argv[1], 'rb').read(); sys.exit(b != a.tobytes())" \
    "$M/weird[0]" "$R/weird[0].npy"
check "an empty selection is an empty file" \
    sh -c "[ \$(stat -c %s '$M/u16_2d[5:2]') -eq 0 ] && [ \$(wc -c <'$M/u16_2d[5:2]') -eq 0 ]"
check "NAME@F of a 0-d array is its one element" cmp -s "$M/i64_0d@F" "$M/i64_0d"
for n in 'u16_2d[0:5,x]' 'u16_2d[99]' 'u16_2d[::0]' 'u16_2d[...,...]' 'u16_2d[1,2,3]' \
    'nosuch[0]' 'u16_2d[0]@G' 'u16_2d[0]@F.nhdr'; do
    if [ ! -e "$M/$n" ] && ! cat "$M/$n" 2>/dev/null; then ok "'$n': ENOENT"
    else bad "'$n' exists"; fi
done
check "the log says why: 'x' is not an index" grep -qF "u16_2d[0:5,x]: 'x' is not an index" "$LOG"
check "the log says why: index 99 is out of bounds" grep -q "index 99 is out of bounds for axis 0" "$LOG"
check "the daemon is alive after bad names" zf_alive "$ZF_PID"
# GDAL: a subarray's .tif needs no sidecar, so GDAL opens it with no
# setting.  (GDAL lists the folder to look for sidecars, and virtual names
# are not listed: the ENVI header NAME[EXPR].hdr is such a sidecar, which
# GDAL finds only when told not to list, GDAL_DISABLE_READDIR_ON_OPEN=YES.)
if command -v gdalinfo >/dev/null && command -v gdal_translate >/dev/null; then
    clean() { env -u GDAL_DISABLE_READDIR_ON_OPEN -u CPL_CONFIG_FILE GDAL_PAM_ENABLED=NO "$@"; }
    k=0
    # file name; the subarray as numpy writes it; T: Fortran order (the
    # transposed array, as the .tif describes it)
    while read -r name expr tr; do
        k=$((k + 1))
        if clean gdalinfo "$M/$name" </dev/null >"$T/gdalinfo.$k" 2>&1 &&
            clean gdal_translate -q "$M/$name" "$T/gdal.$k.tif" </dev/null >>"$T/gdalinfo.$k" 2>&1; then
            pycheck - "$R" "$expr" "$tr" "$T/gdal.$k.tif" "$T/gdalinfo.$k" <<'PYEOF'
import re, sys, numpy as np
from osgeo import gdal
ref, expr, tr, out, info = sys.argv[1:]
name, sel = expr.split("[", 1)
a = np.load(f"{ref}/{name}.npy")
want = eval(f"a[{sel}")
if tr == "T":
    want = want.T
want = want.reshape((-1,) + want.shape[-2:])
size = re.search(r"^Size is (\d+), (\d+)$", open(info).read(), re.M)
got = gdal.Open(out).ReadAsArray()
ok = size and (int(size[1]), int(size[2])) == want.shape[:0:-1] and np.array_equal(got, want[0])
print(("ok: " if ok else "FAIL: ") + f"gdalinfo and gdal_translate, clean environment: "
      f"{expr}{'@F' if tr == 'T' else ''}.tif is {want.shape[2]}x{want.shape[1]}, page 1 "
      f"of {want.shape[0]} equals numpy's{' (transposed)' if tr == 'T' else ''}")
PYEOF
        else
            bad "GDAL cannot open $name with a clean environment: $(head -c 300 "$T/gdalinfo.$k")"
        fi
    done <<'NAMES'
f32_3d[5,::-1,3:15:2].tif f32_3d[5,::-1,3:15:2] -
u16_2d[0:20:3,7:]@F.tif u16_2d[0:20:3,7:] T
f32_3d[2:9,::-1,3:15:2].tif f32_3d[2:9,::-1,3:15:2] -
f32_3d@F.tif f32_3d[...] T
NAMES
else
    skip "GDAL's gdalinfo and gdal_translate (gdal-bin) are not installed"
fi
if "$PY" -c 'from osgeo import gdal' 2>/dev/null; then
    pycheck - "$M" "$R" <<'PYEOF'
import sys, numpy as np
from osgeo import gdal
gdal.UseExceptions()
m, ref = sys.argv[1:3]
def ok(c, msg):
    print(("ok: " if c else "FAIL: ") + msg)
want = np.load(f"{ref}/f32_3d.npy")[2:9, ::-1, 3:15:2]
subs = gdal.Open(f"{m}/f32_3d[2:9,::-1,3:15:2].tif").GetSubDatasets()
ok(len(subs) == 7 and all(np.array_equal(gdal.Open(s).ReadAsArray(), want[k])
                          for k, (s, _) in enumerate(subs)),
   f"GDAL reads each of the {len(subs)} pages of f32_3d[2:9,::-1,3:15:2].tif (its subdatasets), values right")
gdal.SetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", "YES")
got = gdal.Open(f"{m}/f32_3d[2:9,::-1,3:15:2]").ReadAsArray()
ok(got.shape == want.shape and np.array_equal(got, want),
   "GDAL opens f32_3d[2:9,::-1,3:15:2] through its virtual .hdr (GDAL_DISABLE_READDIR_ON_OPEN=YES)")
PYEOF
else
    skip "GDAL (python3-gdal) is not installed"
fi

# --- many names, bounded memory --------------------------------------------------------
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$ZF_PID/status"; }
# stat_names A B: stats distinct virtual names number A to B - 1
stat_names() {
    "$PY" - "$M" "$1" "$2" <<'PYEOF'
import os, sys
m, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(a, b):
    os.stat(f"{m}/i32_5d[{i % 4},...,{i % 7}:{i % 7 + 1 + i // 28}:{1 + i % 3}]")
PYEOF
}
stat_names 0 1000
r1=$(rss)
stat_names 1000 8000
r2=$(rss)
echo "daemon VmRSS: $r1 KiB after 1,000 names, $r2 KiB after 7,000 more"
check "7,000 more distinct names: the daemon grew by $((r2 - r1)) KiB (at most 16 MiB)" \
    test $((r2 - r1)) -le 16384
check "the daemon is alive" zf_alive "$ZF_PID"
zf_umount "$M" "$ZF_PID" || bad "unmount"
zf_finish
