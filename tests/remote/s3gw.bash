# s3gw.bash - a throw-away S3 server for the remote tests and benchmark:
# versitygw (tools/install-s3server.sh builds it, pinned) with its posix
# backend on loopback.  Sourced; not a test itself.
#
#   zf_require_s3gw      sets S3GW (the server) and PEER_PY (the peers'
#                        Python with boto3, obstore, zarr-python 3,
#                        tensorstore); skips (77) without them, except under
#                        CI=true, where their absence fails
#   zf_s3gw_start DIR [ARGS...]  starts a server keeping its buckets in
#                        DIR/data, root user $S3_AK / $S3_SK, region
#                        us-east-1; sets S3_PORT, S3_EP (http://127.0.0.1:port)
#                        and S3_PID; ARGS go to versitygw before "posix"
#                        (e.g. --virtual-domain localhost)
#   zf_s3gw_stop         stops it (also call it from the EXIT trap)
#   zf_s3 ARGS...        tests/remote/s3put.py (boto3) against the server
#                        with the root keys: mb, put, put-tree, policy, ...
#
# zf_free_port (nginx.bash's) is defined here too when nginx.bash is not
# sourced.  versitygw runs in the foreground of a background job so that its pid is
# ours to stop.

declare -F zf_free_port >/dev/null || zf_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

S3_AK=AKIDZARRFSROOT
S3_SK='se/cret+key=zarrfs'
S3PUT=${ZF_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/remote/s3put.py

zf_require_s3gw() {
    local src=${ZF_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
    S3GW=${ZF_S3SERVER:-$src/.peers/s3server/bin/versitygw}
    PEER_PY=${ZF_PEER_PY:-$src/.peers/venv/bin/python}
    local why=
    if [ ! -x "$S3GW" ]; then
        why="no S3 server at $S3GW (bash tools/install-s3server.sh builds it)"
    elif ! [ -x "$PEER_PY" ] || ! "$PEER_PY" -c 'import boto3, obstore, zarr' 2>/dev/null; then
        why="no boto3/obstore/zarr at $PEER_PY (bash tools/install-peers.sh installs them)"
    fi
    [ -z "$why" ] && return 0
    if [ "${CI:-}" = true ]; then
        echo "FAIL: $why"
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "skip: $why"
    exit 77
}

S3_PID=
zf_s3gw_start() {
    local dir=$1 i
    shift
    mkdir -p "$dir/data"
    S3_PORT=$(zf_free_port)
    S3_EP=http://127.0.0.1:$S3_PORT
    ROOT_ACCESS_KEY=$S3_AK ROOT_SECRET_KEY=$S3_SK "$S3GW" --port "127.0.0.1:$S3_PORT" \
        --quiet "$@" posix "$dir/data" >"$dir/server.log" 2>&1 &
    S3_PID=$!
    for ((i = 0; i < 200; i++)); do
        # any HTTP answer (403 to an unsigned request) means it is up
        if curl -s -o /dev/null "$S3_EP/"; then
            return 0
        fi
        kill -0 "$S3_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "versitygw did not start: $(tail -3 "$dir/server.log")"
    return 1
}

zf_s3gw_stop() {
    if [ -n "$S3_PID" ]; then
        kill "$S3_PID" 2>/dev/null
        wait "$S3_PID" 2>/dev/null
        S3_PID=
    fi
}

zf_s3() {
    AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=$S3_SK AWS_SESSION_TOKEN= \
        AWS_ENDPOINT_URL=$S3_EP AWS_DEFAULT_REGION=us-east-1 \
        "$PEER_PY" "$S3PUT" "$@"
}
