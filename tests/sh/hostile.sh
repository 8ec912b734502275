#!/usr/bin/env bash
# hostile.sh - a hostile corpus (tests/hostile/make_hostile.py builds it
# here: one array per class of damage, symbolic links out of the store) read
# through zarrfs-cat and through a mount.
#
# zarrfs-cat: a refused array or a read that touches damage exits 1 with a
# message naming the array (and key) and the reason; a read of the intact
# part gives the right bytes.  Symbolic-link cases run with the resolver the
# kernel has (openat2 RESOLVE_BENEATH); test_store covers the component-walk
# fallback of kernels without it.
# Consolidated metadata (v2 and v3) with keys that name no valid node
# ("../up", "b//c", "/abs", ".", "d/..", "foo.zarray", ...): zarrfs-info
# lists only the good nodes and warns once per bad key.
# Mount: refused arrays are left out (and logged), reads that touch the
# damage fail with EIO and only those, the rest reads right, a folder linked
# from outside is not shown; afterwards the daemon is alive and its RSS is
# under 200 MiB.  Exit 0 = pass (the mount part is skipped, not failed,
# without /dev/fuse).
source "$(dirname "$0")/mount_common.bash"
SRC=${ZF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CAT=$BIN/zarrfs-cat
[ -x "$CAT" ] || { echo "FAIL: $CAT is not built"; echo "0 passed, 1 failed"; exit 1; }

H=$T/h
/usr/bin/python3 "$SRC/tests/hostile/make_hostile.py" "$H" >/dev/null ||
    { bad "make_hostile.py"; zf_finish; }
S=$H/store

# slice FILE OFF LEN: bytes [OFF, OFF+LEN) of FILE on stdout.
slice() { tail -c +$(($2 + 1)) "$1" | head -c "$3"; }

# cat_fails NAME REGEX [cat options...]: exit 1, a message naming NAME and REGEX.
cat_fails() {
    local name=$1 re=$2
    shift 2
    "$CAT" "$@" "$S" "$name" >/dev/null 2>"$T/err"
    local rc=$? msg
    msg=$(head -c 300 "$T/err")
    if [ "$rc" -eq 1 ] && grep -q -- "$name" "$T/err" && grep -Eqi -- "$re" "$T/err"; then
        ok "cat $name $*: exit 1: $msg"
    else
        bad "cat $name $*: exit $rc, wanted 1 and /$re/: $msg"
    fi
}

# cat_reads NAME OFF LEN: the bytes equal the expected ones.
cat_reads() {
    local name=$1 off=$2 len=$3
    "$CAT" --offset "$off" --length "$len" "$S" "$name" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" -eq 0 ] && cmp -s "$T/out" <(slice "$H/expected/$name.raw" "$off" "$len"); then
        ok "cat $name [$off, +$len) reads right"
    else
        bad "cat $name [$off, +$len): exit $rc, $(head -c 200 "$T/err")"
    fi
}

# --- zarrfs-cat ------------------------------------------------------------------
while IFS=$'\t' read -r name kind re rest; do
    read -r -a r <<<"$rest"
    case $kind in
    meta) cat_fails "$name" "$re" ;;
    hidden) cat_fails "$name" "no array" ;;
    ok)
        "$CAT" "$S" "$name" >"$T/out" 2>"$T/err"
        check "cat $name reads whole and right ($(head -c 200 "$T/err"))" \
            cmp -s "$T/out" "$H/expected/$name.raw"
        ;;
    read)
        cat_fails "$name" "$re" --offset "${r[0]}" --length "${r[1]}"
        for ((i = 2; i + 1 < ${#r[@]}; i += 2)); do
            cat_reads "$name" "${r[i]}" "${r[i + 1]}"
        done
        ;;
    esac
done <"$H/cases.tsv"

# --- consolidated metadata with keys that name no valid node ------------------
# zarrfs-info lists only the good nodes (text and --json) and warns once per
# bad key; the good array reads right.
CONS=$T/cons
/usr/bin/python3 - "$CONS" <<'PY'
import json, os, sys
root = sys.argv[1]
v2 = {"zarr_format": 2, "shape": [4], "chunks": [4], "dtype": "|u1",
      "compressor": None, "fill_value": 0, "filters": None, "order": "C"}
v3 = {"zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "uint8",
      "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
      "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
      "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}
bad3 = ["../up", "b//c", "/abs", ".", "d/.."]
bad2 = ["foo.zarray", "x.zarray"] + [k + "/.zarray" for k in bad3]
def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").write(data)
m = {".zgroup": {"zarr_format": 2}, "good/.zarray": v2}
m.update({k: v2 for k in bad2})
put(root + "/v2/.zmetadata", json.dumps({"zarr_consolidated_format": 1, "metadata": m}).encode())
put(root + "/v2/good/0", b"\1\2\3\4")
m = {"good": v3}
m.update({k: v3 for k in bad3})
put(root + "/v3/zarr.json", json.dumps({"zarr_format": 3, "node_type": "group",
    "attributes": {}, "consolidated_metadata": {"kind": "inline",
    "must_understand": False, "metadata": m}}).encode())
put(root + "/v3/good/c/0", b"\1\2\3\4")
for v, keys in (("v2", bad2), ("v3", bad3)):
    with open(root + "/" + v + ".bad", "w") as f:
        f.write("\n".join(keys) + "\n")
PY
printf '\1\2\3\4' >"$T/good.raw"
for v in v2 v3; do
    "$BIN/zarrfs-info" "$CONS/$v" >/dev/null 2>"$T/info.err"
    "$BIN/zarrfs-info" --json "$CONS/$v" >"$T/info.json" 2>/dev/null
    listed=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(sorted(n["path"] for n in json.load(open(sys.argv[1]))["nodes"])))' "$T/info.json")
    check "$v: zarrfs-info --json lists the root and good only ($listed)" [ "$listed" = " good" ]
    n=0
    while read -r k; do
        n=$((n + 1))
        grep -qF -- "\"$k\" left out" "$T/info.err" || bad "$v: no warning names $k"
    done <"$CONS/$v.bad"
    check "$v: one warning per bad key ($n)" [ "$(grep -c 'left out' "$T/info.err")" -eq "$n" ]
    "$CAT" "$CONS/$v" good >"$T/good.out" 2>/dev/null
    check "$v: the good array reads right" cmp -s "$T/good.out" "$T/good.raw"
done

# --- the mount -------------------------------------------------------------------
if [ ! -c /dev/fuse ] || [ ! -x "$ZARRFS" ] || ! command -v fusermount3 >/dev/null; then
    skip "the mount part: no /dev/fuse, zarrfs or fusermount3"
    zf_finish
fi
M=$T/m
if ! zf_mount_fg "$S" "$M" "$T/mount.log" -o threads=4; then
    bad "mount the hostile store: $(tail -3 "$T/mount.log")"
    zf_finish
fi
/usr/bin/python3 - "$H" "$M" >"$T/py.out" 2>&1 <<'PY'
import errno, os, sys
H, M = sys.argv[1], sys.argv[2]
def say(good, what):
    print(("ok: " if good else "FAIL: ") + what)
def pread(path, off, n):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, n, off)
    finally:
        os.close(fd)
for line in open(os.path.join(H, "cases.tsv")):
    f = line.rstrip("\n").split("\t")
    name, kind, nums = f[0], f[1], [int(x) for x in f[3:]]
    path = os.path.join(M, name)
    if kind in ("meta", "hidden"):
        say(not os.path.lexists(path), "mount leaves out %s" % name)
        continue
    exp = open(os.path.join(H, "expected", name + ".raw"), "rb").read()
    if kind == "ok":
        try:
            say(open(path, "rb").read() == exp, "mount reads %s whole and right" % name)
        except OSError as e:
            say(False, "mount reads %s: %s" % (name, e))
        continue
    for rep in range(2):  # twice: an error is not cached as data
        try:
            pread(path, nums[0], nums[1])
            say(False, "mount %s [%d,+%d): no error" % (name, nums[0], nums[1]))
        except OSError as e:
            say(e.errno == errno.EIO, "mount %s [%d,+%d) fails with %s" %
                (name, nums[0], nums[1], errno.errorcode.get(e.errno)))
    for i in range(2, len(nums), 2):
        off, n = nums[i], nums[i + 1]
        if off // 4096 <= (nums[0] + nums[1] - 1) // 4096:
            continue  # shares a page with the damage: the kernel reads pages
        try:
            say(pread(path, off, n) == exp[off:off + n],
                "mount %s [%d,+%d) reads right" % (name, off, n))
        except OSError as e:
            say(False, "mount %s [%d,+%d): %s" % (name, off, n, e))
PY
cat "$T/py.out"
passed=$((passed + $(grep -c '^ok:' "$T/py.out")))
failed=$((failed + $(grep -c '^FAIL:' "$T/py.out")))
check "python mount checks ran" grep -q '^ok:' "$T/py.out"
check "the mount logs why corrupt_json is not shown" \
    grep -q "corrupt_json.*not shown.*invalid JSON" "$T/mount.log"

# The decompression bombs and lying headers, read hard: 8 readers x 20.
readers=()
for i in $(seq 8); do
    (for j in $(seq 20); do
        for n in gzip_bomb zstd_claims_100gb blosc_lies_nbytes lz4_lies_length shard_entry_wraps; do
            dd if="$M/$n" bs=4096 count=1 of=/dev/null 2>/dev/null
        done
    done) &
    readers+=($!)
done
wait "${readers[@]}"
check "the daemon is alive after the hostile reads" zf_alive "$ZF_PID"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$ZF_PID/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$ZF_PID/status")
fds=$(ls "/proc/$ZF_PID/fd" | wc -l)
echo "daemon: RSS $((rss / 1024)) MiB, peak $((hwm / 1024)) MiB, $fds descriptors"
check "the daemon's RSS stays under 200 MiB ($((rss / 1024)) MiB)" [ "$rss" -lt $((200 * 1024)) ]
check "the daemon's peak RSS stays under 400 MiB ($((hwm / 1024)) MiB)" [ "$hwm" -lt $((400 * 1024)) ]
check "the intact array still reads right" cmp -s "$M/intact" "$H/expected/intact.raw"
check "unmount" zf_umount "$M" "$ZF_PID"
zf_finish
