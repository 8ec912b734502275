#!/usr/bin/env bash
# Installs the peers zarrfs is measured against, pinned, into .peers/ (git
# ignored) beside the checkout:
#   .peers/venv   a Python virtual environment on Debian's python3 with
#                 tools/peers/requirements.txt: zarr-python 3, numcodecs,
#                 zarrs (the zarrs codec pipeline), tensorstore, xarray.
#   .peers/cargo  with --bench only: zarrs_tools (zarrs_benchmark_read_sync),
#                 built with cargo install --locked.  CI does not need it.
# Idempotent: a stamp holding the requirements' hash makes a second run a
# no-op.  Where the registries cannot be reached it says so in one line and
# exits 0, and the peer tests then skip, except under CI=true, where the
# peers must run and a failure to install them fails.
# Prints nothing on success but the paths, so callers may source its output:
#   eval "$(bash tools/install-peers.sh --env)"  sets ZF_PEER_PY (and
#   ZF_ZARRS_BENCH with --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=$root/.peers
req=$root/tools/peers/requirements.txt
ZARRS_TOOLS=0.8.1                       # crates.io, with --features benchmark
want_env=0 want_bench=0
for a in "$@"; do
  case $a in
    --env) want_env=1 ;;
    --bench) want_bench=1 ;;
    *) echo "usage: install-peers.sh [--env] [--bench]" >&2; exit 2 ;;
  esac
done
say() { echo "install-peers: $*" >&2; }
fail() { # why: fatal in CI, a skip elsewhere
  if [ "${CI:-}" = true ]; then say "$1"; exit 1; fi
  say "$1; the peer tests will skip"; exit 0
}

py=$dir/venv/bin/python
stamp=$dir/venv/.zf-stamp
hash=$(sha256sum "$req" | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$hash" ]; then
  say "installing the pinned peers into $dir/venv (tools/peers/requirements.txt)"
  rm -rf "$dir/venv"
  mkdir -p "$dir"
  /usr/bin/python3 -m venv "$dir/venv" >&2 || fail "python3 -m venv failed (python3-venv missing?)"
  if ! "$py" -m pip install -q --disable-pip-version-check --no-deps \
       -r "$req" >&2; then
    rm -rf "$dir/venv"
    fail "pip could not install tools/peers/requirements.txt (no registry?)"
  fi
  "$py" -m pip check >&2 || { rm -rf "$dir/venv"; fail "pinned peers conflict (pip check)"; }
  echo "$hash" > "$stamp"
fi

bench=
if [ $want_bench = 1 ]; then
  bench=$dir/cargo/bin/zarrs_benchmark_read_sync
  if [ ! -x "$bench" ] || [ "$(cat "$dir/cargo/.zf-stamp" 2>/dev/null)" != "$ZARRS_TOOLS" ]; then
    command -v cargo >/dev/null || fail "no cargo: zarrs_tools cannot be built"
    say "building zarrs_tools $ZARRS_TOOLS (cargo install --locked, some minutes)"
    CARGO_TARGET_DIR=$dir/cargo-target cargo install -q --locked \
      "zarrs_tools@$ZARRS_TOOLS" --features benchmark --root "$dir/cargo" >&2 \
      || fail "cargo install zarrs_tools@$ZARRS_TOOLS failed"
    echo "$ZARRS_TOOLS" > "$dir/cargo/.zf-stamp"
    rm -rf "$dir/cargo-target"
  fi
fi

if [ $want_env = 1 ]; then
  echo "export ZF_PEER_PY=$py"
  [ -z "$bench" ] || echo "export ZF_ZARRS_BENCH=$bench"
fi
exit 0
