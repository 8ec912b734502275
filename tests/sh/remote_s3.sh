#!/usr/bin/env bash
# remote_s3.sh - zarrfs mounting s3:// stores on a real S3 server, versitygw
# (tests/remote/s3gw.bash; tools/install-s3server.sh builds it, pinned), on
# loopback.  Every store is uploaded by a real client, never copied into the
# server's folder: the v3 corpus by boto3 (tests/remote/s3put.py), a group
# written by zarr-python 3 through obstore and an array by tensorstore's S3
# kvstore (tests/remote/s3zarr.py), a 24 MiB shard as a boto3 multipart
# upload (an ETag "...-3").
#  - a v3 group without consolidated metadata, whose tree comes from
#    ListObjectsV2 (delimiter '/'), holding every v3 corpus array: each is
#    byte-identical to its expected content, read anonymously from a bucket
#    with a public-read policy (path style, through tests/remote/faultproxy.py
#    doing nothing but logging: shards are read with ranged GETs only);
#  - anonymous access to the private bucket fails clearly;
#  - the same tree signed (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY),
#    virtual-host style (the server's --virtual-domain localhost);
#  - a wrong secret fails at mount with SignatureDoesNotMatch in the message;
#  - AWS_SESSION_TOKEN is signed (x-amz-security-token is among the signed
#    headers the server checks; versitygw has no STS, so the token's own
#    validity is checked only against tests/remote/s3server.py, in
#    test_sigv4's round trip);
#  - a profile of ~/.aws/credentials with its region and endpoint_url in
#    ~/.aws/config (AWS_PROFILE, no option): the peers' stores read back
#    equal to what the peers wrote, the multipart shard included;
#  - a group of 1,100 arrays without consolidated metadata: listed in two
#    pages, every array shown;
#  - zarrfs-cat with AWS_ENDPOINT_URL, zarrfs-info with -o s3_endpoint.
# On the extra corpus (ZF_CORPUS_EXTRA set) only the anonymous tree is read.
# Exit 0 = pass, 77 = skip (no /dev/fuse, no server or peers, no extra corpus).
source "$(dirname "$0")/mount_common.bash"
source "$(dirname "$0")/../remote/s3gw.bash"
zf_require_corpus
zf_require
zf_require_s3gw
PROXY=${ZF_SRC:-$(dirname "$0")/../..}/tests/remote/faultproxy.py
INDEX=$CORPUS/INDEX.tsv
PPID_=
# hermetic: no credentials, endpoint, region or profile from the caller
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
    AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION \
    AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE
export HOME=$T/home
mkdir -p "$HOME/.aws"
trap '[ -n "$PPID_" ] && kill "$PPID_" 2>/dev/null; zf_s3gw_stop; zf_cleanup' EXIT

zf_s3gw_start "$T/gw" --virtual-domain localhost --access-log "$T/access.log" ||
    { bad "versitygw"; zf_finish; }
EP=$S3_EP
zf_s3 mb bkt && zf_s3 mb pub && zf_s3 public pub || { bad "making the buckets"; zf_finish; }

