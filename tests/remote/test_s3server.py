#!/usr/bin/python3
"""test_s3server.py - tests of tests/remote/s3server.py (unittest, stdlib).

1. The server's SigV4 verifier against AWS's published vectors: the SigV4 test
   suite (aws-c-auth's tests/aws-signing-test-suite/v4; canonical requests and
   signatures of the GET, "unnormalized"-path, session-token and body-less
   POST cases) and the S3 documentation's examples (GET Object with Range,
   GET Bucket lifecycle, List Objects), verified in full with their published
   Authorization headers - and refused once any signed part is changed.
2. A second, independent signer written here (encoding the way botocore does:
   the canonical form is the one sent), checked against the S3 GET Object
   example, then used against live servers: a correctly signed request is
   served, a wrong secret is 403 SignatureDoesNotMatch (with the server's
   CanonicalRequest), unsigned requests 403 unless --anonymous-ok, session
   tokens, ranges (206, 416, ignored), HEAD, 404s, ListObjectsV2 with
   prefixes, delimiters and paging by continuation token, keys with spaces
   and '+', virtual-host style, --style virtual, keys that try to leave the
   bucket, --fail-every and --log.

Run: /usr/bin/python3 tests/remote/test_s3server.py -v
"""

import calendar
import hashlib
import hmac
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import s3server  # noqa: E402

SERVER = os.path.join(HERE, "s3server.py")
EMPTY = s3server.EMPTY_SHA256
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"

# ---------------------------------------------------------------------------
# 1. The verifier against AWS's vectors.

SUITE_TIME = "20150830T123600Z"
SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
HOST = ("Host", "example.amazonaws.com")


def _can(method, uri, query, hdrs, signed):
    return "%s\n%s\n%s\n%s\n\n%s\n%s" % (method, uri, query, hdrs, signed,
                                         EMPTY)


