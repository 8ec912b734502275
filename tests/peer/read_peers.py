"""read_peers.py - the peers read what zarrfs's side wrote (tests/sh/peers_read.sh).

usage: PEER_PY read_peers.py CORPUS PACKLIST

Every array of the generated corpus (CORPUS/INDEX.tsv: Zarr v2 arrays
written by zarr-python 2, v3 arrays written by tests/corpus/zarr3.py from the
spec) and every zarrfs-pack output (PACKLIST: name, store, expected bytes,
dtype and shape, tab-separated) is read by each peer:

  zarr-python       zarr-python 3, its default codec pipeline
  tensorstore       tensorstore, driver zarr3 for v3 arrays, zarr for v2
  zarrs             zarr-python 3 with the zarrs codec pipeline, strict (no
                    silent fall back to zarr-python's pipeline: what is
                    measured is zarrs)

and what it reads, np.ascontiguousarray(a) in C order and little endian, must
be the expected bytes, with the expected shape and data type.  Each peer runs
in a child process of its own, so a peer that crashes costs only its own
column.  Prints one "ok: " or "FAIL: " line per array and peer, then the
matrix: peer x source, the arrays, how many the peer read equal, how many it
cannot read (a known limit) and how many it reads wrong (known).

Where a peer cannot read an array, or reads other bytes, the array must be in
KNOWN below with the reason (and, where the peer is wrong, the spec's words);
an entry that no longer holds fails, so the table cannot go stale.
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

PEERS = ["zarr-python", "tensorstore", "zarrs"]
SOURCES = ["corpus v2", "corpus v3", "pack"]
CHILD_TIMEOUT = 600

# ---- what the peers cannot read, or read wrong -----------------------------------------
#
# Known(peer, source, names, expect, kind, why): on the arrays of that source
# whose name matches names (a regular expression, whole name), the peer's
# outcome ("error: MESSAGE" or "differs: WHERE") must match expect (searched).
# kind "limit": the peer does not implement it (a codec, a data type, a
# layout); kind "wrong": the peer reads other bytes than the spec says, or
# refuses a valid array, and the spec's words are in the comment.  An entry
# must match at least one array, and a peer that starts reading one of its
# arrays right fails the check, so the table cannot go stale: remove the entry.
# The expected bytes never come from zarrfs: the corpus's are the numpy arrays
# that were written, a pack's are its input.
Known = collections.namedtuple("Known", "peer source names expect kind why")

# Zarr v3 core, "Determination of encoded representations": "For each codec
# i, the encoded representation is equal to the decoded representation
# decoded_representation[i+1] of the next codec"; transpose: "B_shape[i] =
# A_shape[order[i]]"; sharding_indexed, chunk_shape: "The length of the
# chunk_shape array must match the number of dimensions of the shard shape to
# which this sharding codec is applied, and the inner chunk shape along each
# dimension must evenly divide the size of the shard shape."  After
# transpose [1, 0] the chunk [10, 12] is a [12, 10] array, which the inner
# chunks [4, 5] divide; zarr-python checks them against the untransposed
# [10, 12] and refuses the array (the zarrs pipeline too: the check is
# zarr-python's, made before zarrs sees the array).  tensorstore reads it,
# equal.
TRANSPOSED_SHARD = "v3s_i2_transpose_outside"
TRANSPOSED_SHARD_ERROR = r"needs to be divisible by the shard's inner `chunk_shape`"

KNOWN = [
    # -- zarr-python 3.1.6 --------------------------------------------------------
    Known("zarr-python", "corpus v3", TRANSPOSED_SHARD, TRANSPOSED_SHARD_ERROR, "wrong",
          "zarr-python checks the inner chunks against the chunk shape before the "
          "transpose, not the shard shape the sharding codec is applied to"),
    # Zarr v3 core: an array -> array codec's decoded and encoded
    # representations are arrays (of values); bytes codec: "Each element of
    # the array is encoded using the specified endian variant of its binary
    # representation".  The byte order ends at the bytes codec.  Here the
    # chain is transpose, numcodecs.delta, bytes (big), zstd: zarr-python's
    # numcodecs.delta decodes with numcodecs' Delta.decode, which
    # reinterprets the big-endian array the bytes codec gave it as
    # little-endian (ndarray.view), and so sums byte-swapped values.
    # zarr-python cannot read back what it writes with this chain either
    # (delta then a big-endian bytes codec).
    Known("zarr-python", "corpus v3", "v3_u2_transpose_delta_zstd", r"^differs", "wrong",
          "numcodecs.delta after a big-endian bytes codec: zarr-python's delta "
          "reads the big-endian values as little-endian"),

    # -- tensorstore 0.1.86 -------------------------------------------------------
    Known("tensorstore", "corpus v2",
          "v2_i2_delta_zstd|v2_u2be_shuffle_zlib|v2_u4_crc32c_zstd|"
          "v2_f4_fixedscaleoffset|v2_f4_bitround",
          r'"filters": filters are not supported', "limit",
          "tensorstore's zarr driver supports no v2 filters (only null)"),
    Known("tensorstore", "corpus v2", "v2_i4be_lz4|v2_f8be_fillNegInf_sparse|v2_u4be_crc32c_start",
          r'"id": "(lz4|crc32c)" is not registered', "limit",
          "tensorstore's zarr driver has the compressors blosc, bz2, gzip, zlib "
          "and zstd; not lz4, nor crc32c"),
    Known("tensorstore", "corpus v2", "v2_U3_refused", r'Unsupported zarr dtype: "<U3"',
          "limit", "tensorstore's zarr driver has no unicode strings (zarrfs "
          "refuses strings too)"),
    # Zarr v2: "If an array has a fixed length byte string data type ...
    # and if the fill value is not null, then the fill value MUST be encoded
    # as an ASCII string using the standard Base64 alphabet."  zarr-python 2
    # wrote fill_value 0 of |S4 as "MA==" (the one byte "0"); tensorstore
    # wants exactly 4 bytes.  The spec sets no length; zarrfs refuses
    # strings, so no bytes of its are at stake.
    Known("tensorstore", "corpus v2", "v2_S4_refused",
          r'"fill_value": Expected 4 base64-encoded bytes', "limit",
          "tensorstore wants a |S4 fill value of exactly 4 bytes; zarr-python 2 "
          "wrote 1"),
    Known("tensorstore", "corpus v3",
          "v3_i2_nc_zlib|v3_f4_nc_gzip|v3_i4_nc_zstd|v3_u2_nc_blosc|v3_i8_nc_lz4|"
          "v3_f8_nc_shuffle_zlib|v3_u4_nc_crc32c_end|v3_u1_nc_crc32c_start|"
          "v3_i4_delta|v3_u2_transpose_delta_zstd|v3s_i4_nc_inner",
          r'"numcodecs\.\w+" is not registered', "limit",
          "tensorstore's zarr3 driver has the spec's codecs only, none of "
          "zarr-python's numcodecs.*"),

    # -- zarrs 0.2.3, the zarrs codec pipeline, strict ------------------------------
    Known("zarrs", "corpus v3", TRANSPOSED_SHARD, TRANSPOSED_SHARD_ERROR, "wrong",
          "zarr-python's check (see zarr-python above) refuses it before zarrs runs"),
    Known("zarrs", "corpus v2",
          "v2_i2be_bloscl4shuf_C_slash|v2_i8be_none_F|v2_u2be_shuffle_zlib|"
          "v2_u8be_bloscLz4hc|v2_f2be_none_fillNaN|v2_f4be_zstd_F_slash|"
          "v2_f8be_bloscZstdShuf_F|v2_c16be_zstd_sparse|g2_03_i4|g2_06_u2|g2_10_f4",
          r"Non-native byte order not supported", "limit",
          "the zarrs pipeline refuses big-endian v2 data types (zarr-python gives "
          "them a big-endian output array)"),
    Known("zarrs", "corpus v2", "v2_u4_bloscZlib_F_slash|v2_f4_bloscZstdBitshuf_F|v2_c16_gzip_F",
          r"input array must be a C contiguous array", "limit",
          "the zarrs pipeline refuses v2 order F (zarr-python's output array is "
          "then in F order)"),
    Known("zarrs", "corpus v2",
          "v2_i2_delta_zstd|v2_i4be_lz4|v2_f8be_fillNegInf_sparse|v2_u4_crc32c_zstd|"
          "v2_u4be_crc32c_start|v2_f4_bitround",
          r"unsupported codec (delta|lz4|crc32c|bitround) ", "limit",
          "zarrs has no v2 delta, lz4, crc32c or bitround"),
    Known("zarrs", "corpus v2", "v2_S4_refused|v2_U3_refused",
          r'unsupported data type Simple\("(\|S4|<U3)"\)', "limit",
          "zarrs has no v2 fixed-length strings (zarrfs refuses strings too)"),
    Known("zarrs", "corpus v3",
          "v3_f4_nc_gzip|v3_i4_nc_zstd|v3_u2_nc_blosc|v3_i8_nc_lz4|"
          "v3_u4_nc_crc32c_end|v3_u1_nc_crc32c_start|v3_i4_delta|"
          "v3_u2_transpose_delta_zstd|v3s_i4_nc_inner",
          r"codec numcodecs\.(gzip|zstd|blosc|lz4|crc32c|delta) is not supported", "limit",
          "zarrs reads numcodecs.zlib and numcodecs.shuffle, not zarr-python's "
          "numcodecs.gzip, zstd, blosc, lz4, crc32c or delta"),
    # Zarr v3 data types, fill values of floats: "0xYYYYYYYY", specifying the
    # byte representation of the floating point number as an unsigned
    # integer ... This representation is the only way to specify a NaN value
    # other than the specific NaN value denoted by "NaN"."  The fill values
    # 0x7fc00001 (float32) and 0x7ff0000000000001 (float64, a signalling
    # NaN) come back as 0x7fc00000 and 0x7ff8000000000000: zarr-python's
    # metadata.to_dict(), which the pipeline hands to zarrs, writes any NaN
    # as "NaN".  zarr-python and tensorstore keep the bits.
    Known("zarrs", "corpus v3", "v3_f4_fillHexNaN_payload|v3_f8_fillHexSNaN",
          r"^differs", "wrong",
          "a NaN fill value given by its bits is read as the NaN of \"NaN\""),
    # Zarr v3 bytes codec: "with endian specified as big ... the complex128
    # data type is encoded as two consecutive 8-byte big endian IEEE 754
    # binary64 values"; complex64: "2 consecutive 4-byte IEEE 754 binary32
    # values (real component followed by imaginary component)".  zarrs swaps
    # a big-endian complex element whole, real and imaginary exchanged, in
    # the chunks the array's edge cuts (in a sharded array, in the whole
    # edge shard); whole chunks and shards it reads right.  zarr-python and
    # tensorstore read them all right.
    Known("zarrs", "corpus v3", "v3_c8be_fillNaNInf|v3_c16be_crc32c", r"^differs", "wrong",
          "big-endian complex, edge chunks: real and imaginary parts exchanged"),
    # Every pack's shape has edge chunks or shards (tests/sh/peers_read.sh).
    Known("zarrs", "pack", r"p\d+_complex(64|128)_big_.*", r"^differs", "wrong",
          "big-endian complex, edge chunks and shards: real and imaginary parts exchanged"),
]


def known_for(peer, source, name):
    for k in KNOWN:
        if k.peer == peer and k.source == source and re.fullmatch(k.names, name):
            return k
    return None


# ---- the child: one peer reads every array ---------------------------------------------

def open_reader(peer):
    """A function (store, fmt) -> numpy array, for the peer."""
    if peer == "tensorstore":
        import tensorstore as ts

        def read(store, fmt):
            spec = {"driver": "zarr3" if fmt == 3 else "zarr",
                    "kvstore": {"driver": "file", "path": store}}
            return ts.open(spec, read=True, open=True).result().read().result()
        return read
    import zarr
    if peer == "zarrs":
        import zarrs  # noqa: F401  (the pipeline's module must import)
        zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline",
                         "codec_pipeline.strict": True})

    def read(store, fmt):
        a = zarr.open_array(store=store, mode="r", zarr_format=fmt)
        return a[...]
    return read


def le_bytes(a):
    """The array's elements in C order, little endian: bit for bit (a NaN's
    payload too), by swapping bytes rather than converting values."""
    import numpy as np
    a = np.ascontiguousarray(a)
    if a.dtype.byteorder == ">":
        a = a.byteswap().view(a.dtype.newbyteorder("<"))
    return a.tobytes()


def first_difference(got, want, itemsize):
    for i in range(0, min(len(got), len(want)), itemsize):
        if got[i:i + itemsize] != want[i:i + itemsize]:
            return "element %d: %s, expected %s" % (
                i // itemsize, got[i:i + itemsize].hex(), want[i:i + itemsize].hex())
    return "%d bytes, expected %d" % (len(got), len(want))


def compare(a, row):
    """'equal', or what differs."""
    import numpy as np
    a = np.asarray(a)
    if list(a.shape) != row["shape"]:
        return "shape %s, expected %s" % (list(a.shape), row["shape"])
    want_dt = np.dtype(row["dtype"]).newbyteorder("<")
    if a.dtype.newbyteorder("<") != want_dt:
        return "data type %s, expected %s" % (a.dtype, want_dt)
    if row["expected"] is None:
        return "equal"  # read; there are no flat bytes to compare
    with open(row["expected"], "rb") as f:
        want = f.read()
    got = le_bytes(a)
    return "equal" if got == want else first_difference(got, want, a.dtype.itemsize)


def child(peer, rows_file):
    """One JSON line per array: its name and outcome, "equal", "differs:
    WHERE" or "error: MESSAGE" (the store's path in it as STORE)."""
    with open(rows_file) as f:
        rows = json.load(f)
    read = open_reader(peer)
    for row in rows:
        try:
            result = compare(read(row["store"], row["fmt"]), row)
            outcome = result if result == "equal" else "differs: " + result
        except Exception as e:  # every failure is reported, with its message
            msg = "%s: %s" % (type(e).__name__, e)
            if e.__cause__ is not None:
                msg += " (from %s: %s)" % (type(e.__cause__).__name__, e.__cause__)
            msg = msg.split(" [tensorstore_spec=")[0].replace(row["store"], "STORE")
            outcome = "error: " + " ".join(msg.split())[:400]
        print(json.dumps({"name": row["name"], "outcome": outcome}), flush=True)


