#!/usr/bin/python3
"""s3probe.py - does an S3 server behave like S3 on what zarrfs uses?

    s3probe.py ENDPOINT ACCESS_KEY SECRET_KEY [REGION]

Asks the server at ENDPOINT (http://host:port) with raw HTTP requests,
signed by the independent SigV4 signer of test_s3server.py (which is checked
against AWS's published examples there), and prints one line a claim,
"ok: ..." or "FAIL: ...":

  - a correctly signed request is served; a wrong secret and a date 20
    minutes old are refused with 403 and an S3 error body (Code);
  - ETags: a single PUT's is the MD5 of the body; a 3-part multipart
    upload's is "MD5-of-the-part-MD5s-3";
  - ListObjectsV2 of 1,100 keys comes in pages of at most 1,000, joined by
    continuation tokens;
  - a missing key is 404 NoSuchKey (XML body); a range past the end is 416
    InvalidRange; a suffix range gives the last bytes, and one longer than
    the object gives the whole object; a range reply carries the ETag;
  - If-Match with another ETag is 412, with the right one 206;
  - If-Unmodified-Since before the object's time is 412;
  - a public-read bucket policy lets unsigned GETs and listings through,
    and an unsigned GET of a private bucket is 403.

The bucket "probe-<pid>" (and "probe-<pid>-pub") is made and left behind.
Used to choose the server of the tests (ARCHITECTURE.md, "Testing remote
stores") and by tests/sh/s3server_probe.sh to keep that choice true.  Exit
status: the number of failed claims (0 = all hold).
"""

import hashlib
import http.client
import json
import os
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_s3server import sign  # noqa: E402

EP, AK, SK = sys.argv[1], sys.argv[2], sys.argv[3]
REGION = sys.argv[4] if len(sys.argv) > 4 else "us-east-1"
U = urllib.parse.urlsplit(EP)
HOST = U.netloc
FAILS = 0