# store.zarr (a v3 group), store.zarr/sharded (a group), every v3 corpus
# array under one of them: laid out here, then uploaded by boto3.
B=$T/tree/store.zarr
zf_group "$B"
zf_group "$B/sharded"
: >"$T/arrays"
while IFS='|' read -r name path exp; do
    case $path in
    v3/*) dst=$B/${path#v3/} ;;
    v3_sharded/*) dst=$B/sharded/${path#v3_sharded/} ;;
    *) continue ;;
    esac
    [ "$exp" = - ] && continue
    cp -r "$CORPUS/$path" "$dst"
    echo "${dst#"$B"/}|$exp|$name" >>"$T/arrays"
done < <(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { print $c["name"] "|" $c["path"] "|" $c["expected_raw"] }' "$INDEX")
n=$(zf_s3 put-tree pub store.zarr "$B") || { bad "boto3 upload to pub"; zf_finish; }
echo "$(wc -l <"$T/arrays") arrays in s3://pub/store.zarr ($n keys, put by boto3)"

# check_tree MNT LABEL: every array of $T/arrays in MNT equals its expected.
check_tree() {
    local mnt=$1 label=$2 n=0 bad=0 rel exp name f
    while IFS='|' read -r rel exp name; do
        f=$mnt/$rel
        n=$((n + 1))
        if [ ! -f "$f" ]; then
            # not shown: fine only when the engine refuses it locally too
            if "$BIN/zarrfs-cat" "$B/$rel" >/dev/null 2>&1; then
                echo "  $label: $name missing from the mount"
                bad=$((bad + 1))
            fi
        elif ! cmp -s "$f" "$CORPUS/$exp"; then
            echo "  $label: $name differs"
            bad=$((bad + 1))
        fi
    done <"$T/arrays"
    [ "$bad" = 0 ] && ok "$label: $n arrays, each equal to its expected content" ||
        bad "$label: $bad of $n arrays wrong"
}

# ---- anonymous, a public bucket, path style (through a logging proxy) --------
echo none >"$T/control"
python3 "$PROXY" --upstream "$EP" --control "$T/control" --log "$T/proxy.log" \
    >"$T/proxy.port" 2>"$T/proxy.err" &
PPID_=$!
for ((i = 0; i < 100; i++)); do [ -s "$T/proxy.port" ] && break; sleep 0.05; done
PURL=http://127.0.0.1:$(awk '{ print $2 }' "$T/proxy.port")
mnt=$T/m
if zf_mount_fg s3://pub/store.zarr "$mnt" "$T/anon.log" -o "s3_endpoint=$PURL"; then
    check_tree "$mnt" "anonymous, public bucket, path style, tree from ListObjectsV2"
    grep -q "list-type=2" "$T/proxy.log" && ok "ListObjectsV2 was used" ||
        bad "no ListObjectsV2 request in the proxy's log"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "anonymous mount: $(head -c 300 "$T/anon.log")"
fi
# shards are read with ranges only
whole=$(grep -E '^GET /pub/store.zarr/sharded/.*/c/' "$T/proxy.log" | grep -c ' - -> ')
ranged=$(grep -E '^GET /pub/store.zarr/sharded/.*/c/' "$T/proxy.log" | grep -c ' bytes=')
[ "$whole" = 0 ] && [ "$ranged" -gt 0 ] &&
    ok "shards read with $ranged ranged GETs, none whole" ||
    bad "shard GETs without a range: $whole (ranged: $ranged)"
[ -n "${ZF_CORPUS_EXTRA:-}" ] && zf_finish

zf_s3 put-tree bkt store.zarr "$B" >/dev/null || bad "boto3 upload to bkt"
if zf_mount_fg s3://bkt/store.zarr "$mnt" "$T/noanon.log" -o "s3_endpoint=$EP"; then
    bad "anonymous access to a private bucket was mounted"
    zf_umount "$mnt" "$ZF_PID"
else
    grep -q "access denied.*give credentials" "$T/noanon.log" &&
        ok "anonymous access to a private bucket fails: $(head -c 200 "$T/noanon.log")" ||
        bad "anonymous access to a private bucket: $(head -c 300 "$T/noanon.log")"
fi

# ---- signed, virtual-host style -------------------------------------------------
if AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=$S3_SK \
    zf_mount_fg s3://bkt/store.zarr "$mnt" "$T/signed.log" \
    -o "s3_endpoint=http://localhost:$S3_PORT,s3_addressing=virtual"; then
    check_tree "$mnt" "signed (SigV4), virtual-host style"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "signed virtual-host mount: $(head -c 300 "$T/signed.log")"
fi

