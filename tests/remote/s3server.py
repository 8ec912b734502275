#!/usr/bin/python3
"""s3server.py - a small S3-compatible, read-only HTTP server for zarrfs's tests.

Serves a folder as S3 bucket(s) on 127.0.0.1 (python3 standard library only):

  s3server.py --root DIR [--bucket NAME] [--port 0] [--access-key AK
              --secret-key SK [--session-token T]] [--anonymous-ok] ...

  * --root DIR: every sub-folder of DIR is a bucket; with --bucket NAME, DIR
    itself is the one bucket NAME.
  * Addressing: path style (/bucket/key) and virtual-host style (Host:
    bucket.localhost:PORT; the domain is --vhost-domain).  --style virtual
    treats every request as virtual-host style, for the --bucket when the Host
    names none (an endpoint such as http://127.0.0.1:PORT/key).
  * GET and HEAD of objects: Content-Length, Last-Modified, ETag (MD5 of the
    content; for files over 16 MiB a multipart-looking "...-1" tag), one
    Range (bytes=a-b, a-, -n) -> 206 + Content-Range, a range that starts
    past the end -> 416 InvalidRange with "Content-Range: bytes */SIZE", an
    unparsable or multi-range Range is ignored (200, as S3 does).
  * ListObjectsV2 (GET /bucket?list-type=2): prefix, delimiter, max-keys
    (default and cap 1000), continuation-token, start-after,
    encoding-type=url; keys in UTF-8 byte order; Contents then CommonPrefixes.
    GET /bucket?location, HEAD /bucket, GET / (ListBuckets) too.
  * Errors as S3 writes them: <Error><Code>NoSuchKey</Code>... (NoSuchBucket,
    InvalidRange, AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId,
    InvalidToken, RequestTimeTooSkewed, AuthorizationHeaderMalformed,
    XAmzContentSHA256Mismatch, MethodNotAllowed, NotImplemented, SlowDown).
  * Signature V4: with --access-key/--secret-key every signed request is
    verified the way S3 does it (header-based "AWS4-HMAC-SHA256" auth: the
    canonical request rebuilt from the request as received - the path as
    sent, decoded and encoded once per segment, no normalisation; the query
    sorted and encoded; the signed headers' values trimmed; x-amz-content-
    sha256 required and checked against the body; every x-amz-* header
    present must be signed; x-amz-date within --max-skew seconds; the
    credential scope's date, region and service "s3" checked); a wrong
    signature is 403 SignatureDoesNotMatch, whose body carries the
    CanonicalRequest and StringToSign the server computed (as S3's does).
    Unsigned requests are 403 AccessDenied unless --anonymous-ok.  Without
    keys, every request is accepted and signatures are not looked at.
    Query-string (presigned) auth is not supported.  With --session-token,
    requests must carry it in x-amz-security-token.  Note: a '+' in the query
    is a plus (send spaces as %20), as the AWS SDKs encode.
  * Keys with "", "." or ".." segments, and symbolic links that leave the
    bucket's folder, are never served (404).
  * Test aids: --fail-every N answers every Nth request 503 SlowDown;
    --log FILE appends "METHOD TARGET range=R -> STATUS BYTES" per request
    (BYTES: the body length announced), written before the response goes out.

The first line on stdout is "PORT <n>" (the port bound; use --port 0 for a
free one), flushed; the server then runs until killed.

Why not s3rver (npm, 3.7.1)?  Its authentication middleware parses SigV4
Authorization headers but never computes the signature ("Signature version 4
calculation is unimplemented" in lib/middleware/authentication.js): any V4
signature by a known access key is accepted, and unsigned requests pass.  It
cannot catch a signing bug, which is the point of this server.
"""

import argparse
import base64
import calendar
import email.utils
import hashlib
import hmac
import http.server
import os
import re
import socketserver
import sys
import threading
import time
import urllib.parse
import uuid

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_UNRESERVED = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"

# ---------------------------------------------------------------------------
# Signature V4, server side.


