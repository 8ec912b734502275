"""nc_check.py CHECK ARGS... - the consumers' side of tests/sh/netcdf.sh: each
CHECK opens a netCDF-4 file made by `zarrfs-cat --nc` with a real reader
(h5py, netCDF4-python, xarray, GDAL) and compares what it reads with what
an independent writer put in the store (the corpus's expected bytes,
zarr-python, numpy).  Prints one "ok: ..." or "FAIL: ..." line per check
(skip: when a reader is not installed)."""
import json
import os
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True


def ok(msg):
    print("ok: " + msg)


def fail(msg):
    print("FAIL: " + msg)


def check(cond, msg):
    (ok if cond else fail)(msg)
    return cond


def corpus_rows(corpus):
    """name -> (dtype, shape, expected raw path) from the corpus index."""
    rows = {}
    with open(os.path.join(corpus, "INDEX.tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            rows[r["name"]] = r
    return rows


def expected(corpus, row, dtype):
    """The expected content (little endian in the corpus), as `dtype`."""
    raw = np.fromfile(os.path.join(corpus, row["expected_raw"]), dtype=np.uint8)
    dt = np.dtype(dtype)
    le = dt.newbyteorder("<") if dt.kind not in "bV" else dt
    return raw.view(le).astype(dt).reshape(json.loads(row["shape"]))


def same(a, b, bitwise=True):
    """Equal values of one dtype: bit for bit, or (bitwise=False, for values
    a library converted, float16 to float) equal with NaNs where NaNs are."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if bitwise or a.dtype.kind not in "fc":
        return a.tobytes() == b.tobytes()
    return np.array_equal(a, b, equal_nan=True)


def h5py_corpus(nc, corpus):
    """Every corpus array in the file (group/NAME) equals its expected bytes,
    through h5py; its attributes are there."""
    import h5py
    rows = corpus_rows(corpus)
    seen = 0
    with h5py.File(nc, "r") as f:
        for g in f.values():
            if not isinstance(g, h5py.Group):
                continue
            for name, d in g.items():
                if name not in rows:
                    continue
                seen += 1
                want = expected(corpus, rows[name], d.dtype)
                got = d[()]
                check(same(got, want), "h5py %s/%s (%s %s) equals the corpus"
                      % (g.name, name, rows[name]["dtype"], rows[name]["shape"]))
    check(seen >= 90, "h5py found %d corpus arrays" % seen)


def masked_equal(got, want, fill):
    """netCDF4's masked array equals `want`, masked where it equals fill
    (a complex `want` against netCDF's compound {r, i})."""
    if got.dtype.names == ("r", "i"):
        got = np.ma.getdata(got)
        return same(got["r"], want.real) and same(got["i"], want.imag)
    if fill is not None and want.dtype.kind in "iuf":
        fill = np.array(fill, want.dtype)
        mask = np.isnan(want) if np.isnan(fill) else want == fill
        data = np.asarray(np.ma.getdata(got))  # (a masked 0-d is a float)
        return (np.array_equal(np.ma.getmaskarray(got), mask) and
                same(data[~mask].astype(want.dtype), want[~mask], False))
    return same(np.ma.getdata(got), want, False)


def netcdf_corpus(nc, corpus):
    """Every variable netCDF4-python sees equals the expected values, masked
    where they equal _FillValue; a hyperslab equals the slice; float16 is
    read as float; bool (an enum) and complex (a compound) are not seen."""
    import h5py
    import netCDF4
    rows = corpus_rows(corpus)
    seen, left = 0, []
    with h5py.File(nc, "r") as f:
        in_h5 = {(g, n) for g in f for n in f[g] if n in rows}
    with netCDF4.Dataset(nc) as d:
        for g in d.groups.values():
            for name in rows:
                if name not in g.variables:
                    if (g.name, name) in in_h5:
                        left.append(name)
                    continue
                v = g.variables[name]
                seen += 1
                want = expected(corpus, rows[name], rows[name]["dtype"])
                if want.dtype.kind != "c":
                    want = want.astype(v.dtype)  # float16 reads as float
                got = v[:]
                fill = getattr(v, "_FillValue", None)
                check(masked_equal(got, want, fill), "netCDF4 %s/%s (%s) equals the corpus%s"
                      % (g.name, name, v.dtype,
                         ", masked at _FillValue" if fill is not None else ""))
                if want.ndim >= 2 and want.shape[0] > 2 and want.shape[1] > 1:
                    sl = (slice(1, want.shape[0] - 1), slice(0, None, 2))
                    check(masked_equal(v[sl], want[sl], fill),
                          "netCDF4 %s/%s hyperslab [1:-1, ::2]" % (g.name, name))
    check(seen >= 80, "netCDF4 read %d corpus variables" % seen)
    kinds = {n: np.dtype(rows[n]["dtype"]).kind for n in left}
    check(left and set(kinds.values()) == {"b", "c"},
          "netCDF leaves out exactly the bool and complex variables: %s" % kinds)


def dims(nc, expect):
    """v3 dimension_names through netCDF4: coordinate variables, dimension-
    only scales, phony dimensions, a conflict, a nested group; values."""
    import h5py
    import netCDF4
    with netCDF4.Dataset(nc) as d:
        D = {k: len(x) for k, x in d.dimensions.items()}
        v = d.variables
        check(D.get("x") == 5 and D.get("y") == 4 and D.get("t") == 7,
              "named dimensions x = 5, y = 4, t = 7: %s" % D)
        check(v["field"].dimensions == ("y", "x") == v["counts"].dimensions,
              "field and counts are (y, x)")
        check("flag" not in v and v["uses_flag"].dimensions[0].startswith("phony_dim_"),
              "a bool array named like its dimension is no coordinate: %s"
              % (v["uses_flag"].dimensions,))
        check(set(d.ncattrs()) == {"source", "tags", "scale", "n", "u", "es"},
              "attributes with no netCDF form are left out: %s" % d.ncattrs())
        check(d.u.dtype == np.uint64 and list(d.u) == [1, 2**64 - 1] and
              list(d.es) == ["", "é"], "uint64 and string list attributes: %s %s"
              % (d.u, d.es))
        check("x" in v and "y" in v and "t" not in v and v["tonly"].dimensions == ("t",),
              "x and y are coordinate variables, t a dimension only")
        a, b = v["noname"].dimensions, v["noname2"].dimensions
        check(a == b[::-1] and all(n.startswith("phony_dim_") for n in a),
              "unnamed dimensions are phony, shared where sizes agree: %s %s" % (a, b))
        s = v["square"].dimensions
        check(len(set(s)) == 2 and s[0] in a and D[s[1]] == 3,
              "a 3 x 3 array has two phony dimensions: %s" % (s,))
        p = v["partial"].dimensions
        check(p[0] == "y" and p[1].startswith("phony_dim_"), "a null name is phony: %s" % (p,))
        c = v["conflict"].dimensions
        check(c[0].startswith("phony_dim_") and D[c[0]] == 6,
              "the conflicting x (6, not 5) is phony: %s" % (c,))
        check(v["f16"].dtype == np.float32 and
              same(v["f16"][:].data, np.load(expect + "/f16.npy").astype("f4")),
              "netCDF reads the float16 variable as float")
        g = d.groups["g1"]
        check(g["a"].dimensions == ("x",) and len(g.dimensions["x"]) == 9 and g.level == 1,
              "the nested group has its own x = 9 and its attribute")
        check(masked_equal(g["a"][:], np.load(expect + "/a.npy"), 255), "g1/a's values")
        for name in ["x", "y", "field", "counts", "noname", "noname2", "square",
                     "partial", "conflict", "tonly"]:
            want = np.load("%s/%s.npy" % (expect, name))
            check(masked_equal(v[name][:], want, getattr(v[name], "_FillValue", None)),
                  "netCDF4 %s equals numpy's, masked at _FillValue" % name)
        check(d.source == "netcdf.sh" and list(d.tags) == ["a", "b"] and d.scale == 2.5
              and list(d.n) == [1, 2, 3], "the root group's attributes")
        check(v["field"].units == "W", "a variable's attribute")
    with h5py.File(nc, "r") as f:
        check(same(f["f16"][()], np.load(expect + "/f16.npy")), "h5py reads f16")


def zattrs(store, path):
    import zarr
    return dict(zarr.open(store, mode="r")[path].attrs) if path else \
        dict(zarr.open(store, mode="r").attrs)


def xarray_identical(nc, store, group=""):
    """xarray (netcdf4 engine) on the file == xarray on the Zarr store."""
    import xarray as xr
    kw = {"group": group} if group else {}
    a = xr.open_dataset(nc, engine="netcdf4", **kw).load()
    b = xr.open_zarr(store, **kw).load()
    try:
        xr.testing.assert_identical(a, b)
        ok("xarray: open_dataset(%s%s) is identical to open_zarr"
           % (os.path.basename(nc), ", group=" + group if group else ""))
    except AssertionError as e:
        fail("xarray: not identical (%s): %s" % (group or "/", e))
    if "packed" in a:  # it really was decoded from the file's attributes
        enc = a["packed"].encoding
        check("scale_factor" in enc and "_FillValue" in enc and
              a["time"].dtype.kind == "M",
              "xarray decoded packed (scale_factor, _FillValue) and time: %s"
              % sorted(enc))


def ncdump_reference(nc, store, ref):
    """netCDF's own file for the same data (xarray's to_netcdf of what
    open_zarr reads, root and subgroup, with the store's encodings): ncdump
    prints the same header and data lines (sorted: netCDF lists variables
    in creation order, the view by name)."""
    import xarray as xr
    mode = "w"
    for group in ("", "sub"):
        ds = xr.open_zarr(store, group=group or None).load()
        keep = ("dtype", "scale_factor", "add_offset", "_FillValue", "units", "calendar")
        enc = {k: {e: x for e, x in v.encoding.items() if e in keep}
               for k, v in ds.variables.items()}
        ds.to_netcdf(ref, mode=mode, group=group or None, encoding=enc)
        mode = "a"
    def lines(f):
        out = subprocess.run(["ncdump", f], capture_output=True, text=True, check=True).stdout
        return sorted(x for x in out.splitlines()[1:] if x.strip())
    a, b = lines(ref), lines(nc)
    check(a == b, "ncdump of netCDF's own file and of the view: the same lines%s"
          % ("" if a == b else ": " + str(sorted(set(a) ^ set(b))[:6])))


def h5py_store(nc, store):
    """Every array of an xarray/zarr-python store, through h5py: values and
    attributes (less _ARRAY_DIMENSIONS) equal zarr-python's."""
    import h5py
    import zarr
    z = zarr.open(store, mode="r")
    with h5py.File(nc, "r") as f:
        def walk(g, prefix):
            for name, a in g.arrays():
                p = prefix + name
                d = f[p]
                check(same(d[()], a[...].astype(d.dtype)) and d.dtype == a.dtype,
                      "h5py %s equals zarr-python's %s %s" % (p, a.dtype, a.shape))
                want = {k: v for k, v in a.attrs.items() if k != "_ARRAY_DIMENSIONS"}
                got = {k: v for k, v in d.attrs.items()
                       if k not in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS",
                                    "NAME", "_Netcdf4Dimid", "_Netcdf4Coordinates",
                                    "_FillValue")}
                check(attrs_equal(got, want), "h5py %s attributes %s" % (p, sorted(want)))
            for name, sub in g.groups():
                walk(sub, prefix + name + "/")
        walk(z, "")


def attrs_equal(got, want):
    if set(got) != set(want):
        return False
    for k, w in want.items():
        g = got[k]
        if isinstance(g, bytes):
            g = g.decode()
        if isinstance(w, list) and w and isinstance(w[0], str):
            g = [x.decode() if isinstance(x, bytes) else x for x in g]
            if list(g) != w:
                return False
        elif not np.array_equal(np.ravel(g), np.ravel(w)):  # 1-element arrays
            return False
    return True


def nco(nc, out):
    """ncks -d time,3,5 -v temp: the hyperslab's values and dimensions."""
    import netCDF4
    r = subprocess.run(["ncks", "-O", "-d", "time,3,5", "-v", "temp", nc, out],
                       capture_output=True, text=True)
    if not check(r.returncode == 0, "ncks -d time,3,5 -v temp ran: %s" % r.stderr.strip()):
        return
    with netCDF4.Dataset(nc) as a, netCDF4.Dataset(out) as b:
        check(np.array_equal(b["temp"][:], a["temp"][3:6], equal_nan=True)
              and b["temp"].dimensions == a["temp"].dimensions
              and len(b.dimensions["time"]) == 3,
              "ncks's output holds temp[3:6] with its dimensions")


def gdal_2d(nc, var, store, path):
    """GDAL's netCDF driver (else HDF5) opens a 2-d variable: its values."""
    try:
        from osgeo import gdal
    except ImportError:
        print("skip: GDAL's Python bindings (python3-gdal) are not installed")
        return
    import zarr
    want = zarr.open(store, mode="r")[path][...]
    gdal.UseExceptions()
    for name in ('NETCDF:"%s":%s' % (nc, var), 'HDF5:"%s"://%s' % (nc, var)):
        try:
            ds = gdal.Open(name)
        except RuntimeError as e:
            print("note: GDAL cannot open %s: %s" % (name, e))
            continue
        got = ds.GetRasterBand(1).ReadAsArray()
        # GDAL's netCDF driver flips rows when y goes up (bottom-up):
        check(np.array_equal(got, want) or np.array_equal(got[::-1], want),
              "GDAL %s reads %s's values" % (ds.GetDriver().ShortName, var))
        return
    fail("GDAL opened %s with neither driver" % var)


def many(nc, n):
    """A group of n arrays: netCDF4 and h5py see every one with its values."""
    n = int(n)
    import h5py
    import netCDF4
    with netCDF4.Dataset(nc) as d:
        names = sorted(d.variables)
        check(len(names) == n, "netCDF4 lists %d variables (%d expected)" % (len(names), n))
        good = all(np.array_equal(d["a%04d" % i][:], np.arange(10) + 10 * i)
                   for i in range(0, n, 37))
        check(good, "netCDF4 reads every 37th of them right")
        check(list(d.dimensions) == ["n"], "they share the dimension n")
    with h5py.File(nc, "r") as f:
        good = all(np.array_equal(f["a%04d" % i][()], np.arange(10) + 10 * i)
                   for i in range(n))
        check(good, "h5py reads all %d right" % n)


class CatFile:
    """A read-only file object over `zarrfs-cat --nc --offset --length`, so
    a file larger than the disk can be read without being written."""
    def __init__(self, cat, store, size):
        self.cat, self.store, self.size, self.pos = cat, store, size, 0

    def seek(self, off, whence=0):
        self.pos = off if whence == 0 else self.pos + off if whence == 1 else self.size + off
        return self.pos

    def tell(self):
        return self.pos

    def seekable(self):
        return True

    def readable(self):
        return True

    def readinto(self, b):
        n = max(0, min(len(b), self.size - self.pos))
        out = subprocess.run([self.cat, "--nc", "--offset", str(self.pos), "--length",
                              str(n), self.store], capture_output=True, check=True).stdout
        b[:len(out)] = out
        self.pos += len(out)
        return len(out)

    def read(self, n=-1):
        buf = bytearray(n if n >= 0 else self.size - self.pos)
        return bytes(buf[:self.readinto(buf)])


def big(cat, store, size):
    """A 5 GiB sparse array (over 2^32 elements), then a small one past
    4 GiB: h5py reads both at their offsets, through zarrfs-cat."""
    import h5py
    with h5py.File(CatFile(cat, store, int(size)), "r") as f:
        d, t = f["big"], f["tail"]
        check(d.size > 2**32, "big has %d elements" % d.size)
        check(np.array_equal(d[-4:], np.array([0, 0, 7, 8], d.dtype)) and d[0] == 5
              and d[2**32 + 5] == 0, "h5py reads its first and last elements")
        check(t.id.get_offset() > 2**32 and np.array_equal(t[()], np.arange(10)),
              "tail starts past 4 GiB (%d) and reads right" % t.id.get_offset())


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