# ---- a wrong secret; a session token -----------------------------------------------
if AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=wrong \
    zf_mount_fg s3://bkt/store.zarr "$mnt" "$T/wrong.log" -o "s3_endpoint=$EP"; then
    bad "a wrong secret was mounted"
    zf_umount "$mnt" "$ZF_PID"
else
    grep -q "SignatureDoesNotMatch" "$T/wrong.log" &&
        ok "a wrong secret fails at mount: $(grep -m1 -o 'the bucket refused.*SignatureDoesNotMatch' "$T/wrong.log")" ||
        bad "a wrong secret: $(head -c 300 "$T/wrong.log")"
fi
# versitygw issues no session tokens (no STS) and refuses any: that it
# refuses this one shows the token is sent and read.  A valid token's
# acceptance is checked against tests/remote/s3server.py (test_sigv4).
if AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=$S3_SK AWS_SESSION_TOKEN='tok/en+1==' \
    zf_mount_fg s3://bkt/store.zarr/sharded "$mnt" "$T/tok.log" -o "s3_endpoint=$EP"; then
    bad "a session token the server never issued was accepted"
    zf_umount "$mnt" "$ZF_PID"
else
    grep -q "InvalidToken" "$T/tok.log" &&
        ok "AWS_SESSION_TOKEN is sent: the server refuses one it never issued (InvalidToken)" ||
        bad "session token: $(head -c 300 "$T/tok.log")"
fi

# ---- the peers' stores, through a profile of ~/.aws ------------------------------------
export AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=$S3_SK AWS_ENDPOINT_URL=$EP
"$PEER_PY" "$ZF_SRC/tests/remote/s3zarr.py" zarr bkt peers/zp "$T/zp" 2>"$T/zp.err" &&
    ok "zarr-python 3 wrote s3://bkt/peers/zp through obstore" ||
    bad "zarr-python through obstore: $(tail -c 300 "$T/zp.err")"
"$PEER_PY" "$ZF_SRC/tests/remote/s3zarr.py" ts bkt peers/ts "$T/ts.raw" 2>"$T/ts.err" &&
    ok "tensorstore wrote s3://bkt/peers/ts through its S3 kvstore" ||
    bad "tensorstore's S3 kvstore: $(grep -v '^E[0-9]' "$T/ts.err" | tail -c 300)"
# one 24 MiB shard (codec none, random bytes), uploaded in 8 MiB parts
head -c $((24 << 20)) /dev/urandom >"$T/big.raw"
zf_pack "$T/big.raw" "$T/big.zarr" --shape 384,65536 --dtype uint8 \
    --chunks 16,65536 --shards 384,65536 --codec none || bad "zarrfs-pack big"
