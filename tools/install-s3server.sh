#!/usr/bin/env bash
# Installs the S3 server that the remote tests read from: versitygw, pinned,
# built from its Go module with `go install` into .peers/s3server/bin (git
# ignored) beside the checkout.  Why versitygw, and not MinIO or moto: see
# ARCHITECTURE.md, "Testing remote stores" (tests/remote/s3probe.py checks
# the claims).
# The clients that upload the test stores (boto3, obstore for zarr-python,
# tensorstore) are in tools/peers/requirements.txt (tools/install-peers.sh).
# Needs Go 1.25 or newer (the go command, or /usr/local/go/bin/go) and the Go
# module proxy; the build took 2.4 CPU minutes (10 minutes of wall time on a
# busy 2-core machine) and its modules take 336 MiB.
# Idempotent: a stamp holding the version makes a second run a no-op.  Where
# Go or the proxy is missing it says so in one line and exits 0, and the S3
# tests then skip, except under CI=true, where a failure fails.
#   eval "$(bash tools/install-s3server.sh --env)"  sets ZF_S3SERVER.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSITYGW=v1.8.0                  # github.com/versity/versitygw
dir=$PWD/.peers/s3server
bin=$dir/bin/versitygw
want_env=0
for a in "$@"; do
    case $a in
    --env) want_env=1 ;;
    *) echo "usage: install-s3server.sh [--env]" >&2; exit 2 ;;
    esac
done
say() { echo "install-s3server: $*" >&2; }
fail() { # why: fatal in CI, a skip elsewhere
    if [ "${CI:-}" = true ]; then say "$1"; exit 1; fi
    say "$1; the S3 tests will skip"; exit 0
}

if [ ! -x "$bin" ] || [ "$(cat "$dir/.zf-stamp" 2>/dev/null)" != "$VERSITYGW" ]; then
    go=$(command -v go || echo /usr/local/go/bin/go)
    [ -x "$go" ] || fail "no go command: versitygw cannot be built"
    say "building versitygw $VERSITYGW (go install, some minutes)"
    rm -rf "$dir"
    mkdir -p "$dir/bin"
    GOBIN=$dir/bin GOFLAGS=-modcacherw "$go" install \
        "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW" >&2 ||
        { rm -rf "$dir"; fail "go install versitygw@$VERSITYGW failed"; }
    "$bin" --version >/dev/null || { rm -rf "$dir"; fail "the built versitygw does not run"; }
    echo "$VERSITYGW" >"$dir/.zf-stamp"
fi
[ $want_env = 0 ] || echo "export ZF_S3SERVER=$bin"
exit 0
