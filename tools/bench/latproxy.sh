#!/usr/bin/env bash
# latproxy.sh - does tools/bench/latproxy (the delay proxy of the latency
# benchmark) limit throughput?  Not a test.  versitygw (tests/remote/s3gw.bash)
# serves a public bucket on loopback; the same requests go to it directly and
# through the proxy with no delay, then with DELAY:
#  big    a 256 MiB object fetched whole by curl, RUNS times: MB/s (median)
#  small  N ranged GETs of 4 KiB (curl --parallel, 16 at once): requests/s
#  first  the time to the first byte of a SigV4-signed GET (median of 9),
#         directly and through the proxy at DELAY: the delay added, and
#         the signature (Host included) passing the proxy intact
# Printed side by side in one run, with the proxy's over the direct ratio.
#
# Measured (2 cores SHARED with other builds and benchmarks, load 15-20;
# ZF_BENCH_SMALL=1000, 3 runs), one run:
#                                big (MB/s)   4 KiB GETs/s
#   versitygw directly                 779            653
#   through latproxy, no delay         777            692
#   through latproxy, 25ms            1083            443
#   first byte of a signed 10-byte GET (median of 9): directly 7.8 ms,
#   through latproxy at 25ms 31.1 ms
#   proxy / direct, no delay: big 1.00, small 1.06
# The proxy does not limit throughput (its replies are spliced); at 25 ms
# 16 GETs in flight give 16 / (25 ms + the server's time) a second.  An
# earlier HTTP reverse proxy (net/http/httputil) copied every body through
# user space: 0.54 to 0.87 of the direct big GET on this machine.
#
# usage: bash tools/bench/latproxy.sh   (ZF_BENCH_RUNS default 3,
#   ZF_BENCH_SMALL default 2000, ZF_BENCH_DELAY default 25ms).  Needs the S3
#   server and the peers (tools/install-s3server.sh, tools/install-peers.sh),
#   Go (to build the proxy) and curl.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${ZF_BENCH_RUNS:-3}
NSMALL=${ZF_BENCH_SMALL:-2000}
DELAY=${ZF_BENCH_DELAY:-25ms}
ZF_SRC=$SRC
source "$SRC/tools/bench/common.bash"
source "$SRC/tests/remote/s3gw.bash"
zf_require_s3gw
T=$(mktemp -d /tmp/zf_bench_latproxy.XXXXXX)
cleanup() {
    [ -n "$LP" ] && kill "$LP" 2>/dev/null
    zf_s3gw_stop
    rm -rf "$T"
}
trap cleanup EXIT
latproxy_build "$T" || exit 1
zf_s3gw_start "$T/gw" || exit 1
head -c $((256 << 20)) /dev/urandom >"$T/big"
zf_s3 mb pub && zf_s3 public pub && zf_s3 put pub big "$T/big" 64 >/dev/null || exit 1
echo 0123456789abcdef >"$T/k"
zf_s3 mb priv && zf_s3 put priv k "$T/k" >/dev/null || exit 1
rm -f "$T/big"

signed() { # EP: "STATUS SECS-TO-FIRST-BYTE" of a SigV4-signed GET of the private key
    curl -s -o /dev/null -w '%{http_code} %{time_starttransfer}' -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
        --aws-sigv4 aws:amz:us-east-1:s3 \
        --user "$S3_AK:$S3_SK" -r 0-9 "$1/priv/k"
}
big() { # EP: median MB/s of RUNS whole GETs
    for ((i = 0; i < RUNS; i++)); do
        curl -s -o /dev/null -w '%{speed_download}\n' "$1/pub/big"
    done | sort -n | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] / 1e6 }'
}
small() { # EP: requests/s of NSMALL ranged 4 KiB GETs, 16 at once
    local t0 t1
    for ((i = 0; i < NSMALL; i++)); do echo "url = \"$1/pub/big\""; echo "output = /dev/null"; done >"$T/urls"
    t0=$(date +%s.%N)
    curl -s --parallel --parallel-immediate --parallel-max 16 -r 0-4095 -K "$T/urls" 2>/dev/null
    t1=$(date +%s.%N)
    awk -v n="$NSMALL" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }'
}
d_big=$(big "$S3_EP"); d_small=$(small "$S3_EP")
latproxy_start "$T" "$S3_EP" 0s
p_big=$(big "$PX"); p_small=$(small "$PX")
[ "$(signed "$PX" | cut -d' ' -f1)" = 206 ] || { echo "latproxy.sh: a signed GET through the proxy failed" >&2; exit 1; }
latproxy_start "$T" "$S3_EP" "$DELAY"
first() { # EP: the median ms to the first byte of 9 signed GETs
    for ((i = 0; i < 9; i++)); do signed "$1" | awk '{ print $2 * 1000; print "" }'; done |
        grep . | median
}
d_first=$(first "$S3_EP")
l_first=$(first "$PX")
l_big=$(big "$PX"); l_small=$(small "$PX")
printf '%-28s %12s %14s\n' "" "big (MB/s)" "4 KiB GETs/s"
printf '%-28s %12s %14s\n' "versitygw directly" "$d_big" "$d_small"
printf '%-28s %12s %14s\n' "through latproxy, no delay" "$p_big" "$p_small"
printf '%-28s %12s %14s\n' "through latproxy, $DELAY" "$l_big" "$l_small"
echo "first byte of a signed 10-byte GET (median of 9): directly $d_first ms, through latproxy at $DELAY $l_first ms"
awk -v a="$p_big" -v b="$d_big" -v c="$p_small" -v d="$d_small" \
    'BEGIN { printf "proxy / direct, no delay: big %.2f, small %.2f\n", a / b, c / d }'
