#!/usr/bin/python3
"""pq_query.py - one query of tools/bench/partial_query.sh against a mounted
float64 [SYMBOLS, N] file; prints the seconds it took and the sha256 of the
values it got (C order), so every way of asking can be compared.

usage: pq_query.py FILE SYMBOLS N KIND [DAY|SYMBOL]
prints: seconds, sha256, and the CPU seconds (user + sys) this reader took
  day-pread    one day of every symbol: one pread of 86400 values a symbol
  day-into     the same, read (preadv) into one buffer allocated and touched
               before the clock starts: the query without the reader's own
               first-touch page faults on 44 MB of fresh memory
  day-mmap     the same through numpy.memmap: a[:, day*86400:(day+1)*86400]
  day-threads  the same as day-pread, the symbols split over 4 threads
  column       one symbol, all days: 1 MiB reads in order
  whole        the whole file, 1 MiB reads in order (like dd bs=1M)
"""
import hashlib
import os
import resource
import sys
import threading
import time

import numpy as np

DAY = 86400
ITEM = 8


def preads(fd, spans):
    return [os.pread(fd, n, off) for off, n in spans]


def stream(fd, off, n, bs=1 << 20):
    out, end = [], off + n
    while off < end:
        b = os.pread(fd, min(bs, end - off), off)
        if not b:
            break
        out.append(b)
        off += len(b)
    return b"".join(out)


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    path, symbols, n, kind = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    arg = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    day = [((s * n + arg * DAY) * ITEM, DAY * ITEM) for s in range(symbols)]
    fd = os.open(path, os.O_RDONLY)
    c0, t0 = cpu(), time.perf_counter()
    if kind == "day-pread":
        data = b"".join(preads(fd, day))
    elif kind == "day-into":
        size = DAY * ITEM
        buf = bytearray(symbols * size)  # zeroed, so touched, before t0
        view = memoryview(buf)
        c0, t0 = cpu(), time.perf_counter()
        for s, (off, _) in enumerate(day):
            os.preadv(fd, [view[s * size:(s + 1) * size]], off)
        data = buf  # hashed as it is: no copy on the clock
    elif kind == "day-mmap":
        a = np.memmap(path, dtype="<f8", mode="r", shape=(symbols, n))
        data = np.ascontiguousarray(a[:, arg * DAY:(arg + 1) * DAY]).tobytes()
    elif kind == "day-threads":
        parts = [None] * 4
        def work(i):
            parts[i] = preads(fd, day[i::4])
        ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        data = b"".join(parts[s % 4][s // 4] for s in range(symbols))
    elif kind == "column":
        data = stream(fd, arg * n * ITEM, n * ITEM)
    elif kind == "whole":
        data = stream(fd, 0, symbols * n * ITEM)
    else:
        sys.exit(f"unknown query {kind}")
    secs, cpus = time.perf_counter() - t0, cpu() - c0
    os.close(fd)
    print(f"{secs:.4f} {hashlib.sha256(data).hexdigest()} {cpus:.3f}")


main()
