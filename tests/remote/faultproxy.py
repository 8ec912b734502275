#!/usr/bin/python3
"""faultproxy.py - an HTTP/1.1 proxy for zarrfs's fault tests (python3 stdlib).

Forwards GET and HEAD to --upstream with their headers (Host, Range,
If-Match, the signature: a signed S3 request stays valid) and answers with
the upstream's status, Content-Length, Content-Range, Last-Modified, ETag and
body - except for the requests it is told to spoil:

  faultproxy.py --upstream http://127.0.0.1:PORT [--port 0] --control FILE
                [--log FILE]

FILE holds "MODE EVERY [ARG]" and is read on every request (so a test can
change the fault without restarting); every EVERY-th request counted from
the last change (EVERY = 1: all of them) gets MODE:

  none        no fault
  500         HTTP 500
  503         HTTP 503 with "Retry-After: ARG" (seconds, default 1)
  drop        the connection closed before any reply
  truncate    the right headers (Content-Length of the whole reply), then
              half the body, then the connection closed
  slow        the reply after sleeping ARG seconds (default 5)
  stall       the headers, half the body, then ARG seconds (default 5) of
              silence before the rest
  wrongrange  a 206 whose Content-Range and body start one byte later than
              asked (a server bug the client must notice)
  fullbody    a 200 with the whole object, the Range ignored
  strip-if-match  If-Match and If-Unmodified-Since removed from the request
              (a server that ignores preconditions)
  no-etag     the reply's ETag removed (a server without ETags: only
              Last-Modified tells versions apart)

Metadata documents (zarr.json, .zarray, .zgroup, .zattrs, .zmetadata) and S3
listings are never spoiled, so a mount always starts; chunks and shards are.  The first line
on stdout is "PORT <n>".  --log appends "METHOD PATH RANGE -> WHAT" lines.
"""

import argparse
import http.client
import http.server
import os
import sys
import threading
import time
import urllib.parse


METADATA = ("zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata")
HOP_BY_HOP = ("connection", "keep-alive", "proxy-connection", "te", "trailer",
              "transfer-encoding", "upgrade")


class State:
    def __init__(self, control, log):
        self.control = control
        self.log = log
        self.lock = threading.Lock()
        self.key = None
        self.count = 0

    def fault(self, path):
        """The fault for this request: (mode, arg) or ("none", None)."""
        try:
            with open(self.control) as f:
                words = f.read().split()
        except OSError:
            words = []
        mode = words[0] if words else "none"
        every = int(words[1]) if len(words) > 1 else 1
        arg = words[2] if len(words) > 2 else None
        listing = "list-type=" in path  # an S3 listing: metadata too
        if mode == "none" or path.split("?")[0].endswith(METADATA) or listing:
            return "none", None
        with self.lock:
            if self.key != words:
                self.key = words
                self.count = 0
            self.count += 1
            hit = self.count % max(every, 1) == 0
        return (mode, arg) if hit else ("none", None)

    def note(self, line):
        if self.log:
            with self.lock, open(self.log, "a") as f:
                f.write(line + "\n")


def make_handler(state, upstream):
    up = urllib.parse.urlsplit(upstream)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def fetch(self, method, rng, strip=()):
            c = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in HOP_BY_HOP + strip + ("range",)}
            if rng:
                headers["Range"] = rng
            c.request(method, self.path, headers=headers)
            r = c.getresponse()
            body = r.read() if method == "GET" else b""
            hdrs = {k: v for k, v in r.getheaders()
                    if k.lower() in ("content-length", "content-range",
                                     "last-modified", "content-type", "etag")}
            c.close()
            return r.status, hdrs, body

        def reply(self, status, hdrs, body, send_body=True):
            self.send_response(status)
            for k, v in hdrs.items():
                self.send_header(k, v)
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def handle_any(self, method):
            rng = self.headers.get("Range")
            mode, arg = state.fault(self.path)
            state.note("%s %s %s -> %s" % (method, self.path, rng or "-", mode))
            if mode == "drop":
                self.close_connection = True
                return
            if mode in ("500", "503"):
                body = b"<Error><Code>InternalError</Code></Error>"
                hdrs = {"Content-Length": str(len(body))}
                if mode == "503":
                    hdrs["Retry-After"] = arg or "1"
                self.reply(int(mode), hdrs, body, method == "GET")
                return
            if mode == "slow":
                time.sleep(float(arg or 5))
            if mode == "fullbody":
                rng = None
            real = rng
            if mode == "wrongrange" and rng and rng.startswith("bytes=") \
                    and not rng.startswith("bytes=-"):
                a, b = rng[6:].split("-")
                real = "bytes=%d-%s" % (int(a) + 1, b)
            strip = ("if-match", "if-unmodified-since") \
                if mode == "strip-if-match" else ()
            status, hdrs, body = self.fetch(method, real, strip)
            if mode == "no-etag":
                hdrs = {k: v for k, v in hdrs.items() if k.lower() != "etag"}
            if method == "HEAD":
                self.reply(status, hdrs, b"", False)
                return
            if mode == "truncate" and len(body) > 1:
                self.reply(status, hdrs, body[:len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if mode == "stall" and len(body) > 1:
                self.reply(status, hdrs, body[:len(body) // 2])
                self.wfile.flush()
                time.sleep(float(arg or 5))
                self.wfile.write(body[len(body) // 2:])
                return
            self.reply(status, hdrs, body)

        def do_GET(self):
            try:
                self.handle_any("GET")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def do_HEAD(self):
            try:
                self.handle_any("HEAD")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--control", required=True)
    ap.add_argument("--log")
    a = ap.parse_args()
    state = State(a.control, a.log)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port),
                                          make_handler(state, a.upstream))
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