def uri_encode(data, keep_slash=False):
    """SigV4's encoding of bytes (or str, as UTF-8): unreserved kept, the rest
    %XX upper case; '/' kept when keep_slash."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    out = []
    for b in data:
        if b in _UNRESERVED or (keep_slash and b == 0x2F):
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def canonical_uri(raw_path):
    """The canonical URI of a path as sent: each '/'-separated segment decoded
    and encoded once (S3: no dot-segment or '//' normalisation)."""
    if raw_path == "":
        return "/"
    return "/".join(uri_encode(urllib.parse.unquote_to_bytes(seg))
                    for seg in raw_path.split("/"))


def canonical_query(raw_query):
    """The canonical query string of a raw query: parameters sorted by encoded
    name, then value; a parameter without '=' has the value ''."""
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, eq, value = part.partition("=")
        pairs.append((uri_encode(urllib.parse.unquote_to_bytes(name)),
                      uri_encode(urllib.parse.unquote_to_bytes(value))))
    pairs.sort()
    return "&".join("%s=%s" % p for p in pairs)


def _trim(value):
    return " ".join(value.split())


def canonical_request(method, raw_path, raw_query, headers, signed_headers,
                      payload_hash):
    """headers: (name, value) pairs as received; signed_headers: the list of
    lower-case names the client signed.  Raises KeyError(name) for a signed
    header the request does not carry."""
    lines = []
    for name in signed_headers:
        values = [_trim(v) for (n, v) in headers if n.lower() == name]
        if not values:
            raise KeyError(name)
        lines.append("%s:%s\n" % (name, ",".join(values)))
    return "\n".join([method, canonical_uri(raw_path),
                      canonical_query(raw_query), "".join(lines),
                      ";".join(signed_headers), payload_hash])


def signing_key(secret, day, region, service):
    k = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def string_to_sign(amz_date, scope, canonical):
    return "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                      hashlib.sha256(canonical.encode("utf-8",
                                                      "surrogateescape")).hexdigest()])


def compute_signature(secret, amz_date, region, service, canonical):
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    sts = string_to_sign(amz_date, scope, canonical)
    sig = hmac.new(signing_key(secret, amz_date[:8], region, service),
                   sts.encode(), hashlib.sha256).hexdigest()
    return sig, sts


class S3Error(Exception):
    """An S3 error response: HTTP status, Code, Message, extra elements."""

    def __init__(self, status, code, message, **extra):
        super().__init__("%s: %s" % (code, message))
        self.status, self.code, self.message, self.extra = \
            status, code, message, extra


_AMZ_DATE = re.compile(r"^\d{8}T\d{6}Z$")


class Verifier:
    """Checks SigV4 header auth of one request the way S3 does."""

    def __init__(self, access_key, secret_key, session_token=None,
                 region="us-east-1", service="s3", max_skew=900):
        self.access_key, self.secret_key = access_key, secret_key
        self.session_token = session_token
        self.region, self.service, self.max_skew = region, service, max_skew

    def verify(self, method, raw_path, raw_query, headers, body=b"",
               now=None):
        """Returns True for a valid signed request, False for an unsigned
        one; raises S3Error otherwise.  headers: (name, value) pairs."""
        def get_all(name):
            return [v for (n, v) in headers if n.lower() == name]

        query_names = {p.partition("=")[0] for p in raw_query.split("&")}
        if "X-Amz-Algorithm" in query_names or "Signature" in query_names:
            raise S3Error(403, "AccessDenied",
                          "Query-string authentication is not supported by "
                          "this test server")
        auths = get_all("authorization")
        if not auths:
            return False
        if len(auths) > 1:
            raise S3Error(400, "InvalidArgument",
                          "More than one Authorization header")
        auth = auths[0].strip()
        algo, _, rest = auth.partition(" ")
        if algo != "AWS4-HMAC-SHA256":
            raise S3Error(400, "InvalidArgument",
                          "Unsupported Authorization Type",
                          ArgumentName="Authorization", ArgumentValue=auth)
        parts = {}
        for comp in rest.split(","):
            k, eq, v = comp.strip().partition("=")
            if not eq or k in parts:
                raise S3Error(400, "AuthorizationHeaderMalformed",
                              "The authorization header is malformed: %r"
                              % comp)
            parts[k] = v
        if set(parts) != {"Credential", "SignedHeaders", "Signature"}:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; it "
                          "requires three components: Credential, "
                          "SignedHeaders, and Signature.")
        cred = parts["Credential"].split("/")
        if len(cred) != 5 or cred[4] != "aws4_request":
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; the "
                          "Credential is mal-formed; expecting "
                          "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        akid, day, region, service, _ = cred
        if akid != self.access_key:
            raise S3Error(403, "InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist "
                          "in our records.", AWSAccessKeyId=akid)
        if region != self.region:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; the region "
                          "'%s' is wrong; expecting '%s'" % (region,
                                                             self.region),
                          Region=self.region)
        if service != self.service:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; incorrect "
                          "service '%s'. This endpoint belongs to '%s'."
                          % (service, self.service))
        dates = get_all("x-amz-date")
        if len(dates) != 1 or not _AMZ_DATE.match(dates[0].strip()):
            raise S3Error(403, "AccessDenied",
                          "AWS authentication requires a valid Date or "
                          "x-amz-date header")
        amz_date = dates[0].strip()
        try:
            t = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise S3Error(403, "AccessDenied",
                          "AWS authentication requires a valid Date or "
                          "x-amz-date header")
        if day != amz_date[:8]:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; Invalid "
                          "credential date. Date is not the same as "
                          "X-Amz-Date.")
        if self.max_skew:
            t_now = time.time() if now is None else now
            if abs(t_now - t) > self.max_skew:
                raise S3Error(403, "RequestTimeTooSkewed",
                              "The difference between the request time and "
                              "the current time is too large.",
                              RequestTime=amz_date,
                              ServerTime=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                       time.gmtime(t_now)),
                              MaxAllowedSkewMilliseconds=str(
                                  int(self.max_skew * 1000)))
        payloads = get_all("x-amz-content-sha256")
        if not payloads:
            raise S3Error(400, "InvalidRequest",
                          "Missing required header for this request: "
                          "x-amz-content-sha256")
        payload = payloads[0].strip()
        if payload != "UNSIGNED-PAYLOAD":
            if not re.fullmatch(r"[0-9a-f]{64}", payload):
                raise S3Error(400, "InvalidArgument",
                              "x-amz-content-sha256 must be UNSIGNED-PAYLOAD "
                              "or a valid sha256 value.",
                              ArgumentName="x-amz-content-sha256",
                              ArgumentValue=payload)
            actual = hashlib.sha256(body).hexdigest()
            if payload != actual:
                raise S3Error(400, "XAmzContentSHA256Mismatch",
                              "The provided 'x-amz-content-sha256' header "
                              "does not match what was computed.",
                              ClientComputedContentSHA256=payload,
                              S3ComputedContentSHA256=actual)
        signed = parts["SignedHeaders"].split(";")
        if any(not h or h != h.lower() for h in signed):
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; bad "
                          "SignedHeaders %r" % parts["SignedHeaders"])
        if "host" not in signed:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; "
                          "SignedHeaders must include host")
        unsigned = sorted({n.lower() for (n, _) in headers
                           if n.lower().startswith("x-amz-")} - set(signed))
        if unsigned:
            raise S3Error(403, "AccessDenied",
                          "There were headers present in the request which "
                          "were not signed",
                          HeadersNotSigned=", ".join(unsigned))
        tokens = [t.strip() for t in get_all("x-amz-security-token")]
        if self.session_token is not None or tokens:
            if tokens != [self.session_token]:
                raise S3Error(403, "InvalidToken",
                              "The provided token is malformed or otherwise "
                              "invalid.")
        try:
            canonical = canonical_request(method, raw_path, raw_query,
                                          headers, signed, payload)
        except KeyError as e:
            raise S3Error(403, "SignatureDoesNotMatch",
                          "The request signature we calculated does not "
                          "match the signature you provided: the signed "
                          "header %s is not in the request." % e)
        sig, sts = compute_signature(self.secret_key, amz_date, self.region,
                                     self.service, canonical)
        if not hmac.compare_digest(sig, parts["Signature"]):
            raise S3Error(403, "SignatureDoesNotMatch",
                          "The request signature we calculated does not "
                          "match the signature you provided. Check your key "
                          "and signing method.",
                          AWSAccessKeyId=akid, StringToSign=sts,
                          SignatureProvided=parts["Signature"],
                          CanonicalRequest=canonical)
        return True


# ---------------------------------------------------------------------------
# The bucket store.


def xml_escape(s):
    s = (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
         .replace('"', "&quot;").replace("'", "&apos;"))
    # Characters XML 1.0 cannot carry: written as U+FFFD.
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", s)


def error_xml(err, resource="", request_id=""):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<Error>',
           "<Code>%s</Code>" % xml_escape(err.code),
           "<Message>%s</Message>" % xml_escape(err.message)]
    for k, v in err.extra.items():
        out.append("<%s>%s</%s>" % (k, xml_escape(str(v)), k))
    if resource:
        out.append("<Resource>%s</Resource>" % xml_escape(resource))
    out.append("<RequestId>%s</RequestId></Error>" % request_id)
    return "".join(out).encode("utf-8", "surrogateescape")


def iso_time(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


class Buckets:
    def __init__(self, root, bucket=None):
        self.root = os.path.realpath(root)
        self.single = bucket
        self._etags = {}
        self._lock = threading.Lock()

    def names(self):
        if self.single:
            return [self.single]
        return sorted(n for n in os.listdir(self.root)
                      if os.path.isdir(os.path.join(self.root, n))
                      and not n.startswith("."))

    def folder(self, bucket):
        """The bucket's folder (real path), or None."""
        if self.single:
            return self.root if bucket == self.single else None
        if (not bucket or "/" in bucket or bucket in (".", "..")
                or bucket.startswith(".")):
            return None
        p = os.path.realpath(os.path.join(self.root, bucket))
        if os.path.dirname(p) != self.root or not os.path.isdir(p):
            return None
        return p

    @staticmethod
    def file(folder, key):
        """The regular file at key inside folder, or None."""
        parts = key.split("/")
        if any(p in ("", ".", "..") or "\x00" in p for p in parts):
            return None
        p = os.path.realpath(os.path.join(folder, *parts))
        if not p.startswith(folder + os.sep) or not os.path.isfile(p):
            return None
        return p

    def etag(self, path, st):
        ident = (path, st.st_size, st.st_mtime_ns, st.st_ino)
        with self._lock:
            tag = self._etags.get(ident)
        if tag:
            return tag
        if st.st_size > 16 << 20:
            tag = '"%s-1"' % hashlib.md5(repr(ident).encode()).hexdigest()
        else:
            h = hashlib.md5()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            tag = '"%s"' % h.hexdigest()
        with self._lock:
            self._etags[ident] = tag
        return tag

    def keys(self, folder):
        """(key, path, stat) of every object, sorted by UTF-8 bytes."""
        out = []
        for dirpath, dirnames, filenames in os.walk(folder):
            rel = os.path.relpath(dirpath, folder)
            for name in filenames:
                key = name if rel == "." else rel.replace(os.sep, "/") + "/" + name
                try:
                    key.encode("utf-8")
                except UnicodeEncodeError:
                    continue  # not valid UTF-8: S3 could not name it
                path = self.file(folder, key)
                if path:
                    out.append((key, path, os.stat(path)))
        out.sort(key=lambda e: e[0].encode("utf-8"))
        return out


