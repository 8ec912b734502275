#!/usr/bin/env bash
# remote_s3.sh - zarrfs mounting s3:// stores served by tests/remote/s3server.py
# (an S3-compatible server with SigV4 verification) on loopback:
#  - a v3 group without consolidated metadata, whose tree comes from
#    ListObjectsV2 (delimiter '/'), holding every v3 corpus array: each is
#    byte-identical to its expected content, read anonymously;
#  - the same signed (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), with a
#    session token (AWS_SESSION_TOKEN), and from a credentials file
#    (-o s3_profile, AWS_SHARED_CREDENTIALS_FILE);
#  - a wrong secret fails at mount with SignatureDoesNotMatch in the message;
#    an anonymous mount of a bucket that wants signatures fails clearly;
#  - path-style and virtual-host-style addressing;
#  - the server's log shows ranged GETs of the shards.
# On the extra corpus (ZF_CORPUS_EXTRA set) only the anonymous tree is read.
# Exit 0 = pass, 77 = skip (no /dev/fuse, no extra corpus).
source "$(dirname "$0")/mount_common.bash"
zf_require_corpus
zf_require
S3SERVER=${ZF_SRC:-$(dirname "$0")/../..}/tests/remote/s3server.py
[ -r "$S3SERVER" ] || { echo "FAIL: no $S3SERVER"; exit 1; }
INDEX=$CORPUS/INDEX.tsv
SPIDS=()
# hermetic: no credentials, endpoint or region from the caller
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
    AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION \
    AWS_SHARED_CREDENTIALS_FILE
trap 'for p in "${SPIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; zf_cleanup' EXIT

# s3_start NAME ARGS...: starts a server, sets PORT_<NAME>.
s3_start() {
    local name=$1 i
    shift
    python3 "$S3SERVER" --port 0 "$@" >"$T/$name.port" 2>"$T/$name.err" &
    SPIDS+=($!)
    for ((i = 0; i < 100; i++)); do
        [ -s "$T/$name.port" ] && break
        sleep 0.05
    done
    local p
    p=$(awk '$1 == "PORT" { print $2 }' "$T/$name.port")
    [ -n "$p" ] || { echo "FAIL: s3server $name did not start: $(cat "$T/$name.err")"; exit 1; }
    printf -v "PORT_$name" %s "$p"
}

# The bucket "bkt": store.zarr (a v3 group), store.zarr/sharded (a group),
# every v3 corpus array under one of them.
B=$T/s3/bkt/store.zarr
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
echo "$(wc -l <"$T/arrays") arrays in s3://bkt/store.zarr"

s3_start open --root "$T/s3" --access-key AKIDZARRFS --secret-key 'se/cret+key' \
    --anonymous-ok --log "$T/open.log"
s3_start tok --root "$T/s3" --access-key AKIDTOKEN --secret-key tokensecret \
    --session-token 'tok/en+1==' --region eu-west-3
EP=http://127.0.0.1:$PORT_open

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

mnt=$T/m
# ---- anonymous, path style (the default for an endpoint) -----------------------
if zf_mount_fg s3://bkt/store.zarr "$mnt" "$T/anon.log" -o "s3_endpoint=$EP"; then
    check_tree "$mnt" "anonymous, path style, tree from ListObjectsV2"
    grep -q "list-type=2" "$T/open.log" && ok "ListObjectsV2 was used" ||
        bad "no ListObjectsV2 request in the server log"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "anonymous mount: $(head -c 300 "$T/anon.log")"
fi
# shards are read with ranges only
whole=$(grep -E '^GET /bkt/store.zarr/sharded/.*/c/' "$T/open.log" | grep -vc 'range=bytes=')
ranged=$(grep -E '^GET /bkt/store.zarr/sharded/.*/c/' "$T/open.log" | grep -c 'range=bytes=.*-> 206')
[ "$whole" = 0 ] && [ "$ranged" -gt 0 ] &&
    ok "shards read with $ranged ranged GETs (206), none whole" ||
    bad "shard GETs without a range: $whole"
[ -n "${ZF_CORPUS_EXTRA:-}" ] && zf_finish

