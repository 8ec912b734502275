# mount_common.bash - helpers for the tests/sh/mount_*.sh tests (sourced;
# not a test itself: CTest runs only *.sh).
#
# Environment: ZF_BIN (the build's bin folder: zarrfs, zarrfs-pack,
# zarrfs-cat, zf_mount_check), ZF_CORPUS (the corpus: by default the one
# tests/corpus/make_corpus.py generates into the build folder), ZF_SRC;
# ZF_CORPUS_EXTRA, set when ZF_CORPUS is the optional extra corpus, names it.
# Every mount made through zf_mount is unmounted at exit, pass or fail, and
# every zarrfs it started is waited for; T is a temporary folder, removed at
# exit.  Checks print one line each; zf_finish prints "N passed, N failed"
# and exits 0 only when nothing failed.
set -u

BIN=${ZF_BIN:-build/bin}
# The tests' Python helpers (zf_arrays.py) beside this file.
export PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
CORPUS=${ZF_CORPUS:-$BIN/../corpus}
ZARRFS=$BIN/zarrfs
CHECK=$BIN/zf_mount_check
# ZF_READS=direct|cached runs the mounts in that mode (-o reads=, iomode.h);
# unset, each mount gets its default (direct where it can be negotiated).
READS_OPT=()
[ -n "${ZF_READS:-}" ] && READS_OPT=(-o "reads=$ZF_READS")
passed=0
failed=0
skipped=0
MOUNTS=()
PIDS=()

ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
skip() { skipped=$((skipped + 1)); echo "skip: $*"; }

# check DESCRIPTION command...: passes when the command succeeds.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}

# zf_require: skips the test without /dev/fuse; fails without the binaries.
zf_require() {
    if [ ! -c /dev/fuse ]; then
        echo "skip: /dev/fuse is absent: cannot mount"
        exit 77
    fi
    local b
    for b in "$ZARRFS" "$CHECK" "$BIN/zarrfs-pack" "$BIN/zarrfs-cat"; do
        if [ ! -x "$b" ]; then
            echo "FAIL: $b is not built"
            echo "0 passed, 1 failed"
            exit 1
        fi
    done
    command -v fusermount3 >/dev/null || { echo "FAIL: no fusermount3"; exit 1; }
}

