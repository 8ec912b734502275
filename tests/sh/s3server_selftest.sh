#!/usr/bin/env bash
# s3server_selftest.sh - the test S3 server (tests/remote/s3server.py) checked
# by tests/remote/test_s3server.py: its SigV4 verifier against AWS's published
# vectors, then live servers answering requests signed by an independent
# Python signer (signed accepted, wrong secret refused, ranges, listings,
# virtual hosts, tokens).  The C signer's own round trip against the server
# is in tests/test_sigv4.c.
# Exit 0 = pass, 77 = skip (no /usr/bin/python3).
SRC=${ZF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
    echo "SKIP: $PY not found"
    exit 77
fi
exec "$PY" "$SRC/tests/remote/test_s3server.py" -v