# ---- the parent: the arrays, the children, the verdicts -------------------------------

def corpus_rows(corpus):
    rows = []
    with open(os.path.join(corpus, "INDEX.tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            exp = r["expected_raw"]
            rows.append({"name": r["name"], "source": "corpus v" + r["fmt"],
                         "fmt": int(r["fmt"]), "store": os.path.join(corpus, r["path"]),
                         "expected": None if exp == "-" else os.path.join(corpus, exp),
                         "dtype": r["dtype"], "shape": json.loads(r["shape"])})
    return rows


def pack_rows(packlist):
    rows = []
    with open(packlist) as f:
        for line in f:
            name, store, exp, dtype, shape = line.rstrip("\n").split("\t")
            rows.append({"name": name, "source": "pack", "fmt": 3, "store": store,
                         "expected": exp, "dtype": dtype,
                         "shape": [int(x) for x in shape.split(",") if x]})
    return rows


def run_peer(peer, rows_file):
    """{name: outcome} from the child; a crash or a timeout leaves the rest
    out, and says why."""
    try:
        p = subprocess.run([sys.executable, __file__, "--child", peer, rows_file],
                           capture_output=True, text=True, timeout=CHILD_TIMEOUT)
        out, why = p.stdout, "exited with %d: %s" % (p.returncode, p.stderr.strip()[-300:])
    except subprocess.TimeoutExpired as e:
        out, why = (e.stdout or b"").decode(), "timed out after %d s" % CHILD_TIMEOUT
    outcomes = {}
    for line in out.splitlines():
        if line.startswith("{"):
            v = json.loads(line)
            outcomes[v["name"]] = v["outcome"]
    return outcomes, why


def peer_label(peer, row):
    if peer == "tensorstore":
        return "tensorstore/%s" % ("zarr3" if row["fmt"] == 3 else "zarr")
    return peer


def judge(peer, row, outcome, tally, used):
    """One ok/FAIL line for the peer's outcome on the array; tally counts
    arrays, equal, limit, wrong; used collects the KNOWN entries met."""
    what = "%s (%s) by %s" % (row["name"], row["source"], peer_label(peer, row))
    tally["arrays"] += 1
    k = known_for(peer, row["source"], row["name"])
    if k is None:
        if outcome == "equal":
            tally["equal"] += 1
            print("ok: %s: %s" % (what, "the expected bytes" if row["expected"] else
                                  "read (no flat bytes: zarrfs refuses the data type)"))
        else:
            print("FAIL: %s: %s" % (what, outcome))
        return
    used.add(k)
    if outcome == "equal":
        print("FAIL: %s: in KNOWN (%s: %s), but the peer reads it right now: "
              "remove the entry" % (what, k.kind, k.why))
    elif re.search(k.expect, outcome):
        tally[k.kind] += 1
        print("ok: %s: known %s of the peer: %s" % (
            what, "limit" if k.kind == "limit" else "deviation from the spec", k.why))
    else:
        print("FAIL: %s: in KNOWN (%s), but the outcome changed: %s" % (what, k.why, outcome))


def matrix(tallies, rows):
    print("\nmatrix: what each peer reads of what zarrfs's side wrote "
          "(limit: cannot read, known; wrong: reads other bytes or refuses, "
          "the peer is wrong by the spec)")
    print("%-18s %-10s %6s %6s %6s %6s" % ("peer", "source", "arrays", "equal",
                                         "limit", "wrong"))
    for peer in PEERS:
        for source in SOURCES:
            row = next((r for r in rows if r["source"] == source), None)
            if row is None:
                continue
            t = tallies[(peer, source)]
            print("%-18s %-10s %6d %6d %6d %6d" % (peer_label(peer, row), source,
                  t["arrays"], t["equal"], t["limit"], t["wrong"]))
    print("where the peers are wrong by the spec (zarrfs reads these right):")
    for k in KNOWN:
        if k.kind == "wrong":
            print("  %s, %s %s: %s" % (k.peer, k.source, k.names, k.why))


def parent(corpus, packlist):
    rows = corpus_rows(corpus) + pack_rows(packlist)
    tallies = collections.defaultdict(collections.Counter)
    used = set()
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(rows, f)
        f.flush()
        for peer in PEERS:
            outcomes, why = run_peer(peer, f.name)
            for row in rows:
                outcome = outcomes.get(row["name"], "error: no outcome: the peer " + why)
                judge(peer, row, outcome, tallies[(peer, row["source"])], used)
    for k in KNOWN:
        if k not in used:
            print("FAIL: KNOWN entry %s / %s / %s matches no array: remove it"
                  % (k.peer, k.source, k.names))
    matrix(tallies, rows)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3:
        parent(sys.argv[1], sys.argv[2])
    else:
        sys.exit("usage: read_peers.py CORPUS PACKLIST")


if __name__ == "__main__":
    main()