def req(method, path, params=(), headers=None, body=b"", sk=SK, now=None,
        signed=True):
    headers = dict(headers or {})
    headers["host"] = HOST
    payload = hashlib.sha256(body).hexdigest()
    if signed:
        target, h = sign(method, path, list(params), headers, AK, sk, REGION,
                         now=now, payload=payload)
    else:
        target = urllib.parse.quote(path, safe="/-_.~")
        if params:
            target += "?" + urllib.parse.urlencode(list(params))
        h = headers
    c = http.client.HTTPConnection(U.hostname, U.port, timeout=30)
    c.request(method, target, body=body or None, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def code_of(body):
    try:
        return ET.fromstring(body).findtext("Code") or ""
    except ET.ParseError:
        return ""


def claim(ok, what, detail=""):
    global FAILS
    if ok:
        print("ok: %s%s" % (what, (" (" + detail + ")") if detail else ""))
    else:
        FAILS += 1
        print("FAIL: %s%s" % (what, (": " + detail) if detail else ""))


def strip_ns(body):
    return body.replace(b' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"', b"")


def main():
    b = "probe-%d" % os.getpid()
    st, _, body = req("PUT", "/" + b)
    claim(st == 200, "signed CreateBucket", "HTTP %d %s" % (st, body[:200]))
    st, _, body = req("GET", "/" + b, [("list-type", "2")], sk="wrong")
    claim(st == 403 and code_of(body) == "SignatureDoesNotMatch",
          "a wrong secret is refused", "HTTP %d %s" % (st, code_of(body)))
    st, _, body = req("GET", "/" + b, [("list-type", "2")], now=time.time() - 1200)
    claim(st == 403 and code_of(body) == "RequestTimeTooSkewed",
          "a date 20 minutes old is refused", "HTTP %d %s" % (st, code_of(body)))

    data = bytes(range(256)) * 40  # 10240 bytes
    st, h, _ = req("PUT", "/%s/obj" % b, body=data)
    etag = h.get("etag", "")
    claim(st == 200 and etag == '"%s"' % hashlib.md5(data).hexdigest(),
          "a PUT's ETag is the body's MD5", etag)

    parts = [os.urandom(5 << 20), os.urandom(5 << 20), os.urandom(1000)]
    st, _, body = req("POST", "/%s/multi" % b, [("uploads", "")])
    uid = ET.fromstring(strip_ns(body)).findtext("UploadId") if st == 200 else None
    tags = []
    for i, p in enumerate(parts):
        st, h, _ = req("PUT", "/%s/multi" % b,
                       [("partNumber", str(i + 1)), ("uploadId", uid or "")], body=p)
        tags.append(h.get("etag", ""))
    xml = "<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(
        "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % (i + 1, t)
        for i, t in enumerate(tags))
    st, _, body = req("POST", "/%s/multi" % b, [("uploadId", uid or "")],
                      body=xml.encode())
    want = '"%s-3"' % hashlib.md5(b"".join(
        hashlib.md5(p).digest() for p in parts)).hexdigest()
    st, h, _ = req("HEAD", "/%s/multi" % b)
    claim(h.get("etag") == want, "a 3-part multipart upload's ETag is "
          "MD5(part MD5s)-3", "%s, want %s" % (h.get("etag"), want))

    for i in range(1100):
        req("PUT", "/%s/many/k%04d" % (b, i), body=b"x")
    keys, pages, token = [], 0, None
    while True:
        params = [("list-type", "2"), ("prefix", "many/")]
        if token:
            params.append(("continuation-token", token))
        st, _, body = req("GET", "/" + b, params)
        root = ET.fromstring(strip_ns(body))
        page = [e.findtext("Key") for e in root.findall("Contents")]
        keys += page
        pages += 1
        if len(page) > 1000 or root.findtext("IsTruncated") != "true" or pages > 5:
            break
        token = root.findtext("NextContinuationToken")
    claim(len(keys) == 1100 and len(set(keys)) == 1100 and pages == 2,
          "ListObjectsV2 of 1,100 keys: pages of at most 1,000",
          "%d keys in %d pages" % (len(keys), pages))

    st, _, body = req("GET", "/%s/nosuch" % b)
    claim(st == 404 and code_of(body) == "NoSuchKey", "a missing key: 404 "
          "NoSuchKey with an XML body", "HTTP %d %r" % (st, body[:120]))
    st, _, body = req("GET", "/%s/obj" % b, headers={"range": "bytes=20000-20010"})
    claim(st == 416 and code_of(body) == "InvalidRange", "a range past the "
          "end: 416 InvalidRange", "HTTP %d %s" % (st, code_of(body)))
    st, h, body = req("GET", "/%s/obj" % b, headers={"range": "bytes=-100"})
    claim(st == 206 and body == data[-100:] and
          h.get("content-range") == "bytes 10140-10239/10240",
          "a suffix range: the last 100 bytes", "HTTP %d %s" % (st, h.get("content-range")))
    st, h, body = req("GET", "/%s/obj" % b, headers={"range": "bytes=-99999"})
    claim(st == 206 and body == data, "a suffix range longer than the object: "
          "all of it", "HTTP %d %s, %d bytes" % (st, h.get("content-range"), len(body)))
    st, h, body = req("GET", "/%s/obj" % b, headers={"range": "bytes=10-19"})
    claim(st == 206 and body == data[10:20] and h.get("etag") == etag,
          "a range reply: 206 with the ETag", "HTTP %d etag %s" % (st, h.get("etag")))

    st, _, body = req("GET", "/%s/obj" % b, headers={"range": "bytes=10-19",
                                                    "if-match": '"0123"'})
    claim(st == 412, "If-Match with another ETag: 412", "HTTP %d %s" % (st, code_of(body)))
    st, _, body = req("GET", "/%s/obj" % b, headers={"range": "bytes=10-19",
                                                    "if-match": etag})
    claim(st == 206 and body == data[10:20], "If-Match with its ETag: 206", "HTTP %d" % st)
    st, _, body = req("GET", "/%s/obj" % b, headers={
        "range": "bytes=10-19", "if-unmodified-since": "Sat, 01 Jan 2000 00:00:00 GMT"})
    claim(st == 412, "If-Unmodified-Since before the object's time: 412",
          "HTTP %d %s" % (st, code_of(body)))

    st, _, body = req("GET", "/%s/obj" % b, signed=False)
    claim(st == 403, "an unsigned GET of a private bucket: 403", "HTTP %d %s" % (st, code_of(body)))
    pub = b + "-pub"
    req("PUT", "/" + pub)
    req("PUT", "/%s/obj" % pub, body=data)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::%s" % pub, "arn:aws:s3:::%s/*" % pub]}]}
    st, _, body = req("PUT", "/" + pub, [("policy", "")], body=json.dumps(policy).encode())
    claim(st in (200, 204), "PutBucketPolicy (public read)", "HTTP %d %s" % (st, body[:200]))
    st, _, body = req("GET", "/%s/obj" % pub, signed=False, headers={"range": "bytes=0-9"})
    claim(st == 206 and body == data[:10], "an unsigned ranged GET of the public bucket",
          "HTTP %d %s" % (st, code_of(body)))
    st, _, body = req("GET", "/" + pub, [("list-type", "2")], signed=False)
    claim(st == 200 and b"<Key>obj</Key>" in body, "an unsigned ListObjectsV2 of the "
          "public bucket", "HTTP %d %s" % (st, code_of(body)))
    print("%d claims failed" % FAILS)
    return min(FAILS, 100)


if __name__ == "__main__":
    sys.exit(main())
