#!/usr/bin/env bash
# Installs the dependencies, builds zarrfs twice (Release, and with
# -fsanitize=address,undefined) and runs every test in both builds, makes
# the Release build's .deb (build/package), then the Debian 13 leg: in a
# Debian 13 root (tools/debian13.sh leg: made once with debootstrap, which
# needs Debian's mirror that once), build-deb13 against libfuse 3.17, its
# mount, view, subarray, grid, fault, decode-target and .deb tests in
# direct mode, a host numpy reading its mount, and its .deb
# (build-deb13/package).  Without the mirror the leg skips in one line,
# except under CI=true, where it fails.
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
echo "== The Release build's .deb"
(cd build && cpack -G DEB -B package >/dev/null && ls "$PWD"/package/*.deb)
echo "== The Debian 13 leg (libfuse 3.17: direct reads)"
bash tools/debian13.sh leg
if [ -n "${ZF_FUZZ_SECONDS:-}" ] || [ "${CI:-}" = true ]; then
  echo "== Fuzzing (${ZF_FUZZ_SECONDS:-20} s a target)"
  bash tools/fuzz.sh "${ZF_FUZZ_SECONDS:-20}"
fi