def parse_query(raw_query):
    """Raw query -> {name: value}, decoded ('+' is a plus)."""
    out = {}
    for part in raw_query.split("&"):
        if part:
            n, _, v = part.partition("=")
            out[urllib.parse.unquote(n, errors="surrogateescape")] = \
                urllib.parse.unquote(v, errors="surrogateescape")
    return out


def _token(kind, name):
    return base64.urlsafe_b64encode(
        (kind + name).encode("utf-8", "surrogateescape")).decode()


def _untoken(tok):
    try:
        raw = base64.urlsafe_b64decode(tok.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        return None
    if raw[:1] not in ("K", "P"):
        return None
    return raw[0], raw[1:]


def list_v2(buckets, bucket, folder, q):
    """The ListObjectsV2 body for query q (a dict)."""
    prefix = q.get("prefix", "")
    delim = q.get("delimiter", "")
    enc = q.get("encoding-type")
    if enc not in (None, "url"):
        raise S3Error(400, "InvalidArgument", "Invalid Encoding Method "
                      "specified in Request", ArgumentName="encoding-type")
    try:
        max_keys = int(q.get("max-keys", "1000"))
        if max_keys < 0:
            raise ValueError
    except ValueError:
        raise S3Error(400, "InvalidArgument", "Provided max-keys not an "
                      "integer or within integer range",
                      ArgumentName="max-keys")
    max_keys = min(max_keys, 1000)
    after_kind, after = None, None
    if "continuation-token" in q:
        t = _untoken(q["continuation-token"])
        if t is None:
            raise S3Error(400, "InvalidArgument", "The continuation token "
                          "provided is incorrect",
                          ArgumentName="continuation-token")
        after_kind, after = t
    elif q.get("start-after"):
        after_kind, after = "K", q["start-after"]

    def e(s):
        return urllib.parse.quote_plus(s, safe="/") if enc else s

    def b(s):
        return s.encode("utf-8", "surrogateescape")

    items = []  # ("K", key, stat, path) / ("P", prefix)
    truncated = False
    for key, path, st in buckets.keys(folder):
        if not key.startswith(prefix):
            continue
        if after is not None:
            if b(key) <= b(after):
                continue
            if after_kind == "P" and key.startswith(after):
                continue
        item = ("K", key, st, path)
        if delim:
            i = key.find(delim, len(prefix))
            if i >= 0:
                cp = key[:i + len(delim)]
                if items and items[-1][0] == "P" and items[-1][1] == cp:
                    continue
                item = ("P", cp)
        if len(items) >= max_keys:
            truncated = True
            break
        items.append(item)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<ListBucketResult xmlns="%s">' % S3_NS,
           "<Name>%s</Name>" % xml_escape(bucket),
           "<Prefix>%s</Prefix>" % xml_escape(e(prefix))]
    if delim:
        out.append("<Delimiter>%s</Delimiter>" % xml_escape(e(delim)))
    out.append("<MaxKeys>%d</MaxKeys>" % max_keys)
    if enc:
        out.append("<EncodingType>url</EncodingType>")
    out.append("<KeyCount>%d</KeyCount>" % len(items))
    out.append("<IsTruncated>%s</IsTruncated>" %
               ("true" if truncated else "false"))
    if "continuation-token" in q:
        out.append("<ContinuationToken>%s</ContinuationToken>"
                   % xml_escape(q["continuation-token"]))
    if truncated:
        last = items[-1]
        out.append("<NextContinuationToken>%s</NextContinuationToken>"
                   % _token(last[0], last[1]))
    if "start-after" in q:
        out.append("<StartAfter>%s</StartAfter>" % xml_escape(e(q["start-after"])))
    for it in items:
        if it[0] == "K":
            _, key, st, path = it
            out.append("<Contents><Key>%s</Key><LastModified>%s</LastModified>"
                       "<ETag>%s</ETag><Size>%d</Size>"
                       "<StorageClass>STANDARD</StorageClass></Contents>"
                       % (xml_escape(e(key)), iso_time(st.st_mtime),
                          xml_escape(buckets.etag(path, st)), st.st_size))
    for it in items:
        if it[0] == "P":
            out.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>"
                       % xml_escape(e(it[1])))
    out.append("</ListBucketResult>")
    return "".join(out).encode("utf-8", "surrogateescape")


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(value, size):
    """None (serve everything), (start, end) inclusive, or raises the 416."""
    m = _RANGE.match(value.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None  # unparsable or multi-range: ignored, as S3 does
    a, z = m.group(1), m.group(2)
    if not a:
        n = int(z)
        if n == 0 or size == 0:
            raise_416(value, size)
        return max(0, size - n), size - 1
    a = int(a)
    if z and int(z) < a:
        return None
    if a >= size:
        raise_416(value, size)
    return a, min(int(z), size - 1) if z else size - 1


def raise_416(value, size):
    raise S3Error(416, "InvalidRange", "The requested range is not "
                  "satisfiable", RangeRequested=value,
                  ActualObjectSize=str(size))


# ---------------------------------------------------------------------------
# HTTP.


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "s3server.py"

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.server.opts.verbose:
            sys.stderr.write("s3server: " + (fmt % args) + "\n")

    def _log(self, status, nbytes):
        lf = self.server.log_file
        if lf:
            with self.server.lock:
                lf.write("%s %s range=%s -> %d %d\n" % (
                    self.command, self.path, self.headers.get("Range", "-"),
                    status, nbytes))
                lf.flush()

    def _send(self, status, headers, body=b"", body_file=None, length=None):
        self.send_response(status)
        self.send_header("x-amz-request-id", self.request_id)
        for k, v in headers:
            self.send_header(k, v)
        n = len(body) if length is None else length
        self.send_header("Content-Length", str(n))
        # Logged before the client can see the response, so that a test that
        # reads the log after its request finds the line.
        self._log(status, n if self.command != "HEAD" else 0)
        self.end_headers()
        sent = 0
        if self.command != "HEAD":
            try:
                if body_file is not None:
                    f, off = body_file
                    f.seek(off)
                    while sent < n:
                        chunk = f.read(min(1 << 20, n - sent))
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                        sent += len(chunk)
                    if sent < n:  # the file shrank: cut the connection
                        self.close_connection = True
                else:
                    self.wfile.write(body)
                    sent = len(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    def _error(self, err, resource=""):
        body = error_xml(err, resource, self.request_id)
        headers = [("Content-Type", "application/xml")]
        if err.status == 416:
            headers.append(("Content-Range", "bytes */%s"
                            % err.extra.get("ActualObjectSize", "*")))
        if err.status == 503:
            headers.append(("Retry-After", "0"))
        self._send(err.status, headers, body)

    def _read_body(self):
        n = self.headers.get("Content-Length")
        if not n:
            return b""
        try:
            n = int(n)
        except ValueError:
            raise S3Error(400, "InvalidArgument", "bad Content-Length")
        if n < 0 or n > 1 << 20:
            raise S3Error(400, "EntityTooLarge", "request body too large")
        return self.rfile.read(n)

    def _route(self):
        opts = self.server.opts
        target = self.path
        if target.startswith(("http://", "https://")):
            target = urllib.parse.urlsplit(target)._replace(
                scheme="", netloc="").geturl() or "/"
        raw_path, _, raw_query = target.partition("?")
        raw_path = raw_path.split("#", 1)[0]
        body = self._read_body()
        with self.server.lock:
            self.server.count += 1
            count = self.server.count
        if opts.fail_every and count % opts.fail_every == 0:
            raise S3Error(503, "SlowDown", "Please reduce your request rate.")
        ver = self.server.verifier
        if ver is not None:
            signed = ver.verify(self.command, raw_path, raw_query,
                                list(self.headers.items()), body)
            if not signed and not opts.anonymous_ok:
                raise S3Error(403, "AccessDenied", "Access Denied")
        if self.command not in ("GET", "HEAD"):
            raise S3Error(405, "MethodNotAllowed", "The specified method is "
                          "not allowed against this resource (read-only "
                          "test server).", Method=self.command)
        # Addressing.
        host = (self.headers.get("Host") or "").strip().lower()
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        suffix = "." + opts.vhost_domain
        path = urllib.parse.unquote(raw_path, errors="surrogateescape")
        if not path.startswith("/"):
            raise S3Error(400, "InvalidURI", "Couldn't parse the specified URI.")
        if opts.style != "path" and hostname.endswith(suffix) and \
                len(hostname) > len(suffix):
            bucket, key = hostname[:-len(suffix)], path[1:]
        elif opts.style == "virtual":
            bucket, key = opts.bucket, path[1:]
        else:
            bucket, _, key = path[1:].partition("/")
        q = parse_query(raw_query)
        if not bucket:
            return self._list_buckets()
        folder = self.server.buckets.folder(bucket)
        if folder is None:
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not "
                          "exist", BucketName=bucket)
        if key == "":
            if self.command == "HEAD":
                return self._send(200, [("x-amz-bucket-region", opts.region)])
            if "location" in q:
                body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                        '<LocationConstraint xmlns="%s">%s</LocationConstraint>'
                        % (S3_NS, "" if opts.region == "us-east-1"
                           else xml_escape(opts.region))).encode()
                return self._send(200, [("Content-Type", "application/xml")],
                                  body)
            if q.get("list-type") != "2":
                raise S3Error(501, "NotImplemented", "Only ListObjectsV2 "
                              "(list-type=2) is implemented here")
            body = list_v2(self.server.buckets, bucket, folder, q)
            return self._send(200, [("Content-Type", "application/xml")], body)
        return self._object(folder, bucket, key)

    def _list_buckets(self):
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
               '<ListAllMyBucketsResult xmlns="%s"><Owner><ID>s3server</ID>'
               '</Owner><Buckets>' % S3_NS]
        for n in self.server.buckets.names():
            out.append("<Bucket><Name>%s</Name><CreationDate>%s</CreationDate>"
                       "</Bucket>" % (xml_escape(n), iso_time(0)))
        out.append("</Buckets></ListAllMyBucketsResult>")
        self._send(200, [("Content-Type", "application/xml")],
                   "".join(out).encode("utf-8", "surrogateescape"))

    def _object(self, folder, bucket, key):
        path = Buckets.file(folder, key)
        if path is None:
            raise S3Error(404, "NoSuchKey", "The specified key does not "
                          "exist.", Key=key)
        try:
            f = open(path, "rb")
        except OSError:
            raise S3Error(404, "NoSuchKey", "The specified key does not "
                          "exist.", Key=key)
        with f:
            st = os.fstat(f.fileno())
            size = st.st_size
            headers = [("Last-Modified", email.utils.formatdate(
                            st.st_mtime, usegmt=True)),
                       ("ETag", self.server.buckets.etag(path, st)),
                       ("Accept-Ranges", "bytes"),
                       ("Content-Type", "application/octet-stream")]
            rng = self.headers.get("Range")
            r = parse_range(rng, size) if rng else None
            if r is None:
                return self._send(200, headers, body_file=(f, 0), length=size)
            a, z = r
            headers.append(("Content-Range", "bytes %d-%d/%d" % (a, z, size)))
            return self._send(206, headers, body_file=(f, a),
                              length=z - a + 1)

    def _handle(self):
        self.request_id = uuid.uuid4().hex[:16].upper()
        try:
            self._route()
        except S3Error as err:
            self._error(err, self.path)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # a bug here: say so, keep serving
            sys.stderr.write("s3server: internal error: %r\n" % (exc,))
            self._error(S3Error(500, "InternalError", "We encountered an "
                                "internal error: %r" % (exc,)), self.path)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _handle


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, help="the folder served")
    ap.add_argument("--bucket", help="serve --root itself as this bucket")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--style", choices=("auto", "path", "virtual"),
                    default="auto")
    ap.add_argument("--vhost-domain", default="localhost")
    ap.add_argument("--access-key")
    ap.add_argument("--secret-key")
    ap.add_argument("--session-token")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--anonymous-ok", action="store_true")
    ap.add_argument("--max-skew", type=float, default=900.0,
                    help="seconds; 0 disables the check")
    ap.add_argument("--fail-every", type=int, default=0)
    ap.add_argument("--log")
    ap.add_argument("--verbose", action="store_true")
    opts = ap.parse_args(argv)
    if bool(opts.access_key) != bool(opts.secret_key):
        ap.error("--access-key and --secret-key go together")
    if opts.style == "virtual" and not opts.bucket:
        ap.error("--style virtual needs --bucket")
    if not os.path.isdir(opts.root):
        ap.error("--root %s is not a folder" % opts.root)
    srv = Server((opts.host, opts.port), Handler)
    srv.opts = opts
    srv.lock = threading.Lock()
    srv.count = 0
    srv.buckets = Buckets(opts.root, opts.bucket)
    srv.verifier = (Verifier(opts.access_key, opts.secret_key,
                             opts.session_token, opts.region, "s3",
                             opts.max_skew) if opts.access_key else None)
    srv.log_file = open(opts.log, "a") if opts.log else None
    sys.stdout.write("PORT %d\n" % srv.server_address[1])
    sys.stdout.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
