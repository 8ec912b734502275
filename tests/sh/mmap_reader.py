"""mmap_reader.py - one mapping process of tests/sh/mount_mmap.sh.

    mmap_reader.py FILE shared|private OLD NEW CTRL TTL

Maps FILE once (MAP_SHARED, or MAP_PRIVATE writable) and reads it whole,
pass after pass, until the store's replacement has shown; every pass copies
the mapping and checks every byte by 4 KiB chunk (one chunk a page, see the
test): each chunk must equal its bytes in OLD or in NEW, never a mix and
never anything else.  CTRL is a folder the test and the readers write to:
  - before CTRL/replacing exists, every chunk must be OLD's; after its
    first pass a reader writes CTRL/ready.PID, and once it has seen
    CTRL/replacing (its passes of OLD alone are over) CTRL/ack.PID: the
    test renames the shards over only after every reader's ack;
  - once CTRL/replaced exists, a pass must show all of NEW within
    4 * TTL + 10 s (the refresher drops the mapped pages), and no chunk may
    go back to OLD's after that;
  - private: the mapping is then written, which must not reach the file.
Prints "ok: ..." or "FAIL: ..." lines (counted by the test); exits 0 or 1.
"""
import mmap
import os
import sys
import time

import numpy as np

CHUNK = 4096

path, kind, old_path, new_path, ctrl, ttl = sys.argv[1:7]
ttl = float(ttl)
who = "%s pid %d" % (kind, os.getpid())
old = np.fromfile(old_path, dtype=np.uint8).reshape(-1, CHUNK)
new = np.fromfile(new_path, dtype=np.uint8).reshape(-1, CHUNK)


def fail(msg):
    print("FAIL: %s: %s" % (who, msg), flush=True)
    sys.exit(1)


fd = os.open(path, os.O_RDONLY)
if kind == "shared":
    m = mmap.mmap(fd, 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
else:
    m = mmap.mmap(fd, 0, flags=mmap.MAP_PRIVATE,
                  prot=mmap.PROT_READ | mmap.PROT_WRITE)
if len(m) != old.size:
    fail("mapped %d bytes, expected %d" % (len(m), old.size))
view = np.frombuffer(m, dtype=np.uint8).reshape(-1, CHUNK)


def signal(what):
    """Tells the test: CTRL/WHAT.PID."""
    open(os.path.join(ctrl, "%s.%d" % (what, os.getpid())), "w").close()


def runs(c, got):
    """The chunk's bytes in runs: old, new, zero or other, by offset."""
    what = np.where(got == new[c], 1, np.where(got == old[c], 0,
                    np.where(got == 0, 2, 3)))
    names = ("old", "new", "zero", "other")
    cuts = np.flatnonzero(np.diff(what)) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [CHUNK]))
    return ", ".join("%s %d..%d" % (names[what[a]], c * CHUNK + a,
                                      c * CHUNK + b - 1)
                     for a, b in list(zip(starts, ends))[:8])


def classify(c, got):
    """0 old, 1 new, 2 a mix of the two, 3 other bytes."""
    if (got == old[c]).all():
        return 0
    if (got == new[c]).all():
        return 1
    return 2 if ((got == old[c]) | (got == new[c])).all() else 3


def one_pass():
    """(is_old, is_new) by chunk, of one copy of the whole mapping."""
    global tears
    got = view.copy()  # (every page faulted, every byte read)
    is_old = (got == old).all(axis=1)
    is_new = (got == new).all(axis=1)
    for c in np.flatnonzero(~(is_old | is_new)):
        # A copy is not atomic: a page the refresher drops while it runs
        # is read again, new, for the rest of the copy (and memcpy loads a
        # large copy's last 128 bytes first).  Such a torn copy of an old
        # and a new page shows pure when read again at once; a page that
        # holds a mix stays mixed.
        for _ in range(3):
            again = view[c].copy()
            k = classify(c, again)
            if k < 2:
                tears += 1
                is_old[c], is_new[c] = k == 0, k == 1
                break
        else:
            fail("chunk %d (bytes %d..%d) is neither the old nor the new "
                 "one, read 4 times: %s" % (c, c * CHUNK, (c + 1) * CHUNK - 1,
                                           runs(c, again)))
    return is_old, is_new


differ = (old != new).any(axis=1)  # the chunks the replacement changes
passes = before = 0
seen_new_at = deadline = None
acked = False
tears = 0
while True:
    replacing = os.path.exists(os.path.join(ctrl, "replacing"))
    replaced_at = time.monotonic() if os.path.exists(
        os.path.join(ctrl, "replaced")) else None
    is_old, is_new = one_pass()
    passes += 1
    if not replacing:
        before += 1
        if not is_old.all():
            fail("before the replacement, chunk %d is not the old one"
                 % int(np.flatnonzero(~is_old)[0]))
        if before == 1:
            signal("ready")
        continue
    if not acked:  # (every pass of the old bytes alone is over)
        signal("ack")
        acked = True
    if seen_new_at is not None:
        back = differ & is_old
        if back.any():
            fail("chunk %d went back to its old bytes after the new ones "
                 "showed" % int(np.flatnonzero(back)[0]))
        if passes - seen_new_at >= 3:
            break
        continue
    if is_new.all():
        seen_new_at = passes
        continue
    if replaced_at is not None:
        if deadline is None:
            deadline = replaced_at + 4 * ttl + 10
        if time.monotonic() > deadline:
            fail("%d of %d replaced chunks still old %.1f s after the "
                 "replacement" % (int((differ & is_old).sum()),
                                  int(differ.sum()), 4 * ttl + 10))
if before == 0:
    fail("no pass ran before the replacement")

if kind == "private":
    # A private mapping's writes are its own: the file keeps its bytes.
    view[0, :8] = 0xEE
    if bytes(m[:8]) != b"\xee" * 8:
        fail("a write to the private mapping did not show in it")
    if os.pread(fd, CHUNK, 0) != new[0].tobytes():
        fail("a write to a private mapping reached the file")
print("ok: %s: %d passes (%d before the replacement), every chunk old or "
      "new, all new after it (%d torn copies read again)"
      % (who, passes, before, tears), flush=True)
del view
m.close()
os.close(fd)
