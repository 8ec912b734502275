#!/usr/bin/env bash
# pack_cli.sh - the zarrfs-pack command line: both option forms, stdin input,
# --help, and the exit status of bad usage (2) and failures (1).  The bytes of
# the array itself are checked by tests/test_pack.c; here only where the CLI
# decides something.  Needs ZF_BIN (the build's bin folder); exit 77 = skip.
set -u

PACK="${ZF_BIN:-build/bin}/zarrfs-pack"
if [ ! -x "$PACK" ]; then
    echo "skip: $PACK not built"
    exit 77
fi

T=$(mktemp -d /tmp/zf_pack_cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect STATUS NEEDLE -- command...: the exit status and a phrase on stderr.
expect() {
    local want=$1 needle=$2
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        bad "exit $got, want $want: $* ($(cat "$T/err"))"
    elif [ -n "$needle" ] && ! grep -q -- "$needle" "$T/err" "$T/out"; then
        bad "no '$needle' in the output of: $* ($(cat "$T/err"))"
    else
        local cmd="$*"
        cmd=${cmd//"$PACK"/zarrfs-pack}
        ok "exit $want, '$needle': ${cmd//"$T"/\$T}"
    fi
}

head -c $((6 * 10 * 4 * 2)) /dev/urandom >"$T/in.bin" # 6x10x4 uint16

# --help, -h
expect 0 "usage:" -- "$PACK" --help
expect 0 "--index-location" -- "$PACK" -h

# The two option forms and 'x' shapes give the same array.
"$PACK" --shape 6,10,4 --dtype uint16 --chunks 2,4,4 --shards 4,8,4 \
    --codec gzip:7 --crc32c --index-location start --endian big \
    --threads 2 "$T/in.bin" "$T/a" 2>"$T/err" &&
    ok "pack with '--opt value' and ',' shapes" || bad "pack a: $(cat "$T/err")"
"$PACK" --shape=6x10x4 --dtype=uint16 --chunks=2x4x4 --shards=4x8x4 \
    --codec=gzip:7 --crc32c --index-location=start --endian=big \
    --threads=2 "$T/in.bin" "$T/b" 2>"$T/err" &&
    ok "pack with '--opt=value' and 'x' shapes" || bad "pack b: $(cat "$T/err")"
diff -r "$T/a" "$T/b" >/dev/null && ok "--opt value and --opt=value give the same array" ||
    bad "--opt value and --opt=value differ"
[ ! -s "$T/err" ] && ok "stderr empty without a terminal" ||
    bad "stderr not empty without a terminal: $(cat "$T/err")"
for want in '"sharding_indexed"' '"index_location": "start"' '"endian": "big"' \
    '"level": 7' '"crc32c"' '"data_type": "uint16"'; do
    grep -q -- "$want" "$T/a/zarr.json" && ok "zarr.json has $want" || bad "zarr.json lacks $want"
done
[ "$(find "$T/a/c" -type f | wc -l)" -eq 4 ] && ok "4 shard files" || bad "expected 4 shard files"

# stdin; the default codec is zstd.
cat "$T/in.bin" | "$PACK" --shape 6,10,4 --dtype int16 --chunks 3,5,4 - "$T/c" \
    2>"$T/err" && ok "pack from stdin ('-')" || bad "stdin: $(cat "$T/err")"
grep -q '"zstd"' "$T/c/zarr.json" && ok "the default codec is zstd" ||
    bad "default codec is not zstd"
[ "$(find "$T/c/c" -type f | wc -l)" -eq 4 ] && ok "4 chunk files" || bad "expected 4 chunk files"

# An uncompressed chunk is the input's bytes, byte for byte.
head -c 64 /dev/urandom >"$T/small.bin"
"$PACK" --shape 8 --dtype float64 --chunks 8 --codec none "$T/small.bin" "$T/d" \
    && cmp -s "$T/small.bin" "$T/d/c/0" &&
    ok "--codec none: the chunk is the input's bytes" || bad "--codec none chunk differs"

# Bad usage: exit 2.
expect 2 "required" -- "$PACK"
expect 2 "required" -- "$PACK" --shape 4 --dtype uint8 "$T/in.bin" "$T/e"
expect 2 "unknown option" -- "$PACK" --bogus 1 "$T/in.bin" "$T/e"
expect 2 "needs a value" -- "$PACK" "$T/in.bin" "$T/e" --shape
expect 2 "unknown data type" -- "$PACK" --shape 4 --dtype uint7 --chunks 2 "$T/in.bin" "$T/e"
expect 2 "not a multiple" -- "$PACK" --shape 6,10,4 --dtype uint16 --chunks 2,4,4 \
    --shards 4,6,4 "$T/in.bin" "$T/e"
expect 2 "dimensions" -- "$PACK" --shape 6,10,4 --dtype uint16 --chunks 2,4 "$T/in.bin" "$T/e"
expect 2 "at least 1" -- "$PACK" --shape 6,10,4 --dtype uint16 --chunks 2,0,4 "$T/in.bin" "$T/e"
expect 2 "unknown codec" -- "$PACK" --shape 4 --dtype uint8 --chunks 2 --codec lzma "$T/in.bin" "$T/e"
expect 2 "0..22" -- "$PACK" --shape 4 --dtype uint8 --chunks 2 --codec zstd:99 "$T/in.bin" "$T/e"
expect 2 "neither" -- "$PACK" --shape 4 --dtype uint8 --chunks 2 --endian middle "$T/in.bin" "$T/e"
expect 2 "takes no value" -- "$PACK" --shape 4 --dtype uint8 --chunks 2 --crc32c=yes "$T/in.bin" "$T/e"
expect 2 "unexpected argument" -- "$PACK" --shape 4 --dtype uint8 --chunks 2 a b c
[ ! -e "$T/e" ] && ok "bad usage created no output" || bad "bad usage created the output"

# Failures: exit 1 with the engine's message.
expect 1 "got 480 bytes, expected 960" -- "$PACK" --shape 12,10,4 --dtype uint16 \
    --chunks 2,4,4 "$T/in.bin" "$T/f"
expect 1 "got 480 bytes, expected 960" -- bash -c \
    "cat '$T/in.bin' | '$PACK' --shape 12,10,4 --dtype uint16 --chunks 2,4,4 - '$T/g'"
expect 1 "more than" -- bash -c \
    "cat '$T/in.bin' | '$PACK' --shape 3,10,4 --dtype uint16 --chunks 2,4,4 - '$T/h'"
expect 1 "not empty" -- "$PACK" --shape 6,10,4 --dtype uint16 --chunks 2,4,4 "$T/in.bin" "$T/a"
expect 1 "No such file" -- "$PACK" --shape 6 --dtype uint8 --chunks 2 "$T/missing" "$T/i"

echo "pack_cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