# ---- signed, virtual-host style -------------------------------------------------
: >"$T/open.log"
if AWS_ACCESS_KEY_ID=AKIDZARRFS AWS_SECRET_ACCESS_KEY='se/cret+key' \
    zf_mount_fg s3://bkt/store.zarr "$mnt" "$T/signed.log" \
    -o "s3_endpoint=http://localhost:$PORT_open,s3_addressing=virtual"; then
    check_tree "$mnt" "signed (SigV4), virtual-host style"
    grep -q "^GET /?list-type=2\|^GET /store.zarr" "$T/open.log" &&
        ok "virtual-host style requests (no bucket in the path)" ||
        bad "virtual-host style: $(head -2 "$T/open.log")"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "signed virtual-host mount: $(head -c 300 "$T/signed.log")"
fi

# ---- a wrong secret, and anonymous where signatures are required -------------
if AWS_ACCESS_KEY_ID=AKIDZARRFS AWS_SECRET_ACCESS_KEY=wrong \
    zf_mount_fg s3://bkt/store.zarr "$mnt" "$T/wrong.log" -o "s3_endpoint=$EP"; then
    bad "a wrong secret was mounted"
    zf_umount "$mnt" "$ZF_PID"
else
    grep -q "SignatureDoesNotMatch" "$T/wrong.log" &&
        ok "a wrong secret fails at mount: $(grep -m1 -o 'the bucket refused.*SignatureDoesNotMatch' "$T/wrong.log")" ||
        bad "a wrong secret: $(head -c 300 "$T/wrong.log")"
fi
if zf_mount_fg s3://bkt/store.zarr "$mnt" "$T/noanon.log" \
    -o "s3_endpoint=http://127.0.0.1:$PORT_tok,s3_region=eu-west-3"; then
    bad "anonymous access to a signed-only bucket was mounted"
    zf_umount "$mnt" "$ZF_PID"
else
    grep -q "access denied.*give credentials" "$T/noanon.log" &&
        ok "anonymous access to a signed-only bucket fails: $(head -c 200 "$T/noanon.log")" ||
        bad "anonymous access to a signed-only bucket: $(head -c 300 "$T/noanon.log")"
fi

# ---- a session token, and a profile ------------------------------------------------
if AWS_ACCESS_KEY_ID=AKIDTOKEN AWS_SECRET_ACCESS_KEY=tokensecret \
    AWS_SESSION_TOKEN='tok/en+1==' zf_mount_fg s3://bkt/store.zarr "$mnt" \
    "$T/tok.log" -o "s3_endpoint=http://127.0.0.1:$PORT_tok,s3_region=eu-west-3"; then
    check_tree "$mnt" "signed with a session token"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "session token mount: $(head -c 300 "$T/tok.log")"
fi
cat >"$T/credentials" <<'EOF'
[default]
aws_access_key_id = AKIDNOTTHIS
aws_secret_access_key = nope

[zarrfs-test]
aws_access_key_id = AKIDTOKEN
aws_secret_access_key = tokensecret
aws_session_token = tok/en+1==
EOF
if AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_REGION=eu-west-3 zf_mount_fg s3://bkt/store.zarr/sharded \
    "$mnt" "$T/prof.log" -o "s3_endpoint=http://127.0.0.1:$PORT_tok,s3_profile=zarrfs-test"; then
    n=$(find "$mnt" -type f | wc -l)
    [ "$n" -gt 3 ] && ok "-o s3_profile (credentials file), a prefix store: $n arrays" ||
        bad "-o s3_profile: $n arrays"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "-o s3_profile: $(head -c 300 "$T/prof.log")"
fi

# ---- the tools ----------------------------------------------------------------------
one=$(head -1 "$T/arrays")
rel=${one%%|*}
exp=$(echo "$one" | cut -d'|' -f2)
AWS_ENDPOINT_URL=$EP "$BIN/zarrfs-cat" s3://bkt/store.zarr "$rel" \
    >"$T/cat.out" 2>"$T/cat.err" && cmp -s "$T/cat.out" "$CORPUS/$exp" &&
    ok "zarrfs-cat s3://... with AWS_ENDPOINT_URL" || bad "zarrfs-cat: $(head -c 300 "$T/cat.err")"
"$BIN/zarrfs-info" -o "s3_endpoint=$EP,s3_anonymous" s3://bkt/store.zarr >"$T/info.out" 2>&1 &&
    grep -q sharded "$T/info.out" && ok "zarrfs-info -o s3_endpoint=... s3://..." ||
    bad "zarrfs-info: $(head -c 300 "$T/info.out")"
zf_finish
