"""zf_versions.py - reads through a mount and says which version a read
matched (tests/sh/mount_faults.sh, remote_version.sh).

  zf_versions.py read [-b] FILE OFF LEN NAME=RAW...   one read (O_DIRECT unless -b:
      buffered, through the page cache, without readahead); prints the
      NAME whose RAW has these bytes at OFF, "eio", "mix" (bytes of no
      version), "short" or "err:ERRNO".
  zf_versions.py stress FILE SECS LO HI LEN REOPEN NAME=RAW...   reads of LEN bytes
      at random LEN/2-aligned offsets in [LO, HI) for SECS seconds (or until
      the file cannot be opened again, with REOPEN=1, or reads fail 50
      times in a row); prints the counts, e.g. "v1=120 v2=98 eio=3".
"""
import errno, mmap, os, random, sys, time
def versions(args):
    vs = []
    for a in args:
        name, raw = a.split("=", 1)
        vs.append((name, open(raw, "rb").read()))
    return vs
def classify(buf, off, vs):
    for name, data in vs:
        if buf == data[off:off + len(buf)]:
            return name
    return "mix"
def read_at(fd, off, n, direct):
    if direct:
        m = mmap.mmap(-1, n)          # page-aligned, as O_DIRECT wants
        got = os.preadv(fd, [m], off)
        return bytes(m[:got])
    return os.pread(fd, n, off)
def one(fd, off, n, direct, vs):
    try:
        buf = read_at(fd, off, n, direct)
    except OSError as e:
        if e.errno == errno.EIO:
            return "eio"
        return "err:" + errno.errorcode.get(e.errno, str(e.errno))
    return classify(buf, off, vs) if len(buf) == n else "short"
def opn(path, direct):
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECT if direct else 0))
    if not direct:  # no readahead: a buffered read reads only its own pages
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
    return fd
if sys.argv[1] == "read":
    a = sys.argv[2:]
    direct = a[0] != "-b"
    if not direct:
        a = a[1:]
    path, off, n = a[0], int(a[1]), int(a[2])
    try:
        fd = opn(path, direct)
    except OSError as e:
        print("err:" + errno.errorcode.get(e.errno, str(e.errno)))
        sys.exit(0)
    print(one(fd, off, n, direct, versions(a[3:])))
    os.close(fd)
else:
    path, secs, lo, hi, n, reopen = sys.argv[2], float(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7] == "1"
    vs = versions(sys.argv[8:])
    counts, fd, end, fails = {}, None, time.time() + secs, 0
    step = n // 2
    while time.time() < end and fails < 50:
        try:
            if fd is None or reopen:
                if fd is not None:
                    os.close(fd)
                    fd = None
                fd = opn(path, True)
        except OSError as e:
            k = "open:" + errno.errorcode.get(e.errno, str(e.errno))
            counts[k] = counts.get(k, 0) + 1
            break
        off = lo + step * random.randrange((hi - lo - n) // step + 1)
        k = one(fd, off, n, True, vs)
        counts[k] = counts.get(k, 0) + 1
        fails = fails + 1 if k not in [v[0] for v in vs] else 0
    print(" ".join("%s=%d" % kv for kv in sorted(counts.items())))
