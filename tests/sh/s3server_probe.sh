#!/usr/bin/env bash
# s3server_probe.sh - the S3 server of the remote tests (versitygw,
# tests/remote/s3gw.bash) still behaves like S3 on what zarrfs uses:
# tests/remote/s3probe.py asks it with raw requests signed by the
# independent signer of test_s3server.py (SigV4 checked: a wrong secret and
# a stale date refused; MD5 and multipart ETags; ListObjectsV2 paging past
# 1,000 keys; error bodies; 416 and suffix ranges; If-Match and
# If-Unmodified-Since; a public-read bucket).  The reasons the server was
# chosen (ARCHITECTURE.md, "Testing remote stores") stay true only while
# this passes.
# Exit 0 = pass, 77 = skip (no server or peers outside CI).
source "$(dirname "$0")/mount_common.bash"
source "$(dirname "$0")/../remote/s3gw.bash"
zf_require_s3gw
trap 'zf_s3gw_stop; zf_cleanup' EXIT
zf_s3gw_start "$T/gw" || { bad "versitygw"; zf_finish; }
out=$(/usr/bin/python3 "${ZF_SRC:-.}/tests/remote/s3probe.py" "$S3_EP" "$S3_AK" "$S3_SK" 2>&1)
while IFS= read -r line; do
    case $line in
    ok:*) ok "${line#ok: }" ;;
    FAIL:*) bad "${line#FAIL: }" ;;
    *"claims failed") ;;
    *) bad "s3probe.py: $line" ;;
    esac
done <<<"$out"
zf_finish
