#!/usr/bin/env bash
# Installs the dependencies, builds zarrfs twice (Release, and with
# -fsanitize=address,undefined) and runs every test in both builds.
# The test corpus is generated into each build folder (tests/corpus); an
# extra conformance corpus, ../shared/corpus (or $ZF_CORPUS), is tested too
# when present, and its tests are skipped when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/install-peers.sh   # zarr-python 3, zarrs, tensorstore, boto3: tests/peer
bash tools/install-bioformats.sh  # Bio-Formats and OME's schema: tests/sh/tiff.sh
bash tools/install-s3server.sh  # versitygw: the S3 server of the remote tests
corpus=${ZF_CORPUS:-$(cd .. && pwd)/shared/corpus}
jobs=$(nproc)
run() { # build-dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -DZF_CORPUS_DIR="$corpus" "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 900)
}
echo "== Release build and tests"
run build -DCMAKE_BUILD_TYPE=Release
echo "== Sanitizer build (address, undefined) and tests"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run build-asan -DCMAKE_BUILD_TYPE=Debug -DZF_SANITIZE=ON
if [ -n "${ZF_FUZZ_SECONDS:-}" ] || [ "${CI:-}" = true ]; then
  echo "== Fuzzing (${ZF_FUZZ_SECONDS:-20} s a target)"
  bash tools/fuzz.sh "${ZF_FUZZ_SECONDS:-20}"
fi
