#!/usr/bin/env bash
# Installs the S3 server that the remote tests read from: versitygw, pinned,
# built from its Go module with `go install` into .peers/s3server/bin (git
# ignored) beside the checkout.  Why versitygw, and not MinIO or moto: see
# ARCHITECTURE.md, "Testing remote stores" (tests/remote/s3probe.py checks
# the claims).
# The clients that upload the test stores (boto3, obstore for zarr-python,
# tensorstore) are in tools/peers/requirements.txt (tools/install-peers.sh).
# Builds with Go 1.25 or newer: the go command (or /usr/local/go/bin/go)
# where it is that new, otherwise Go 1.25.5 itself, fetched once from the Go
# module proxy (golang.org/toolchain, checked against the SHA-256 pinned
# below) into .peers/go, since Debian 12's golang is 1.19; the build took 2.4 CPU minutes (10 minutes of wall time on a
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

GO_TOOLCHAIN=1.25.5                # golang.org/toolchain, when no go is new enough
declare -A GO_SHA256=(
    [amd64]=8cea6783dab64d68b38f5b81ecd38d45155a3c06638991acc6af19e0fca80edb
    [arm64]=4d31d22f75fed99025f7b082319eabeb74106d11e343fc203b336ba2afdeb3a1)
go_ok() { # GO: is it Go 1.25 or newer?
    local v
    v=$("$1" env GOVERSION 2>/dev/null) || return 1
    v=${v#go}
    [ "$(printf '%s\n1.25\n' "${v%%[!0-9.]*}" | sort -V | head -1)" = 1.25 ]
}
find_go() { # prints a go command of 1.25 or newer, fetching one if needed
    local g arch zip mod proxy
    for g in "$(command -v go)" /usr/local/go/bin/go "$PWD/.peers/go/bin/go"; do
        [ -n "$g" ] && [ -x "$g" ] && go_ok "$g" && { echo "$g"; return 0; }
    done
    case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) return 1 ;; esac
    mod=golang.org/toolchain@v0.0.1-go$GO_TOOLCHAIN.linux-$arch
    proxy=${GOPROXY:-https://proxy.golang.org}
    proxy=${proxy%%,*}
    zip=$PWD/.peers/go.zip
    say "fetching Go $GO_TOOLCHAIN from $proxy ($mod)"
    mkdir -p .peers
    curl -fsS -o "$zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_TOOLCHAIN.linux-$arch.zip" ||
        return 1
    if ! echo "${GO_SHA256[$arch]}  $zip" | sha256sum -c --quiet >&2; then
        rm -f "$zip"; return 1
    fi
    rm -rf .peers/go .peers/go.tmp
    unzip -q "$zip" -d .peers/go.tmp && mv ".peers/go.tmp/$mod" .peers/go &&
        rm -rf .peers/go.tmp "$zip" || return 1
    go_ok "$PWD/.peers/go/bin/go" && echo "$PWD/.peers/go/bin/go"
}

if [ ! -x "$bin" ] || [ "$(cat "$dir/.zf-stamp" 2>/dev/null)" != "$VERSITYGW" ]; then
    go=$(find_go) || fail "no Go 1.25 and none could be fetched: versitygw cannot be built"
    say "building versitygw $VERSITYGW (go install, some minutes)"
    rm -rf "$dir"
    mkdir -p "$dir/bin"
    GOBIN=$dir/bin GOFLAGS=-modcacherw GOTOOLCHAIN=local "$go" install \
        "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW" >&2 ||
        { rm -rf "$dir"; fail "go install versitygw@$VERSITYGW failed"; }
    "$bin" --version >/dev/null || { rm -rf "$dir"; fail "the built versitygw does not run"; }
    echo "$VERSITYGW" >"$dir/.zf-stamp"
fi
[ $want_env = 0 ] || echo "export ZF_S3SERVER=$bin"
exit 0
