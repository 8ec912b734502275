#!/usr/bin/env bash
# fuzz.sh [SECONDS] - builds the libFuzzer targets of tests/fuzz (clang-14,
# -fsanitize=fuzzer,address,undefined; the engine instrumented with
# fuzzer-no-link) and runs each for SECONDS (default 60), one after the
# other, seeded from the generated test corpus (tests/corpus/make_corpus.py,
# into BUILD/corpus), ../shared/corpus when present, and zarrfs-pack.
#
#   ZF_FUZZ_BUILD  build folder (default build-fuzz)
#   ZF_FUZZ_JOBS   targets run at once (default 1)
#   ZF_FUZZ_ONLY   a space-separated subset of: meta_v3 meta_v2 shard chunk flat selexpr encode
#   ZF_CORPUS      an extra corpus of seeds (default ../shared/corpus; optional)
#   ZF_FUZZ_SRC    the CMake source folder (default .; a wrapper project
#                  that adds tests/fuzz works too)
#
# Each target keeps its growing corpus in BUILD/fuzz-work/TARGET (reused by
# later runs) and writes what it finds to BUILD/fuzz-work/findings/.  Prints
# one line per target (run time, executions, coverage, findings) and exits 1
# if anything was found: copy the file into tests/fuzz/regressions/TARGET/
# (then CTest replays it in every build) and report it.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
build=${ZF_FUZZ_BUILD:-build-fuzz}
src=${ZF_FUZZ_SRC:-.}
corpus=${ZF_CORPUS:-$(cd .. && pwd)/shared/corpus}
targets=${ZF_FUZZ_ONLY:-meta_v3 meta_v2 shard chunk flat selexpr encode}
jobs=${ZF_FUZZ_JOBS:-1}
cc=${ZF_FUZZ_CC:-clang-14}
command -v "$cc" >/dev/null || { echo "fuzz: $cc is not installed (tools/install-deps.sh)" >&2; exit 1; }

CC=$cc cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DZF_SANITIZE=ON -DZF_FUZZ=ON -DZF_CORPUS_DIR="$corpus" >/dev/null || exit 1
tl=()
for t in $targets; do tl+=(--target "fuzz_$t"); done
cmake --build "$build" -j"$(nproc)" "${tl[@]}" --target zarrfs-pack >/dev/null ||
    { echo "fuzz: build failed" >&2; exit 1; }
fbin=$build/fuzz
pack=$build/bin/zarrfs-pack
work=$(cd "$build" && pwd)/fuzz-work
seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$seeds" "$work/findings"

# --- seeds -------------------------------------------------------------------
corpora=()
/usr/bin/python3 tests/corpus/make_corpus.py "$build/corpus" >/dev/null &&
    corpora+=("$build/corpus") || echo "fuzz: the test corpus was not generated" >&2
if [ -d "$corpus" ]; then
    corpora+=("$corpus")
else
    echo "fuzz: no extra corpus at $corpus: seeds from the generated one only" >&2
fi
if [ ${#corpora[@]} -gt 0 ]; then
    /usr/bin/python3 tests/fuzz/make_seeds.py "${corpora[@]}" "$seeds" >/dev/null ||
        echo "fuzz: no seeds from ${corpora[*]}" >&2
fi
mkdir -p "$seeds/shard" "$seeds/meta_v3" "$seeds/meta_v2" "$seeds/chunk" "$seeds/flat" "$seeds/selexpr" "$seeds/encode"
# One seed per case of tests/fuzz/encode_cases.h (byte 0 picks it).
for i in $(seq 0 63); do
    { printf "\\x$(printf %02x "$i")\\x03\\x03\\x05\\x04\\x06"; head -c 64 /dev/urandom; } >"$seeds/encode/case_$i"
done
# Valid shards in the layout fuzz_shard.c declares (uint16 8x8, inner 2x4),
# for each index location, crc32c or not and compressor (byte 0 says which).
tmp=$(mktemp -d)
head -c 128 /dev/urandom >"$tmp/in"
for loc in 0 1; do for crc in 0 1; do for comp in 0 1 2; do
    args=(--shape 8,8 --dtype uint16 --chunks 2,4 --shards 8,8)
    [ $loc = 1 ] && args+=(--index-location start)
    [ $crc = 1 ] && args+=(--crc32c)
    case $comp in 0) args+=(--codec none) ;; 1) args+=(--codec zstd) ;; 2) args+=(--codec gzip) ;; esac
    rm -rf "$tmp/a"
    "$pack" "${args[@]}" "$tmp/in" "$tmp/a" 2>/dev/null || continue
    v=$((loc | crc << 1 | comp << 2))
    { printf "\\x$(printf %02x $v)"; cat "$tmp/a/c/0/0"; } >"$seeds/shard/pack_$v"
done; done; done
rm -rf "$tmp"
for t in $targets; do
    [ -d tests/fuzz/regressions/$t ] && cp tests/fuzz/regressions/$t/* "$seeds/$t/" 2>/dev/null
done

# --- runs --------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run_one() {
    local t=$1 log=$work/$1.log
    mkdir -p "$work/$t" "$work/tmp_$t"
    local extra=()
    [ "$t" = chunk ] && extra+=(-max_len=65536)
    [ "$t" = shard ] && extra+=(-max_len=4096)
    TMPDIR=$work/tmp_$t "$fbin/fuzz_$t" -max_total_time="$secs" -timeout=20 \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/findings/$t-" "${extra[@]}" \
        "$work/$t" "$seeds/$t" >"$log" 2>&1
    local rc=$?
    rm -rf "$work/tmp_$t"
    local execs cov
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    echo "fuzz_$t: ${secs}s, ${execs:-?} executions, coverage ${cov:-?}, exit $rc"
    return $rc
}
fail=0
running=0
for t in $targets; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || fail=1
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || fail=1
    running=$((running - 1))
done
found=$(ls "$work/findings" 2>/dev/null | wc -l)
if [ "$fail" -ne 0 ] || [ "$found" -gt 0 ]; then
    echo "fuzz: $found finding(s) in $work/findings (logs: $work/*.log)"
    for f in "$work/findings"/*; do
        [ -f "$f" ] && { echo "== $f"; head -c 256 "$f" | od -A d -t x1 | head -8; }
    done
    for t in $targets; do
        grep -q "ERROR\|fuzz check failed\|runtime error" "$work/$t.log" &&
            { echo "== $t.log"; grep -A25 -m1 "ERROR\|fuzz check failed\|runtime error" "$work/$t.log"; }
    done
    exit 1
fi
echo "fuzz: no findings"