zf_s3 put bkt peers/big/zarr.json "$T/big.zarr/zarr.json" >/dev/null &&
    etag=$(zf_s3 put bkt peers/big/c/0/0 "$T/big.zarr/c/0/0" 8) &&
    [[ $etag =~ -[0-9]+\"$ ]] && ok "a $(stat -c %s "$T/big.zarr/c/0/0")-byte shard uploaded by boto3 in 8 MiB parts: ETag $etag" ||
    bad "multipart upload: ETag '$etag'"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL

# ---- a group of 1,100 arrays, no consolidated metadata ----------------------------
G=$T/many
zf_group "$G"
python3 - "$G" <<'PY'
import json, os, sys
for i in range(1100):
    d = os.path.join(sys.argv[1], "a%04d" % i)
    os.makedirs(d)
    json.dump({"zarr_format": 3, "node_type": "array", "shape": [4],
               "data_type": "uint8", "chunk_grid": {"name": "regular",
               "configuration": {"chunk_shape": [4]}}, "chunk_key_encoding":
               {"name": "default"}, "fill_value": i % 256,
               "codecs": [{"name": "bytes"}]}, open(d + "/zarr.json", "w"))
PY
n=$(zf_s3 put-tree bkt many "$G")
if AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=$S3_SK zf_mount_fg s3://bkt/many \
    "$mnt" "$T/many.log" -o "s3_endpoint=$EP"; then
    c=$(ls "$mnt" | wc -l)
    v=$(od -An -tu1 "$mnt/a1099" | tr -s ' ')
    [ "$c" = 1100 ] && [ "$v" = " 75 75 75 75" ] &&
        ok "a group of 1,100 arrays ($n keys) without consolidated metadata: all 1,100 listed, a1099 reads its fill value" ||
        bad "1,100 arrays: $c listed, a1099 reads '$v'"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "1,100 arrays: $(head -c 300 "$T/many.log")"
fi
pages=$(grep 'ListObjectsV2' "$T/access.log" | grep 'delimiter=' | grep -c 'prefix=many')
[ "$pages" -ge 2 ] && ok "the listing of many/ took $pages ListObjectsV2 pages" ||
    bad "the listing of many/: $pages ListObjectsV2 requests in the server's log"

# ---- the tools ----------------------------------------------------------------------
one=$(head -1 "$T/arrays")
rel=${one%%|*}
exp=$(echo "$one" | cut -d'|' -f2)
AWS_ENDPOINT_URL=$EP AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=$S3_SK \
    "$BIN/zarrfs-cat" s3://bkt/store.zarr "$rel" >"$T/cat.out" 2>"$T/cat.err" &&
    cmp -s "$T/cat.out" "$CORPUS/$exp" &&
    ok "zarrfs-cat s3://... with AWS_ENDPOINT_URL" || bad "zarrfs-cat: $(head -c 300 "$T/cat.err")"
"$BIN/zarrfs-info" -o "s3_endpoint=$EP,s3_anonymous" s3://pub/store.zarr >"$T/info.out" 2>&1 &&
    grep -q sharded "$T/info.out" && ok "zarrfs-info -o s3_endpoint=... s3://..." ||
    bad "zarrfs-info: $(head -c 300 "$T/info.out")"
# ---- a profile of ~/.aws: keys, region and endpoint_url --------------------------
cat >"$HOME/.aws/credentials" <<EOF
[default]
aws_access_key_id = AKIDNOTTHIS
aws_secret_access_key = nope

[zarrfs-test]
aws_access_key_id = $S3_AK
aws_secret_access_key = $S3_SK
EOF
cat >"$HOME/.aws/config" <<EOF
[default]
region = eu-west-3

[profile zarrfs-test]
region = us-east-1
endpoint_url = $EP
EOF
if AWS_PROFILE=zarrfs-test zf_mount_fg s3://bkt/peers "$mnt" "$T/prof.log"; then
    ok "AWS_PROFILE: keys from ~/.aws/credentials, region and endpoint_url from ~/.aws/config"
    for p in zp/sharded:zp.sharded zp/plain:zp.plain ts:ts.raw big:big.raw; do
        cmp -s "$mnt/${p%%:*}" "$T/${p#*:}" &&
            ok "peers/${p%%:*} reads back what its writer wrote ($(stat -c %s "$T/${p#*:}") bytes)" ||
            bad "peers/${p%%:*} differs from what its writer wrote"
    done
    zf_umount "$mnt" "$ZF_PID"
else
    bad "AWS_PROFILE mount: $(head -c 300 "$T/prof.log")"
fi

# the default profile's region counts too: the server wants us-east-1
if AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=$S3_SK zf_mount_fg s3://bkt/peers \
    "$mnt" "$T/defregion.log" -o "s3_endpoint=$EP"; then
    bad "the default profile's region (eu-west-3) was not used"
    zf_umount "$mnt" "$ZF_PID"
else
    grep -q 'region "eu-west-3" is wrong' "$T/defregion.log" &&
        ok "the [default] profile's region in ~/.aws/config is used (the server refuses eu-west-3)" ||
        bad "default region: $(head -c 300 "$T/defregion.log")"
fi
zf_finish