# zf_require_numpy_zstd: sets SRC (the source tree) and PY (the system
# Python, which writes the test data from the spec) and fails the test when
# PY lacks numpy or zstandard.
zf_require_numpy_zstd() {
    SRC=${ZF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
    PY=/usr/bin/python3
    "$PY" -c 'import numpy, zstandard' 2>/dev/null ||
        { echo "FAIL: $PY lacks numpy or zstandard (tools/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
}

# zf_require_corpus: CORPUS has an index; when it is the extra corpus and
# absent, the test is skipped with one line.
zf_require_corpus() {
    [ -r "$CORPUS/INDEX.tsv" ] && return 0
    if [ -n "${ZF_CORPUS_EXTRA:-}" ]; then
        echo "no $ZF_CORPUS_EXTRA: extra corpus skipped"
        exit 77
    fi
    echo "FAIL: no corpus index at $CORPUS/INDEX.tsv (tests/corpus/make_corpus.py makes it)"
    echo "0 passed, 1 failed"
    exit 1
}

# zf_require_peers: sets PEER_PY to the pinned peers' Python (zarr-python 3,
# zarrs, tensorstore, xarray: tools/install-peers.sh makes .peers/venv).
# Without it the test is skipped with one line, except under CI=true, where
# the peers must run and their absence fails.
zf_require_peers() {
    PEER_PY=${ZF_PEER_PY:-${ZF_SRC:-.}/.peers/venv/bin/python}
    if [ -x "$PEER_PY" ] && "$PEER_PY" -c 'import zarr, zarrs, tensorstore' 2>/dev/null; then
        return 0
    fi
    if [ "${CI:-}" = true ]; then
        echo "FAIL: no peers at $PEER_PY (bash tools/install-peers.sh installs them)"
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "skip: no peers at $PEER_PY (bash tools/install-peers.sh installs them)"
    exit 77
}

# zf_alive PID: the process exists and is not a zombie.
zf_alive() {
    [ -r "/proc/$1/stat" ] || return 1
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$state" ] && [ "$state" != Z ]
}

# zf_wait_gone PID [SECONDS]: waits until the process has exited.
zf_wait_gone() {
    local i
    for ((i = 0; i < ${2:-10} * 20; i++)); do
        zf_alive "$1" || return 0
        sleep 0.05
    done
    return 1
}

# zf_mount_fg STORE MNT LOG [options...]: starts zarrfs -f in the background
# (stderr to LOG), sets ZF_PID, and waits until MNT is mounted; returns 1 if
# zarrfs exited first or the mount did not come within 20 s.
zf_mount_fg() {
    local store=$1 mnt=$2 log=$3 i
    shift 3
    mkdir -p "$mnt"
    MOUNTS+=("$mnt")
    "$ZARRFS" -f "${READS_OPT[@]}" "$@" "$store" "$mnt" 2>"$log" &
    ZF_PID=$!
    PIDS+=("$ZF_PID")
    for ((i = 0; i < 400; i++)); do
        mountpoint -q "$mnt" && return 0
        zf_alive "$ZF_PID" || return 1
        sleep 0.05
    done
    return 1
}

# zf_umount MNT [PID]: unmounts and waits for the zarrfs process to exit.
zf_umount() {
    mountpoint -q "$1" && fusermount3 -u "$1"
    if [ $# -gt 1 ]; then
        zf_wait_gone "$2" 10 && wait "$2" 2>/dev/null
    fi
    ! mountpoint -q "$1"
}

# zf_daemon_pid MNT: the pid of the zarrfs daemon serving MNT.
zf_daemon_pid() {
    local d
    for d in /proc/[0-9]*; do
        [ "$(cat "$d/comm" 2>/dev/null)" = zarrfs ] || continue
        tr '\0' '\n' <"$d/cmdline" 2>/dev/null | grep -qxF -- "$1" &&
            zf_alive "${d#/proc/}" && echo "${d#/proc/}" && return 0
    done
    return 1
}

# zf_reads MNT: how the mount reads, from its .zarrfs/stats: direct or cached.
zf_reads() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reads"])' \
        "$1/.zarrfs/stats"
}

# zf_reads_expected: the mode a mount of this build gets here: cached when
# ZF_READS=cached, or the build's libfuse or the kernel (before 6.6) cannot
# negotiate FUSE_DIRECT_IO_ALLOW_MMAP; else direct.
zf_reads_expected() {
    local v
    v=$(uname -r | sed -E 's/^([0-9]+)\.([0-9]+).*/\1 \2/')
    if [ "${ZF_READS:-}" = cached ] || ! "$ZARRFS" --version | grep -q '^reads: direct' ||
        [ "${v% *}" -lt 6 ] || { [ "${v% *}" -eq 6 ] && [ "${v#* }" -lt 6 ]; }; then
        echo cached
    else
        echo direct
    fi
}

zf_cleanup() {
    local m p
    for m in "${MOUNTS[@]}"; do
        mountpoint -q "$m" 2>/dev/null && { fusermount3 -u "$m" || fusermount3 -uz "$m"; }
    done
    for p in "${PIDS[@]}"; do
        if zf_alive "$p" && ! zf_wait_gone "$p" 5; then
            echo "FAIL: zarrfs (pid $p) still running at exit; killing it"
            kill -9 "$p" 2>/dev/null
        fi
        wait "$p" 2>/dev/null
    done
    rm -rf "$T"
}

# zf_pack IN OUT [zarrfs-pack options...]: writes a v3 array folder.
zf_pack() {
    local in=$1 out=$2
    shift 2
    "$BIN/zarrfs-pack" "$@" "$in" "$out" 2>"$T/pack.err" ||
        { echo "FAIL: zarrfs-pack $*: $(cat "$T/pack.err")"; return 1; }
}

# zf_group DIR: makes DIR a Zarr v3 group.
zf_group() {
    mkdir -p "$1" &&
        printf '%s\n' '{"zarr_format":3,"node_type":"group","attributes":{}}' \
            >"$1/zarr.json"
}

# pycheck SCRIPT ARGS...: runs a Python checker with $PY (the test sets
# it) whose lines "ok: ...", "FAIL: ..." and "skip: ..." count as checks of
# this test.
pycheck() {
    local out=$T/py.out
    "$PY" "$@" >"$out" 2>&1
    local rc=$?
    cat "$out"
    passed=$((passed + $(grep -c '^ok: ' "$out")))
    failed=$((failed + $(grep -c '^FAIL: ' "$out")))
    skipped=$((skipped + $(grep -c '^skip: ' "$out")))
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$out"; then
        bad "$1 exited with $rc"
    fi
}

zf_finish() {
    if [ "$skipped" -gt 0 ]; then
        echo "$passed passed, $failed failed, $skipped skipped"
    else
        echo "$passed passed, $failed failed"
    fi
    [ "$failed" -eq 0 ]
    exit $?
}

T=$(mktemp -d /tmp/zf_mount.XXXXXX)
trap zf_cleanup EXIT
