#!/usr/bin/env bash
# tools/debian13.sh - builds and tests zarrfs in a Debian 13 (trixie) root,
# against its libfuse 3.17 (the host, Debian 12, has libfuse 3.14).
#
#   tools/debian13.sh [all]         root, build, then the named tests
#   tools/debian13.sh root          make (or reuse) the root and its packages
#   tools/debian13.sh build [TYPE]  build in build-deb13 (TYPE: Release)
#   tools/debian13.sh test [REGEX]  run those tests of build-deb13 (ctest -R)
#   tools/debian13.sh run CMD...    run CMD in the root, in this checkout
#   tools/debian13.sh zarrfs ARGS...  become build-deb13's zarrfs in the
#                                   root (same pid: benchmarks time it);
#                                   host paths under the root are given
#                                   to it as the root's paths
#   tools/debian13.sh unbind        undo binds a zarrfs command left
#   tools/debian13.sh hostread      this machine's numpy reads a mount of
#                                   build-deb13's zarrfs made in the root
#                                   (tests/sh/decode_targets.sh from here)
#   tools/debian13.sh leg           the CI leg (tools/run-tests.sh): all,
#                                   hostread and the .deb in
#                                   build-deb13/package; where the root must
#                                   be made or updated and Debian's mirror
#                                   cannot be reached, or not root: fails
#                                   under CI=true, else skips in one line
#
# The root is made once with debootstrap from Debian's packages into
# .debian13/root (git-ignored; $ZF_DEB13_ROOT elsewhere), and kept; the
# packages come from tools/install-deps.sh run inside it (it knows both
# releases' names), again only when that script or this one changed.  While a command
# runs, /proc, /sys and /dev (with /dev/fuse) are bound into the root, and
# this checkout at its own path, so the build folder's paths are the same
# inside and out, and a mount made inside at /P is seen outside at ROOT/P
# (host readers, the benchmarks).  Binds this run made are undone at exit;
# binds an outer run made (a second command meanwhile) are left to it, and
# the zarrfs command leaves its binds (its mount needs them): unbind undoes
# them once nothing runs in the root.
# Run as root (debootstrap, mount, chroot).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
ROOT=${ZF_DEB13_ROOT:-$SRC/.debian13/root}
MIRROR=${ZF_DEB13_MIRROR:-http://deb.debian.org/debian}
BUILD=${ZF_DEB13_BUILD:-build-deb13} # (a folder of this checkout)
# The Release build's mount, view, subarray, grid, fault and mmap tests (and
# the corpus they read), issue 23's decode targets, and the .deb built,
# installed in the root and mounted; the _shared variants need ../shared,
# not bound in.  They must run in direct mode: ZF_EXPECT_READS=direct
# (decode_targets.sh checks .zarrfs/stats' reads), unless ZF_READS=cached.
TESTS='^(corpus_generate|sh_mount_basic|sh_mount_tree|sh_mount_corpus|sh_mount_nc|sh_views|sh_subarray|sh_mount_grid|sh_mount_faults|sh_mount_readahead|sh_mount_push|sh_mount_mmap|sh_tiff|sh_decode_targets|sh_deb_package)$'
# The tests and the corpus generator write Zarr v2 with zarr-python 2's API
# (Debian 12's python3-zarr 2.13); Debian 13 ships zarr-python 3, so the
# root gets zarr-python 2's last release, pinned, with the numcodecs it
# supports, over Debian's (into the root's /usr/local).  The wheels are
# fetched by this machine's pip (its own registry settings) for the root's
# Python 3.13, and installed in the root from .debian13/wheels.
PY_PINS=(zarr==2.18.7 numcodecs==0.15.1) # (and Debian's asciitree, fasteners, deprecated)
BOUND=()

die() { echo "debian13: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || [ "${1:-}" = leg ] || # (leg says it in its own way)
    die "run as root (debootstrap, mount and chroot need it)"

# Undoes this run's binds, innermost first.
unbind() {
    local i
    for ((i = ${#BOUND[@]} - 1; i >= 0; i--)); do
        umount -R "${BOUND[i]}" 2>/dev/null || umount -l -R "${BOUND[i]}" ||
            echo "debian13: could not unmount ${BOUND[i]}" >&2
    done
    BOUND=()
}
trap unbind EXIT

# bind OPT SRC DEST: binds SRC at DEST in the root (OPT: --rbind with what
# is mounted below it, or --bind) unless something is there already.
bind() {
    local dest=$ROOT$3
    mkdir -p "$dest"
    mountpoint -q "$dest" && return 0
    mount "$1" "$2" "$dest"
    mount --make-rslave "$dest"
    BOUND+=("$dest")
}

enter() {
    bind --rbind /proc /proc
    bind --rbind /sys /sys
    bind --rbind /dev /dev
    bind --bind "$SRC" "$SRC" # (not --rbind: the root's own binds are below)
    [ -e "$ROOT/dev/fuse" ] || die "no /dev/fuse in the root: FUSE cannot mount"
}

# in CMD...: runs CMD in the root, in this checkout's folder (EXEC=exec:
# in place of this process, whose pid CMD then keeps).
EXEC=
in_root() {
    $EXEC chroot "$ROOT" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 CI="${CI:-}" ZF_READS="${ZF_READS:-}" \
        ZF_EXPECT_READS="${ZF_EXPECT_READS:-}" \
        bash -c 'cd "$1" && shift && exec "$@"' in_root "$SRC" "$@"
}

# zarrfs ARGS...: execs build-deb13's zarrfs in the root, host paths under
# the root made the root's own; its binds stay (see above).
exec_zarrfs() {
    local a args=()
    for a in "$@"; do
        case $a in "$ROOT"/*) args+=("${a#"$ROOT"}") ;; *) args+=("$a") ;; esac
    done
    [ -x "$BUILD/bin/zarrfs" ] || die "no $BUILD/bin/zarrfs: tools/debian13.sh build"
    BOUND=()
    EXEC=exec
    in_root "$SRC/$BUILD/bin/zarrfs" "${args[@]}"
}

# deps_hash: the root's packages are up to date when its stamp has it.  It
# hashes only what installs them (install-deps.sh, the pins, make_root
# itself), so that editing a test list here does not reinstall the root.
deps_hash() {
    { cat tools/install-deps.sh; echo "${PY_PINS[*]}"; declare -f make_root; } |
        sha256sum | cut -c1-16
}

make_root() {
    if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
        command -v debootstrap >/dev/null ||
            die "no debootstrap: apt-get install debootstrap"
        local t0=$SECONDS new=$ROOT.new
        rm -rf "$new"
        mkdir -p "$(dirname "$ROOT")"
        echo "== debootstrap trixie into $ROOT (from $MIRROR)"
        debootstrap --variant=minbase trixie "$new" "$MIRROR" >"$new.log" 2>&1 ||
            { tail -20 "$new.log" >&2; die "debootstrap failed (log: $new.log)"; }
        mv "$new" "$ROOT"
        echo "debian13: root made in $((SECONDS - t0)) s"
    fi
    local stamp=$ROOT/.zf-deps-$(deps_hash)
    [ -e "$stamp" ] && return 0
    enter
    echo "== tools/install-deps.sh in the root"
    in_root bash tools/install-deps.sh
    echo "== ${PY_PINS[*]} in the root"
    in_root apt-get install -y -q --no-install-recommends python3-pip \
        python3-asciitree python3-fasteners python3-deprecated >/dev/null
    local wheels=${ROOT%/*}/wheels
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.13 \
        --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
        --platform any -d "$wheels" "${PY_PINS[@]}"
    in_root python3 -m pip install -q --break-system-packages --no-deps \
        --root-user-action=ignore --ignore-installed --no-index --find-links "$wheels" "${PY_PINS[@]}"
    rm -f "$ROOT"/.zf-deps-*
    touch "$stamp"
}

build() {
    local type=${1:-Release}
    enter
    echo "== $BUILD ($type) against $(in_root pkg-config --modversion fuse3 | sed 's/^/libfuse /')"
    in_root cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE="$type" >/dev/null
    in_root cmake --build "$BUILD" -j"$(nproc)"
}

run_tests() {
    enter
    [ "${ZF_READS:-}" = cached ] || export ZF_EXPECT_READS=${ZF_EXPECT_READS:-direct}
    echo "== tests in the root: ${1:-$TESTS}"
    in_root bash -c 'cd "$1" && ctest --output-on-failure -j"$(nproc)" --timeout 900 -R "$2"' \
        x "$BUILD" "${1:-$TESTS}"
}

# hostread: decode_targets.sh run here, with this machine's numpy and
# build/bin's helpers, against mounts that build-deb13's zarrfs makes in the
# root (TMPDIR under it), so a host reader reads a Debian 13 mount.
host_read() {
    [ -x build/bin/zarrfs-pack ] || die "no build/bin: the host's Release build first"
    enter
    mkdir -p "$ROOT/tmp"
    echo "== host reads of a Debian 13 mount (tests/sh/decode_targets.sh)"
    ZF_ZARRFS="bash $SRC/tools/debian13.sh zarrfs" TMPDIR=$ROOT/tmp ZF_BIN=build/bin \
        ZF_SRC=$SRC ZF_EXPECT_READS=${ZF_EXPECT_READS:-direct} bash tests/sh/decode_targets.sh
}

# package: the Debian 13 .deb, in $BUILD/package (the host's is
# build/package: tools/run-tests.sh).
package() {
    enter
    in_root bash -c 'cd "$1" && cpack -G DEB -B package >/dev/null && ls package/*.deb' \
        x "$BUILD"
}

# leg: the CI leg.  Skipped (0) or failed (CI=true) in one line where it
# cannot run here; the root's making is logged to .debian13/root.log.
leg() {
    local t0=$SECONDS why=
    if [ "$(id -u)" != 0 ]; then
        why="not root (debootstrap, mount and chroot need it)"
    elif [ ! -e "$ROOT/.zf-deps-$(deps_hash)" ]; then
        if ! command -v debootstrap >/dev/null; then
            why="no debootstrap (tools/install-deps.sh installs it)"
        elif ! curl -fsS --max-time 20 -o /dev/null "$MIRROR/dists/trixie/InRelease" 2>/dev/null; then
            why="Debian's mirror $MIRROR cannot be reached to make the root"
        fi
    fi
    if [ -n "$why" ]; then
        [ "${CI:-}" = true ] && die "the Debian 13 leg cannot run: $why"
        echo "debian13: $why: the Debian 13 leg is skipped"
        exit 0
    fi
    local log=${ROOT%/*}/root.log
    mkdir -p "${ROOT%/*}" # (a fresh clone has no .debian13/)
    ( trap unbind EXIT; make_root ) >"$log" 2>&1 ||
        { tail -20 "$log" >&2; die "making the root failed (log: $log)"; }
    echo "debian13: root ready in $((SECONDS - t0)) s (log: $log)"
    build Release
    local rc=0 # (each step runs when another failed)
    run_tests || rc=1
    host_read || rc=1
    package || rc=1
    echo "debian13: the leg took $((SECONDS - t0)) s$([ $rc = 0 ] || echo ': FAILED')"
    return $rc
}

case ${1:-all} in
all) t0=$SECONDS; make_root; build Release; run_tests
     echo "debian13: all done in $((SECONDS - t0)) s" ;;
root) make_root ;;
build) shift; make_root; build "${1:-Release}" ;;
test) shift; make_root; run_tests "${1:-}" ;;
run) shift; make_root; enter; in_root "$@" ;;
zarrfs) shift; enter; exec_zarrfs "$@" ;;
hostread) host_read ;;
leg) leg ;;
unbind) for d in /dev /sys /proc "$SRC"; do
            mountpoint -q "$ROOT$d" && BOUND+=("$ROOT$d")
        done ;; # (undone at exit)
*) die "unknown command '$1': give all, root, build, test, run, zarrfs, unbind, hostread or leg" ;;
esac