# name, method, path as sent, query as sent, extra headers, token,
# canonical request (or None), signature
SUITE = [
    ("get-vanilla", "GET", "/", "", [], None,
     _can("GET", "/", "", "host:example.amazonaws.com\n"
          "x-amz-date:20150830T123600Z", "host;x-amz-date"),
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-vanilla-query-order-key-case", "GET", "/",
     "Param2=value2&Param1=value1", [], None,
     _can("GET", "/", "Param1=value1&Param2=value2",
          "host:example.amazonaws.com\nx-amz-date:20150830T123600Z",
          "host;x-amz-date"),
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("get-vanilla-query-order-encoded", "GET", "/",
     "Param-3=Value3&Param=Value2&%E1%88%B4=Value1", [], None,
     _can("GET", "/", "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
          "host:example.amazonaws.com\nx-amz-date:20150830T123600Z",
          "host;x-amz-date"),
     "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"),
    ("get-vanilla-query-unreserved", "GET", "/",
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     [], None, None,
     "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
    ("get-vanilla-utf8-query", "GET", "/", "%E1%88%B4=bar", [], None, None,
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
    ("get-vanilla-empty-query-key", "GET", "/", "Param1=value1", [], None,
     None, "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
    ("get-header-value-trim", "GET", "/", "",
     [("My-Header1", " value1"), ("My-Header2", ' "a   b   c"')], None,
     _can("GET", "/", "", 'host:example.amazonaws.com\nmy-header1:value1\n'
          'my-header2:"a b c"\nx-amz-date:20150830T123600Z',
          "host;my-header1;my-header2;x-amz-date"),
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    ("get-header-key-duplicate", "GET", "/", "",
     [("My-Header1", "value2"), ("My-Header1", "value2"),
      ("My-Header1", "value1")], None, None,
     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
    ("get-header-value-order", "GET", "/", "",
     [("My-Header1", "value4"), ("My-Header1", "value1"),
      ("My-Header1", "value3"), ("My-Header1", "value2")], None, None,
     "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
    ("get-unreserved", "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     "", [], None, None,
     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    ("get-utf8", "GET", "/%E1%88%B4", "", [], None,
     _can("GET", "/%E1%88%B4", "", "host:example.amazonaws.com\n"
          "x-amz-date:20150830T123600Z", "host;x-amz-date"),
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    ("get-space-unnormalized", "GET", "/example%20space/", "", [], None,
     None, "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
    ("get-slashes-unnormalized", "GET", "//example//", "", [], None, None,
     "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"),
    ("get-relative-unnormalized", "GET", "/example/..", "", [], None, None,
     "eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282"),
    ("get-slash-dot-slash-unnormalized", "GET", "/./", "", [], None, None,
     "68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145"),
    ("get-vanilla-with-session-token", "GET", "/", "", [],
     "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267", None,
     "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"),
    ("post-header-key-sort", "POST", "/", "", [("My-Header1", "value1")],
     None, None,
     "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
    ("post-header-value-case", "POST", "/", "", [("My-Header1", "VALUE1")],
     None, None,
     "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
]

S3_AK = "AKIAIOSFODNN7EXAMPLE"
S3_SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
S3_NOW = calendar.timegm((2013, 5, 24, 0, 0, 0))
S3_HOST = ("Host", "examplebucket.s3.amazonaws.com")


def s3_auth(signed, sig):
    return ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE"
            "/20130524/us-east-1/s3/aws4_request, SignedHeaders=%s, "
            "Signature=%s" % (signed, sig))


# The S3 documentation's GET examples: path, query, headers as sent.
S3_EXAMPLES = [
    ("GET Object", "/test.txt", "",
     [S3_HOST, ("Range", "bytes=0-9"), ("x-amz-content-sha256", EMPTY),
      ("x-amz-date", "20130524T000000Z"),
      s3_auth("host;range;x-amz-content-sha256;x-amz-date",
              "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")]),
    ("GET Bucket lifecycle", "/", "lifecycle",
     [S3_HOST, ("x-amz-content-sha256", EMPTY),
      ("x-amz-date", "20130524T000000Z"),
      s3_auth("host;x-amz-content-sha256;x-amz-date",
              "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")]),
    ("GET Bucket (List Objects)", "/", "max-keys=2&prefix=J",
     [S3_HOST, ("x-amz-content-sha256", EMPTY),
      ("x-amz-date", "20130524T000000Z"),
      s3_auth("host;x-amz-content-sha256;x-amz-date",
              "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")]),
]


class VerifierVectors(unittest.TestCase):
    def test_suite_canonical_requests_and_signatures(self):
        for (name, method, path, query, extra, token, can, sig) in SUITE:
            with self.subTest(name):
                headers = [HOST] + extra + [("X-Amz-Date", SUITE_TIME)]
                if token:
                    headers.append(("X-Amz-Security-Token", token))
                signed = sorted({n.lower() for n, _ in headers})
                got = s3server.canonical_request(method, path, query, headers,
                                                 signed, EMPTY)
                if can is not None:
                    self.assertEqual(got, can)
                s, _ = s3server.compute_signature(SUITE_SECRET, SUITE_TIME,
                                                  "us-east-1", "service", got)
                self.assertEqual(s, sig)

    def verifier(self, **kw):
        args = dict(region="us-east-1", service="s3", max_skew=900)
        args.update(kw)
        return s3server.Verifier(S3_AK, S3_SK, **args)

    def test_s3_examples_verify(self):
        v = self.verifier()
        for name, path, query, headers in S3_EXAMPLES:
            with self.subTest(name):
                self.assertTrue(v.verify("GET", path, query, headers,
                                         now=S3_NOW + 60))

    def expect(self, code, method, path, query, headers, v=None, now=S3_NOW):
        v = v or self.verifier()
        with self.assertRaises(s3server.S3Error) as cm:
            v.verify(method, path, query, headers, now=now)
        self.assertEqual(cm.exception.code, code, str(cm.exception))
        return cm.exception

    def test_s3_examples_tampered(self):
        name, path, query, headers = S3_EXAMPLES[0]

        def swap(h, name, value):
            return [(n, value if n == name else v) for n, v in h]

        auth = dict(headers)["Authorization"]
        bad_sig = auth[:-1] + ("0" if auth[-1] != "0" else "1")
        err = self.expect("SignatureDoesNotMatch", "GET", path, query,
                          swap(headers, "Authorization", bad_sig))
        self.assertIn("CanonicalRequest", err.extra)
        self.assertIn("range:bytes=0-9\n", err.extra["CanonicalRequest"])
        self.expect("SignatureDoesNotMatch", "GET", path, query,
                    swap(headers, "Range", "bytes=0-10"))
        self.expect("SignatureDoesNotMatch", "HEAD", path, query, headers)
        self.expect("SignatureDoesNotMatch", "GET", "/test.txx", query,
                    headers)
        self.expect("SignatureDoesNotMatch", "GET", path, "a=b", headers)
        self.expect("SignatureDoesNotMatch", "GET", path, query,
                    swap(headers, "Host", "other.s3.amazonaws.com"))
        self.expect("SignatureDoesNotMatch", "GET", path, query, headers,
                    v=s3server.Verifier(S3_AK, S3_SK + "x"))
        # The key, region, date, skew, payload and unsigned-header checks.
        self.expect("InvalidAccessKeyId", "GET", path, query, headers,
                    v=s3server.Verifier("AKIAOTHER", S3_SK))
        self.expect("AuthorizationHeaderMalformed", "GET", path, query,
                    headers, v=self.verifier(region="eu-west-1"))
        self.expect("RequestTimeTooSkewed", "GET", path, query, headers,
                    now=S3_NOW + 3600)
        self.expect("AuthorizationHeaderMalformed", "GET", path, query,
                    swap(headers, "x-amz-date", "20130525T000000Z"),
                    now=S3_NOW + 86400)
        self.expect("XAmzContentSHA256Mismatch", "GET", path, query,
                    swap(headers, "x-amz-content-sha256", "0" * 64))
        self.expect("InvalidRequest", "GET", path, query,
                    [h for h in headers if h[0] != "x-amz-content-sha256"])
        self.expect("AccessDenied", "GET", path, query,
                    headers + [("x-amz-meta-extra", "1")])
        self.expect("InvalidToken", "GET", path, query, headers,
                    v=self.verifier(session_token="tok"))
        self.expect("AccessDenied", "GET", path, query,
                    headers + [("x-amz-security-token", "tok")])
        signed_tok = swap(headers, "Authorization", auth.replace(
            "x-amz-date,", "x-amz-date;x-amz-security-token,"))
        self.expect("InvalidToken", "GET", path, query,
                    signed_tok + [("x-amz-security-token", "tok")])
        self.expect("AuthorizationHeaderMalformed", "GET", path, query,
                    swap(headers, "Authorization",
                         auth.replace("SignedHeaders=", "SignedHeadrs=")))
        self.expect("InvalidArgument", "GET", path, query,
                    swap(headers, "Authorization", "AWS AKIA:abc"))
        self.expect("AccessDenied", "GET", path,
                    "X-Amz-Algorithm=AWS4-HMAC-SHA256", headers)
        # Unsigned is not an error here: the server decides.
        self.assertFalse(self.verifier().verify("GET", path, query, [S3_HOST]))

    def test_canonical_forms(self):
        cu, cq = s3server.canonical_uri, s3server.canonical_query
        self.assertEqual(cu(""), "/")
        self.assertEqual(cu("/a%2Fb/c"), "/a%2Fb/c")
        self.assertEqual(cu("/a%2fb"), "/a%2Fb")
        self.assertEqual(cu("/%7euser/x!y"), "/~user/x%21y")
        self.assertEqual(cu("/100%"), "/100%25")
        self.assertEqual(cq("b&a=1"), "a=1&b=")
        self.assertEqual(cq("a=10&a=9"), "a=10&a=9")
        self.assertEqual(cq("q=a+b"), "q=a%2Bb")
        self.assertEqual(cq("a=1=2"), "a=1%3D2")
        self.assertEqual(cq("&&a=1&"), "a=1")


# ---------------------------------------------------------------------------
# 2. An independent signer, and live servers.


def q(s):
    return urllib.parse.quote(s, safe="-_.~")


def sign(method, key_path, params, headers, ak, sk, region="us-east-1",
         token=None, now=None, payload=EMPTY):
    """Signs like botocore: key_path is the unencoded path ('/bucket/a b'),
    params unencoded (name, value) pairs.  Returns (target, headers)."""
    amz = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now or time.time()))
    h = {k.lower(): v for k, v in headers.items()}
    h["x-amz-date"] = amz
    h["x-amz-content-sha256"] = payload
    if token:
        h["x-amz-security-token"] = token
    path = urllib.parse.quote(key_path, safe="/-_.~")
    query = "&".join("%s=%s" % p for p in sorted((q(n), q(v))
                                                 for n, v in params))
    names = sorted(h)
    canonical = "\n".join([method, path, query,
                           "".join("%s:%s\n" % (n, " ".join(h[n].split()))
                                   for n in names),
                           ";".join(names), payload])
    scope = "%s/%s/s3/aws4_request" % (amz[:8], region)
    sts = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (
        amz, scope, hashlib.sha256(canonical.encode()).hexdigest())
    k = ("AWS4" + sk).encode()
    for part in (amz[:8], region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
                          "Signature=%s" % (ak, scope, ";".join(names), sig))
    return path + ("?" + query if query else ""), h


class TestSigner(unittest.TestCase):
    def test_signer_matches_the_s3_example(self):
        _, h = sign("GET", "/test.txt", [],
                    {"Host": "examplebucket.s3.amazonaws.com",
                     "Range": "bytes=0-9"}, S3_AK, S3_SK, now=S3_NOW)
        self.assertTrue(h["authorization"].endswith(
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"))
        target, h = sign("GET", "/", [("prefix", "J"), ("max-keys", "2")],
                         {"Host": "examplebucket.s3.amazonaws.com"}, S3_AK,
                         S3_SK, now=S3_NOW)
        self.assertEqual(target, "/?max-keys=2&prefix=J")
        self.assertTrue(h["authorization"].endswith(
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))


AK, SK = "AKIDTEST", "secret/with+chars"

FILES = {
    "hello.txt": b"hello world",
    "empty": b"",
    "dir/a.bin": bytes(range(256)) * 4,
    "dir/sub/b": b"bbb",
    "dir/sub/c": b"ccc",
    "dir/z": b"z",
    "sp ace+plus&amp.txt": b"special",
    "caf\u00e9/\u1234.bin": b"utf8",
    "store/zarr.json": b"{}",
    "store/c/0/0": b"chunk00",
    "store/c/0/1": b"chunk01",
    "store/c/1/0": b"chunk10",
}


class Live(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="s3server-test-")
        cls.root = os.path.join(cls.tmp, "root")
        for k, v in FILES.items():
            p = os.path.join(cls.root, "bkt", *k.split("/"))
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(v)
        os.makedirs(os.path.join(cls.root, "other"))
        with open(os.path.join(cls.root, "secret.txt"), "wb") as f:
            f.write(b"SECRET")
        os.symlink(os.path.join(cls.root, "secret.txt"),
                   os.path.join(cls.root, "bkt", "link-out"))
        cls.procs = []

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            p.kill()
            p.wait()
            p.stdout.close()
            p.stderr.close()
        shutil.rmtree(cls.tmp)

    def start(self, *args):
        p = subprocess.Popen([sys.executable, SERVER, "--root", self.root,
                              "--port", "0", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        self.procs.append(p)
        line = p.stdout.readline()
        if not line.startswith("PORT "):
            p.kill()
            self.fail("the server did not start: %r %s" % (line,
                                                         p.stderr.read()))
        return int(line.split()[1])

    def req(self, port, method, key_path, params=(), headers=None,
            ak=AK, sk=SK, token=None, signed=True, host=None):
        headers = dict(headers or {})
        headers["Host"] = host or "127.0.0.1:%d" % port
        if signed:
            target, h = sign(method, key_path, list(params), headers, ak, sk,
                             token=token)
        else:
            target = urllib.parse.quote(key_path, safe="/-_.~")
            if params:
                target += "?" + "&".join("%s=%s" % (q(n), q(v))
                                         for n, v in params)
            h = headers
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            c.request(method, target, headers=h)
            r = c.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), \
                r.read()
        finally:
            c.close()

    def code(self, body):
        return ET.fromstring(body).findtext("Code")

    # -- signing ------------------------------------------------------------

    def test_signed_accepted_wrong_rejected(self):
        port = self.start("--access-key", AK, "--secret-key", SK)
        st, h, body = self.req(port, "GET", "/bkt/hello.txt")
        self.assertEqual((st, body), (200, b"hello world"))
        self.assertEqual(h["content-length"], "11")
        self.assertEqual(h["etag"],
                         '"%s"' % hashlib.md5(b"hello world").hexdigest())
        self.assertIn("GMT", h["last-modified"])
        st, h, body = self.req(port, "GET", "/bkt/hello.txt", sk=SK + "x")
        self.assertEqual(st, 403)
        self.assertEqual(self.code(body), "SignatureDoesNotMatch")
        self.assertIn("/bkt/hello.txt",
                      ET.fromstring(body).findtext("CanonicalRequest"))
        st, _, body = self.req(port, "GET", "/bkt/hello.txt", ak="AKIDOTHER")
        self.assertEqual((st, self.code(body)), (403, "InvalidAccessKeyId"))
        st, _, body = self.req(port, "GET", "/bkt/hello.txt", signed=False)
        self.assertEqual((st, self.code(body)), (403, "AccessDenied"))
        # Keys that need encoding, a listing with every parameter kind.
        for key in ("sp ace+plus&amp.txt", "caf\u00e9/\u1234.bin"):
            st, _, body = self.req(port, "GET", "/bkt/" + key)
            self.assertEqual((st, body), (200, FILES[key]), key)
        st, _, body = self.req(port, "GET", "/bkt",
                               [("list-type", "2"), ("prefix", "sp ace+"),
                                ("delimiter", "/")])
        self.assertEqual(st, 200, body)
        self.assertEqual(self.keys(body)[0], ["sp ace+plus&amp.txt"])
        # HEAD is signed as HEAD.
        st, h, body = self.req(port, "HEAD", "/bkt/dir/a.bin")
        self.assertEqual((st, body, h["content-length"]), (200, b"", "1024"))

    def test_anonymous_ok_and_tokens(self):
        port = self.start("--access-key", AK, "--secret-key", SK,
                          "--anonymous-ok")
        st, _, body = self.req(port, "GET", "/bkt/hello.txt", signed=False)
        self.assertEqual((st, body), (200, b"hello world"))
        st, _, body = self.req(port, "GET", "/bkt/hello.txt", sk="wrong")
        self.assertEqual((st, self.code(body)), (403, "SignatureDoesNotMatch"))
        port = self.start("--access-key", AK, "--secret-key", SK,
                          "--session-token", "TOKEN/+=")
        st, _, body = self.req(port, "GET", "/bkt/hello.txt", token="TOKEN/+=")
        self.assertEqual((st, body), (200, b"hello world"))
        st, _, body = self.req(port, "GET", "/bkt/hello.txt")
        self.assertEqual((st, self.code(body)), (403, "InvalidToken"))
        st, _, body = self.req(port, "GET", "/bkt/hello.txt", token="OTHER")
        self.assertEqual((st, self.code(body)), (403, "InvalidToken"))
        # No keys: nothing is checked.
        port = self.start()
        st, _, body = self.req(port, "GET", "/bkt/hello.txt", signed=False)
        self.assertEqual(st, 200)
        st, _, body = self.req(port, "GET", "/bkt/hello.txt", sk="whatever")
        self.assertEqual(st, 200)

    # -- objects --------------------------------------------------------------

    def test_ranges_head_and_missing(self):
        port = self.start()
        cases = [("bytes=0-4", 206, b"hello", "bytes 0-4/11"),
                 ("bytes=6-", 206, b"world", "bytes 6-10/11"),
                 ("bytes=-5", 206, b"world", "bytes 6-10/11"),
                 ("bytes=-50", 206, b"hello world", "bytes 0-10/11"),
                 ("bytes=5-100", 206, b" world", "bytes 5-10/11"),
                 ("bytes=10-10", 206, b"d", "bytes 10-10/11"),
                 ("bytes=11-", 416, None, "bytes */11"),
                 ("bytes=11-20", 416, None, "bytes */11"),
                 ("bytes=-0", 416, None, "bytes */11"),
                 ("bytes=5-2", 200, b"hello world", None),
                 ("bytes=0-1,3-4", 200, b"hello world", None),
                 ("junk", 200, b"hello world", None)]
        for rng, status, body, cr in cases:
            with self.subTest(rng):
                st, h, b = self.req(port, "GET", "/bkt/hello.txt",
                                    headers={"Range": rng}, signed=False)
                self.assertEqual(st, status)
                self.assertEqual(h.get("content-range"), cr)
                if body is not None:
                    self.assertEqual(b, body)
                else:
                    self.assertEqual(self.code(b), "InvalidRange")
        st, h, b = self.req(port, "GET", "/bkt/empty", signed=False)
        self.assertEqual((st, b, h["content-length"]), (200, b"", "0"))
        st, h, b = self.req(port, "GET", "/bkt/empty", signed=False,
                            headers={"Range": "bytes=0-"})
        self.assertEqual(st, 416)
        st, h, b = self.req(port, "HEAD", "/bkt/hello.txt", signed=False)
        self.assertEqual((st, b, h["content-length"], h["accept-ranges"]),
                         (200, b"", "11", "bytes"))
        st, h, b = self.req(port, "HEAD", "/bkt/hello.txt", signed=False,
                            headers={"Range": "bytes=0-1"})
        self.assertEqual((st, h["content-length"], h["content-range"]),
                         (206, "2", "bytes 0-1/11"))
        for path, code in [("/bkt/nope", "NoSuchKey"),
                           ("/bkt/dir", "NoSuchKey"),
                           ("/bkt/dir/", "NoSuchKey"),
                           ("/bkt/link-out", "NoSuchKey"),
                           ("/bkt/../secret.txt", "NoSuchKey"),
                           ("/bkt/dir/../hello.txt", "NoSuchKey"),
                           ("/bkt//hello.txt", "NoSuchKey"),
                           ("/nobucket/x", "NoSuchBucket"),
                           ("/../root/secret.txt", "NoSuchBucket")]:
            with self.subTest(path):
                st, _, b = self.req(port, "GET", path, signed=False)
                self.assertEqual((st, self.code(b)), (404, code))
        # The same with escaped dots, sent as is.
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/bkt/%2e%2e/secret.txt")
        r = c.getresponse()
        self.assertEqual(r.status, 404)
        self.assertNotIn(b"SECRET", r.read())
        c.close()
        st, _, b = self.req(port, "PUT", "/bkt/new", signed=False)
        self.assertEqual((st, self.code(b)), (405, "MethodNotAllowed"))

    def test_virtual_host_styles(self):
        port = self.start("--access-key", AK, "--secret-key", SK)
        st, _, b = self.req(port, "GET", "/hello.txt",
                            host="bkt.localhost:%d" % port)
        self.assertEqual((st, b), (200, b"hello world"))
        st, _, b = self.req(port, "GET", "/", [("list-type", "2"),
                                               ("prefix", "store/c/0/")],
                            host="bkt.localhost:%d" % port)
        self.assertEqual(self.keys(b)[0], ["store/c/0/0", "store/c/0/1"])
        port = self.start("--root", os.path.join(self.root, "bkt"),
                          "--bucket", "mine", "--style", "virtual")
        st, _, b = self.req(port, "GET", "/dir/z", signed=False)
        self.assertEqual((st, b), (200, b"z"))
        port = self.start("--root", os.path.join(self.root, "bkt"),
                          "--bucket", "mine")
        st, _, b = self.req(port, "GET", "/mine/dir/z", signed=False)
        self.assertEqual((st, b), (200, b"z"))
        st, _, b = self.req(port, "GET", "/bkt/dir/z", signed=False)
        self.assertEqual(st, 404)

    # -- listings -------------------------------------------------------------

    def keys(self, body):
        root = ET.fromstring(body)
        self.assertEqual(root.tag, NS + "ListBucketResult")
        keys = [c.findtext(NS + "Key") for c in root.findall(NS + "Contents")]
        prefixes = [c.findtext(NS + "Prefix")
                    for c in root.findall(NS + "CommonPrefixes")]
        return keys, prefixes, root.findtext(NS + "IsTruncated"), \
            root.findtext(NS + "NextContinuationToken")

    def list_all(self, port, params, page):
        keys, prefixes, token, pages = [], [], None, 0
        while True:
            p = list(params) + [("list-type", "2"), ("max-keys", str(page))]
            if token:
                p.append(("continuation-token", token))
            st, _, b = self.req(port, "GET", "/bkt", p)
            self.assertEqual(st, 200, b)
            k, pr, trunc, token = self.keys(b)
            self.assertLessEqual(len(k) + len(pr), page)
            keys += k
            prefixes += pr
            pages += 1
            self.assertLess(pages, 100)
            if trunc == "false":
                self.assertIsNone(token)
                return keys, prefixes
            self.assertEqual(trunc, "true")
            self.assertTrue(token)

    def test_list_objects_v2(self):
        port = self.start("--access-key", AK, "--secret-key", SK)
        want = sorted(list(FILES) + ["link-out"], key=lambda k: k.encode())
        want.remove("link-out")  # leaves the bucket: not an object
        for page in (1, 2, 3, 1000):
            with self.subTest(page=page):
                keys, prefixes = self.list_all(port, [], page)
                self.assertEqual(keys, want)
                self.assertEqual(prefixes, [])
        for page in (1, 2, 1000):
            with self.subTest(delimiter_page=page):
                keys, prefixes = self.list_all(port, [("delimiter", "/")],
                                               page)
                self.assertEqual(keys, ["empty", "hello.txt",
                                        "sp ace+plus&amp.txt"])
                self.assertEqual(prefixes, ["caf\u00e9/", "dir/", "store/"])
                keys, prefixes = self.list_all(
                    port, [("delimiter", "/"), ("prefix", "dir/")], page)
                self.assertEqual((keys, prefixes),
                                 (["dir/a.bin", "dir/z"], ["dir/sub/"]))
        st, _, b = self.req(port, "GET", "/bkt",
                            [("list-type", "2"), ("prefix", "dir/"),
                             ("start-after", "dir/sub/b")])
        self.assertEqual(self.keys(b)[0], ["dir/sub/c", "dir/z"])
        st, _, b = self.req(port, "GET", "/bkt",
                            [("list-type", "2"), ("prefix", "dir/"),
                             ("encoding-type", "url")])
        self.assertIn(b"<EncodingType>url</EncodingType>", b)
        st, _, b = self.req(port, "GET", "/bkt",
                            [("list-type", "2"), ("prefix", "sp"),
                             ("encoding-type", "url")])
        self.assertEqual(self.keys(b)[0], ["sp+ace%2Bplus%26amp.txt"])
        for bad in ([("max-keys", "x")], [("continuation-token", "@@@")],
                    [("max-keys", "-1")]):
            st, _, b = self.req(port, "GET", "/bkt",
                                [("list-type", "2")] + bad)
            self.assertEqual((st, self.code(b)), (400, "InvalidArgument"))
        st, _, b = self.req(port, "GET", "/bkt", [])
        self.assertEqual((st, self.code(b)), (501, "NotImplemented"))
        st, _, b = self.req(port, "GET", "/nobucket", [("list-type", "2")])
        self.assertEqual((st, self.code(b)), (404, "NoSuchBucket"))
        st, _, b = self.req(port, "GET", "/", [])
        self.assertIn(b"<Name>bkt</Name>", b)
        self.assertIn(b"<Name>other</Name>", b)
        st, _, b = self.req(port, "GET", "/bkt", [("location", "")])
        self.assertEqual(st, 200)
        self.assertIn(b"LocationConstraint", b)

    # -- test aids ------------------------------------------------------------

    def test_fail_every_and_log(self):
        log = os.path.join(self.tmp, "requests.log")
        port = self.start("--fail-every", "2", "--log", log)
        got = []
        for _ in range(4):
            st, h, b = self.req(port, "GET", "/bkt/hello.txt", signed=False,
                                headers={"Range": "bytes=0-1"})
            got.append(st)
            if st == 503:
                self.assertEqual(self.code(b), "SlowDown")
        self.assertEqual(got, [206, 503, 206, 503])
        with open(log) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 4)
        self.assertEqual(lines[0], "GET /bkt/hello.txt range=bytes=0-1 -> 206 2")

    def test_keep_alive(self):
        port = self.start()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(20):
            c.request("GET", "/bkt/dir/a.bin",
                      headers={"Range": "bytes=%d-%d" % (i, i + 9)})
            r = c.getresponse()
            self.assertEqual(r.status, 206)
            self.assertEqual(r.read(), (bytes(range(256)) * 4)[i:i + 10])
        c.request("GET", "/bkt/nope")
        r = c.getresponse()
        r.read()
        c.request("HEAD", "/bkt/hello.txt")
        r = c.getresponse()
        self.assertEqual((r.status, r.read()), (200, b""))
        c.close()


if __name__ == "__main__":
    unittest.main()
